//! Injecting faults on both APIs, and healing them; what someone outside the controllers
//! does to Lattice.

use aws_sdk_vpclattice::types::{FixedResponseAction, HttpMatch, RuleAction, RuleMatch};
use cucumber::{given, when};
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};

use super::{StepResult, fail};
use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Calls, Cluster, Fault, Object, Span};
use crate::world::World;

fn lattice(world: &World, scope: Calls, kind: FaultKind, trigger: FaultTrigger) -> StepResult {
    if world.config.aws.is_some() {
        return fail("Lattice faults need the simulator (@lattice-simulator); this run's Lattice is AWS");
    }
    world.sim.add_fault(FaultPlan { scope: scope.0, kind, trigger });
    Ok(())
}

fn probability(p: f64) -> Result<FaultTrigger, super::StepFailure> {
    if (0.0..=1.0).contains(&p) { Ok(FaultTrigger::Probability(p)) } else { fail(format!("{p} is not a probability")) }
}

#[given(expr = "Lattice throttles the next {int} calls of {calls}")]
#[when(expr = "Lattice throttles the next {int} calls of {calls}")]
async fn throttle(w: &mut ScenarioWorld, n: u32, calls: Calls) -> StepResult {
    let world = w.world().await?;
    lattice(world, calls, FaultKind::Throttling { retry_after_secs: 1 }, FaultTrigger::Count(n))
}

#[given(expr = "Lattice fails {calls} with probability {float}")]
#[when(expr = "Lattice fails {calls} with probability {float}")]
async fn fail_randomly(w: &mut ScenarioWorld, calls: Calls, p: f64) -> StepResult {
    let trigger = probability(p)?;
    let world = w.world().await?;
    lattice(world, calls, FaultKind::InternalError { retry_after_secs: None }, trigger)
}

#[given(expr = "Lattice answers the next {int} {calls} call(s) with {fault}")]
#[when(expr = "Lattice answers the next {int} {calls} call(s) with {fault}")]
async fn answer_next(w: &mut ScenarioWorld, n: u32, calls: Calls, fault: Fault) -> StepResult {
    let world = w.world().await?;
    lattice(world, calls, fault.0, FaultTrigger::Count(n))
}

#[given(expr = "Lattice answers {calls} calls with {fault} for {duration}")]
#[when(expr = "Lattice answers {calls} calls with {fault} for {duration}")]
async fn answer_for(w: &mut ScenarioWorld, calls: Calls, fault: Fault, span: Span) -> StepResult {
    let world = w.world().await?;
    let until = world.sim.clock().now_ms() + span.0.as_millis() as u64;
    lattice(world, calls, fault.0, FaultTrigger::UntilMs(until))
}

#[given(expr = "Lattice answers {calls} calls with {fault} with probability {float}")]
#[when(expr = "Lattice answers {calls} calls with {fault} with probability {float}")]
async fn answer_randomly(w: &mut ScenarioWorld, calls: Calls, fault: Fault, p: f64) -> StepResult {
    let trigger = probability(p)?;
    let world = w.world().await?;
    lattice(world, calls, fault.0, trigger)
}

#[given(expr = "Lattice hides resources younger than {duration} from its lists")]
#[when(expr = "Lattice hides resources younger than {duration} from its lists")]
async fn eventual(w: &mut ScenarioWorld, span: Span) -> StepResult {
    let world = w.world().await?;
    let kind = FaultKind::EventualConsistency { hide_secs: span.0.as_secs() };
    lattice(world, Calls(FaultScope::All), kind, FaultTrigger::Probability(1.0))
}

const VERBS: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete"];

