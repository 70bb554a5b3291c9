//! Port selection and target resolution (controller.md §2.4, `model_build_targets.go`): a pure
//! function of the Service, its EndpointSlices and the defined port set.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::Target;

/// The defined port set of a `port` annotation (or one exported port): pieces split on `,`,
/// parsed as base-10 int32 **without trimming**; pieces that do not parse and empty pieces
/// are ignored.
pub fn defined_ports(annotation: &str) -> Vec<i32> {
    annotation.split(',').filter(|p| !p.is_empty()).filter_map(|p| p.parse::<i32>().ok()).collect()
}

/// The targets of `service` given the defined ports: an empty set takes every endpoint on
/// every slice port; otherwise each selected Service port accepts slice ports by name (or all
/// of them when the Service port is unnamed). Terminating endpoints are skipped; not-ready
/// ones are registered; duplicates are kept.
pub fn resolve(service: &Service, slices: &[EndpointSlice], defined: &[i32]) -> Vec<Target> {
    let service_ports = service.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    // None = accept every slice port; Some(names) = accept these port names ("" = unnamed).
    let mut accept_all = defined.is_empty();
    let mut names: Vec<String> = Vec::new();
    if !defined.is_empty() {
        for p in service_ports.iter().filter(|p| defined.contains(&p.port)) {
            match p.name.as_deref().filter(|n| !n.is_empty()) {
                Some(name) => names.push(name.to_string()),
                None => accept_all = true,
            }
        }
    }
    let mut targets = Vec::new();
    for slice in slices {
        for slice_port in slice.ports.iter().flatten() {
            let name = slice_port.name.clone().unwrap_or_default();
            if !accept_all && !names.contains(&name) {
                continue;
            }
            let Some(port) = slice_port.port else { continue };
            for endpoint in &slice.endpoints {
                let conditions = endpoint.conditions.as_ref();
                if conditions.and_then(|c| c.terminating) == Some(true) {
                    continue;
                }
                let ready = conditions.and_then(|c| c.ready).unwrap_or(true);
                for address in &endpoint.addresses {
                    targets.push(Target { id: address.clone(), port, ready });
                }
            }
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(ports: serde_json::Value) -> Service {
        serde_json::from_value(json!({"metadata": {"name": "s"}, "spec": {"ports": ports}})).unwrap()
    }

    fn slice(ports: serde_json::Value, endpoints: serde_json::Value) -> EndpointSlice {
        serde_json::from_value(
            json!({"metadata": {"name": "s-1"}, "addressType": "IPv4", "ports": ports, "endpoints": endpoints}),
        )
        .unwrap()
    }

    #[test]
    fn the_port_annotation_is_parsed_piecewise_without_trimming() {
        assert_eq!(defined_ports("80, 81,abc,,90000000000,82"), [80, 82]);
        assert!(defined_ports("").is_empty());
        assert!(defined_ports(" 80").is_empty());
    }

    #[test]
    fn named_ports_pick_slice_ports_by_name() {
        // Test_Targets: annotation "81" picks the Service port named b → slice port 3090.
        let svc = service(
            json!([{"name": "a", "port": 80, "targetPort": 8080}, {"name": "b", "port": 81, "targetPort": 3090}]),
        );
        let s = slice(
            json!([{"name": "a", "port": 8080}, {"name": "b", "port": 3090}]),
            json!([{"addresses": ["10.0.0.1"], "conditions": {"ready": true}}, {"addresses": ["10.0.0.2"], "conditions": {"ready": false}},
                             {"addresses": ["10.0.0.3"], "conditions": {"terminating": true}}]),
        );
        let got = resolve(&svc, std::slice::from_ref(&s), &[81]);
        assert_eq!(
            got,
            [
                Target { id: "10.0.0.1".into(), port: 3090, ready: true },
                Target { id: "10.0.0.2".into(), port: 3090, ready: false }
            ]
        );
        assert_eq!(resolve(&svc, std::slice::from_ref(&s), &[]).len(), 4, "no set: every endpoint on every port");
        assert!(
            resolve(&svc, std::slice::from_ref(&s), &[99]).is_empty(),
            "a set that matches no Service port: no targets"
        );
    }
}
