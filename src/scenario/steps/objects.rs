//! Assertions on Kubernetes objects: route conditions, finalizers, existence, events.

use cucumber::{given, then};
use serde_json::Value;

use super::{Check, StepResult, expect};
use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Kind, Object, RouteKind, Status, Timing};
use crate::world::World;

async fn object(world: &World, cluster: &str, kind: Kind, object: &Object) -> Result<Option<Value>, String> {
    world
        .get(cluster, kind.api_version(), kind.name(), Some(&object.namespace), &object.name)
        .await
        .map_err(|e| format!("{e:#}"))
}

/// `type=status/reason` of every condition of every parent of a route's status.
fn conditions(route: &Value) -> Vec<(String, String, String)> {
    let text = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_string();
    route["status"]["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["conditions"].as_array().cloned().unwrap_or_default())
        .map(|c| (text(&c, "type"), text(&c, "status"), text(&c, "reason")))
        .collect()
}

#[given(expr = "{timing}{route_kind} {object} in {cluster} has {word}={status} with reason {word}")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} has {word}={status} with reason {word}")]
#[allow(clippy::too_many_arguments)] // one per parameter of the step's expression
async fn condition(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
    type_: String,
    status: Status,
    reason: String,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    let wanted = (type_, status.0, reason);
    let what = format!("{route} in {} has {}={} with reason {}", cluster.0, wanted.0, wanted.1, wanted.2);
    expect(w, timing, &what, || async {
        let obj = object(world, &cluster.0, kind.kind(), &route).await?.ok_or("the route does not exist")?;
        let got = conditions(&obj);
        let show: Vec<String> = got.iter().map(|(t, s, r)| format!("{t}={s}/{r}")).collect();
        if got.contains(&wanted) {
            Ok(show.join(", "))
        } else {
            Err(format!("its conditions are [{}]", show.join(", ")))
        }
    })
    .await
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj["metadata"]["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(String::from))
        .collect()
}

/// `what` of one object, waited on as `timing` says.
async fn object_is(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: Kind,
    target: &Object,
    cluster: &Cluster,
    what: &str,
    judge: impl Fn(Option<&Value>) -> Check,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{kind} {target} in {} {what}", cluster.0), || async {
        let obj = object(world, &cluster.0, kind, target).await?;
        judge(obj.as_ref())
    })
    .await
}

#[given(expr = "{timing}{kind} {object} in {cluster} has the finalizer {string}")]
#[then(expr = "{timing}{kind} {object} in {cluster} has the finalizer {string}")]
async fn has_finalizer(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: Kind,
    target: Object,
    cluster: Cluster,
    finalizer: String,
) -> StepResult {
    object_is(w, timing, kind, &target, &cluster, &format!("has the finalizer {finalizer:?}"), |obj| {
        let obj = obj.ok_or("it does not exist")?;
        let got = finalizers(obj);
        if got.contains(&finalizer) { Ok(format!("{got:?}")) } else { Err(format!("its finalizers are {got:?}")) }
    })
    .await
}

#[given(expr = "{timing}{kind} {object} in {cluster} has no finalizers")]
#[then(expr = "{timing}{kind} {object} in {cluster} has no finalizers")]
async fn no_finalizers(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: Kind,
    target: Object,
    cluster: Cluster,
) -> StepResult {
    object_is(w, timing, kind, &target, &cluster, "has no finalizers", |obj| {
        let obj = obj.ok_or("it does not exist")?;
        let got = finalizers(obj);
        if got.is_empty() { Ok("no finalizer".into()) } else { Err(format!("its finalizers are {got:?}")) }
    })
    .await
}

#[given(expr = "{timing}{kind} {object} in {cluster} is gone")]
#[then(expr = "{timing}{kind} {object} in {cluster} is gone")]
async fn gone(w: &mut ScenarioWorld, timing: Timing, kind: Kind, target: Object, cluster: Cluster) -> StepResult {
    object_is(w, timing, kind, &target, &cluster, "is gone", |obj| match obj {
        None => Ok("gone".into()),
        Some(o) => Err(format!(
            "it is still there (finalizers {:?}, deleting: {})",
            finalizers(o),
            !o["metadata"]["deletionTimestamp"].is_null()
        )),
    })
    .await
}

#[given(expr = "{timing}{kind} {object} in {cluster} exists")]
#[then(expr = "{timing}{kind} {object} in {cluster} exists")]
async fn exists(w: &mut ScenarioWorld, timing: Timing, kind: Kind, target: Object, cluster: Cluster) -> StepResult {
    object_is(w, timing, kind, &target, &cluster, "exists", |obj| match obj {
        Some(_) => Ok("it exists".into()),
        None => Err("it does not exist".into()),
    })
    .await
}

async fn event_check(world: &World, cluster: &str, reason: &str, target: &Object, saying: Option<&str>) -> Check {
    let events = world.objects(cluster, "v1", "Event").await.map_err(|e| format!("{e:#}"))?;
    let about: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["involvedObject"]["name"] == target.name.as_str()
                && e["involvedObject"]["namespace"] == target.namespace.as_str()
        })
        .collect();
    let found = about
        .iter()
        .any(|e| e["reason"] == reason && saying.is_none_or(|s| e["message"].as_str().unwrap_or_default().contains(s)));
    let seen: Vec<String> = about
        .iter()
        .map(|e| format!("{}: {}", e["reason"].as_str().unwrap_or_default(), e["message"].as_str().unwrap_or_default()))
        .collect();
    if found { Ok(seen.join("; ")) } else { Err(format!("the events about {target} are [{}]", seen.join("; "))) }
}

#[given(expr = "{timing}{cluster} recorded a {word} event for {object}")]
#[then(expr = "{timing}{cluster} recorded a {word} event for {object}")]
async fn event(w: &mut ScenarioWorld, timing: Timing, cluster: Cluster, reason: String, target: Object) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{} recorded a {reason} event for {target}", cluster.0), || {
        event_check(world, &cluster.0, &reason, &target, None)
    })
    .await
}

#[given(expr = "{timing}{cluster} recorded a {word} event for {object} saying {string}")]
#[then(expr = "{timing}{cluster} recorded a {word} event for {object} saying {string}")]
async fn event_saying(
    w: &mut ScenarioWorld,
    timing: Timing,
    cluster: Cluster,
    reason: String,
    target: Object,
    saying: String,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{} recorded a {reason} event for {target} saying {saying:?}", cluster.0), || {
        event_check(world, &cluster.0, &reason, &target, Some(&saying))
    })
    .await
}
