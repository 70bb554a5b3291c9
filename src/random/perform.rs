//! How a world performs a case: its fault plan on both APIs, and each operation as a client
//! would do it — trying again while an injected fault refuses it.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};

use super::case::{Faults, Op, SERVICES, cluster_name, route_name};
use super::objects::{self, AN};
use crate::world::World;

/// How long the harness keeps trying one apply or delete under injected faults.
const CLIENT_PATIENCE: Duration = Duration::from_secs(30);
/// How long a route's deletion may take: its controller removes the finalizer once it has
/// deleted what it made in Lattice, retrying under faults.
const DELETION_PATIENCE: Duration = Duration::from_secs(300);

/// How a world performs a case: how the time of a `Pass` goes by — all of it on virtual
/// time; on wall-clock time a fraction, which keeps a case short while it still lets the
/// controllers act between two operations — and whether a route's deletion is waited for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    /// The share of a `Pass`'s seconds that goes by.
    pub time: f64,
    /// Wait, after deleting a route, until it is gone (as `kubectl delete` does).
    pub awaits_deletions: bool,
}

impl Pace {
    /// The properties' pace: a deletion is not waited for, so that under faults the next
    /// operation may meet an object still being deleted.
    pub const VIRTUAL: Pace = Pace { time: 1.0, awaits_deletions: false };
    /// A case's 1–39 s of passing time as 50 ms – 2 s, deletions waited for.
    pub const WALL_CLOCK: Pace = Pace { time: 0.05, awaits_deletions: true };

    pub const fn awaiting_deletions(self) -> Pace {
        Pace { awaits_deletions: true, ..self }
    }
}

/// Puts `faults` on the world's Lattice and on every embedded cluster.
pub fn inject(world: &World, f: &Faults) -> anyhow::Result<()> {
    let lattice = [
        (FaultKind::Throttling { retry_after_secs: 1 }, f.throttling),
        (FaultKind::InternalError { retry_after_secs: None }, f.internal_errors),
    ];
    for (kind, p) in lattice {
        if p > 0.0 {
            world.sim.add_fault(FaultPlan { scope: FaultScope::All, kind, trigger: FaultTrigger::Probability(p) });
        }
    }
    if let Some(hide_secs) = f.eventual_consistency {
        world.sim.add_fault(FaultPlan {
            scope: FaultScope::All,
            kind: FaultKind::EventualConsistency { hide_secs },
            trigger: FaultTrigger::Probability(1.0),
        });
    }
    for c in &world.clusters {
        let sim = c.sim()?;
        for verb in ["patch", "update"] {
            if f.kube_conflicts > 0.0 {
                sim.add_fault(FaultPlan {
                    scope: FaultScope::Matching(format!("{verb} *")),
                    kind: FaultKind::Conflict,
                    trigger: FaultTrigger::Probability(f.kube_conflicts),
                });
            }
        }
        if f.kube_errors > 0.0 {
            sim.add_fault(FaultPlan {
                scope: FaultScope::All,
                kind: FaultKind::InternalError { retry_after_secs: None },
                trigger: FaultTrigger::Probability(f.kube_errors),
            });
        }
    }
    Ok(())
}

/// Ends every fault plan of the world.
pub fn heal(world: &World) {
    world.sim.clear_faults();
    for c in world.clusters.iter().filter_map(|c| c.embedded.as_ref()) {
        c.clear_faults();
    }
}

/// The harness is a client like any other: under injected API faults it tries again.
async fn retrying<F, Fut>(world: &World, what: &str, mut call: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    world
        .eventually(CLIENT_PATIENCE, || {
            let attempt = call();
            async move { attempt.await.map_err(|e| format!("{e:#}")) }
        })
        .await
        .with_context(|| what.to_string())
}

async fn apply(world: &World, cluster: &str, objects: Vec<Value>) -> anyhow::Result<()> {
    for o in objects {
        let text = o.to_string();
        retrying(world, &format!("apply to {cluster}"), || async { world.apply(cluster, &text).await.map(|_| ()) })
            .await?;
    }
    Ok(())
}

