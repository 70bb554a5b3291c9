//! Random sequences of object writes, patches (well-formed and not), deletions with every
//! propagation policy, finalizer removals and namespace deletions, sent over the wire to one
//! cluster. After every step: no panic, every error is a well-formed `Status`, changes come
//! in strictly increasing resourceVersion order, and garbage collection leaves nothing behind
//! (an object whose owner is gone, or whose namespace is gone, exists only while a finalizer
//! holds it).
//!
//! `LATTICELAB_PROPTEST_CASES` raises the case count.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use http::{Method, Request};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use sim_kube::Cluster;
use tokio::sync::broadcast::error::TryRecvError;
use tower::ServiceExt;

fn case_count() -> u32 {
    sim_core::proptest_cases(48)
}

const NAMESPACES: [&str; 2] = ["default", "team"];
const NAMES: [&str; 4] = ["c0", "c1", "c2", "c3"];

#[derive(Clone, Debug)]
enum Op {
    Create { ns: usize, name: usize, owner: Option<usize>, finalizer: bool, label: bool },
    Replace { ns: usize, name: usize, value: u8, stale: bool },
    Merge { ns: usize, name: usize, value: u8 },
    JsonPatch { ns: usize, name: usize, test_null: bool },
    Strategic { ns: usize, name: usize, finalizer: bool },
    Apply { ns: usize, name: usize, manager: usize, value: u8, force: bool },
    Delete { ns: usize, name: usize, propagation: usize },
    DropFinalizers { ns: usize, name: usize },
    CreateNamespace,
    DeleteNamespace,
    Garbage { method: usize, path: usize, body: Vec<u8> },
}

fn op() -> impl Strategy<Value = Op> {
    let ns = 0..NAMESPACES.len();
    let name = 0..NAMES.len();
    prop_oneof![
        4 => (ns.clone(), name.clone(), proptest::option::of(0..NAMES.len()), any::<bool>(), any::<bool>())
            .prop_map(|(ns, name, owner, finalizer, label)| Op::Create { ns, name, owner, finalizer, label }),
        2 => (ns.clone(), name.clone(), any::<u8>(), any::<bool>()).prop_map(|(ns, name, value, stale)| Op::Replace { ns, name, value, stale }),
        2 => (ns.clone(), name.clone(), any::<u8>()).prop_map(|(ns, name, value)| Op::Merge { ns, name, value }),
        1 => (ns.clone(), name.clone(), any::<bool>()).prop_map(|(ns, name, test_null)| Op::JsonPatch { ns, name, test_null }),
        1 => (ns.clone(), name.clone(), any::<bool>()).prop_map(|(ns, name, finalizer)| Op::Strategic { ns, name, finalizer }),
        2 => (ns.clone(), name.clone(), 0..2usize, 0..3u8, any::<bool>()).prop_map(|(ns, name, manager, value, force)| Op::Apply { ns, name, manager, value, force }),
        3 => (ns.clone(), name.clone(), 0..4usize).prop_map(|(ns, name, propagation)| Op::Delete { ns, name, propagation }),
        2 => (ns.clone(), name.clone()).prop_map(|(ns, name)| Op::DropFinalizers { ns, name }),
        1 => Just(Op::CreateNamespace),
        1 => Just(Op::DeleteNamespace),
        1 => (0..5usize, 0..4usize, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(method, path, body)| Op::Garbage { method, path, body }),
    ]
}

struct Wire {
    cluster: Cluster,
}

