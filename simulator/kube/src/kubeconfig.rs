//! Kubeconfig files for simulated clusters: one cluster, user and context per cluster, each
//! named after the cluster (kube-apiserver.md §1.5).

use base64::Engine;
use serde_json::{Value, json};

/// One context's worth of connection facts.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub name: String,
    pub server: String,
    /// PEM of the CA for an https server.
    pub ca_pem: Option<String>,
    pub token: String,
    pub namespace: String,
}

impl Endpoint {
    /// The endpoint of `cluster` served by `listener`, in the `default` namespace, named
    /// `name`: its URL, its token, and its CA when the listener speaks TLS.
    pub fn served(name: &str, cluster: &crate::Cluster, listener: &crate::server::Listener) -> Result<Self, String> {
        Ok(Self {
            name: name.into(),
            server: listener.url(),
            ca_pem: if listener.tls { Some(cluster.ca_pem()?) } else { None },
            token: cluster.token().into(),
            namespace: "default".into(),
        })
    }
}

/// A kubeconfig (YAML) with a context per endpoint; the first is current.
pub fn render(endpoints: &[Endpoint]) -> String {
    let clusters: Vec<Value> = endpoints
        .iter()
        .map(|e| {
            let mut cluster = json!({"server": e.server});
            if let Some(ca) = &e.ca_pem {
                cluster["certificate-authority-data"] = base64::engine::general_purpose::STANDARD.encode(ca).into();
            }
            json!({"name": e.name, "cluster": cluster})
        })
        .collect();
    let users: Vec<Value> =
        endpoints.iter().map(|e| json!({"name": format!("{}-admin", e.name), "user": {"token": e.token}})).collect();
    let contexts: Vec<Value> = endpoints
        .iter()
        .map(|e| json!({"name": e.name, "context": {"cluster": e.name, "user": format!("{}-admin", e.name), "namespace": e.namespace}}))
        .collect();
    let config = json!({
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": clusters, "users": users, "contexts": contexts,
        "current-context": endpoints.first().map(|e| e.name.clone()).unwrap_or_default(),
    });
    serde_yaml_ng::to_string(&config).expect("a kubeconfig serializes")
}
