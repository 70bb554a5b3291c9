//! The target groups of a ServiceExport (controller.md §2.3–§2.5).

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use latticelab_crds::aws::{
    HealthCheckConfig, HealthCheckProtocol, HealthCheckProtocolVersion, RouteType, ServiceExport, TargetGroupPolicy,
    TargetGroupProtocol, TargetGroupProtocolVersion,
};

use super::targets::{defined_ports, resolve};
use super::{HealthCheck, Source, TargetGroupModel};
use crate::tags;

/// What an export's model is built from.
pub struct ExportInputs<'a> {
    pub export: &'a ServiceExport,
    pub service: Option<&'a Service>,
    pub slices: &'a [EndpointSlice],
    pub policies: &'a [TargetGroupPolicy],
    /// The model for deletion: no Service needed, no targets.
    pub deleting: bool,
}

/// The Service an export backs onto: the `service-name` annotation (trimmed), else its own name.
pub fn service_name(export: &ServiceExport) -> String {
    export
        .annotations()
        .get(tags::SERVICE_NAME)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| export.name_any())
}

/// The policy that targets `kind`/`name` in `namespace`: the oldest, then by name — unless
/// that one's `Accepted` condition says otherwise (rejected, conflicted…), in which case none
/// applies (`ObjResolvedPolicy`: only the first policy is looked at).
pub fn policy_for<'a>(
    policies: &'a [TargetGroupPolicy],
    kind: &str,
    name: &str,
    namespace: &str,
) -> Option<&'a TargetGroupPolicy> {
    let mut matching: Vec<&TargetGroupPolicy> = policies
        .iter()
        .filter(|p| {
            let r = &p.spec.target_ref;
            r.kind == kind
                && r.name == name
                && (r.group.is_empty() || r.group == latticelab_crds::aws::GROUP)
                && r.namespace.as_deref().is_none_or(|n| n == namespace)
                && p.namespace().as_deref() == Some(namespace)
        })
        .collect();
    matching.sort_by(|a, b| {
        (a.metadata.creation_timestamp.as_ref().map(|t| t.0), a.name_any())
            .cmp(&(b.metadata.creation_timestamp.as_ref().map(|t| t.0), b.name_any()))
    });
    matching.into_iter().next().filter(|p| {
        let accepted = p
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Accepted"));
        accepted.is_none_or(|c| c.reason == "Accepted")
    })
}

/// `TargetGroupSpec.Validate`: a protocol version is required unless the protocol is TCP.
fn validated(models: Vec<TargetGroupModel>) -> Result<Vec<TargetGroupModel>, String> {
    if models.iter().any(|m| m.protocol != "TCP" && m.protocol_version.is_empty()) {
        return Err("one or more required fields are missing".into());
    }
    Ok(models)
}

fn protocol_text(p: TargetGroupProtocol) -> &'static str {
    match p {
        TargetGroupProtocol::Http => "HTTP",
        TargetGroupProtocol::Https => "HTTPS",
        TargetGroupProtocol::Tcp => "TCP",
    }
}

fn version_text(v: TargetGroupProtocolVersion) -> &'static str {
    match v {
        TargetGroupProtocolVersion::Http1 => "HTTP1",
        TargetGroupProtocolVersion::Http2 => "HTTP2",
        TargetGroupProtocolVersion::Grpc => "GRPC",
    }
}

pub fn health_check(config: &HealthCheckConfig) -> HealthCheck {
    HealthCheck {
        enabled: config.enabled,
        protocol: config.protocol.map(|p| match p {
            HealthCheckProtocol::Http => "HTTP".into(),
            HealthCheckProtocol::Https => "HTTPS".into(),
        }),
        protocol_version: config.protocol_version.map(|v| match v {
            HealthCheckProtocolVersion::Http1 => "HTTP1".into(),
            HealthCheckProtocolVersion::Http2 => "HTTP2".into(),
        }),
        port: config.port.map(|p| p as i32),
        path: config.path.clone(),
        interval: config.interval_seconds.map(|v| v as i32),
        timeout: config.timeout_seconds.map(|v| v as i32),
        healthy: config.healthy_threshold_count.map(|v| v as i32),
        unhealthy: config.unhealthy_threshold_count.map(|v| v as i32),
        matcher: config.status_match.clone(),
    }
}

