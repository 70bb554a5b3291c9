//! sim-kube: embedded Kubernetes API servers, many per process, that `kubectl` and kube-rs
//! use unchanged.
//!
//! # Layout
//! - [`cluster`]: one simulated cluster — identity, store, credentials, faults, watches.
//! - [`http`]: its axum router (discovery, OpenAPI stub, resources, watch, tables).
//! - [`server`], [`tls`], [`kubeconfig`]: loopback HTTP/HTTPS listeners and kubeconfigs.
//! - [`store`]: objects, the resourceVersion counter, history, and the write pipelines.
//! - [`resource`]: what a cluster serves (built-in kinds and CRD-defined types).
//! - [`schema`], [`builtin`]: validation and defaulting of custom and built-in kinds.
//! - [`patch`]: JSON, merge, strategic merge patch and server-side apply.
//! - [`protobuf`]: protobuf request bodies of the built-in kinds, decoded to JSON.
//! - [`selector`]: label and field selectors.
//! - [`error`]: `Status` errors as the apiserver words them.

pub mod builtin;
pub mod cluster;
pub mod error;
pub mod http;
pub mod kubeconfig;
pub mod meta;
pub mod patch;
pub mod protobuf;
pub mod resource;
pub mod schema;
pub mod selector;
pub mod server;
pub mod store;
pub mod tls;

pub use cluster::{Cluster, ClusterConfig};
pub use http::Auth;

impl Cluster {
    /// The router for in-process use (no credentials): `kube::Client::new(cluster.router(), "default")`.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone(), Auth::None)
    }

    /// A kube client that talks to this cluster in-process, with no sockets. Must be called
    /// inside a tokio runtime.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.router(), "default")
    }
}
