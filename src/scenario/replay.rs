//! Re-running a bundle: its scenario text, with the seed and profile it records, through the
//! same runner as `latticelab run` (its options from the bundle alone); then a comparison of
//! the outcome and the journal.

use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::runner::{RunOptions, run_blocking};

#[derive(Debug, PartialEq)]
pub enum Replay {
    /// The same outcome (the same failure, or a pass for a kept bundle) and journal.
    Reproduced,
    DifferentJournal {
        first_difference: String,
    },
    DifferentFailure {
        was: String,
        now: String,
    },
}

/// A bundle's journal, or `Null` for a scenario that failed before its world started.
fn journal_of(dir: &Path) -> anyhow::Result<Value> {
    let file = dir.join("journal.yaml");
    if !file.exists() {
        return Ok(Value::Null);
    }
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    serde_yaml_ng::from_str(&text).with_context(|| format!("{} is not a journal", file.display()))
}

/// Replays `bundle`; blocks on a runner thread of its own.
pub fn replay_blocking(bundle: &Path) -> anyhow::Result<Replay> {
    let read = |name: &str| {
        let file = bundle.join(name);
        std::fs::read_to_string(&file).with_context(|| format!("{} is not a bundle: no {name}", bundle.display()))
    };
    let seed: Value = serde_yaml_ng::from_str(&read("seed.yaml")?).context("seed.yaml")?;
    let recorded_seed = seed["seed"].as_u64().context("seed.yaml has no seed")?;
    let run_seed = seed["runSeed"].as_u64().context("seed.yaml has no runSeed")?;
    let profile = seed["profile"].as_str().context("seed.yaml has no profile")?.to_string();
    // Bundles written before the tagging path was recorded ran in Lattice-tagging mode.
    let tagging = match seed.get("tagging") {
        Some(t) => serde_json::from_value(t.clone()).context("seed.yaml: tagging")?,
        None => sim_controller::TaggingApi::Lattice,
    };
    let text = read("scenario.feature")?;
    let was = read("failure.txt")?;
    let recorded = journal_of(bundle)?;

    let dir = tempfile::tempdir().context("a scratch directory for the replay")?;
    let feature = dir.path().join("replay.feature");
    std::fs::write(&feature, &text)?;
    let report = dir.path().join("report");
    let outcome = run_blocking(RunOptions {
        paths: vec![feature],
        seed: run_seed,
        profile,
        tagging,
        report: report.clone(),
        keep_bundles: true,
        quiet: true,
        concurrency: 1,
        ..RunOptions::default()
    })?;
    anyhow::ensure!(
        outcome.problems.is_empty(),
        "the bundle's scenario does not check: {}",
        outcome.problems.join("; ")
    );
    let replayed = outcome.bundles.first().context("the replay ran no scenario")?;
    let replayed_seed: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(replayed.join("seed.yaml"))?)?;
    anyhow::ensure!(
        replayed_seed["seed"].as_u64() == Some(recorded_seed),
        "the replay drew seed {} where the bundle recorded {recorded_seed}: the scenario's feature or name changed",
        replayed_seed["seed"]
    );
    let now = std::fs::read_to_string(replayed.join("failure.txt"))?;
    if now.trim() != was.trim() {
        return Ok(Replay::DifferentFailure { was, now });
    }
    let journal = journal_of(replayed)?;
    if journal != recorded {
        return Ok(Replay::DifferentJournal { first_difference: first_difference(&recorded, &journal, "") });
    }
    Ok(Replay::Reproduced)
}

/// The path of the first place two JSON values differ.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v == w => {}
                    Some(w) => return first_difference(v, w, &format!("{path}.{k}")),
                    None => return format!("{path}.{k} is missing from the replay"),
                }
            }
            format!("{path} has extra keys in the replay")
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if v != w {
                    return first_difference(v, w, &format!("{path}[{i}]"));
                }
            }
            format!("{path}: {} entries recorded, {} in the replay", x.len(), y.len())
        }
        _ => format!("{path}: {a} became {b}"),
    }
}
