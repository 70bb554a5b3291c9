//! Acting on clusters: applying manifests, deleting and patching objects, endpoints.

use cucumber::gherkin::Step;
use cucumber::{given, when};

use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Object, Span};

fn docstring(step: &Step) -> &str {
    step.docstring.as_deref().expect("a docstring with the manifests")
}

/// `kubectl apply --server-side` of every document, in order.
#[given(expr = "{cluster} has applied:")]
#[when(expr = "{cluster} applies:")]
async fn apply(w: &mut ScenarioWorld, cluster: Cluster, step: &Step) {
    let world = w.world().await.expect("the world starts");
    if let Err(e) = world.apply(&cluster.0, docstring(step)).await {
        panic!("applying to {}: {e:#}", cluster.0);
    }
}

/// The manifests are refused with a message containing the given text, and none is stored.
#[when(expr = "{cluster} rejects, with {string}:")]
async fn rejects(w: &mut ScenarioWorld, cluster: Cluster, message: String, step: &Step) {
    let world = w.world().await.expect("the world starts");
    match world.apply(&cluster.0, docstring(step)).await {
        Ok(applied) => panic!("expected a rejection, but {applied:?} were applied"),
        Err(e) => {
            let text = format!("{e:#}");
            assert!(text.contains(&message), "the rejection does not say {message:?}: {text}");
        }
    }
}

#[when(expr = "{cluster} deletes {word} {object}")]
async fn delete(w: &mut ScenarioWorld, cluster: Cluster, kind: String, object: Object) {
    let world = w.world().await.expect("the world starts");
    let api_version = api_version_of(&kind);
    world.delete(&cluster.0, api_version, &kind, Some(&object.namespace), &object.name).await.expect("delete");
}

pub(crate) fn api_version_of(kind: &str) -> &'static str {
    match kind {
        "ServiceExport" | "ServiceImport" | "TargetGroupPolicy" => "application-networking.k8s.aws/v1alpha1",
        "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "Gateway" | "GatewayClass" => "gateway.networking.k8s.io/v1",
        "EndpointSlice" => "discovery.k8s.io/v1",
        _ => "v1",
    }
}

/// Replaces a Service's endpoints (as scaling its pods would): one ready endpoint per
/// address, on the slice ports the Service already has.
#[when(expr = "service {object} in {cluster} has the endpoints {string}")]
async fn endpoints(w: &mut ScenarioWorld, object: Object, cluster: Cluster, addresses: String) {
    let world = w.world().await.expect("the world starts");
    let slices = world.objects(&cluster.0, "discovery.k8s.io/v1", "EndpointSlice").await.expect("EndpointSlices");
    let slice = slices
        .iter()
        .find(|s| {
            s["metadata"]["namespace"] == object.namespace.as_str()
                && s["metadata"]["labels"]["kubernetes.io/service-name"] == object.name.as_str()
        })
        .cloned()
        .unwrap_or_else(|| panic!("service {}/{} has no EndpointSlice", object.namespace, object.name));
    let endpoints: Vec<serde_json::Value> = addresses
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| serde_json::json!({"addresses": [a], "conditions": {"ready": true}}))
        .collect();
    let doc = serde_json::json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": slice["metadata"]["name"], "namespace": object.namespace, "labels": slice["metadata"]["labels"]},
        "addressType": "IPv4", "ports": slice["ports"], "endpoints": endpoints});
    world.apply(&cluster.0, &serde_yaml_ng::to_string(&doc).expect("yaml")).await.expect("apply the slice");
}

#[when(expr = "{duration} pass(es)")]
async fn pass(_w: &mut ScenarioWorld, span: Span) {
    tokio::time::sleep(span.0).await;
}

/// A JSON merge patch (written as YAML or JSON), as `kubectl patch --type=merge` sends.
#[when(expr = "{cluster} patches {word} {object} with:")]
async fn patch(w: &mut ScenarioWorld, cluster: Cluster, kind: String, object: Object, step: &Step) {
    let world = w.world().await.expect("the world starts");
    let patch: serde_json::Value =
        serde_yaml_ng::from_str(docstring(step)).unwrap_or_else(|e| panic!("the patch is not YAML or JSON: {e}"));
    world
        .patch(&cluster.0, api_version_of(&kind), &kind, Some(&object.namespace), &object.name, &patch)
        .await
        .unwrap_or_else(|e| panic!("patching {kind} {}/{}: {e:#}", object.namespace, object.name));
}
