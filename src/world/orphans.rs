//! Lattice resources whose Kubernetes owner is gone: what a converged world must not hold.

use super::World;
use super::view::{AN, LatticeView};
use crate::scenario::params::Kind;

impl World {
    /// Target groups of gone exports or routes, and services of gone routes, made by a
    /// controller of this world (by their tags).
    pub async fn orphans(&self, view: &LatticeView) -> anyhow::Result<Vec<String>> {
        let mut orphans = Vec::new();
        for g in &view.target_groups {
            if !self.clusters.iter().any(|c| c.spec.name == g.cluster()) {
                continue;
            }
            let (kind, namespace, name) = match g.tag("SourceTypeKey") {
                Some("ServiceExport") => (Kind::ServiceExport, g.tag("ServiceNamespace"), g.tag("ServiceName")),
                Some("HTTPRoute") => (Kind::HttpRoute, g.tag("RouteNamespace"), g.tag("RouteName")),
                Some("GRPCRoute") => (Kind::GrpcRoute, g.tag("RouteNamespace"), g.tag("RouteName")),
                Some("TLSRoute") => (Kind::TlsRoute, g.tag("RouteNamespace"), g.tag("RouteName")),
                _ => continue,
            };
            let (namespace, name) = (namespace.unwrap_or_default(), name.unwrap_or_default());
            if self.get(g.cluster(), kind.api_version(), kind.name(), Some(namespace), name).await?.is_none() {
                orphans.push(format!("target group {} ({kind} {namespace}/{name} in {} is gone)", g.id, g.cluster()));
            }
        }
        for svc in &view.services {
            let tag = |k: &str| svc.tags.get(&format!("{AN}{k}")).map(String::as_str).unwrap_or_default();
            let Some(cluster) = tag("ManagedBy").split('/').nth(1) else { continue };
            if !self.clusters.iter().any(|c| c.spec.name == cluster) {
                continue;
            }
            let kind = match tag("RouteType") {
                "grpc" => Kind::GrpcRoute,
                "tls" => Kind::TlsRoute,
                _ => Kind::HttpRoute,
            };
            let (namespace, name) = (tag("RouteNamespace"), tag("RouteName"));
            if self.get(cluster, kind.api_version(), kind.name(), Some(namespace), name).await?.is_none() {
                orphans.push(format!("service {} ({kind} {namespace}/{name} in {cluster} is gone)", svc.name));
            }
        }
        Ok(orphans)
    }
}
