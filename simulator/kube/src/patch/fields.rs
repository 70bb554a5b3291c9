//! Server-side apply: field ownership per manager, mirrored in `metadata.managedFields` as
//! FieldsV1, with conflicts, `force`, and removal of fields a manager stops applying
//! (kube-apiserver.md §5.5; structured-merge-diff `merge/update.go` is the reference).
//!
//! There is no Rust implementation of structured-merge-diff, hence this module. Lists are
//! owned per element for `map` and `set` list types and as a whole otherwise; maps are owned
//! per key unless `x-kubernetes-map-type: atomic` — SMD's rules for typed and deduced objects.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::lists::{ListType, TypeInfo};

/// One step into an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Field(String),
    /// A list-map element, by its key fields as canonical JSON.
    Key(String),
    /// A set element, as JSON.
    Value(String),
}

pub type Path = Vec<Step>;
pub type FieldSet = BTreeSet<Path>;

/// Which part of an object a write addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The main resource; `status` is excluded when the kind has a status subresource.
    Main {
        status_subresource: bool,
    },
    Status,
}

impl Scope {
    pub fn subresource(&self) -> Option<&'static str> {
        match self {
            Scope::Main { .. } => None,
            Scope::Status => Some("status"),
        }
    }
}

/// Server-managed fields nobody owns.
const SERVER_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// The part of `obj` a write in `scope` may own.
pub fn owned_part(obj: &Value, scope: Scope) -> Value {
    let mut out = Map::new();
    let Some(map) = obj.as_object() else { return Value::Object(out) };
    for (k, v) in map {
        let keep = match scope {
            Scope::Status => k == "status",
            Scope::Main { status_subresource } => {
                !(k == "apiVersion" || k == "kind" || (status_subresource && k == "status"))
            }
        };
        if !keep {
            continue;
        }
        if k == "metadata" {
            let mut meta = v.as_object().cloned().unwrap_or_default();
            meta.retain(|mk, _| !SERVER_METADATA.contains(&mk.as_str()));
            if !meta.is_empty() {
                out.insert(k.clone(), Value::Object(meta));
            }
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The key of a list-map element. A key field the element leaves out takes its default
/// (`protocol: TCP` for Service ports), as structured-merge-diff does for defaulted keys, so
/// that an applied `{port: 80}` meets the stored `{port: 80, protocol: TCP}`.
fn key_of(item: &Value, keys: &[String], types: TypeInfo, item_path: &str) -> String {
    let map: Map<String, Value> = keys
        .iter()
        .map(|k| {
            let value = item
                .get(k)
                .cloned()
                .filter(|v| !v.is_null())
                .or_else(|| types.key_default(item_path, k))
                .unwrap_or(Value::Null);
            (k.clone(), value)
        })
        .collect();
    Value::Object(map).to_string()
}

/// The set of fields `value` sets.
pub fn collect(value: &Value, types: TypeInfo) -> FieldSet {
    let mut set = FieldSet::new();
    let mut path = Path::new();
    collect_at(value, &mut path, "", types, &mut set);
    set
}

fn collect_at(value: &Value, path: &mut Path, type_path: &str, types: TypeInfo, set: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() && !types.atomic_map(type_path) => {
            for (k, v) in map {
                path.push(Step::Field(k.clone()));
                let child_type = if type_path.is_empty() { k.clone() } else { format!("{type_path}.{k}") };
                collect_at(v, path, &child_type, types, set);
                path.pop();
            }
        }
        Value::Array(items) if !path.is_empty() => match types.list_type(type_path) {
            ListType::Map(keys) => {
                let item_type = format!("{type_path}[]");
                for item in items {
                    path.push(Step::Key(key_of(item, &keys, types, &item_type)));
                    set.insert(path.clone());
                    collect_at(item, path, &item_type, types, set);
                    path.pop();
                }
            }
            ListType::Set => {
                for item in items {
                    path.push(Step::Value(item.to_string()));
                    set.insert(path.clone());
                    path.pop();
                }
            }
            ListType::Atomic => {
                set.insert(path.clone());
            }
        },
        _ => {
            if !path.is_empty() {
                set.insert(path.clone());
            }
        }
    }
}

/// The value at `path`, if present.
pub fn get<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut v = value;
    for step in path {
        v = match step {
            Step::Field(k) => v.get(k)?,
            Step::Key(key) => {
                let key: Map<String, Value> = serde_json::from_str(key).ok()?;
                // A key field left out of an element matches its defaulted value.
                v.as_array()?.iter().find(|item| {
                    key.iter().all(|(k, kv)| item.get(k).is_none_or(Value::is_null) || item.get(k) == Some(kv))
                })?
            }
            Step::Value(json) => {
                let wanted: Value = serde_json::from_str(json).ok()?;
                v.as_array()?.iter().find(|item| **item == wanted)?
            }
        };
    }
    Some(v)
}

/// Removes the field or element at `path`.
pub fn remove(value: &mut Value, path: &[Step]) {
    let Some((last, parent_path)) = path.split_last() else { return };
    let mut parent = value;
    for step in parent_path {
        let next = match step {
            Step::Field(k) => parent.get_mut(k),
            Step::Key(_) | Step::Value(_) => {
                let Some(target) = get(parent, std::slice::from_ref(step)).cloned() else { return };
                parent.as_array_mut().and_then(|a| a.iter_mut().find(|i| **i == target))
            }
        };
        match next {
            Some(n) => parent = n,
            None => return,
        }
    }
    match last {
        Step::Field(k) => {
            if let Some(map) = parent.as_object_mut() {
                map.remove(k);
            }
        }
        Step::Key(_) | Step::Value(_) => {
            let Some(target) = get(parent, std::slice::from_ref(last)).cloned() else { return };
            if let Some(items) = parent.as_array_mut() {
                items.retain(|i| *i != target);
            }
        }
    }
}

/// Merges an applied configuration into the live object: maps per key, list-maps per
/// element, sets by union, everything else replaced.
pub fn merge_applied(live: &Value, applied: &Value, type_path: &str, types: TypeInfo) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) if !types.atomic_map(type_path) => {
            let mut out = l.clone();
            for (k, v) in a {
                let child_type = if type_path.is_empty() { k.clone() } else { format!("{type_path}.{k}") };
                let merged = match l.get(k) {
                    Some(lv) => merge_applied(lv, v, &child_type, types),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) => match types.list_type(type_path) {
            ListType::Map(keys) => {
                let item_type = format!("{type_path}[]");
                let mut out = l.clone();
                for item in a {
                    let key = key_of(item, &keys, types, &item_type);
                    match out.iter().position(|o| key_of(o, &keys, types, &item_type) == key) {
                        Some(i) => out[i] = merge_applied(&out[i], item, &item_type, types),
                        None => out.push(item.clone()),
                    }
                }
                Value::Array(out)
            }
            ListType::Set => {
                let mut out = l.clone();
                for item in a {
                    if !out.contains(item) {
                        out.push(item.clone());
                    }
                }
                Value::Array(out)
            }
            ListType::Atomic => applied.clone(),
        },
        _ => applied.clone(),
    }
}

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Manager {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Manager {
    fn is(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.as_deref() == subresource
    }
}

/// The managers recorded on a stored object.
pub fn read_managers(obj: &Value) -> Vec<Manager> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            Some(Manager {
                manager: entry["manager"].as_str()?.to_string(),
                operation: entry["operation"].as_str().unwrap_or("Update").to_string(),
                api_version: entry["apiVersion"].as_str().unwrap_or_default().to_string(),
                time: entry["time"].as_str().unwrap_or_default().to_string(),
                subresource: entry["subresource"].as_str().map(String::from),
                fields: decode(&entry["fieldsV1"]),
            })
        })
        .collect()
}