pub async fn delete(world: &World, cluster: &str, api_version: &str, kind: &str, name: &str) -> anyhow::Result<()> {
    retrying(world, &format!("delete {kind} {name} in {cluster}"), || {
        world.delete(cluster, api_version, kind, Some("default"), name)
    })
    .await
}

/// Performs one operation.
pub async fn perform(world: &World, op: &Op, pace: Pace) -> anyhow::Result<()> {
    match op {
        Op::PutService { cluster, service, endpoints } => {
            let name = SERVICES[*service];
            let addresses = endpoints.iter().map(|a| format!("10.{cluster}.{service}.{a}"));
            let objects = objects::http_service("default", name, addresses).to_vec();
            apply(world, &cluster_name(*cluster), objects).await
        }
        Op::DeleteService { cluster, service } => {
            let (c, name) = (cluster_name(*cluster), SERVICES[*service]);
            delete(world, &c, "discovery.k8s.io/v1", "EndpointSlice", &format!("{name}-1")).await?;
            delete(world, &c, "v1", "Service", name).await
        }
        Op::PutExport { cluster, service } => {
            apply(world, &cluster_name(*cluster), vec![objects::export("default", SERVICES[*service], None, &[])]).await
        }
        Op::DeleteExport { cluster, service } => {
            let api = "application-networking.k8s.aws/v1alpha1";
            delete(world, &cluster_name(*cluster), api, "ServiceExport", SERVICES[*service]).await
        }
        Op::PutRoute { cluster, service, from, weight } => {
            let name = SERVICES[*service];
            let annotations: BTreeMap<String, String> =
                from.map(|f| (format!("{AN}aws-eks-cluster-name"), cluster_name(f))).into_iter().collect();
            let objects = vec![
                objects::import("default", name, &annotations),
                objects::import_route("default", &route_name(*cluster), name, 80, *weight),
            ];
            apply(world, &cluster_name(*cluster), objects).await
        }
        Op::DeleteRoute { cluster } => {
            let (api, c, name) = ("gateway.networking.k8s.io/v1", cluster_name(*cluster), route_name(*cluster));
            delete(world, &c, api, "HTTPRoute", &name).await?;
            if !pace.awaits_deletions {
                return Ok(());
            }
            // As `kubectl delete` does by default, wait until the route is gone: an apply to a
            // route still held by its finalizer would update the dying object, not make a new
            // one, and whether it is still held is a race with the controller
            // (docs/differential.md, "Cases").
            world
                .eventually(DELETION_PATIENCE, || async {
                    match world.get(&c, api, "HTTPRoute", Some("default"), &name).await {
                        Ok(None) => Ok(()),
                        Ok(Some(_)) => Err(format!("HTTPRoute {name} in {c} is still being deleted")),
                        Err(e) => Err(format!("{e:#}")),
                    }
                })
                .await
        }
        Op::DropWatches { cluster } => {
            world.clusters[*cluster].sim()?.drop_watches();
            Ok(())
        }
        Op::Pass { secs } => {
            tokio::time::sleep(Duration::from_secs_f64(*secs as f64 * pace.time)).await;
            Ok(())
        }
    }
}

/// Deletes everything a case can have made, routes first: the deletion of an export whose
/// target group a rule still forwards to waits for that rule (docs/differential.md,
/// "Cleaning up").
pub async fn delete_everything(world: &World) -> anyhow::Result<()> {
    for i in 0..world.clusters.len() {
        perform(world, &Op::DeleteRoute { cluster: i }, Pace::VIRTUAL).await?;
    }
    for i in 0..world.clusters.len() {
        for (s, name) in SERVICES.iter().enumerate() {
            perform(world, &Op::DeleteExport { cluster: i, service: s }, Pace::VIRTUAL).await?;
            perform(world, &Op::DeleteService { cluster: i, service: s }, Pace::VIRTUAL).await?;
            let api = "application-networking.k8s.aws/v1alpha1";
            delete(world, &cluster_name(i), api, "ServiceImport", name).await?;
        }
    }
    Ok(())
}
