//! One JUnit file per run. cucumber writes one document per feature path it runs; the run
//! merges them and adds a suite for the scenarios the backend could not run, each a
//! `<skipped>` test case with its reason, so that CI shows them as skipped, not missing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Where the JUnit document of the `index`-th feature path goes before merging.
pub fn part(junit: &Path, index: usize) -> PathBuf {
    let mut name = junit.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".part{index}"));
    junit.with_file_name(name)
}

/// The `<testsuite>` elements of a cucumber JUnit document.
fn suites(document: &str) -> &str {
    let start = document.find("<testsuites>").map_or(0, |i| i + "<testsuites>".len());
    let end = document.rfind("</testsuites>").unwrap_or(document.len());
    document.get(start..end).unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Writes `junit` from the `parts` documents (removing them) and the scenarios skipped on
/// `on`, each `(scenario, reason)`.
pub fn merge(junit: &Path, parts: &[PathBuf], skipped: &[(String, String)], on: &str) -> anyhow::Result<()> {
    let mut out = String::from(r#"<?xml version="1.0" encoding="utf-8"?><testsuites>"#);
    for p in parts {
        let document = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        out.push_str(suites(&document));
        std::fs::remove_file(p).with_context(|| format!("removing {}", p.display()))?;
    }
    if !skipped.is_empty() {
        let name = escape(&format!("Skipped on {on}"));
        let n = skipped.len();
        out.push_str(&format!(
            r#"<testsuite name="{name}" package="{name}" tests="{n}" skipped="{n}" errors="0" failures="0">"#
        ));
        for (scenario, reason) in skipped {
            out.push_str(&format!(
                r#"<testcase name="{}"><skipped message="{}"/></testcase>"#,
                escape(scenario),
                escape(reason)
            ));
        }
        out.push_str("</testsuite>");
    }
    out.push_str("</testsuites>");
    std::fs::write(junit, out).with_context(|| format!("--junit {}", junit.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_skipped_scenarios_become_one_document() {
        let dir = tempfile::tempdir().unwrap();
        let junit = dir.path().join("report.xml");
        let parts: Vec<PathBuf> = (0..2).map(|i| part(&junit, i)).collect();
        for (i, p) in parts.iter().enumerate() {
            let suite = format!(r#"<testsuite name="f{i}"><testcase name="s{i}"/></testsuite>"#);
            std::fs::write(p, format!(r#"<?xml version="1.0" encoding="utf-8"?><testsuites>{suite}</testsuites>"#))
                .unwrap();
        }
        let skipped = vec![("Scenario: a <b> & c: x.feature:3".to_string(), "@virtual-time: \"why\"".to_string())];
        merge(&junit, &parts, &skipped, "the kind backend").unwrap();
        let merged = std::fs::read_to_string(&junit).unwrap();
        assert!(merged.contains(r#"<testsuite name="f0">"#) && merged.contains(r#"<testsuite name="f1">"#));
        assert!(merged.contains(r#"name="Skipped on the kind backend""#) && merged.contains(r#"skipped="1""#));
        assert!(merged.contains("a &lt;b&gt; &amp; c") && merged.contains("&quot;why&quot;"), "{merged}");
        assert!(merged.ends_with("</testsuites>") && parts.iter().all(|p| !p.exists()));
    }
}