/// Writes `managers` (dropping the ones that own nothing) into `obj`.
pub fn write_managers(obj: &mut Value, managers: &[Manager]) {
    let entries: Vec<Value> = managers
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            let mut e = Map::new();
            e.insert("manager".into(), m.manager.clone().into());
            e.insert("operation".into(), m.operation.clone().into());
            e.insert("apiVersion".into(), m.api_version.clone().into());
            e.insert("time".into(), m.time.clone().into());
            e.insert("fieldsType".into(), "FieldsV1".into());
            e.insert("fieldsV1".into(), encode(&m.fields));
            if let Some(s) = &m.subresource {
                e.insert("subresource".into(), s.clone().into());
            }
            Value::Object(e)
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

fn step_key(step: &Step) -> String {
    match step {
        Step::Field(f) => format!("f:{f}"),
        Step::Key(k) => format!("k:{k}"),
        Step::Value(v) => format!("v:{v}"),
    }
}

/// FieldsV1: a tree of `f:`/`k:`/`v:` keys; `.` marks a node that is itself a member.
pub fn encode(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for step in path {
            node = node
                .entry(step_key(step))
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("object");
        }
    }
    // Members that also have children get ".".
    for path in set {
        let mut node = &mut root;
        for step in path {
            node = node.get_mut(&step_key(step)).and_then(Value::as_object_mut).expect("built above");
        }
        if !node.is_empty() && !node.contains_key(".") {
            node.insert(".".into(), Value::Object(Map::new()));
        }
    }
    Value::Object(root)
}

