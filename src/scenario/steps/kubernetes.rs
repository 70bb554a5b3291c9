//! Acting on clusters: applying manifests, deleting and patching objects, endpoints, time.

use cucumber::gherkin::Step;
use cucumber::{given, when};
use serde::Deserialize as _;
use serde_json::Value;

use super::{StepResult, docstring, fail};
use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Kind, Object, Span};

/// The YAML documents of a step's docstring; a YAML mistake names its line in the feature
/// file (the docstring's text starts two lines below the step, and gherkin hands it over with
/// the opening fence's line break first, so YAML's line 2 is the step's line + 2).
pub(crate) fn documents(step: &Step) -> Result<Vec<Value>, super::StepFailure> {
    let text = docstring(step)?;
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        match Value::deserialize(doc) {
            Ok(Value::Null) => {}
            Ok(value) => out.push(value),
            Err(e) => {
                let line = e.location().map_or(0, |l| l.line());
                let at = step.position.line + line;
                return fail(format!("line {at}: the docstring is not valid YAML: {}", yaml_message(&e)));
            }
        }
    }
    Ok(out)
}

/// serde_yaml's message without the position it puts in (the caller names the line).
fn yaml_message(e: &serde_yaml_ng::Error) -> String {
    let position = regex::Regex::new(r" at line \d+ column \d+").expect("a valid pattern");
    position.replace_all(&e.to_string(), "").into_owned()
}

/// `kubectl apply --server-side` of every document, in order.
#[given(expr = "{cluster} has applied:")]
#[when(expr = "{cluster} applies:")]
async fn apply(w: &mut ScenarioWorld, cluster: Cluster, step: &Step) -> StepResult {
    let documents = documents(step)?;
    let world = w.world().await?;
    world.apply_documents(&cluster.0, &documents).await?;
    Ok(())
}

/// The manifests are refused with a message containing the given text, and none is stored.
#[when(expr = "{cluster} rejects, with {string}:")]
async fn rejects(w: &mut ScenarioWorld, cluster: Cluster, message: String, step: &Step) -> StepResult {
    let documents = documents(step)?;
    let world = w.world().await?;
    match world.apply_documents(&cluster.0, &documents).await {
        Ok(applied) => fail(format!("expected a rejection, but {} were applied", describe(&applied))),
        Err(e) => {
            let text = format!("{e:#}");
            if text.contains(&message) {
                Ok(())
            } else {
                fail(format!("the rejection does not say {message:?}: {text}"))
            }
        }
    }
}

fn describe(applied: &[crate::world::Applied]) -> String {
    let names: Vec<String> = applied
        .iter()
        .map(|a| format!("{} {}{}", a.kind, a.namespace.as_ref().map(|n| format!("{n}/")).unwrap_or_default(), a.name))
        .collect();
    names.join(", ")
}

#[when(expr = "{cluster} deletes {kind} {object}")]
async fn delete(w: &mut ScenarioWorld, cluster: Cluster, kind: Kind, object: Object) -> StepResult {
    let world = w.world().await?;
    world.delete(&cluster.0, kind.api_version(), kind.name(), Some(&object.namespace), &object.name).await?;
    Ok(())
}

/// Replaces a Service's endpoints (as scaling its pods would): one ready endpoint per
/// address, on the slice ports the Service's slice already has.
#[when(expr = "service {object} in {cluster} has the endpoints {string}")]
async fn endpoints(w: &mut ScenarioWorld, object: Object, cluster: Cluster, addresses: String) -> StepResult {
    let world = w.world().await?;
    let addresses: Vec<&str> = addresses.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
    for a in &addresses {
        if a.parse::<std::net::IpAddr>().is_err() {
            return fail(format!("{a:?} is not an IP address"));
        }
    }
    world.set_endpoints(&cluster.0, &object.namespace, &object.name, &addresses).await?;
    Ok(())
}

#[when(expr = "{duration} pass(es)")]
async fn pass(_w: &mut ScenarioWorld, span: Span) -> StepResult {
    tokio::time::sleep(span.0).await;
    Ok(())
}

/// A JSON merge patch (written as YAML or JSON), as `kubectl patch --type=merge` sends.
#[when(expr = "{cluster} patches {kind} {object} with:")]
async fn patch(w: &mut ScenarioWorld, cluster: Cluster, kind: Kind, object: Object, step: &Step) -> StepResult {
    let patch = match documents(step)?.as_slice() {
        [one] => one.clone(),
        _ => return fail("the patch is one YAML or JSON document"),
    };
    let world = w.world().await?;
    world.patch(&cluster.0, kind.api_version(), kind.name(), Some(&object.namespace), &object.name, &patch).await?;
    Ok(())
}
