//! What the controller wants Lattice to hold, built from Kubernetes objects without calling
//! AWS: target groups and their targets (exports, route backends), services, listeners and
//! rules (routes), and the ServiceImport resolution rules.

pub mod export;
pub mod import;
pub mod route;
pub mod targets;

use crate::tags::{self, Tags};

/// Where a target group comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Export {
        namespace: String,
        name: String,
    },
    /// `kind` is `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    Route {
        kind: String,
        namespace: String,
        name: String,
    },
}

impl Source {
    pub fn type_tag(&self) -> &str {
        match self {
            Source::Export { .. } => "ServiceExport",
            Source::Route { kind, .. } => kind,
        }
    }
}

/// A health check as the controller compares it (controller.md §2.5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheck {
    pub enabled: Option<bool>,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i32>,
    pub path: Option<String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub healthy: Option<i32>,
    pub unhealthy: Option<i32>,
    pub matcher: Option<String>,
}

impl HealthCheck {
    /// The controller's defaults for unset fields, by target-group protocol and version.
    pub fn with_defaults(&self, protocol: &str, protocol_version: &str) -> HealthCheck {
        let mut hc = self.clone();
        if protocol == "TCP" {
            hc.enabled.get_or_insert(false);
            return hc;
        }
        let (enabled, version) = match protocol_version {
            "HTTP2" => (false, "HTTP2"),
            "GRPC" => (false, "HTTP1"),
            _ => (true, "HTTP1"),
        };
        hc.enabled.get_or_insert(enabled);
        hc.protocol.get_or_insert_with(|| "HTTP".into());
        hc.protocol_version.get_or_insert_with(|| version.into());
        hc.path.get_or_insert_with(|| "/".into());
        hc.matcher.get_or_insert_with(|| "200".into());
        hc.interval.get_or_insert(30);
        hc.timeout.get_or_insert(5);
        hc.healthy.get_or_insert(5);
        hc.unhealthy.get_or_insert(2);
        hc
    }
}

/// One target group the controller wants.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupModel {
    pub source: Source,
    /// The Kubernetes Service's (or ServiceExport's) name and namespace, as tagged.
    pub service_name: String,
    pub service_namespace: String,
    pub port: i32,
    /// `HTTP`, `HTTPS` or `TCP`.
    pub protocol: String,
    /// `HTTP1`, `HTTP2`, `GRPC`, or empty for TCP.
    pub protocol_version: String,
    /// `IPV4` or `IPV6`.
    pub ip_address_type: String,
    pub health_check: Option<HealthCheck>,
    pub user_tags: Tags,
    /// `None`: no targets model, because the Service is being deleted; the real controller
    /// then leaves the group's targets as they are (`model_build_targets.go`, docs/controller.md §2.4).
    pub targets: Option<Vec<Target>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub id: String,
    pub port: i32,
    pub ready: bool,
}

impl TargetGroupModel {
    /// The tags a lookup searches on (`ManagedBy` is not among them).
    pub fn identity_tags(&self, cluster_name: &str) -> Tags {
        let mut t = Tags::new();
        t.insert(tags::CLUSTER_NAME.into(), cluster_name.into());
        t.insert(tags::TG_SERVICE_NAME.into(), self.service_name.clone());
        t.insert(tags::TG_SERVICE_NAMESPACE.into(), self.service_namespace.clone());
        t.insert(tags::SOURCE_TYPE.into(), self.source.type_tag().into());
        t.insert(tags::PROTOCOL_VERSION.into(), self.protocol_version.clone());
        if let Source::Route { namespace, name, .. } = &self.source {
            t.insert(tags::ROUTE_NAME.into(), name.clone());
            t.insert(tags::ROUTE_NAMESPACE.into(), namespace.clone());
        }
        t
    }

    /// Every tag written at creation: user tags, overridden by the controller's own.
    pub fn create_tags(&self, cluster_name: &str, managed_by: &str) -> Tags {
        let mut t = self.user_tags.clone();
        t.extend(self.identity_tags(cluster_name));
        t.insert(tags::MANAGED_BY.into(), managed_by.into());
        t
    }
}