#[given(expr = "{cluster} conflicts on {word} {word} with probability {float}")]
#[when(expr = "{cluster} conflicts on {word} {word} with probability {float}")]
async fn conflicts(w: &mut ScenarioWorld, cluster: Cluster, verb: String, resource: String, p: f64) -> StepResult {
    if !VERBS.contains(&verb.as_str()) {
        return fail(format!(
            "{verb} is not a verb of the Kubernetes API ({}){}",
            VERBS.join(", "),
            crate::scenario::params::did_you_mean(&verb, VERBS)
        ));
    }
    let trigger = probability(p)?;
    let world = w.world().await?;
    let sim = world.cluster(&cluster.0)?.sim()?;
    let plurals: Vec<String> = sim.resource_types().into_iter().map(|t| t.plural).collect();
    if !plurals.contains(&resource) {
        let names: Vec<&str> = plurals.iter().map(String::as_str).collect();
        return fail(format!(
            "{resource} is not a resource of {}{}",
            cluster.0,
            crate::scenario::params::did_you_mean(&resource, &names)
        ));
    }
    sim.add_fault(FaultPlan {
        scope: FaultScope::Matching(format!("{verb} {resource}")),
        kind: FaultKind::Conflict,
        trigger,
    });
    Ok(())
}

#[when(expr = "{cluster} drops its watches")]
async fn drop_watches(w: &mut ScenarioWorld, cluster: Cluster) -> StepResult {
    w.world().await?.cluster(&cluster.0)?.sim()?.drop_watches();
    Ok(())
}

#[when(expr = "{cluster} expires its watches")]
async fn expire_watches(w: &mut ScenarioWorld, cluster: Cluster) -> StepResult {
    w.world().await?.cluster(&cluster.0)?.sim()?.expire_watches();
    Ok(())
}

#[when(expr = "the faults stop")]
async fn heal(w: &mut ScenarioWorld) -> StepResult {
    let world = w.world().await?;
    world.sim.clear_faults();
    for c in world.clusters.iter().filter_map(|c| c.embedded.as_ref()) {
        c.clear_faults();
    }
    Ok(())
}

/// Someone outside the controllers retags the exported target groups of an export.
#[when(expr = "someone tags the target group of export {object} of {cluster} with {string} = {string}")]
async fn retag(w: &mut ScenarioWorld, export: Object, cluster: Cluster, key: String, value: String) -> StepResult {
    let world = w.world().await?;
    let view = world.view().await?;
    let groups = view.export_groups(&cluster.0, &export.namespace, &export.name);
    let [group] = groups.as_slice() else {
        return fail(format!("export {export} of {} has {} target groups, not one", cluster.0, groups.len()));
    };
    world.lattice().tag_resource().resource_arn(&group.arn).tags(key, value).send().await.map_err(aws_error)?;
    Ok(())
}

/// Someone adds a rule of their own (matching method DELETE) to the listener of a Lattice
/// service — what an older controller version could leave behind (#384).
#[when(expr = "someone adds a rule to the listener of the Lattice service {string}")]
async fn foreign_rule(w: &mut ScenarioWorld, service: String) -> StepResult {
    let world = w.world().await?;
    let view = world.view().await?;
    let Some(svc) = view.service_named(&service) else {
        return fail(format!("there is no Lattice service {service:?}"));
    };
    let listeners = view.listeners_of(&svc.id);
    let [listener] = listeners.as_slice() else {
        return fail(format!("the Lattice service {service:?} does not have exactly one listener"));
    };
    let action = FixedResponseAction::builder().status_code(404).build()?;
    world
        .lattice()
        .create_rule()
        .service_identifier(&svc.id)
        .listener_identifier(&listener.id)
        .name("left-over")
        .priority(50)
        .r#match(RuleMatch::HttpMatch(HttpMatch::builder().method("DELETE").build()))
        .action(RuleAction::FixedResponse(action))
        .send()
        .await
        .map_err(aws_error)?;
    Ok(())
}

/// An AWS SDK error as its code and message.
pub(crate) fn aws_error<E, R>(e: aws_sdk_vpclattice::error::SdkError<E, R>) -> anyhow::Error
where
    E: aws_sdk_vpclattice::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match e.as_service_error() {
        Some(service) => {
            anyhow::anyhow!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or_default())
        }
        None => anyhow::anyhow!("{}", aws_smithy_types::error::display::DisplayErrorContext(&e)),
    }
}