impl Wire {
    async fn send(&self, method: Method, uri: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = self.cluster.router().oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(value["kind"], "Status", "{status}: {value}");
            assert_eq!(value["code"], status, "{value}");
            assert!(value["reason"].is_string() && value["message"].is_string(), "{value}");
        }
        (status, value)
    }

    async fn json(&self, method: Method, uri: &str, content_type: &str, body: Value) -> (u16, Value) {
        self.send(method, uri, content_type, body.to_string().into_bytes()).await
    }

    async fn run(&self, op: &Op) {
        let cm = |ns: usize, name: usize| format!("/api/v1/namespaces/{}/configmaps/{}", NAMESPACES[ns], NAMES[name]);
        match op {
            Op::Create { ns, name, owner, finalizer, label } => {
                let mut body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NAMES[*name]}});
                if let Some(owner) = owner {
                    let (status, found) = self.json(Method::GET, &cm(*ns, *owner), "", Value::Null).await;
                    if status == 200 {
                        body["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": NAMES[*owner],
                            "uid": found["metadata"]["uid"], "blockOwnerDeletion": true}]);
                    }
                }
                if *finalizer {
                    body["metadata"]["finalizers"] = json!(["latticelab.test/hold"]);
                }
                if *label {
                    body["metadata"]["labels"] = json!({"app": "web"});
                }
                self.json(
                    Method::POST,
                    &format!("/api/v1/namespaces/{}/configmaps", NAMESPACES[*ns]),
                    "application/json",
                    body,
                )
                .await;
            }
            Op::Replace { ns, name, value, stale } => {
                let (status, mut found) = self.json(Method::GET, &cm(*ns, *name), "", Value::Null).await;
                if status == 200 {
                    found["data"] = json!({"v": value.to_string()});
                    if *stale {
                        found["metadata"]["resourceVersion"] = json!("1");
                    }
                    self.json(Method::PUT, &cm(*ns, *name), "application/json", found).await;
                }
            }
            Op::Merge { ns, name, value } => {
                self.json(
                    Method::PATCH,
                    &cm(*ns, *name),
                    "application/merge-patch+json",
                    json!({"data": {"m": value.to_string()}}),
                )
                .await;
            }
            Op::JsonPatch { ns, name, test_null } => {
                let patch = if *test_null {
                    json!([{"op": "test", "path": "/metadata/finalizers", "value": null}, {"op": "add", "path": "/metadata/finalizers", "value": ["latticelab.test/hold"]}])
                } else {
                    json!([{"op": "remove", "path": "/metadata/finalizers/0"}])
                };
                self.json(Method::PATCH, &cm(*ns, *name), "application/json-patch+json", patch).await;
            }
            Op::Strategic { ns, name, finalizer } => {
                let patch = if *finalizer {
                    json!({"metadata": {"finalizers": ["latticelab.test/other"]}})
                } else {
                    json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["latticelab.test/other"]}})
                };
                self.json(Method::PATCH, &cm(*ns, *name), "application/strategic-merge-patch+json", patch).await;
            }
            Op::Apply { ns, name, manager, value, force } => {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NAMES[*name]}, "data": {"a": value.to_string()}});
                let uri = format!("{}?fieldManager=m{manager}&force={force}", cm(*ns, *name));
                self.json(Method::PATCH, &uri, "application/apply-patch+yaml", body).await;
            }
            Op::Delete { ns, name, propagation } => {
                let body = match propagation {
                    0 => json!({}),
                    1 => json!({"propagationPolicy": "Background"}),
                    2 => json!({"propagationPolicy": "Foreground"}),
                    _ => json!({"propagationPolicy": "Orphan"}),
                };
                self.json(Method::DELETE, &cm(*ns, *name), "application/json", body).await;
            }
            Op::DropFinalizers { ns, name } => {
                self.json(
                    Method::PATCH,
                    &cm(*ns, *name),
                    "application/merge-patch+json",
                    json!({"metadata": {"finalizers": null}}),
                )
                .await;
            }
            Op::CreateNamespace => {
                self.json(
                    Method::POST,
                    "/api/v1/namespaces",
                    "application/json",
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
                )
                .await;
            }
            Op::DeleteNamespace => {
                self.json(Method::DELETE, "/api/v1/namespaces/team", "application/json", json!({})).await;
            }
            Op::Garbage { method, path, body } => {
                let method = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::GET][*method].clone();
                let path = [
                    "/api/v1/namespaces/default/configmaps",
                    "/api/v1/namespaces/default/configmaps/c0",
                    "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
                    "/api/v1/namespaces/default/configmaps/c1/status",
                ][*path];
                let content_type =
                    if method == Method::PATCH { "application/merge-patch+json" } else { "application/json" };
                self.send(method, path, content_type, body.clone()).await;
            }
        }
    }
}

/// The invariants of kube-apiserver.md §4.5–§4.7 over the whole store.
fn check_invariants(cluster: &Cluster) -> Result<(), String> {
    // Only namespaces and config maps are written here; CRDs and the bootstrap Service are
    // left out to keep each check cheap.
    let counter = cluster.resource_version();
    let namespace_objects = cluster.objects("", "namespaces");
    let all: Vec<Value> = namespace_objects.iter().cloned().chain(cluster.objects("", "configmaps")).collect();
    let uids: BTreeSet<&str> = all.iter().filter_map(|o| o["metadata"]["uid"].as_str()).collect();
    let namespaces: BTreeSet<&str> = namespace_objects.iter().filter_map(|n| n["metadata"]["name"].as_str()).collect();
    let mut versions = BTreeSet::new();
    for o in &all {
        let m = &o["metadata"];
        let rv: u64 = m["resourceVersion"].as_str().and_then(|v| v.parse().ok()).ok_or(format!("no RV on {o}"))?;
        if rv > counter || !versions.insert(rv) {
            return Err(format!("resourceVersion {rv} out of order or repeated (counter {counter})"));
        }
        let deleting = m.get("deletionTimestamp").is_some();
        let held = m["finalizers"].as_array().is_some_and(|f| !f.is_empty());
        if deleting && !held && o["kind"] != "Namespace" {
            return Err(format!("{} is deleting with no finalizer left", m["name"]));
        }
        if m["finalizers"] == json!([]) {
            return Err(format!("{} stores an empty finalizers list", m["name"]));
        }
        if let Some(ns) = m["namespace"].as_str()
            && !namespaces.contains(ns)
        {
            return Err(format!("{} lives in missing namespace {ns}", m["name"]));
        }
        for owner in m["ownerReferences"].as_array().into_iter().flatten() {
            let alive = owner["uid"].as_str().is_some_and(|u| uids.contains(u));
            if !alive && !deleting {
                return Err(format!("{} outlived its owner {} and is not being deleted", m["name"], owner["name"]));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    #[test]
    fn random_writes_keep_the_store_consistent(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let wire = Wire { cluster: common::cluster("prop") };
            let mut changes = wire.cluster.changes();
            let mut last_rv = wire.cluster.resource_version();
            for op in &ops {
                wire.run(op).await;
                loop {
                    match changes.try_recv() {
                        Ok(change) => {
                            prop_assert!(change.rv > last_rv, "change {} after {} ({op:?})", change.rv, last_rv);
                            last_rv = change.rv;
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(e) => prop_assert!(false, "{e}"),
                    }
                }
                prop_assert_eq!(last_rv, wire.cluster.resource_version());
                if let Err(e) = check_invariants(&wire.cluster) {
                    prop_assert!(false, "after {:?}: {}", op, e);
                }
            }
            Ok(())
        })?;
    }
}
