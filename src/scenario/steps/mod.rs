//! The step library. Steps act through the same protocols the controllers use (kube-rs, the
//! AWS SDK) or the explicit control surface (faults, time); assertion steps read the
//! simulator's state read-only and wait for convergence up to the scenario's bound, on
//! virtual time.

mod assertions;
mod faults;
mod kubernetes;
mod setup;

use std::future::Future;
use std::time::Duration;

use super::ScenarioWorld;

/// Waits until `check` passes, up to `within`, and panics with the last reason (a step
/// failure) when it does not.
pub(crate) async fn converge<T, F, Fut>(world: &crate::world::World, within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let checked = sim_core::eventually(within, || {
        // On real AWS each check reads the account again; the simulator is always current.
        let refresh = world.refresh_lattice();
        let check = check();
        if let Some(why) = world.exited_controller() {
            panic!("{what}: {why}");
        }
        async move {
            refresh.await.map_err(|e| format!("{e:#}"))?;
            check.await
        }
    });
    match checked.await {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// The bound of an assertion: the step's own `within N seconds` (an empty capture when the
/// step has none), else the scenario's.
pub(crate) fn bound(world: &ScenarioWorld, within: String) -> Duration {
    within.parse::<u64>().ok().map_or(world.within, Duration::from_secs)
}
