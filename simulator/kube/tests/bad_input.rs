//! Bad input over the wire: each answer is a `Status` with the apiserver's code and reason,
//! naming the field where there is one, and nothing is half-applied.

mod common;

use axum::body::Body;
use common::{call, cluster};
use http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn assert_status(answer: &(u16, Value), code: u16, reason: &str, message_part: &str) {
    let (status, body) = answer;
    assert_eq!(*status, code, "{body}");
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["status"], "Failure");
    assert_eq!(body["code"], code);
    assert_eq!(body["reason"], reason, "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains(message_part),
        "{:?} lacks {message_part:?}",
        body["message"]
    );
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const IMPORTS: &str = "/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceimports";

#[tokio::test]
async fn malformed_bodies_are_400() {
    let c = cluster("a");
    let before = c.resource_version();
    assert_status(
        &call(&c, Method::POST, CMS, "application/json", "{\"kind\": ").await,
        400,
        "BadRequest",
        "json parse error",
    );
    assert_status(
        &call(&c, Method::POST, CMS, "application/yaml", "kind: [unclosed").await,
        400,
        "BadRequest",
        "line 1",
    );
    assert_status(&call(&c, Method::POST, CMS, "application/json", "[1, 2]").await, 400, "BadRequest", "object");
    assert_status(
        &call(&c, Method::POST, CMS, "application/json", r#"{"apiVersion": "v1", "metadata": {"name": "x"}}"#).await,
        400,
        "BadRequest",
        "Kind",
    );
    let wrong_kind = r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}"#;
    assert_status(
        &call(&c, Method::POST, CMS, "application/json", wrong_kind).await,
        400,
        "BadRequest",
        "does not match the expected kind (ConfigMap)",
    );
    let wrong_type = r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"ports": [{"port": "eighty"}]}}"#;
    assert_status(
        &call(&c, Method::POST, "/api/v1/namespaces/default/services", "application/json", wrong_type).await,
        400,
        "BadRequest",
        "spec.ports[0].port",
    );
    let other_ns =
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}}"#;
    assert_status(&call(&c, Method::POST, CMS, "application/json", other_ns).await, 400, "BadRequest", "namespace");
    let with_rv = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "resourceVersion": "7"}}"#;
    assert_status(
        &call(&c, Method::POST, CMS, "application/json", with_rv).await,
        500,
        "InternalError",
        "resourceVersion should not be set",
    );
    assert_eq!(c.resource_version(), before, "nothing was written");
}

