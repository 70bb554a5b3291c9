//! How many calls Lattice received — in all, from one cluster's controller, in a recent
//! window — read once the world has settled; and a report of them into the run's output.

use cucumber::{given, then, when};

use super::{StepResult, fail, settle};
use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Comparison, Operation, Span};
use crate::world::{World, access_key_of};

fn simulator(world: &World) -> Result<&sim_lattice::Simulator, super::StepFailure> {
    if world.config.aws.is_some() {
        return fail("call counts need the simulator's journal (@lattice-simulator); this run's Lattice is AWS");
    }
    Ok(&world.sim)
}

async fn count(
    w: &mut ScenarioWorld,
    how: Comparison,
    n: u64,
    operation: &Operation,
    caller: Option<&Cluster>,
    window: Option<Span>,
) -> StepResult {
    settle(w).await?;
    w.world().await?;
    let world = w.started()?;
    let sim = simulator(world)?;
    let key = caller.map(|c| access_key_of(&c.0));
    let since = window.map_or(0, |span| sim.clock().now_ms().saturating_sub(span.0.as_millis() as u64));
    let got = sim.call_count_where(&operation.0, key.as_deref(), since);
    if how.holds(got, n) {
        return Ok(());
    }
    let from = caller.map(|c| format!(" from the controller of {}", c.0)).unwrap_or_default();
    let when = window.map(|s| format!(" in the last {} s", s.0.as_secs())).unwrap_or_default();
    fail(format!("Lattice received {got} {} calls{from}{when}, wanted {how} {n}", operation.0))
}

#[given(expr = "Lattice received {comparison} {int} {operation} call(s)")]
#[then(expr = "Lattice received {comparison} {int} {operation} call(s)")]
async fn calls(w: &mut ScenarioWorld, how: Comparison, n: u64, operation: Operation) -> StepResult {
    count(w, how, n, &operation, None, None).await
}

#[given(expr = "Lattice received {comparison} {int} {operation} call(s) from the controller of {cluster}")]
#[then(expr = "Lattice received {comparison} {int} {operation} call(s) from the controller of {cluster}")]
async fn calls_from(
    w: &mut ScenarioWorld,
    how: Comparison,
    n: u64,
    operation: Operation,
    cluster: Cluster,
) -> StepResult {
    count(w, how, n, &operation, Some(&cluster), None).await
}

#[given(expr = "Lattice received {comparison} {int} {operation} call(s) in the last {duration}")]
#[then(expr = "Lattice received {comparison} {int} {operation} call(s) in the last {duration}")]
async fn calls_lately(
    w: &mut ScenarioWorld,
    how: Comparison,
    n: u64,
    operation: Operation,
    window: Span,
) -> StepResult {
    count(w, how, n, &operation, None, Some(window)).await
}

/// Prints, into the run's output, the calls Lattice received so far per operation and
/// caller (each cluster's controller, the harness).
#[when(expr = "the Lattice calls are reported")]
#[then(expr = "the Lattice calls are reported")]
async fn report(w: &mut ScenarioWorld) -> StepResult {
    settle(w).await?;
    w.world().await?;
    let world = w.started()?;
    let sim = simulator(world)?;
    let callers: Vec<(String, String)> = world
        .clusters
        .iter()
        .map(|c| (c.spec.name.clone(), access_key_of(&c.spec.name)))
        .chain([("harness".to_string(), crate::world::HARNESS_ACCESS_KEY.to_string())])
        .collect();
    let journal = sim.journal();
    let mut rows: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for e in journal.entries() {
        let counts = rows.entry(e.operation.as_str()).or_insert_with(|| vec![0; callers.len() + 1]);
        if let Some(i) = callers.iter().position(|(_, key)| *key == e.caller) {
            counts[i] += 1;
        }
        counts[callers.len()] += 1;
    }
    let mut out = format!("Lattice calls of {:?} after {} s:\n", w.name, sim.clock().elapsed_ms() / 1000);
    let header: Vec<&str> = callers.iter().map(|(n, _)| n.as_str()).chain(["all"]).collect();
    out.push_str(&format!("  | operation | {} |\n", header.join(" | ")));
    for (operation, counts) in rows {
        let cells: Vec<String> = counts.iter().map(u64::to_string).collect();
        out.push_str(&format!("  | {operation} | {} |\n", cells.join(" | ")));
    }
    print!("{out}");
    Ok(())
}
