//! Protobuf request bodies of the built-in kinds, held to what Go writes: each vector under
//! `tests/protobuf/` is an object as client-go's protobuf serializer encodes it (`.pb`) and
//! as encoding/json writes it (`.json`), both made by `tests/protobuf/generate` from the Go
//! types of Kubernetes 1.32.

mod common;

use std::path::PathBuf;

use common::{call, cluster};
use http::Method;
use serde_json::{Value, json};
use sim_kube::Cluster;
use sim_kube::resource::ResourceType;

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The objects of the vectors (DeleteOptions is a body, not an object).
const OBJECTS: [&str; 11] = [
    "namespace",
    "service",
    "configmap",
    "secret",
    "pod",
    "serviceaccount",
    "core-event",
    "endpointslice",
    "event",
    "lease",
    "customresourcedefinition",
];

fn vector(name: &str) -> (Vec<u8>, Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf");
    let pb = std::fs::read(dir.join(format!("{name}.pb"))).expect("the .pb of a vector");
    let json = std::fs::read(dir.join(format!("{name}.json"))).expect("the .json of a vector");
    (pb, serde_json::from_slice(&json).expect("a vector's .json is JSON"))
}

/// The type of `cluster` that serves `object`'s apiVersion and kind.
fn type_of(cluster: &Cluster, object: &Value) -> ResourceType {
    cluster
        .resource_types()
        .into_iter()
        .find(|rt| rt.kind == object["kind"] && rt.api_version(&rt.storage_version) == object["apiVersion"])
        .unwrap_or_else(|| panic!("no type serves {} {}", object["apiVersion"], object["kind"]))
}

/// The collection `object` is created in.
fn collection(cluster: &Cluster, object: &Value) -> String {
    let rt = type_of(cluster, object);
    let api_version = rt.api_version(&rt.storage_version);
    let prefix = if rt.group.is_empty() { format!("/api/{api_version}") } else { format!("/apis/{api_version}") };
    match object["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{}", rt.plural),
        None => format!("{prefix}/{}", rt.plural),
    }
}

/// A cluster with the namespace the vectors' system objects live in.
async fn cluster_for_vectors(name: &str) -> Cluster {
    let c = cluster(name);
    let ns =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "aws-application-networking-system"}});
    let (status, body) = call(&c, Method::POST, "/api/v1/namespaces", "application/json", ns.to_string()).await;
    assert_eq!(status, 201, "{body}");
    c
}

/// What the server made of an object, without what it assigns on its own clock.
fn stored(mut object: Value) -> Value {
    let meta = &mut object["metadata"];
    for field in ["creationTimestamp", "resourceVersion", "uid"] {
        meta.as_object_mut().map(|m| m.remove(field));
    }
    if let Some(entries) = meta["managedFields"].as_array_mut() {
        for e in entries {
            e.as_object_mut().map(|m| m.remove("time"));
        }
    }
    object
}

/// Where two JSON values first differ, by path. A null field is an absent one, as Go decodes
/// it (protobuf cannot tell a nil list from an empty one, so Go's JSON of a decoded object
/// writes `null` where a field without `omitempty` was never set).
fn difference(left: &Value, right: &Value, path: &str) -> Option<String> {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let keys: std::collections::BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            keys.into_iter().find_map(|k| {
                difference(l.get(k).unwrap_or(&Value::Null), r.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"))
            })
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            l.iter().zip(r).enumerate().find_map(|(i, (a, b))| difference(a, b, &format!("{path}[{i}]")))
        }
        _ => (left != right).then(|| format!("{path}: {left} != {right}")),
    }
}

#[test]
fn each_vector_decodes_to_the_json_go_writes_for_the_same_object() {
    let c = cluster("a");
    for name in OBJECTS {
        let (pb, go_json) = vector(name);
        let rt = type_of(&c, &go_json);
        let builtin = rt.builtin.unwrap_or_else(|| panic!("{name} is a built-in kind"));
        let decoded = sim_kube::protobuf::decode_object(&rt, builtin, &rt.storage_version, &pb)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            difference(&decoded, &go_json, name),
            None,
            "the protobuf body decodes to what Go's JSON of it says"
        );
    }
}

#[tokio::test]
async fn a_protobuf_create_stores_what_the_same_object_in_json_stores() {
    let (by_protobuf, by_json) = (cluster_for_vectors("a").await, cluster_for_vectors("a").await);
    for name in OBJECTS {
        let (pb, go_json) = vector(name);
        let path = collection(&by_protobuf, &go_json);
        let (status, from_protobuf) = call(&by_protobuf, Method::POST, &path, PROTOBUF, pb).await;
        assert_eq!(status, 201, "{name}: {from_protobuf}");
        let (status, from_json) = call(&by_json, Method::POST, &path, "application/json", go_json.to_string()).await;
        assert_eq!(status, 201, "{name}: {from_json}");
        assert_eq!(difference(&stored(from_protobuf), &stored(from_json), name), None);
    }
}

#[tokio::test]
async fn a_protobuf_status_update_writes_the_pods_status() {
    let c = cluster_for_vectors("a").await;
    let (pb, pod) = vector("pod");
    let mut without_status = pod.clone();
    without_status.as_object_mut().map(|o| o.remove("status"));
    let path = collection(&c, &pod);
    let (status, created) = call(&c, Method::POST, &path, "application/json", without_status.to_string()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"]["podIP"], Value::Null);
    // controller-runtime sends the whole object to the status subresource; without a
    // resourceVersion in it the update is unconditional.
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let (status, updated) = call(&c, Method::PUT, &format!("{path}/{name}/status"), PROTOBUF, pb).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"]["podIP"], "10.0.0.7");
    let ready = &updated["status"]["conditions"][1];
    assert_eq!(ready["type"], "application-networking.k8s.aws/pod-readiness-gate", "{updated}");
    assert_eq!(ready["status"], "True");
}

#[tokio::test]
async fn a_protobuf_delete_options_body_is_honoured() {
    let c = cluster("a");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}});
    let path = "/api/v1/namespaces/default/configmaps";
    assert_eq!(call(&c, Method::POST, path, "application/json", cm.to_string()).await.0, 201);
    // The vector's options carry a UID precondition that no object has.
    let (options, options_json) = vector("deleteoptions");
    assert!(options_json["preconditions"]["uid"].is_string());
    let (status, answer) = call(&c, Method::DELETE, &format!("{path}/kept"), PROTOBUF, options).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["reason"], "Conflict", "{answer}");
    assert!(answer["message"].as_str().unwrap_or_default().contains("Precondition failed: UID"), "{answer}");
    let (status, _) = call(&c, Method::GET, &format!("{path}/kept"), "", "").await;
    assert_eq!(status, 200, "the object is still there");
}