#[tokio::test]
async fn bad_protobuf_bodies_are_400_and_custom_resources_have_none() {
    let c = cluster("a");
    let before = c.resource_version();
    const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
    // JSON sent as protobuf: the prefix is missing, and the answer quotes the body's start.
    assert_status(
        &call(&c, Method::POST, CMS, PROTOBUF, r#"{"kind": "ConfigMap"}"#).await,
        400,
        "BadRequest",
        r#"the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind": "ConfigMap"})"#,
    );
    // The prefix, then an envelope cut off inside its type (field 1, 15 bytes announced).
    assert_status(
        &call(&c, Method::POST, CMS, PROTOBUF, "k8s\0\x0a\x0f\x0a\x02v1").await,
        400,
        "BadRequest",
        "must be of type ConfigMap",
    );
    // A whole envelope whose object is not a ConfigMap message (field 2 of ObjectMeta's
    // place announces 127 bytes that are not there).
    assert_status(
        &call(&c, Method::POST, CMS, PROTOBUF, "k8s\0\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x02\x0a\x7f").await,
        400,
        "BadRequest",
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap",
    );
    // An envelope with nothing in it is an empty ConfigMap of the endpoint's type, which
    // has no name.
    assert_status(
        &call(&c, Method::POST, CMS, PROTOBUF, "k8s\0").await,
        422,
        "Invalid",
        "metadata.name: Required value",
    );
    // Custom resources are JSON or YAML only.
    assert_status(
        &call(&c, Method::POST, IMPORTS, PROTOBUF, "k8s\0").await,
        415,
        "UnsupportedMediaType",
        "accepted media types include: application/json, application/yaml",
    );
    assert_status(&call(&c, Method::POST, CMS, "text/plain", "x").await, 415, "UnsupportedMediaType", PROTOBUF);
    assert_eq!(c.resource_version(), before, "nothing was written");
}

#[tokio::test]
async fn unknown_kinds_and_paths_are_404_or_405() {
    let c = cluster("a");
    assert_status(
        &call(&c, Method::GET, "/apis/example.com/v1/widgets", "", "").await,
        404,
        "NotFound",
        "could not find the requested resource",
    );
    assert_status(&call(&c, Method::GET, "/api/v1/namespaces/default/widgets", "", "").await, 404, "NotFound", "");
    assert_status(
        &call(&c, Method::GET, "/apis/gateway.networking.k8s.io/v9/httproutes", "", "").await,
        404,
        "NotFound",
        "",
    );
    // ServiceExport has no status subresource.
    assert_status(
        &call(
            &c,
            Method::GET,
            "/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceexports/x/status",
            "",
            "",
        )
        .await,
        404,
        "NotFound",
        "",
    );
    assert_status(
        &call(&c, Method::POST, "/api/v1/namespaces/default/services/x/status", "application/json", "{}").await,
        405,
        "MethodNotAllowed",
        "",
    );
    assert_status(
        &call(&c, Method::GET, &format!("{CMS}/missing"), "", "").await,
        404,
        "NotFound",
        "configmaps \"missing\" not found",
    );
    let in_missing_ns = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}"#;
    assert_status(
        &call(&c, Method::POST, "/api/v1/namespaces/nowhere/configmaps", "application/json", in_missing_ns).await,
        404,
        "NotFound",
        "namespaces \"nowhere\" not found",
    );
}

#[tokio::test]
async fn schema_violations_are_422_with_field_causes() {
    let c = cluster("a");
    let empty_spec = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "inventory"}, "spec": {}});
    let (status, body) = call(&c, Method::POST, IMPORTS, "application/json", empty_spec.to_string()).await;
    assert_status(
        &(status, body.clone()),
        422,
        "Invalid",
        "ServiceImport.application-networking.k8s.aws \"inventory\" is invalid",
    );
    let fields: Vec<&str> =
        body["details"]["causes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["spec.ports", "spec.type"]);
    assert_eq!(body["details"]["kind"], "ServiceImport");

    let typed_wrong = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "i"},
                             "spec": {"type": "ClusterSetIP", "ports": [{"port": "80"}], "ips": ["10.0.0.1", "10.0.0.2"]}});
    let (_, body) = call(&c, Method::POST, IMPORTS, "application/json", typed_wrong.to_string()).await;
    let fields: Vec<&str> =
        body["details"]["causes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["spec.ports[0].port", "spec.ips"]);

    let bad_pattern = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
                             "spec": {"hostnames": ["Not_A_Host"], "rules": [{"backendRefs": [{"name": "x", "kind": "Service Import"}]}]}});
    let (status, body) = call(
        &c,
        Method::POST,
        "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
        "application/json",
        bad_pattern.to_string(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> =
        body["details"]["causes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["spec.hostnames[0]", "spec.rules[0].backendRefs[0].kind"]);

    let bad_name = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}"#;
    assert_status(
        &call(&c, Method::POST, CMS, "application/json", bad_name).await,
        422,
        "Invalid",
        "metadata.name: Invalid value: \"Bad_Name\"",
    );
}

#[tokio::test]
async fn strict_field_validation_names_unknown_fields() {
    let c = cluster("a");
    let body = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}, "dta": {"a": "1"}}"#;
    assert_status(
        &call(&c, Method::POST, &format!("{CMS}?fieldValidation=Strict"), "application/json", body).await,
        400,
        "BadRequest",
        "strict decoding error: unknown field \"dta\"",
    );
    let export = r#"{"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceExport", "metadata": {"name": "e"}, "spec": {"exportPorts": []}}"#;
    let exports = "/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceexports";
    assert_status(
        &call(&c, Method::POST, &format!("{exports}?fieldValidation=Strict"), "application/json", export).await,
        400,
        "BadRequest",
        "unknown field \"spec.exportPorts\"",
    );
    // Warn (the default): created, pruned, with a Warning header.
    let request = Request::builder()
        .method(Method::POST)
        .uri(exports)
        .header("content-type", "application/json")
        .body(Body::from(export))
        .unwrap();
    let response = c.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 201);
    let warning = response.headers().get("warning").unwrap().to_str().unwrap().to_string();
    assert_eq!(warning, r#"299 - "unknown field \"spec.exportPorts\"""#);
    let stored: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(stored["spec"], json!({}));
    assert_status(
        &call(&c, Method::POST, &format!("{CMS}?fieldValidation=Loud"), "application/json", body).await,
        400,
        "BadRequest",
        "fieldValidation",
    );
}