/// The export's health check: a policy on the Service named like the export first, then one
/// on the export (the health-check resolver of #789).
fn resolved_health_check(inputs: &ExportInputs, namespace: &str) -> Option<HealthCheck> {
    let name = inputs.export.name_any();
    [
        policy_for(inputs.policies, "Service", &name, namespace),
        policy_for(inputs.policies, "ServiceExport", &name, namespace),
    ]
    .into_iter()
    .flatten()
    .find_map(|p| p.spec.health_check.as_ref().map(health_check))
}

/// One target group per exported port (Mode A) or the legacy one on port 80 (Mode B).
pub fn build(inputs: &ExportInputs) -> Result<Vec<TargetGroupModel>, String> {
    let export = inputs.export;
    let namespace = export.namespace().unwrap_or_default();
    let name = export.name_any();
    let service_name = service_name(export);
    let ip_address_type = match inputs.service {
        None if inputs.deleting => "IPV4".to_string(),
        None => return Err(format!("failed to find corresponding k8sService {namespace}/{service_name}")),
        Some(service) => {
            let families = service.spec.as_ref().and_then(|s| s.ip_families.clone()).unwrap_or_default();
            match families.as_slice() {
                [one] if one == "IPv6" => "IPV6".to_string(),
                [_] => "IPV4".to_string(),
                _ => return Err("lattice Target Group only supports single stack IP addresses".into()),
            }
        }
    };
    let policy = policy_for(inputs.policies, "ServiceExport", &name, &namespace);
    let build_targets = !inputs.deleting && inputs.service.is_some_and(|s| s.metadata.deletion_timestamp.is_none());
    let health = resolved_health_check(inputs, &namespace);
    let user_tags = tags::user_tags(export.annotations().get(tags::USER_TAGS).map(String::as_str));
    let model = |port: i32, protocol: String, protocol_version: String, defined: Vec<i32>| TargetGroupModel {
        source: Source::Export { namespace: namespace.clone(), name: name.clone() },
        service_name: name.clone(),
        service_namespace: namespace.clone(),
        port,
        protocol,
        protocol_version,
        ip_address_type: ip_address_type.clone(),
        health_check: health.clone(),
        user_tags: user_tags.clone(),
        targets: match (build_targets, inputs.service) {
            (true, Some(service)) => Some(resolve(service, inputs.slices, &defined)),
            _ => None,
        },
    };
    match export.spec.exported_ports.as_ref().filter(|p| !p.is_empty()) {
        Some(ports) => validated(
            ports
                .iter()
                .map(|p| {
                    let (mut protocol, mut version) = match p.route_type {
                        RouteType::Http => ("HTTP".to_string(), "HTTP1".to_string()),
                        RouteType::Grpc => ("HTTP".to_string(), "GRPC".to_string()),
                        RouteType::Tls => ("TCP".to_string(), String::new()),
                    };
                    if let Some(policy) = policy {
                        if let Some(p) = policy.spec.protocol {
                            protocol = protocol_text(p).into();
                        }
                        if let Some(v) = policy.spec.protocol_version
                            && protocol != "TCP"
                        {
                            version = version_text(v).into();
                        }
                    }
                    if protocol == "TCP" {
                        version.clear();
                    }
                    model(p.port, protocol, version, vec![p.port])
                })
                .collect(),
        ),
        None => {
            let mut protocol = "HTTP".to_string();
            let mut version = "HTTP1".to_string();
            if let Some(policy) = policy {
                if let Some(p) = policy.spec.protocol {
                    protocol = protocol_text(p).into();
                }
                if let Some(v) = policy.spec.protocol_version {
                    if protocol == "TCP" {
                        return Err(format!(
                            "protocolVersion is not supported for TCP protocol, policy {}/{}",
                            namespace,
                            policy.name_any()
                        ));
                    }
                    version = version_text(v).into();
                }
            }
            if protocol == "TCP" {
                version.clear();
            }
            let defined = defined_ports(export.annotations().get(tags::PORT).map(String::as_str).unwrap_or_default());
            Ok(vec![model(80, protocol, version, defined)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_yaml<T: serde::de::DeserializeOwned>(yaml: &str) -> T {
        serde_yaml_ng::from_str(yaml).expect("a manifest")
    }

    fn service() -> Service {
        from_yaml(
            "metadata: {name: svc, namespace: default}\nspec: {ipFamilies: [IPv4], ports: [{name: tls, port: 443, targetPort: 8443}]}",
        )
    }

    fn export(route_type: &str) -> ServiceExport {
        from_yaml(&format!(
            "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata: {{name: svc, namespace: default}}\nspec: {{exportedPorts: [{{port: 443, routeType: {route_type}}}]}}"
        ))
    }

    fn policy(name: &str, created: &str, spec: &str, accepted: Option<&str>) -> TargetGroupPolicy {
        let status = accepted.map_or(String::new(), |reason| {
            format!("\nstatus: {{conditions: [{{type: Accepted, status: \"False\", reason: {reason}, message: m, lastTransitionTime: \"{created}\"}}]}}")
        });
        from_yaml(&format!(
            "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\nmetadata: {{name: {name}, namespace: default, creationTimestamp: \"{created}\"}}\nspec: {{targetRef: {{group: application-networking.k8s.aws, kind: ServiceExport, name: svc}}, {spec}}}{status}"
        ))
    }

    fn build_with(export: &ServiceExport, policies: &[TargetGroupPolicy]) -> Result<Vec<TargetGroupModel>, String> {
        let service = service();
        build(&ExportInputs { export, service: Some(&service), slices: &[], policies, deleting: false })
    }

    /// Only the first policy by age is considered; when its Accepted condition says it is not
    /// accepted, no policy applies — not even a later, accepted one.
    #[test]
    fn a_policy_that_is_not_accepted_does_not_apply() {
        let conflicted = policy("a-first", "2026-01-01T00:00:00Z", "protocol: HTTPS", Some("Conflicted"));
        let later = policy("b-later", "2026-01-02T00:00:00Z", "protocol: HTTPS", None);
        let groups = build_with(&export("HTTP"), &[later.clone(), conflicted]).unwrap();
        assert_eq!(groups[0].protocol, "HTTP", "the oldest policy is conflicted: none applies");
        let groups = build_with(&export("HTTP"), &[later]).unwrap();
        assert_eq!(groups[0].protocol, "HTTPS", "an accepted policy applies");
        let rejected = policy("a", "2026-01-01T00:00:00Z", "protocol: HTTPS", Some("TargetNotFound"));
        assert_eq!(build_with(&export("HTTP"), &[rejected]).unwrap()[0].protocol, "HTTP");
    }

    /// A TLS export's group is TCP with no version; a policy that makes it HTTP leaves it
    /// without the version a non-TCP group needs, and the build fails.
    #[test]
    fn a_non_tcp_group_without_a_protocol_version_fails_the_build() {
        let http = policy("p", "2026-01-01T00:00:00Z", "protocol: HTTP", None);
        assert_eq!(build_with(&export("TLS"), &[http]).unwrap_err(), "one or more required fields are missing");
        let versioned = policy("p", "2026-01-01T00:00:00Z", "protocol: HTTP, protocolVersion: HTTP2", None);
        let groups = build_with(&export("TLS"), &[versioned]).unwrap();
        assert_eq!((groups[0].protocol.as_str(), groups[0].protocol_version.as_str()), ("HTTP", "HTTP2"));
        assert_eq!(build_with(&export("TLS"), &[]).unwrap()[0].protocol_version, "", "TCP needs no version");
    }
}
