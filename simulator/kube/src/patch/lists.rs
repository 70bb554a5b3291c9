//! How lists merge, per field: the strategic-merge-patch strategy and the server-side-apply
//! list type of the built-in kinds (struct tags of `k8s.io/api` v0.32.4; kube-apiserver.md
//! §5.3), and, for custom resources, the schema's `x-kubernetes-list-type`.

use serde_json::Value;

/// Strategic merge patch: how a list in a patch meets the stored list.
#[derive(Clone, Debug, PartialEq)]
pub enum SmpStrategy {
    /// Replace the whole list (no `patchStrategy`).
    Replace,
    /// Merge elements by this key.
    MergeByKey(&'static str),
    /// Union of primitives.
    MergePrimitives,
}

/// Server-side apply: how a list's elements are owned.
#[derive(Clone, Debug, PartialEq)]
pub enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

/// `(kind or "*", field path with [] for list items, SMP strategy, SSA list type)`.
type Row = (&'static str, &'static str, SmpStrategy, fn() -> ListType);

fn map(keys: &[&str]) -> ListType {
    ListType::Map(keys.iter().map(|k| k.to_string()).collect())
}

fn table() -> Vec<Row> {
    use SmpStrategy::*;
    vec![
        ("*", "metadata.finalizers", MergePrimitives, || ListType::Set),
        ("*", "metadata.ownerReferences", MergeByKey("uid"), || map(&["uid"])),
        ("*", "metadata.managedFields", Replace, || ListType::Atomic),
        ("Service", "spec.ports", MergeByKey("port"), || map(&["port", "protocol"])),
        ("Service", "status.conditions", MergeByKey("type"), || map(&["type"])),
        ("Namespace", "spec.finalizers", Replace, || ListType::Atomic),
        ("Namespace", "status.conditions", MergeByKey("type"), || map(&["type"])),
        ("EndpointSlice", "endpoints", Replace, || ListType::Atomic),
        ("EndpointSlice", "ports", Replace, || ListType::Atomic),
        ("EndpointSlice", "endpoints[].addresses", Replace, || ListType::Set),
        ("Pod", "spec.containers", MergeByKey("name"), || map(&["name"])),
        ("Pod", "spec.initContainers", MergeByKey("name"), || map(&["name"])),
        ("Pod", "spec.ephemeralContainers", MergeByKey("name"), || map(&["name"])),
        ("Pod", "spec.containers[].ports", MergeByKey("containerPort"), || map(&["containerPort", "protocol"])),
        ("Pod", "spec.containers[].env", MergeByKey("name"), || map(&["name"])),
        ("Pod", "spec.containers[].volumeMounts", MergeByKey("mountPath"), || map(&["mountPath"])),
        ("Pod", "spec.volumes", MergeByKey("name"), || map(&["name"])),
        ("Pod", "spec.imagePullSecrets", MergeByKey("name"), || map(&["name"])),
        ("Pod", "status.conditions", MergeByKey("type"), || map(&["type"])),
    ]
}

/// The SMP strategy of the list at `path` in a built-in `kind`.
pub fn smp_strategy(kind: &str, path: &str) -> SmpStrategy {
    table()
        .into_iter()
        .find(|(k, p, _, _)| (*k == "*" || *k == kind) && *p == path)
        .map_or(SmpStrategy::Replace, |r| r.2)
}

/// Where list types come from for one object.
#[derive(Clone, Copy, Debug)]
pub enum TypeInfo<'a> {
    /// A built-in kind: the table above; everything else atomic.
    Builtin(&'a str),
    /// A custom resource: its structural schema (metadata from the table).
    Schema(&'a Value),
}

impl TypeInfo<'_> {
    /// The list type at `path` (`spec.rules[].backendRefs`).
    pub fn list_type(&self, path: &str) -> ListType {
        if let Some(row) = table()
            .into_iter()
            .find(|(k, p, _, _)| *p == path && (*k == "*" || matches!(self, TypeInfo::Builtin(kind) if kind == k)))
        {
            return (row.3)();
        }
        match self {
            TypeInfo::Builtin(_) => ListType::Atomic,
            TypeInfo::Schema(schema) => schema_node(schema, path).map_or(ListType::Atomic, |node| {
                match node["x-kubernetes-list-type"].as_str() {
                    Some("set") => ListType::Set,
                    Some("map") => ListType::Map(
                        node["x-kubernetes-list-map-keys"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|k| k.as_str().map(String::from))
                            .collect(),
                    ),
                    _ => ListType::Atomic,
                }
            }),
        }
    }

    /// The default of key field `key` of the list elements at `item_path` (`spec.ports[]`).
    pub fn key_default(&self, item_path: &str, key: &str) -> Option<Value> {
        match self {
            TypeInfo::Builtin(_) => (key == "protocol" && item_path.ends_with("ports[]")).then(|| Value::from("TCP")),
            TypeInfo::Schema(schema) => {
                schema_node(schema, item_path).and_then(|n| n["properties"][key].get("default").cloned())
            }
        }
    }

    /// Whether the map at `path` is owned as one unit (`x-kubernetes-map-type: atomic`).
    pub fn atomic_map(&self, path: &str) -> bool {
        match self {
            TypeInfo::Builtin(_) => false,
            TypeInfo::Schema(schema) => {
                schema_node(schema, path).is_some_and(|n| n["x-kubernetes-map-type"] == "atomic")
            }
        }
    }
}

fn schema_node<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = schema;
    for step in path.split('.').filter(|s| !s.is_empty()) {
        let (field, items) = step.strip_suffix("[]").map_or((step, false), |f| (f, true));
        node = node["properties"].get(field).or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?;
        if items {
            node = node.get("items")?;
        }
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_and_schema_lookups() {
        assert_eq!(smp_strategy("Service", "spec.ports"), SmpStrategy::MergeByKey("port"));
        assert_eq!(smp_strategy("ConfigMap", "metadata.finalizers"), SmpStrategy::MergePrimitives);
        assert_eq!(TypeInfo::Builtin("Service").list_type("spec.ports"), map(&["port", "protocol"]));
        let schema = json!({"properties": {"spec": {"properties": {"listeners": {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"], "items": {}}}}}});
        assert_eq!(TypeInfo::Schema(&schema).list_type("spec.listeners"), map(&["name"]));
        assert_eq!(TypeInfo::Schema(&schema).list_type("spec.other"), ListType::Atomic);
        assert_eq!(TypeInfo::Schema(&schema).list_type("metadata.finalizers"), ListType::Set);
    }
}
