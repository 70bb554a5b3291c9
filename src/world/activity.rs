//! Whether the world is still moving: every successful write to Lattice (by anyone but the
//! harness's observer) and every change to a cluster's objects (events and leases left out)
//! bumps a version. Assertions wait for the version to stand still before they believe a
//! state (`docs/scenarios.md#settling`), and wake as soon as it moves.

use std::time::Duration;

use super::World;

impl World {
    /// The world's version: Lattice writes plus object changes of every cluster. `None` when
    /// part of the world cannot be watched (real AWS, real clusters): then only the state an
    /// assertion reads can show that it has stopped changing.
    pub fn version(&self) -> Option<u64> {
        if self.config.aws.is_some() {
            return None;
        }
        let mut version = self.sim.activity().writes;
        for c in &self.clusters {
            version += c.embedded.as_ref()?.activity().changes;
        }
        Some(version)
    }

    /// How long the world has stood still: since the last Lattice write or object change, on
    /// the world's clock. `None` when part of the world cannot be watched.
    pub fn still_for(&self) -> Option<Duration> {
        if self.config.aws.is_some() {
            return None;
        }
        let mut last = self.sim.activity().last_write_ms;
        for c in &self.clusters {
            last = last.max(c.embedded.as_ref()?.activity().last_change_ms);
        }
        Some(Duration::from_millis(self.sim.clock().now_ms().saturating_sub(last)))
    }

    /// Something that resolves at the world's next change after this call, or after
    /// `at_most`, whichever is first. Subscribe before reading the state, so that a change
    /// in between is not missed.
    pub fn next_change(&self, at_most: Duration) -> impl std::future::Future<Output = ()> + use<> {
        let mut lattice = self.sim.watch_writes();
        lattice.mark_unchanged();
        let mut clusters: Vec<_> =
            self.clusters.iter().filter_map(|c| c.embedded.as_ref().map(|e| e.changes())).collect();
        async move {
            let any_cluster = async {
                if clusters.is_empty() {
                    return std::future::pending().await;
                }
                let next = clusters.iter_mut().map(|rx| Box::pin(rx.recv()));
                let _ = futures::future::select_all(next).await;
            };
            tokio::select! {
                biased;
                _ = lattice.changed() => {}
                _ = any_cluster => {}
                _ = tokio::time::sleep(at_most) => {}
            }
        }
    }
}
