//! The reference reconciler (profile v2.1.3) against what the real controller v2.1.3 was
//! observed doing. `tests/conformance/v2.1.3/` holds the records of the real controller on
//! every wall-clock scenario (`latticelab run --controller real:PATH --record …`); this test
//! runs the reference reconciler on the same scenarios with `--record` and compares, record by
//! record: the canonical final Lattice state, and each controller's distinct mutating calls.
//! A difference passes only when `differences.yaml` lists it with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use latticelab::scenario::record::Record;
use latticelab::scenario::runner::{RunOptions, run_blocking};
use serde::Deserialize;
use serde_json::Value;

fn records_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/v2.1.3")
}

/// A difference between the reference reconciler and the real controller that is known,
/// with why it is left.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    record: String,
    /// `lattice` or `calls.<cluster>`.
    part: String,
    reason: String,
}

fn read_records(dir: &Path) -> BTreeMap<String, Record> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !name.ends_with(".yaml") || name == "differences.yaml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let record: Record = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.insert(name, record);
    }
    out
}

/// The distinct calls of one controller: how often and in which interleaving a controller
/// repeats a write depends on when its events arrive, which differs between wall-clock and
/// virtual-time runs.
fn distinct(calls: Option<&Vec<Value>>) -> BTreeSet<String> {
    calls.into_iter().flatten().map(|c| c.to_string()).collect()
}

/// What differs between two records, by part.
fn differences(real: &Record, reference: &Record) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if real.lattice != reference.lattice {
        let real_yaml = serde_yaml_ng::to_string(&real.lattice).unwrap_or_default();
        let ours_yaml = serde_yaml_ng::to_string(&reference.lattice).unwrap_or_default();
        out.push(("lattice".to_string(), first_difference(&real_yaml, &ours_yaml)));
    }
    let clusters: BTreeSet<&String> = real.calls.keys().chain(reference.calls.keys()).collect();
    for cluster in clusters {
        let (theirs, ours) = (distinct(real.calls.get(cluster)), distinct(reference.calls.get(cluster)));
        if theirs != ours {
            let only_real: Vec<&String> = theirs.difference(&ours).collect();
            let only_ours: Vec<&String> = ours.difference(&theirs).collect();
            out.push((
                format!("calls.{cluster}"),
                format!("only the real controller: {only_real:?}\n    only the reference: {only_ours:?}"),
            ));
        }
    }
    out
}

fn first_difference(real: &str, ours: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (real.lines().collect(), ours.lines().collect());
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let context = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 3).min(lines.len())].join("\n      ");
    format!("from line {}:\n    real:\n      {}\n    reference:\n      {}", at + 1, context(&a), context(&b))
}

#[test]
fn the_reference_reconciler_does_what_the_real_controller_was_seen_doing() {
    let dir = records_dir();
    let recorded = read_records(&dir);
    assert!(!recorded.is_empty(), "no records in {}", dir.display());
    let known: Vec<Known> =
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("differences.yaml")).expect("differences.yaml"))
            .expect("differences.yaml parses");

    let fresh_dir = tempfile::tempdir().expect("a temp dir");
    let outcome = run_blocking(RunOptions {
        paths: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("features")],
        profile: "v2.1.3".into(),
        record: Some(fresh_dir.path().to_path_buf()),
        report: fresh_dir.path().join("report"),
        quiet: true,
        ..RunOptions::default()
    })
    .expect("the suite runs");
    assert!(outcome.passed(), "the reference suite fails: {:?}", outcome.failures);
    let fresh = read_records(fresh_dir.path());

    let mut unexplained = Vec::new();
    let mut explained = 0;
    for (file, real) in &recorded {
        let Some(ours) = fresh.get(file) else {
            unexplained
                .push(format!("{file}: the reference run wrote no record (the scenario was renamed or removed?)"));
            continue;
        };
        for (part, what) in differences(real, ours) {
            if known.iter().any(|k| k.record == *file && k.part == part) {
                explained += 1;
            } else {
                unexplained.push(format!("{file} [{part}]:\n    {what}"));
            }
        }
    }
    // A listed difference that no longer occurs is stale: the list stays as short as it can be.
    let stale: Vec<&Known> = known
        .iter()
        .filter(|k| {
            recorded
                .get(&k.record)
                .zip(fresh.get(&k.record))
                .is_none_or(|(real, ours)| !differences(real, ours).iter().any(|(part, _)| *part == k.part))
        })
        .collect();
    println!(
        "conformance: {} records, {} parts differ as listed, {} unexplained, {} stale entries",
        recorded.len(),
        explained,
        unexplained.len(),
        stale.len()
    );
    assert!(stale.is_empty(), "differences.yaml lists differences that no longer occur: {stale:#?}");
    assert!(
        unexplained.is_empty(),
        "the reference reconciler differs from the real controller:\n{}",
        unexplained.join("\n")
    );
    for k in &known {
        assert!(!k.reason.trim().is_empty(), "{} [{}] has no reason", k.record, k.part);
    }
}
