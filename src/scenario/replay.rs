//! Re-running a failure bundle: the scenario text, seed and profile it holds, in a fresh
//! world; then a comparison of outcome and journal.

use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::ScenarioWorld;
use super::bundle::journal;

#[derive(Debug, PartialEq)]
pub enum Replay {
    Reproduced,
    DifferentJournal { first_difference: String },
    DifferentFailure { was: String, now: String },
}

/// A replayed scenario's failure (if any) and journal.
type Outcome = (Option<String>, Value);

pub fn replay_blocking(bundle: &Path) -> anyhow::Result<Replay> {
    let bundle = bundle.to_path_buf();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()?;
        runtime.block_on(replay(&bundle))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the replay panicked"))?
}

pub async fn replay(bundle: &Path) -> anyhow::Result<Replay> {
    let seed_file: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(bundle.join("seed.yaml")).context("seed.yaml")?)?;
    let seed = seed_file["seed"].as_u64().context("seed.yaml: seed")?;
    let profile = seed_file["profile"].as_str().context("seed.yaml: profile")?.to_string();
    let text = std::fs::read_to_string(bundle.join("scenario.feature")).context("scenario.feature")?;
    let was = std::fs::read_to_string(bundle.join("failure.txt")).context("failure.txt")?;
    let recorded: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(bundle.join("journal.yaml")).context("journal.yaml")?)?;

    let dir = tempfile_dir()?;
    let feature = dir.join("replay.feature");
    std::fs::write(&feature, &text)?;
    let captured: std::sync::Arc<std::sync::Mutex<Option<Outcome>>> = Default::default();
    let sink = captured.clone();
    use cucumber::{World as _, WriterExt as _};
    ScenarioWorld::cucumber()
        .max_concurrent_scenarios(1)
        .with_default_cli()
        .before(move |_, _, _, world| {
            world.seed = seed;
            world.profile = profile.clone();
            Box::pin(async {})
        })
        .after(move |_, _, _, finished, world| {
            let sink = sink.clone();
            Box::pin(async move {
                let failure = match finished {
                    cucumber::event::ScenarioFinished::StepFailed(_, _, e) => Some(format!("{e}")),
                    cucumber::event::ScenarioFinished::BeforeHookFailed(_) => Some("the before hook failed".into()),
                    _ => None,
                };
                let journal = world.and_then(|w| w.world.as_ref().map(journal)).unwrap_or(Value::Null);
                *sink.lock().unwrap_or_else(|e| e.into_inner()) = Some((failure, journal));
            })
        })
        .with_writer(
            cucumber::writer::Basic::raw(std::io::sink(), cucumber::writer::Coloring::Never, 0)
                .normalized::<ScenarioWorld>(),
        )
        .run(&feature)
        .await;
    let _ = std::fs::remove_dir_all(&dir);
    let (failure, now) =
        captured.lock().unwrap_or_else(|e| e.into_inner()).take().context("the scenario did not run")?;
    let Some(failure) = failure else {
        return Ok(Replay::DifferentFailure { was, now: "passed".into() });
    };
    if failure.trim() != was.trim() {
        return Ok(Replay::DifferentFailure { was, now: format!("failed with\n  {failure}") });
    }
    if now != recorded {
        return Ok(Replay::DifferentJournal { first_difference: first_difference(&recorded, &now, "") });
    }
    Ok(Replay::Reproduced)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "latticelab-replay-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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
