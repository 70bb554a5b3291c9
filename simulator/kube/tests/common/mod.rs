//! Clusters and clients for the conformance tests.
#![allow(dead_code)] // each test binary uses part of this module

use std::time::Duration;

use axum::body::Body;
use http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::Value;
use sim_kube::{Cluster, ClusterConfig};
use tower::ServiceExt;

pub fn cluster(name: &str) -> Cluster {
    Cluster::new(ClusterConfig::new(name, "vpc-0aaaaaaaaaaaaaaa1", 0)).expect("a cluster starts")
}

/// Real-time waits in these tests are bounded by this.
pub const WITHIN: Duration = Duration::from_secs(10);

/// One raw request to the cluster's router: the status, and the body as JSON (null when it
/// is not JSON).
pub async fn call(
    c: &Cluster,
    method: Method,
    uri: &str,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(Body::from(body.into()))
        .expect("a valid request");
    let response = c.router().oneshot(request).await.expect("the router answers");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("the body is read").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}
