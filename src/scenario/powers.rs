//! Which scenarios a backend can run. A scenario that needs an embedded-only power carries
//! its tag (`@virtual-time`, `@cluster-faults`); on a backend without that power it is
//! reported as skipped, with the reason, instead of being run. Which steps need a power is
//! the catalogue's to say, so a test can hold the tags true to the steps.

use std::path::{Path, PathBuf};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::tag::Ext as _;
use regex::Regex;

use crate::backend::Power;

/// Whether a step's text (placeholders filled in) needs `power`: what the catalogue says of
/// the step it matches.
pub fn step_needs(power: Power, text: &str) -> bool {
    super::catalogue::matching(text.trim()).iter().any(|c| c.doc.needs == Some(power))
}

/// An examples row: its block's tags, and `(placeholder, value)` pairs.
type ExampleRow = (Vec<String>, Vec<(String, String)>);

/// One scenario as a backend sees it: where it is, its tags (feature, rule, scenario and
/// examples), and the powers its steps need.
#[derive(Clone, Debug)]
pub struct ScenarioNeeds {
    pub file: PathBuf,
    pub line: usize,
    pub name: String,
    pub tags: Vec<String>,
    pub needs: Vec<Power>,
}

impl ScenarioNeeds {
    /// The powers whose tag the scenario lacks although a step needs them.
    pub fn untagged(&self) -> Vec<Power> {
        self.needs.iter().copied().filter(|p| !self.tags.iter().any(|t| t == p.tag())).collect()
    }

    /// The first power among `missing` the scenario's tags ask for.
    pub fn blocked_by(&self, missing: &[Power]) -> Option<Power> {
        missing.iter().copied().find(|p| self.tags.iter().any(|t| t == p.tag()))
    }
}

/// Every `.feature` file under `path` (or `path` itself), sorted.
pub fn feature_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "feature") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every scenario (outlines expanded per examples row) of the features under `paths`.
pub fn scenarios(paths: &[PathBuf]) -> anyhow::Result<Vec<ScenarioNeeds>> {
    let mut out = Vec::new();
    for file in paths.iter().flat_map(|p| feature_files(p)) {
        // A file that does not parse has no scenarios to select; the lint reports it.
        let Ok(feature) = gherkin::Feature::parse_path(&file, GherkinEnv::default()) else { continue };
        let background: Vec<&gherkin::Step> = feature.background.iter().flat_map(|b| &b.steps).collect();
        let mut push = |scenario: &gherkin::Scenario, rule_tags: &[String], bg: &[&gherkin::Step]| {
            let rows: Vec<ExampleRow> = if scenario.examples.is_empty() {
                vec![(vec![], vec![])]
            } else {
                scenario
                    .examples
                    .iter()
                    .flat_map(|ex| {
                        let table = ex.table.as_ref();
                        let header = table.and_then(|t| t.rows.first()).cloned().unwrap_or_default();
                        let rows =
                            table.map(|t| t.rows.iter().skip(1).cloned().collect::<Vec<_>>()).unwrap_or_default();
                        rows.into_iter()
                            .map(move |r| (ex.tags.clone(), header.iter().cloned().zip(r).collect::<Vec<_>>()))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            };
            for (example_tags, values) in rows {
                let fill =
                    |text: &str| values.iter().fold(text.to_string(), |t, (k, v)| t.replace(&format!("<{k}>"), v));
                let texts: Vec<String> = bg.iter().copied().chain(&scenario.steps).map(|s| fill(&s.value)).collect();
                let mut needs: Vec<Power> =
                    Power::ALL.into_iter().filter(|p| texts.iter().any(|t| step_needs(*p, t))).collect();
                needs.sort();
                let tags =
                    feature.tags.iter().chain(rule_tags).chain(&scenario.tags).chain(&example_tags).cloned().collect();
                out.push(ScenarioNeeds {
                    file: file.clone(),
                    line: scenario.position.line,
                    name: fill(&scenario.name),
                    tags,
                    needs,
                });
            }
        };
        for scenario in &feature.scenarios {
            push(scenario, &[], &background);
        }
        for rule in &feature.rules {
            let mut bg = background.clone();
            bg.extend(rule.background.iter().flat_map(|b| &b.steps));
            for scenario in &rule.scenarios {
                push(scenario, &rule.tags, &bg);
            }
        }
    }
    Ok(out)
}

/// The scenarios a run selects (by `tags` and `name`) that a backend without `missing`
/// powers cannot run, each with the reason.
pub fn skipped(
    paths: &[PathBuf],
    tags: Option<&str>,
    name: Option<&str>,
    missing: &[Power],
) -> anyhow::Result<Vec<(ScenarioNeeds, String)>> {
    let tags: Option<TagOperation> =
        tags.map(|t| t.parse().map_err(|e| anyhow::anyhow!("--tags {t:?}: {e}"))).transpose()?;
    let name = name.map(Regex::new).transpose()?;
    Ok(scenarios(paths)?
        .into_iter()
        .filter(|s| tags.as_ref().is_none_or(|t| t.eval(s.tags.iter())))
        .filter(|s| name.as_ref().is_none_or(|n| n.is_match(&s.name)))
        .filter_map(|s| {
            let power = s.blocked_by(missing)?;
            Some((s, format!("@{}: {}", power.tag(), power.reason())))
        })
        .collect())
}

/// The tag expression of a run on a backend without `missing` powers.
pub fn tag_filter(user: Option<&str>, missing: &[Power]) -> Option<String> {
    let mut parts: Vec<String> = user.map(|u| format!("({u})")).into_iter().collect();
    parts.extend(missing.iter().map(|p| format!("not @{}", p.tag())));
    (!parts.is_empty()).then(|| parts.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_that_need_powers() {
        assert!(step_needs(Power::VirtualTime, "30 seconds pass"));
        assert!(step_needs(Power::VirtualTime, "1 minute passes"));
        assert!(!step_needs(Power::VirtualTime, "within 30 seconds, nothing is orphaned in Lattice"));
        assert!(step_needs(Power::ClusterFaults, r#""cluster-a" drops its watches"#));
        assert!(step_needs(Power::ClusterFaults, r#""cluster-b" conflicts on patch httproutes with probability 0.5"#));
        assert!(!step_needs(Power::ClusterFaults, "Lattice fails all with probability 0.3"));
        assert!(step_needs(Power::ReferenceController, "the controllers run profile fixed"));
        assert!(step_needs(Power::LatticeSimulator, "Lattice received exactly 1 CreateTargetGroup calls"));
        assert!(step_needs(Power::LatticeSimulator, "Lattice throttles the next 30 calls of all"));
        assert!(step_needs(
            Power::LatticeSimulator,
            "Lattice answers the next 1 RegisterTargets call with 409 ConflictException"
        ));
        assert!(!step_needs(Power::LatticeSimulator, "Lattice holds 2 target groups"));
    }

    #[test]
    fn the_filter_keeps_the_users_expression() {
        assert_eq!(tag_filter(None, &[]), None);
        assert_eq!(
            tag_filter(Some("@import or @export"), &[Power::VirtualTime]).as_deref(),
            Some("(@import or @export) and not @virtual-time")
        );
    }
}
