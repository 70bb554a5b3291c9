//! What a cluster serves: one [`ResourceType`] per group/resource, built in or defined by a
//! CustomResourceDefinition, and the [`Registry`] that routing and discovery read.

use std::collections::BTreeMap;

use serde_json::Value;

/// Built-in kinds whose behaviour the server implements in code (kube-apiserver.md §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Namespace,
    Service,
    ConfigMap,
    Secret,
    Pod,
    ServiceAccount,
    CoreEvent,
    EndpointSlice,
    Event,
    Lease,
    CustomResourceDefinition,
}

/// One printer column (`additionalPrinterColumns` or a built-in's).
#[derive(Clone, Debug, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub priority: i64,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct ResourceType {
    pub group: String,
    /// Served versions, preferred (storage) first.
    pub versions: Vec<String>,
    pub storage_version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status_subresource: bool,
    /// `None` for built-ins; the CRD's name for custom resources.
    pub crd: Option<String>,
    pub builtin: Option<Builtin>,
    /// The structural schema per version (custom resources only).
    pub schemas: BTreeMap<String, Value>,
    pub columns: Vec<PrinterColumn>,
}

impl ResourceType {
    pub fn is_custom(&self) -> bool {
        self.crd.is_some()
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_string() } else { format!("{}/{version}", self.group) }
    }

    pub fn storage_api_version(&self) -> String {
        self.api_version(&self.storage_version)
    }

    /// Custom resources and the built-ins that track it get `metadata.generation`
    /// (kube-apiserver.md §4.3 step 5).
    pub fn tracks_generation(&self) -> bool {
        self.is_custom()
            || matches!(self.builtin, Some(Builtin::EndpointSlice | Builtin::Pod | Builtin::CustomResourceDefinition))
    }

    pub fn schema(&self, version: &str) -> Option<&Value> {
        self.schemas.get(version).or_else(|| self.schemas.get(&self.storage_version))
    }

    /// Deleting a Service or Pod answers with the object; custom resources answer with a
    /// Status (`ReturnDeletedObject`, kube-apiserver.md §4.6).
    pub fn returns_deleted_object(&self) -> bool {
        !self.is_custom()
    }

    /// Subresources after the object path, for discovery.
    pub fn subresources(&self) -> Vec<&'static str> {
        let mut subs = Vec::new();
        if self.status_subresource {
            subs.push("status");
        }
        if self.builtin == Some(Builtin::Namespace) {
            subs.push("finalize");
        }
        subs
    }
}

/// A key for one resource type: group and plural.
pub type GroupResource = (String, String);

#[derive(Clone, Debug, Default)]
pub struct Registry {
    types: BTreeMap<GroupResource, ResourceType>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut registry = Self::default();
        for rt in builtins() {
            registry.insert(rt);
        }
        registry
    }

    pub fn insert(&mut self, rt: ResourceType) {
        self.types.insert((rt.group.clone(), rt.plural.clone()), rt);
    }

    pub fn remove(&mut self, group: &str, plural: &str) -> Option<ResourceType> {
        self.types.remove(&(group.to_string(), plural.to_string()))
    }

    pub fn get(&self, group: &str, plural: &str) -> Option<&ResourceType> {
        self.types.get(&(group.to_string(), plural.to_string()))
    }

    /// The type served at `group/version/plural`, if that version is served.
    pub fn resolve(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.get(group, plural).filter(|rt| rt.versions.iter().any(|v| v == version))
    }

    /// The type of `apiVersion` + `kind`, for manifests.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.types.values().find(|rt| rt.group == group && rt.kind == kind && rt.versions.iter().any(|v| v == version))
    }

    pub fn all(&self) -> impl Iterator<Item = &ResourceType> {
        self.types.values()
    }

    /// Groups other than core, each with its versions in preference order, sorted by name
    /// with the built-in groups first, as real servers order them.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut builtin_order: Vec<String> = Vec::new();
        for rt in self.types.values().filter(|rt| !rt.group.is_empty()) {
            if rt.builtin.is_some() && !builtin_order.contains(&rt.group) {
                builtin_order.push(rt.group.clone());
            }
            let versions = groups.entry(rt.group.clone()).or_default();
            for v in &rt.versions {
                if !versions.contains(v) {
                    versions.push(v.clone());
                }
            }
        }
        for versions in groups.values_mut() {
            versions.sort_by_key(|v| version_priority(v));
        }
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for g in &builtin_order {
            if let Some(v) = groups.remove(g) {
                out.push((g.clone(), v));
            }
        }
        out.extend(groups);
        out
    }

    /// Types served in one group version.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        self.types.values().filter(|rt| rt.group == group && rt.versions.iter().any(|v| v == version)).collect()
    }
}

