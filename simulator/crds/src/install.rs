//! The CustomResourceDefinitions a cluster starts with.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::{Value, json};

use crate::aws;
use crate::overlay::{column, lay};

/// Every CRD a latticelab cluster serves at start: the AWS controller's and Gateway API's
/// standard channel.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    all_crds_for(Channel::Standard)
}

/// The AWS controller's CRDs and Gateway API's in `channel`.
pub fn all_crds_for(channel: Channel) -> Vec<CustomResourceDefinition> {
    let mut crds = aws_crds();
    crds.extend(gateway_api_crds_for(channel));
    crds
}

/// `application-networking.k8s.aws/v1alpha1`.
pub fn aws_crds() -> Vec<CustomResourceDefinition> {
    let age = || column("Age", "date", ".metadata.creationTimestamp", 0);
    vec![
        // The real ServiceExport and ServiceImport CRDs have no subresources: status is
        // written through the main resource and bumps generation (kube-apiserver.md §2.4).
        edit(aws::ServiceExport::crd(), |crd| {
            remove_subresources(crd);
            spec_optional(crd);
            columns(crd, vec![age()]);
        }),
        edit(aws::ServiceImport::crd(), |crd| {
            remove_subresources(crd);
            spec_optional(crd);
            lay_all(crd, "spec.ports[]", json!({"x-kubernetes-list-type": "atomic"}));
            columns(crd, vec![column("Type", "string", ".spec.type", 0), age()]);
        }),
        edit(aws::TargetGroupPolicy::crd(), |crd| columns(crd, vec![age()])),
        edit(aws::VpcAssociationPolicy::crd(), |crd| columns(crd, vec![age()])),
        edit(aws::AccessLogPolicy::crd(), |crd| columns(crd, vec![age()])),
        edit(aws::IAMAuthPolicy::crd(), |crd| columns(crd, vec![age()])),
    ]
}

const GROUP_PATTERN: &str = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const KIND_PATTERN: &str = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
const NAMESPACE_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const SECTION_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const HOSTNAME_PATTERN: &str = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// A Gateway API release channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Channel {
    /// GatewayClass, Gateway, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant.
    #[default]
    Standard,
    /// The standard kinds with their experimental fields, plus TCPRoute and UDPRoute, and
    /// TLSRoute also served as v1alpha2 and v1alpha3.
    Experimental,
}

impl std::str::FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(Self::Standard),
            "experimental" => Ok(Self::Experimental),
            other => Err(format!("unknown Gateway API channel {other:?}: expected standard or experimental")),
        }
    }
}

/// Gateway API v1.5.1, standard channel; see [`gateway_api_crds_for`].
pub fn gateway_api_crds() -> Vec<CustomResourceDefinition> {
    gateway_api_crds_for(Channel::Standard)
}

/// Gateway API v1.5.1 in `channel`, serving the versions upstream serves (Appendix B of
/// kube-apiserver.md), with upstream's defaults — `backendRefs[].kind: Service`,
/// `group: ""`, `weight: 1`, the default `/` path match — which decide how controllers read
/// a route (controller.md H-9).
pub fn gateway_api_crds_for(channel: Channel) -> Vec<CustomResourceDefinition> {
    let generated = match channel {
        Channel::Standard => {
            use gateway_api::{gatewayclasses, gateways, grpcroutes, httproutes, referencegrants, tlsroutes};
            vec![
                gatewayclasses::GatewayClass::crd(),
                gateways::Gateway::crd(),
                httproutes::HttpRoute::crd(),
                grpcroutes::GrpcRoute::crd(),
                tlsroutes::TlsRoute::crd(),
                referencegrants::ReferenceGrant::crd(),
            ]
        }
        Channel::Experimental => {
            use gateway_api::experimental::{
                gatewayclasses, gateways, grpcroutes, httproutes, referencegrants, tcproutes, tlsroutes, udproutes,
            };
            vec![
                gatewayclasses::GatewayClass::crd(),
                gateways::Gateway::crd(),
                httproutes::HttpRoute::crd(),
                grpcroutes::GrpcRoute::crd(),
                tlsroutes::TlsRoute::crd(),
                referencegrants::ReferenceGrant::crd(),
                tcproutes::TcpRoute::crd(),
                udproutes::UdpRoute::crd(),
            ]
        }
    };
    generated.into_iter().map(|crd| edit(crd, |value| upstream_facts(value, channel))).collect()
}

