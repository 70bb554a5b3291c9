//! The differential (`latticelab diff`): one random case run twice — once with the reference
//! reconcilers on virtual time, once with an external controller per cluster (the real one)
//! on wall-clock time — and the canonical Lattice states compared at two moments: once the
//! world has settled after the case's operations, and once it has settled after everything
//! was deleted (docs/differential.md).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ambiguity;
use super::case::{Case, Faults};
use super::objects;
use super::perform::{self, Pace};
use crate::backend::embedded::Embedded;
use crate::world::World;
use crate::world::external::{External, Launch};

/// Virtual time a reference world must stand still before its state counts as final: longer
/// than the largest back-off step (1000 s), so no retry is still to come.
const REFERENCE_QUIET: Duration = Duration::from_secs(1100);
/// Virtual time a reference world has to stand still that long.
const REFERENCE_BOUND: Duration = Duration::from_secs(6000);
/// Wall-clock time an external world has, by default, to reach the reference's state (its
/// controllers retry on back-off steps of their own).
pub const EXTERNAL_BOUND: Duration = Duration::from_secs(120);
/// Wall-clock time an external world must hold the reference's state before it counts.
const EXTERNAL_QUIET: Duration = Duration::from_secs(3);

/// What the differential runs with.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    pub launch: Launch,
    /// The reference reconcilers' profile.
    pub profile: String,
    pub tagging: sim_controller::TaggingApi,
    /// Kubeconfigs and controller logs go here.
    pub state_dir: PathBuf,
    /// How long the external world has to agree at each moment.
    pub within: Duration,
}

/// The canonical Lattice state at each moment the differential compares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Once the world has settled after the case's operations.
    pub converged: Value,
    /// Once it has settled after everything was deleted.
    pub cleaned: Value,
}

/// One case's result.
#[derive(Debug)]
pub struct Verdict {
    pub reference: Outcome,
    /// The external world's state at each moment; on a disagreement, what it held when the
    /// bound ran out.
    pub external: Outcome,
    /// `(moment, first difference)` for each moment the two disagree.
    pub disagreements: Vec<(&'static str, String)>,
    /// The external world's journal of Lattice and cluster calls, to read a disagreement by.
    pub external_journal: Value,
    pub reference_time: Duration,
    pub external_time: Duration,
}

impl Verdict {
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }
}

/// The case as the differential runs it: without its fault plan. On wall-clock time a fault
/// costs the real controller's back-off in real seconds (up to 1000 s a step), and the
/// convergence property already holds the reference to the outcome faults must not change.
pub fn without_faults(case: Case) -> Case {
    Case { faults: Faults::NONE, ..case }
}

/// How many resources a canonical state holds, of every kind (tags are not resources).
pub fn resources(state: &Value) -> usize {
    let kinds = state.as_object().into_iter().flatten().filter(|(kind, _)| *kind != "tags");
    kinds.filter_map(|(_, r)| r.as_object()).map(|r| r.len()).sum()
}

/// The canonical Lattice state of a world now.
fn canonical(world: &World) -> Value {
    crate::scenario::record::of(world, "").lattice
}

fn clusters(case: &Case) -> Vec<(String, usize)> {
    case.cluster_names().into_iter().zip(case.vpcs.iter().copied()).collect()
}

/// Waits until the world has stood still for `quiet`.
async fn settled(world: &World, within: Duration, quiet: Duration) -> anyhow::Result<()> {
    world
        .eventually(within, || async {
            match world.still_for() {
                Some(still) if still >= quiet => Ok(()),
                Some(still) => Err(format!("the world last moved {} ms ago", still.as_millis())),
                None => Err("the world cannot be watched".to_string()),
            }
        })
        .await
}

/// Runs `case` with the reference reconcilers. Must run on a paused runtime.
pub async fn reference(case: &Case, options: &DiffOptions) -> anyhow::Result<Outcome> {
    let mut config = objects::config(&clusters(case), case.seed);
    config.quirks = sim_controller::Quirks::profile(&options.profile).map_err(anyhow::Error::msg)?;
    config.tagging = options.tagging;
    let world = World::start(config).await?;
    objects::furnish(&world).await?;
    for op in &case.ops {
        perform::perform(&world, op, Pace::VIRTUAL.awaiting_deletions()).await?;
    }
    settled(&world, REFERENCE_BOUND, REFERENCE_QUIET).await.context("the reference world after the operations")?;
    let converged = canonical(&world);
    perform::delete_everything(&world).await?;
    settled(&world, REFERENCE_BOUND, REFERENCE_QUIET).await.context("the reference world after deleting")?;
    Ok(Outcome { converged, cleaned: canonical(&world) })
}