/// Kubernetes version priority: GA before beta before alpha, higher numbers first
/// (apimachinery `version.CompareKubeAwareVersionStrings`).
pub fn version_priority(version: &str) -> (u8, i64, i64) {
    let rest = version.strip_prefix('v').unwrap_or(version);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major: i64 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, minor) = if tail.is_empty() {
        (0, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (1, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (2, n.parse().unwrap_or(0))
    } else {
        (3, 0)
    };
    (stage, -major, -minor)
}

fn column(name: &str, type_: &str, json_path: &str, priority: i64) -> PrinterColumn {
    PrinterColumn {
        name: name.into(),
        type_: type_.into(),
        json_path: json_path.into(),
        priority,
        description: String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn builtin(
    b: Builtin,
    group: &str,
    version: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
    short_names: &[&str],
    status: bool,
    columns: Vec<PrinterColumn>,
) -> ResourceType {
    ResourceType {
        group: group.into(),
        versions: vec![version.into()],
        storage_version: version.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        kind: kind.into(),
        list_kind: format!("{kind}List"),
        namespaced,
        short_names: short_names.iter().map(|s| s.to_string()).collect(),
        categories: if matches!(b, Builtin::Service | Builtin::Pod) { vec!["all".into()] } else { vec![] },
        status_subresource: status,
        crd: None,
        builtin: Some(b),
        schemas: BTreeMap::new(),
        columns,
    }
}

/// The built-in kinds of kube-apiserver.md §2.4.
fn builtins() -> Vec<ResourceType> {
    use Builtin::*;
    vec![
        builtin(
            Namespace,
            "",
            "v1",
            "namespaces",
            "Namespace",
            false,
            &["ns"],
            true,
            vec![column("Status", "string", ".status.phase", 0)],
        ),
        builtin(
            Service,
            "",
            "v1",
            "services",
            "Service",
            true,
            &["svc"],
            true,
            vec![
                column("Type", "string", ".spec.type", 0),
                column("Cluster-IP", "string", ".spec.clusterIP", 0),
                column("External-IP", "string", ".status.loadBalancer.ingress[*].ip", 0),
                column("Port(s)", "string", "", 0),
                column("Selector", "string", ".spec.selector", 1),
            ],
        ),
        builtin(
            ConfigMap,
            "",
            "v1",
            "configmaps",
            "ConfigMap",
            true,
            &["cm"],
            false,
            vec![column("Data", "integer", "", 0)],
        ),
        builtin(
            Secret,
            "",
            "v1",
            "secrets",
            "Secret",
            true,
            &[],
            false,
            vec![column("Type", "string", ".type", 0), column("Data", "integer", "", 0)],
        ),
        builtin(
            Pod,
            "",
            "v1",
            "pods",
            "Pod",
            true,
            &["po"],
            true,
            vec![column("Status", "string", ".status.phase", 0), column("IP", "string", ".status.podIP", 1)],
        ),
        builtin(ServiceAccount, "", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"], false, vec![]),
        builtin(
            CoreEvent,
            "",
            "v1",
            "events",
            "Event",
            true,
            &["ev"],
            false,
            vec![
                column("Type", "string", ".type", 0),
                column("Reason", "string", ".reason", 0),
                column("Object", "string", "", 0),
                column("Message", "string", ".message", 0),
            ],
        ),
        builtin(
            EndpointSlice,
            "discovery.k8s.io",
            "v1",
            "endpointslices",
            "EndpointSlice",
            true,
            &[],
            false,
            vec![
                column("AddressType", "string", ".addressType", 0),
                column("Ports", "string", "", 0),
                column("Endpoints", "string", "", 0),
            ],
        ),
        builtin(
            Event,
            "events.k8s.io",
            "v1",
            "events",
            "Event",
            true,
            &["ev"],
            false,
            vec![column("Reason", "string", ".reason", 0), column("Note", "string", ".note", 0)],
        ),
        builtin(
            Lease,
            "coordination.k8s.io",
            "v1",
            "leases",
            "Lease",
            true,
            &[],
            false,
            vec![column("Holder", "string", ".spec.holderIdentity", 0)],
        ),
        builtin(
            CustomResourceDefinition,
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
            true,
            // Real servers print the timestamp itself here, and no Age column.
            vec![column("Created At", "string", ".metadata.creationTimestamp", 0)],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_priority_orders_ga_beta_alpha() {
        let mut v = vec!["v1alpha1", "v1beta1", "v2", "v1", "v1beta2"];
        v.sort_by_key(|v| version_priority(v));
        assert_eq!(v, ["v2", "v1", "v1beta2", "v1beta1", "v1alpha1"]);
    }

    #[test]
    fn builtin_groups_come_first() {
        let r = Registry::with_builtins();
        let groups: Vec<String> = r.groups().into_iter().map(|(g, _)| g).collect();
        assert_eq!(groups, ["apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io"]);
    }
}