pub fn decode(fields: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    let mut path = Path::new();
    decode_at(fields, &mut path, &mut set);
    set
}

fn decode_at(node: &Value, path: &mut Path, set: &mut FieldSet) {
    let Some(map) = node.as_object() else { return };
    for (k, child) in map {
        if k == "." {
            set.insert(path.clone());
            continue;
        }
        let step = if let Some(f) = k.strip_prefix("f:") {
            Step::Field(f.to_string())
        } else if let Some(key) = k.strip_prefix("k:") {
            Step::Key(key.to_string())
        } else if let Some(v) = k.strip_prefix("v:") {
            Step::Value(v.to_string())
        } else {
            continue;
        };
        path.push(step);
        if child.as_object().is_none_or(Map::is_empty) {
            set.insert(path.clone());
        } else {
            decode_at(child, path, set);
        }
        path.pop();
    }
}

/// An apply request's identity and options.
#[derive(Clone, Copy, Debug)]
pub struct Applier<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub scope: Scope,
    pub api_version: &'a str,
    pub now: &'a str,
}

/// A conflict: another manager owns a field the applier sets to a different value.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub manager: String,
    pub path: String,
}

/// Renders a path as the conflict message does: `.spec.replicas`, `.spec.ports[port=80,protocol="TCP"]`.
pub fn render_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Step::Key(k) => {
                let map: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
            Step::Value(v) => out.push_str(&format!("[={v}]")),
        }
    }
    out
}

/// Applies `applied` onto `live` for `who`; the result carries the new `managedFields`.
pub fn apply(live: &Value, applied: &Value, who: Applier, types: TypeInfo) -> Result<Value, Vec<Conflict>> {
    let mut managers = read_managers(live);
    let subresource = who.scope.subresource();
    let applied_part = owned_part(applied, who.scope);
    let live_part = owned_part(live, who.scope);
    let applied_set = collect(&applied_part, types);

    let mut conflicts = Vec::new();
    for path in &applied_set {
        if matches!(path.last(), Some(Step::Key(_))) {
            continue;
        }
        let differs = get(&live_part, path).is_some_and(|lv| Some(lv) != get(&applied_part, path));
        if !differs {
            continue;
        }
        for m in managers.iter().filter(|m| !m.is(who.manager, "Apply", subresource) && m.fields.contains(path)) {
            conflicts.push(Conflict { manager: m.manager.clone(), path: render_path(path) });
        }
    }
    if !conflicts.is_empty() && !who.force {
        return Err(conflicts);
    }
    if who.force {
        for m in managers.iter_mut().filter(|m| !m.is(who.manager, "Apply", subresource)) {
            let taken: Vec<Path> = m
                .fields
                .iter()
                .filter(|p| {
                    applied_set.contains(*p) && get(&live_part, p).is_some_and(|lv| Some(lv) != get(&applied_part, p))
                })
                .cloned()
                .collect();
            for p in taken {
                m.fields.remove(&p);
            }
        }
    }

    let mut merged = merge_applied(live, &applied_part, "", types);
    let previous =
        managers.iter().find(|m| m.is(who.manager, "Apply", subresource)).map(|m| m.fields.clone()).unwrap_or_default();
    let mut removed: Vec<&Path> = previous.difference(&applied_set).collect();
    removed.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in removed {
        let owned_elsewhere = managers
            .iter()
            .filter(|m| !m.is(who.manager, "Apply", subresource))
            .any(|m| m.fields.iter().any(|p| p.starts_with(path)));
        let still_applied = applied_set.iter().any(|p| p.starts_with(path));
        if !owned_elsewhere && !still_applied {
            remove(&mut merged, path);
        }
    }

    match managers.iter_mut().find(|m| m.is(who.manager, "Apply", subresource)) {
        Some(m) => {
            if m.fields != applied_set || live != &merged {
                m.time = who.now.to_string();
            }
            m.fields = applied_set;
            m.api_version = who.api_version.to_string();
        }
        None => managers.push(Manager {
            manager: who.manager.to_string(),
            operation: "Apply".into(),
            api_version: who.api_version.to_string(),
            time: who.now.to_string(),
            subresource: subresource.map(String::from),
            fields: applied_set,
        }),
    }
    write_managers(&mut merged, &managers);
    Ok(merged)
}

