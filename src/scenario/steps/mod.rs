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
pub(crate) async fn converge<T, F, Fut>(within: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    match sim_core::eventually(within, check).await {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// The bound of an assertion: the step's own `within N seconds` (an empty capture when the
/// step has none), else the scenario's.
pub(crate) fn bound(world: &ScenarioWorld, within: String) -> Duration {
    within.parse::<u64>().ok().map_or(world.within, Duration::from_secs)
}