/// What the upstream CRD of each kind says beyond its Rust types.
fn upstream_facts(crd: &mut Value, channel: Channel) {
    let age = || column("Age", "date", ".metadata.creationTimestamp", 0);
    let path_prefix_root = json!({"path": {"type": "PathPrefix", "value": "/"}});
    let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default().to_string();
    match kind.as_str() {
        "GatewayClass" => {
            lay_all(
                crd,
                "spec.controllerName",
                json!({"minLength": 1, "maxLength": 253,
                "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"}),
            );
            lay_all(crd, "status", json!({"default": {"conditions": [pending("Accepted")]}}));
            columns(
                crd,
                vec![
                    column("Controller", "string", ".spec.controllerName", 0),
                    column("Accepted", "string", r#".status.conditions[?(@.type=="Accepted")].status"#, 0),
                    age(),
                    column("Description", "string", ".spec.description", 1),
                ],
            );
            short_names(crd, &["gc"]);
            categories(crd, &["gateway-api"]);
            serve_also(crd, &["v1beta1"]);
        }
        "Gateway" => {
            lay_all(crd, "spec.gatewayClassName", json!({"minLength": 1, "maxLength": 253}));
            lay_all(
                crd,
                "spec.listeners",
                json!({"minItems": 1, "maxItems": 64, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
            );
            lay_all(
                crd,
                "spec.listeners[].name",
                json!({"minLength": 1, "maxLength": 253, "pattern": SECTION_PATTERN}),
            );
            lay_all(crd, "spec.listeners[].port", json!({"minimum": 1, "maximum": 65535}));
            lay_all(
                crd,
                "spec.listeners[].protocol",
                json!({"minLength": 1, "maxLength": 255,
                "pattern": r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$"}),
            );
            lay_all(crd, "spec.listeners[].hostname", json!({"pattern": HOSTNAME_PATTERN}));
            lay_all(crd, "spec.listeners[].allowedRoutes", json!({"default": {"namespaces": {"from": "Same"}}}));
            lay_all(crd, "spec.listeners[].allowedRoutes.namespaces", json!({"default": {"from": "Same"}}));
            lay_all(crd, "spec.listeners[].allowedRoutes.namespaces.from", json!({"default": "Same"}));
            lay_all(crd, "spec.addresses[].type", json!({"default": "IPAddress"}));
            lay_all(crd, "status", json!({"default": {"conditions": [pending("Accepted"), pending("Programmed")]}}));
            columns(
                crd,
                vec![
                    column("Class", "string", ".spec.gatewayClassName", 0),
                    column("Address", "string", ".status.addresses[*].value", 0),
                    column("Programmed", "string", r#".status.conditions[?(@.type=="Programmed")].status"#, 0),
                    age(),
                ],
            );
            short_names(crd, &["gtw"]);
            categories(crd, &["gateway-api"]);
            serve_also(crd, &["v1beta1"]);
        }
        "HTTPRoute" => {
            route_common(crd);
            lay_all(crd, "spec.rules", json!({"maxItems": 16, "default": [{"matches": [path_prefix_root]}]}));
            lay_all(crd, "spec.rules[].matches", json!({"maxItems": 64, "default": [path_prefix_root]}));
            lay_all(crd, "spec.rules[].matches[].path", json!({"default": {"type": "PathPrefix", "value": "/"}}));
            lay_all(crd, "spec.rules[].matches[].path.type", json!({"default": "PathPrefix"}));
            lay_all(crd, "spec.rules[].matches[].path.value", json!({"default": "/", "maxLength": 1024}));
            lay_all(crd, "spec.rules[].matches[].headers[].type", json!({"default": "Exact"}));
            lay_all(crd, "spec.rules[].matches[].queryParams[].type", json!({"default": "Exact"}));
            columns(crd, vec![column("Hostnames", "string", ".spec.hostnames", 0), age()]);
            categories(crd, &["gateway-api"]);
            serve_also(crd, &["v1beta1"]);
        }
        "GRPCRoute" => {
            route_common(crd);
            lay_all(crd, "spec.rules", json!({"maxItems": 16}));
            lay_all(crd, "spec.rules[].matches[].method.type", json!({"default": "Exact"}));
            lay_all(crd, "spec.rules[].matches[].headers[].type", json!({"default": "Exact"}));
            columns(crd, vec![column("Hostnames", "string", ".spec.hostnames", 0), age()]);
            categories(crd, &["gateway-api"]);
        }
        "TLSRoute" => {
            route_common(crd);
            columns(crd, vec![age()]);
            categories(crd, &["gateway-api"]);
            if channel == Channel::Experimental {
                serve_also(crd, &["v1alpha2", "v1alpha3"]);
            }
        }
        "ReferenceGrant" => {
            lay_all(crd, "spec.from", json!({"minItems": 1, "maxItems": 16}));
            lay_all(crd, "spec.to", json!({"minItems": 1, "maxItems": 16}));
            lay_all(crd, "spec.from[].group", json!({"maxLength": 253, "pattern": GROUP_PATTERN}));
            lay_all(crd, "spec.from[].kind", json!({"minLength": 1, "maxLength": 63, "pattern": KIND_PATTERN}));
            lay_all(
                crd,
                "spec.from[].namespace",
                json!({"minLength": 1, "maxLength": 63, "pattern": NAMESPACE_PATTERN}),
            );
            columns(crd, vec![age()]);
            short_names(crd, &["refgrant"]);
            categories(crd, &["gateway-api"]);
            // Upstream stores ReferenceGrant as v1beta1 and serves v1 beside it.
            serve_also(crd, &["v1beta1"]);
            set_storage(crd, "v1beta1");
        }
        "TCPRoute" | "UDPRoute" => {
            lay_all(crd, "spec.parentRefs", json!({"maxItems": 32}));
            lay_all(
                crd,
                "spec.parentRefs[].group",
                json!({"default": "gateway.networking.k8s.io", "maxLength": 253, "pattern": GROUP_PATTERN}),
            );
            lay_all(
                crd,
                "spec.parentRefs[].kind",
                json!({"default": "Gateway", "minLength": 1, "maxLength": 63, "pattern": KIND_PATTERN}),
            );
            lay_all(
                crd,
                "spec.rules[].backendRefs[].group",
                json!({"default": "", "maxLength": 253, "pattern": GROUP_PATTERN}),
            );
            lay_all(
                crd,
                "spec.rules[].backendRefs[].kind",
                json!({"default": "Service", "minLength": 1, "maxLength": 63, "pattern": KIND_PATTERN}),
            );
            lay_all(
                crd,
                "spec.rules[].backendRefs[].weight",
                json!({"default": 1, "minimum": 0, "maximum": 1_000_000}),
            );
            columns(crd, vec![age()]);
            categories(crd, &["gateway-api"]);
        }
        _ => {}
    }
}

/// parentRefs, hostnames and backendRefs, shared by every route kind.
fn route_common(crd: &mut Value) {
    lay_all(crd, "spec.parentRefs", json!({"maxItems": 32}));
    lay_all(
        crd,
        "spec.parentRefs[].group",
        json!({"default": "gateway.networking.k8s.io", "maxLength": 253, "pattern": GROUP_PATTERN}),
    );
    lay_all(
        crd,
        "spec.parentRefs[].kind",
        json!({"default": "Gateway", "minLength": 1, "maxLength": 63, "pattern": KIND_PATTERN}),
    );
    lay_all(crd, "spec.parentRefs[].name", json!({"minLength": 1, "maxLength": 253}));
    lay_all(crd, "spec.parentRefs[].namespace", json!({"minLength": 1, "maxLength": 63, "pattern": NAMESPACE_PATTERN}));
    lay_all(
        crd,
        "spec.parentRefs[].sectionName",
        json!({"minLength": 1, "maxLength": 253, "pattern": SECTION_PATTERN}),
    );
    lay_all(crd, "spec.parentRefs[].port", json!({"minimum": 1, "maximum": 65535}));
    lay_all(crd, "spec.hostnames", json!({"maxItems": 16}));
    lay_all(crd, "spec.hostnames[]", json!({"minLength": 1, "maxLength": 253, "pattern": HOSTNAME_PATTERN}));
    lay_all(crd, "spec.rules[].backendRefs", json!({"maxItems": 16}));
    lay_all(
        crd,
        "spec.rules[].backendRefs[].group",
        json!({"default": "", "maxLength": 253, "pattern": GROUP_PATTERN}),
    );
    lay_all(
        crd,
        "spec.rules[].backendRefs[].kind",
        json!({"default": "Service", "minLength": 1, "maxLength": 63, "pattern": KIND_PATTERN}),
    );
    lay_all(crd, "spec.rules[].backendRefs[].name", json!({"minLength": 1, "maxLength": 253}));
    lay_all(
        crd,
        "spec.rules[].backendRefs[].namespace",
        json!({"minLength": 1, "maxLength": 63, "pattern": NAMESPACE_PATTERN}),
    );
    lay_all(crd, "spec.rules[].backendRefs[].port", json!({"minimum": 1, "maximum": 65535}));
    lay_all(crd, "spec.rules[].backendRefs[].weight", json!({"default": 1, "minimum": 0, "maximum": 1_000_000}));
}

/// The status a Gateway or GatewayClass shows before any controller has looked at it.
fn pending(type_: &str) -> Value {
    json!({"type": type_, "status": "Unknown", "reason": "Pending", "message": "Waiting for controller",
           "lastTransitionTime": "1970-01-01T00:00:00Z"})
}

fn edit(crd: CustomResourceDefinition, change: impl FnOnce(&mut Value)) -> CustomResourceDefinition {
    let mut value = serde_json::to_value(crd).expect("a CRD serializes");
    change(&mut value);
    serde_json::from_value(value).expect("an edited CRD still deserializes")
}

fn versions(crd: &mut Value) -> impl Iterator<Item = &mut Value> {
    crd["spec"]["versions"].as_array_mut().into_iter().flatten()
}

/// Lays `facts` at `path` in every version's schema. A path that does not resolve is a bug in
/// this file, caught by the `every_overlay_path_resolves` test.
fn lay_all(crd: &mut Value, path: &str, facts: Value) {
    for version in versions(crd) {
        let schema = &mut version["schema"]["openAPIV3Schema"];
        if !lay(schema, path, facts.clone()) {
            missing_paths().lock().unwrap_or_else(|e| e.into_inner()).push(path.to_string());
        }
    }
}

fn missing_paths() -> &'static std::sync::Mutex<Vec<String>> {
    static MISSING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    &MISSING
}

fn remove_subresources(crd: &mut Value) {
    for version in versions(crd) {
        if let Some(version) = version.as_object_mut() {
            version.remove("subresources");
        }
    }
}

/// The Go types declare `spec` with `omitempty`, so a manifest without `spec` (the usual
/// legacy-mode ServiceExport) is valid; a present `spec` still has its own required fields.
fn spec_optional(crd: &mut Value) {
    for version in versions(crd) {
        if let Some(schema) = version["schema"]["openAPIV3Schema"].as_object_mut() {
            schema.remove("required");
        }
    }
}

fn columns(crd: &mut Value, columns: Vec<Value>) {
    for version in versions(crd) {
        version["additionalPrinterColumns"] = Value::Array(columns.clone());
    }
}

fn short_names(crd: &mut Value, names: &[&str]) {
    crd["spec"]["names"]["shortNames"] = json!(names);
}

fn categories(crd: &mut Value, names: &[&str]) {
    crd["spec"]["names"]["categories"] = json!(names);
}

/// Serves more versions with the same schema (conversion strategy None).
fn serve_also(crd: &mut Value, names: &[&str]) {
    let Some(first) = crd["spec"]["versions"].get(0).cloned() else { return };
    for name in names {
        let mut version = first.clone();
        version["name"] = json!(name);
        version["storage"] = json!(false);
        crd["spec"]["versions"].as_array_mut().expect("versions").push(version);
    }
}

fn set_storage(crd: &mut Value, storage: &str) {
    for version in versions(crd) {
        let is_storage = version["name"] == storage;
        version["storage"] = json!(is_storage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_overlay_path_resolves() {
        let crds = all_crds();
        assert_eq!(crds.len(), 12);
        let experimental = gateway_api_crds_for(Channel::Experimental);
        let kinds: Vec<&str> = experimental.iter().map(|c| c.spec.names.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "ReferenceGrant", "TCPRoute", "UDPRoute"]
        );
        let tls = experimental.iter().find(|c| c.spec.names.kind == "TLSRoute").unwrap();
        let versions: Vec<&str> = tls.spec.versions.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(versions, ["v1", "v1alpha2", "v1alpha3"]);
        let missing = missing_paths().lock().unwrap().clone();
        assert!(missing.is_empty(), "overlay paths missing from the generated schemas: {missing:?}");
    }

    #[test]
    fn service_import_requires_ports_and_type_and_has_no_subresources() {
        let crd = serde_json::to_value(aws::ServiceImport::crd()).unwrap();
        let crd = edit(serde_json::from_value(crd).unwrap(), remove_subresources);
        let version = &serde_json::to_value(&crd).unwrap()["spec"]["versions"][0];
        assert!(version.get("subresources").is_none());
        let required = &version["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"];
        assert!(required.as_array().unwrap().contains(&json!("ports")), "{required}");
        assert!(required.as_array().unwrap().contains(&json!("type")), "{required}");
    }

    #[test]
    fn backend_ref_defaults_are_laid() {
        let route = gateway_api_crds().into_iter().find(|c| c.spec.names.kind == "HTTPRoute").unwrap();
        let value = serde_json::to_value(&route).unwrap();
        let versions: Vec<&str> =
            value["spec"]["versions"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert_eq!(versions, ["v1", "v1beta1"]);
        let backend = &value["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["rules"]
            ["items"]["properties"]["backendRefs"]["items"]["properties"];
        assert_eq!(backend["kind"]["default"], "Service");
        assert_eq!(backend["group"]["default"], "");
        assert_eq!(backend["weight"]["default"], 1);
    }
}