/// Waits until the external world agrees with `want` (see [`differences`]) and has stood
/// still for [`EXTERNAL_QUIET`], or gives up after `within`; returns what it holds then.
async fn reach(world: &World, case: &Case, want: &Value, within: Duration) -> anyhow::Result<Value> {
    let held = world
        .eventually(within, || async {
            if let Some(why) = world.exited_controller() {
                // No later check can pass: the bound would only be waited out.
                return Ok(Err(why));
            }
            let now = canonical(world);
            let still = world.still_for().unwrap_or_default();
            if differences(case, want, &now).is_empty() && still >= EXTERNAL_QUIET {
                Ok(Ok(now))
            } else {
                Err(String::new())
            }
        })
        .await;
    match held {
        Ok(Ok(state)) => Ok(state),
        Ok(Err(exited)) => anyhow::bail!("{exited}"),
        Err(_) => Ok(canonical(world)),
    }
}

/// Runs `case` with an external controller per cluster, comparing with `want` (the
/// reference's outcome) at each moment; returns its outcome and its journal. Must run on a
/// runtime whose clock is not paused.
pub async fn external(
    case: &Case,
    want: &Outcome,
    options: &DiffOptions,
    logs: PathBuf,
) -> anyhow::Result<(Outcome, Value)> {
    let mut config = objects::config(&clusters(case), case.seed);
    config.tagging = options.tagging;
    config.external = Some(External { launch: options.launch.clone(), log_dir: logs });
    let backend = Embedded { serve_in: Some(options.state_dir.join("served")) };
    let mut world = World::start_on(config, &backend).await?;
    let result = async {
        objects::furnish(&world).await?;
        for op in &case.ops {
            perform::perform(&world, op, Pace::WALL_CLOCK).await?;
        }
        let converged = reach(&world, case, &want.converged, options.within).await?;
        perform::delete_everything(&world).await?;
        let cleaned = reach(&world, case, &want.cleaned, options.within).await?;
        anyhow::Ok(Outcome { converged, cleaned })
    }
    .await;
    let journal = crate::scenario::bundle::journal(&world);
    world.release().await?;
    Ok((result?, journal))
}

/// How `external` differs from `reference`, one state of `case`: the first difference once
/// the routes whose outcome is a choice are set apart, and whatever must hold of those
/// choices but does not (docs/differential.md, "Choices").
pub fn differences(case: &Case, reference: &Value, external: &Value) -> Vec<String> {
    let choices = ambiguity::choices(case, &[reference, external]);
    let (a, b) = (ambiguity::without_choices(reference, &choices), ambiguity::without_choices(external, &choices));
    let mut out = Vec::new();
    if a != b {
        out.push(difference(&a, &b));
    }
    for (side, state) in [("reference", reference), ("external", external)] {
        out.extend(ambiguity::problems(state, &choices).into_iter().map(|p| format!("{side}: {p}")));
    }
    out
}

/// `(moment, what differs)` for every moment at which `external` differs from `reference`.
pub fn compare(case: &Case, reference: &Outcome, external: &Outcome) -> Vec<(&'static str, String)> {
    [("converged", &reference.converged, &external.converged), ("cleaned", &reference.cleaned, &external.cleaned)]
        .into_iter()
        .flat_map(|(moment, a, b)| differences(case, a, b).into_iter().map(move |d| (moment, d)))
        .collect()
}

/// The routes (Lattice services) and target groups whose outcome was a choice, once the
/// world had converged.
pub fn choices(case: &Case, reference: &Outcome, external: &Outcome) -> Vec<String> {
    let found = ambiguity::choices(case, &[&reference.converged, &external.converged]);
    found.routes.into_keys().chain(found.groups).collect()
}

/// The first difference, in the words of this comparison.
fn difference(reference: &Value, external: &Value) -> String {
    crate::scenario::replay::first_difference(reference, external, "")
        .replace("is missing from the replay", "is missing from the external world")
        .replace("has extra keys in the replay", "has more in the external world")
        .replace("in the replay", "in the external world")
        .replace(" recorded,", " in the reference,")
}

/// Runs one case both ways: the reference on a paused runtime of its own, then the external
/// controllers on wall-clock time. Blocks; call from a thread that may block.
pub fn run_case(case: &Case, options: &DiffOptions, logs: PathBuf) -> anyhow::Result<Verdict> {
    let started = Instant::now();
    let reference = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?
        .block_on(self::reference(case, options))
        .context("the reference run")?;
    let reference_time = started.elapsed();
    let started = Instant::now();
    let (external, external_journal) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(self::external(case, &reference, options, logs))
        .with_context(|| format!("the run with {}", options.launch))?;
    let disagreements = compare(case, &reference, &external);
    Ok(Verdict {
        reference,
        external,
        disagreements,
        external_journal,
        reference_time,
        external_time: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_moment_that_differs_is_named_with_where() {
        let a = Outcome { converged: json!({"targetGroups": {"tg:a": {"port": 80}}}), cleaned: json!({}) };
        let b = Outcome { converged: json!({"targetGroups": {"tg:a": {"port": 81}}}), cleaned: json!({}) };
        let case = Case { seed: 0, vpcs: vec![0, 0], faults: Faults::NONE, ops: vec![] };
        assert!(compare(&case, &a, &a).is_empty());
        let got = compare(&case, &a, &b);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "converged");
        assert!(got[0].1.contains(".targetGroups.tg:a.port: 80 became 81"), "{}", got[0].1);
    }
}
