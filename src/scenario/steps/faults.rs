//! Injecting faults on both APIs, and healing them.

use cucumber::{given, when};
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};

use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Span};
use crate::world::inspect::{records, service_named};

fn scope(operation: &str) -> FaultScope {
    if operation == "all" { FaultScope::All } else { FaultScope::Operation(operation.into()) }
}

#[given(expr = "Lattice throttles the next {int} calls of {word}")]
#[when(expr = "Lattice throttles the next {int} calls of {word}")]
async fn throttle(w: &mut ScenarioWorld, n: u32, operation: String) {
    let world = w.world().await.expect("the world starts");
    world.sim.add_fault(FaultPlan {
        scope: scope(&operation),
        kind: FaultKind::Throttling { retry_after_secs: 1 },
        trigger: FaultTrigger::Count(n),
    });
}

#[given(expr = "Lattice fails {word} with probability {float}")]
#[when(expr = "Lattice fails {word} with probability {float}")]
async fn fail(w: &mut ScenarioWorld, operation: String, p: f64) {
    let world = w.world().await.expect("the world starts");
    world.sim.add_fault(FaultPlan {
        scope: scope(&operation),
        kind: FaultKind::InternalError { retry_after_secs: None },
        trigger: FaultTrigger::Probability(p),
    });
}

#[given(expr = "Lattice hides resources younger than {duration} from its lists")]
#[when(expr = "Lattice hides resources younger than {duration} from its lists")]
async fn eventual(w: &mut ScenarioWorld, span: Span) {
    let world = w.world().await.expect("the world starts");
    world.sim.add_fault(FaultPlan {
        scope: FaultScope::All,
        kind: FaultKind::EventualConsistency { hide_secs: span.0.as_secs() },
        trigger: FaultTrigger::Probability(1.0),
    });
}

#[given(expr = "{cluster} conflicts on {word} {word} with probability {float}")]
#[when(expr = "{cluster} conflicts on {word} {word} with probability {float}")]
async fn conflicts(w: &mut ScenarioWorld, cluster: Cluster, verb: String, resource: String, p: f64) {
    let world = w.world().await.expect("the world starts");
    embedded(world, &cluster.0).add_fault(FaultPlan {
        scope: FaultScope::Matching(format!("{verb} {resource}")),
        kind: FaultKind::Conflict,
        trigger: FaultTrigger::Probability(p),
    });
}

#[when(expr = "{cluster} drops its watches")]
async fn drop_watches(w: &mut ScenarioWorld, cluster: Cluster) {
    let world = w.world().await.expect("the world starts");
    embedded(world, &cluster.0).drop_watches();
}

#[when(expr = "{cluster} expires its watches")]
async fn expire_watches(w: &mut ScenarioWorld, cluster: Cluster) {
    let world = w.world().await.expect("the world starts");
    embedded(world, &cluster.0).expire_watches();
}

#[when(expr = "the faults stop")]
async fn heal(w: &mut ScenarioWorld) {
    let world = w.world().await.expect("the world starts");
    world.sim.clear_faults();
    for c in world.clusters.iter().filter_map(|c| c.embedded.as_ref()) {
        c.clear_faults();
    }
}

/// Someone outside the controllers retags an exported target group.
#[when(expr = "someone tags the target group of export {word} of {cluster} with {string} = {string}")]
async fn retag(w: &mut ScenarioWorld, export: String, cluster: Cluster, key: String, value: String) {
    let world = w.world().await.expect("the world starts");
    let (ns, name) = export.split_once('/').expect("namespace/name");
    world.refresh_lattice().await.expect("reading Lattice");
    let group = world.export_groups(&cluster.0, ns, name).into_iter().next().expect("an exported target group");
    world.lattice().tag_resource().resource_arn(group.arn).tags(key, value).send().await.expect("TagResource");
}

/// Someone adds a rule of their own (matching method DELETE) to the listener of a route's
/// Lattice service — what an older controller version could leave behind (#384).
#[when(expr = "someone adds a rule to the listener of the Lattice service {string}")]
async fn foreign_rule(w: &mut ScenarioWorld, service: String) {
    use aws_sdk_vpclattice::types::{FixedResponseAction, HttpMatch, RuleAction, RuleMatch};
    let world = w.world().await.expect("the world starts");
    world.refresh_lattice().await.expect("reading Lattice");
    let state = world.lattice_state();
    let svc = service_named(&state, &service).expect("the service exists");
    let listener = records(&state, "listeners").find(|l| l["serviceId"] == svc["id"]).expect("a listener");
    world
        .lattice()
        .create_rule()
        .service_identifier(svc["id"].as_str().unwrap_or_default())
        .listener_identifier(listener["id"].as_str().unwrap_or_default())
        .name("left-over")
        .priority(50)
        .r#match(RuleMatch::HttpMatch(HttpMatch::builder().method("DELETE").build()))
        .action(RuleAction::FixedResponse(
            FixedResponseAction::builder().status_code(404).build().expect("status code set"),
        ))
        .send()
        .await
        .expect("CreateRule");
}

/// The embedded cluster `name`: cluster faults are an embedded-only power (`@cluster-faults`).
fn embedded<'w>(world: &'w crate::world::World, name: &str) -> &'w sim_kube::Cluster {
    world.cluster(name).and_then(|c| c.sim()).unwrap_or_else(|e| panic!("{e:#}"))
}
