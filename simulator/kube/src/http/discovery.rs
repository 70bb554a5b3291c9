//! Discovery documents: legacy (`/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>`) and aggregated
//! (`apidiscovery.k8s.io/v2`, chosen by the Accept header) — kube-apiserver.md §2.

use serde_json::{Value, json};

use crate::resource::{Registry, ResourceType};

pub const AGGREGATED_CONTENT_TYPE: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/// Whether the client asked for aggregated discovery.
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let part = part.replace(' ', "");
        part.contains("g=apidiscovery.k8s.io") && part.contains("v=v2;") && part.contains("as=APIGroupDiscoveryList")
            || part.contains("g=apidiscovery.k8s.io")
                && part.ends_with("v=v2")
                && part.contains("as=APIGroupDiscoveryList")
    })
}

pub fn api_versions(server_address: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
           "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})
}

fn group_version(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

fn api_group(group: &str, versions: &[String]) -> Value {
    json!({"name": group, "versions": versions.iter().map(|v| group_version(group, v)).collect::<Vec<_>>(),
           "preferredVersion": group_version(group, &versions[0])})
}

pub fn group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry.groups().iter().map(|(g, vs)| api_group(g, vs)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(registry: &Registry, name: &str) -> Option<Value> {
    let (g, versions) = registry.groups().into_iter().find(|(g, _)| g == name)?;
    let mut doc = api_group(&g, &versions);
    doc["kind"] = "APIGroup".into();
    doc["apiVersion"] = "v1".into();
    Some(doc)
}

fn resource_entries(rt: &ResourceType) -> Vec<Value> {
    let mut entries = vec![json!({
        "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
        "verbs": VERBS, "shortNames": rt.short_names, "categories": rt.categories,
    })];
    for sub in rt.subresources() {
        let verbs: &[&str] = if sub == "finalize" { &["update"] } else { &["get", "patch", "update"] };
        entries.push(json!({"name": format!("{}/{sub}", rt.plural), "singularName": "", "namespaced": rt.namespaced, "kind": rt.kind, "verbs": verbs}));
    }
    entries
}

pub fn resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = registry.in_group_version(group, version);
    if types.is_empty() && !(group.is_empty() && version == "v1") {
        return None;
    }
    let resources: Vec<Value> = types.iter().flat_map(|rt| resource_entries(rt)).collect();
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

fn aggregated_resource(rt: &ResourceType, version: &str) -> Value {
    let kind = json!({"group": rt.group, "version": version, "kind": rt.kind});
    let subresources: Vec<Value> = rt
        .subresources()
        .into_iter()
        .map(|s| json!({"subresource": s, "responseKind": kind, "verbs": if s == "finalize" { vec!["update"] } else { vec!["get", "patch", "update"] }}))
        .collect();
    json!({"resource": rt.plural, "responseKind": kind, "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
           "singularResource": rt.singular, "verbs": VERBS, "shortNames": rt.short_names, "categories": rt.categories,
           "subresources": subresources})
}

/// `/api` (`legacy = true`) or `/apis` as an APIGroupDiscoveryList.
pub fn aggregated(registry: &Registry, legacy: bool) -> Value {
    let groups: Vec<(String, Vec<String>)> =
        if legacy { vec![(String::new(), vec!["v1".to_string()])] } else { registry.groups() };
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> =
                        registry.in_group_version(g, v).iter().map(|rt| aggregated_resource(rt, v)).collect();
                    json!({"version": v, "freshness": "Current", "resources": resources})
                })
                .collect();
            json!({"metadata": {"name": g}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_selects_aggregated() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(kubectl));
        assert!(!wants_aggregated("application/json"));
    }

    #[test]
    fn core_resources_list_subresources() {
        let doc = resource_list(&Registry::with_builtins(), "", "v1").unwrap();
        let names: Vec<&str> =
            doc["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"namespaces/finalize"), "{names:?}");
        assert!(names.contains(&"services/status"));
        assert!(!names.contains(&"configmaps/status"));
    }
}