#[tokio::test]
async fn bad_patches_selectors_and_parameters() {
    let c = cluster("a");
    let cm = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}}"#;
    assert_eq!(call(&c, Method::POST, CMS, "application/json", cm).await.0, 201);
    let obj = format!("{CMS}/p");
    assert_status(
        &call(&c, Method::PATCH, &obj, "application/json-patch+json", r#"{"op": "add"}"#).await,
        400,
        "BadRequest",
        "patch",
    );
    assert_status(
        &call(&c, Method::PATCH, &obj, "application/json-patch+json", r#"[{"op": "remove", "path": "/data/missing"}]"#)
            .await,
        422,
        "Invalid",
        "rejected our request",
    );
    assert_status(
        &call(&c, Method::PATCH, &obj, "text/plain", "{}").await,
        415,
        "UnsupportedMediaType",
        "application/merge-patch+json",
    );
    assert_status(
        &call(&c, Method::PATCH, &obj, "application/apply-patch+yaml", "apiVersion: v1\nkind: ConfigMap\n").await,
        422,
        "Invalid",
        "fieldManager: Required value",
    );
    assert_status(
        &call(&c, Method::PATCH, &format!("{obj}?force=true"), "application/merge-patch+json", "{}").await,
        422,
        "Invalid",
        "force",
    );
    let export_patch = "/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceexports/e";
    assert_status(
        &call(&c, Method::PATCH, export_patch, "application/strategic-merge-patch+json", "{}").await,
        415,
        "UnsupportedMediaType",
        "application/apply-patch+yaml",
    );
    assert_status(
        &call(&c, Method::PATCH, &obj, "application/merge-patch+json", r#"{"metadata": {"resourceVersion": "1"}}"#)
            .await,
        409,
        "Conflict",
        "has been modified",
    );
    assert_status(
        &call(
            &c,
            Method::PUT,
            &obj,
            "application/json",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}}"#,
        )
        .await,
        400,
        "BadRequest",
        "does not match the name on the URL",
    );
    assert_status(
        &call(&c, Method::GET, &format!("{CMS}?labelSelector=app%20in%20web"), "", "").await,
        400,
        "BadRequest",
        "unable to parse requirement",
    );
    assert_status(
        &call(&c, Method::GET, &format!("{CMS}?fieldSelector=spec.x%3D1"), "", "").await,
        400,
        "BadRequest",
        "field label not supported: spec.x",
    );
    assert_status(
        &call(&c, Method::GET, &format!("{CMS}?limit=1&continue=garbage"), "", "").await,
        400,
        "BadRequest",
        "continue",
    );
    assert_status(
        &call(&c, Method::POST, &format!("{CMS}?dryRun=Some"), "application/json", cm).await,
        400,
        "BadRequest",
        "dry run",
    );
    assert_status(
        &call(&c, Method::DELETE, &obj, "application/json", r#"{"propagationPolicy": "Sideways"}"#).await,
        400,
        "BadRequest",
        "propagationPolicy",
    );
    assert_status(
        &call(&c, Method::DELETE, &obj, "application/json", r#"{"preconditions": {"uid": "not-it"}}"#).await,
        409,
        "Conflict",
        "Precondition failed: UID in precondition: not-it",
    );
    // The object survived every bad request untouched.
    let (status, stored) = call(&c, Method::GET, &obj, "", "").await;
    assert_eq!((status, stored.get("data")), (200, None));
}