/// Records an update (PUT, or a JSON/merge/strategic PATCH) by `manager`: it takes over the
/// fields it changed, from everyone (kube-apiserver.md §5.5 rule 7).
pub fn track_update(
    old: &Value,
    new: &mut Value,
    manager: &str,
    scope: Scope,
    api_version: &str,
    now: &str,
    types: TypeInfo,
) {
    let mut managers = read_managers(old);
    let subresource = scope.subresource();
    let (old_part, new_part) = (owned_part(old, scope), owned_part(new, scope));
    let (old_set, new_set) = (collect(&old_part, types), collect(&new_part, types));
    let changed: FieldSet = new_set.iter().filter(|p| get(&old_part, p) != get(&new_part, p)).cloned().collect();
    let removed: FieldSet = old_set.difference(&new_set).cloned().collect();
    if !changed.is_empty() || !removed.is_empty() {
        for m in managers.iter_mut() {
            m.fields.retain(|p| !changed.contains(p) && !removed.contains(p));
        }
        match managers.iter_mut().find(|m| m.is(manager, "Update", subresource)) {
            Some(m) => {
                m.fields.extend(changed);
                m.time = now.to_string();
                m.api_version = api_version.to_string();
            }
            None => managers.push(Manager {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: subresource.map(String::from),
                fields: changed,
            }),
        }
    }
    write_managers(new, &managers);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MAIN: Scope = Scope::Main { status_subresource: true };

    fn applier(manager: &str, force: bool) -> Applier<'_> {
        Applier { manager, force, scope: MAIN, api_version: "v1", now: "2026-01-01T00:00:00Z" }
    }

    #[test]
    fn fields_v1_round_trip() {
        let types = TypeInfo::Builtin("Service");
        let obj = json!({"metadata": {"labels": {"app": "web"}, "finalizers": ["a"]}, "spec": {"ports": [{"port": 80, "protocol": "TCP", "name": "http"}]}});
        let set = collect(&obj, types);
        let encoded = encode(&set);
        assert_eq!(encoded["f:spec"]["f:ports"]["k:{\"port\":80,\"protocol\":\"TCP\"}"]["."], json!({}));
        assert_eq!(encoded["f:metadata"]["f:finalizers"]["v:\"a\""], json!({}));
        assert_eq!(decode(&encoded), set);
    }

    #[test]
    fn a_field_no_longer_applied_is_removed() {
        let types = TypeInfo::Builtin("ConfigMap");
        let first = apply(
            &json!({"metadata": {"name": "c"}}),
            &json!({"data": {"a": "1", "b": "2"}}),
            applier("m", false),
            types,
        )
        .unwrap();
        let second = apply(&first, &json!({"data": {"a": "1"}}), applier("m", false), types).unwrap();
        assert_eq!(second["data"], json!({"a": "1"}));
    }

    #[test]
    fn conflicts_without_force_and_takeover_with_force() {
        let types = TypeInfo::Builtin("ConfigMap");
        let live =
            apply(&json!({"metadata": {"name": "c"}}), &json!({"data": {"a": "1"}}), applier("one", false), types)
                .unwrap();
        // Same value: shared, no conflict.
        assert!(apply(&live, &json!({"data": {"a": "1"}}), applier("two", false), types).is_ok());
        let err = apply(&live, &json!({"data": {"a": "2"}}), applier("two", false), types).unwrap_err();
        assert_eq!(err, [Conflict { manager: "one".into(), path: ".data.a".into() }]);
        let forced = apply(&live, &json!({"data": {"a": "2"}}), applier("two", true), types).unwrap();
        assert_eq!(forced["data"]["a"], "2");
        let managers = read_managers(&forced);
        assert!(managers.iter().all(|m| m.manager != "one"), "one lost its only field: {managers:?}");
    }

    #[test]
    fn updates_take_fields_from_appliers() {
        let types = TypeInfo::Builtin("ConfigMap");
        let live =
            apply(&json!({"metadata": {"name": "c"}}), &json!({"data": {"a": "1"}}), applier("one", false), types)
                .unwrap();
        let mut edited = live.clone();
        edited["data"]["a"] = json!("9");
        track_update(&live, &mut edited, "kubectl-edit", MAIN, "v1", "t", types);
        let err = apply(&edited, &json!({"data": {"a": "1"}}), applier("one", false), types).unwrap_err();
        assert_eq!(err[0].manager, "kubectl-edit");
    }
}

#[cfg(test)]
mod defaulted_keys {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_applied_port_without_protocol_meets_the_defaulted_one() {
        let types = TypeInfo::Builtin("Service");
        let who = Applier {
            manager: "m",
            force: true,
            scope: Scope::Main { status_subresource: true },
            api_version: "v1",
            now: "t",
        };
        let live = json!({"metadata": {"name": "s"}, "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}});
        let applied = json!({"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 9090}]}});
        let merged = apply(&live, &applied, who, types).unwrap();
        assert_eq!(
            merged["spec"]["ports"],
            json!([{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090}])
        );
    }
}
