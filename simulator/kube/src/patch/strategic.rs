//! Strategic merge patch for built-in kinds (apimachinery `pkg/util/strategicpatch`;
//! kube-apiserver.md §5.3): lists merge by key where the Go struct tags say so, primitive
//! lists with a merge strategy are unioned, and the `$patch`, `$setElementOrder`,
//! `$deleteFromPrimitiveList` and `$retainKeys` directives are honoured.
//!
//! No maintained crate implements strategic merge for Kubernetes objects, hence this module.

use serde_json::{Map, Value};

use super::lists::{SmpStrategy, smp_strategy};
use crate::error::{ApiError, ApiResult};

/// Applies `patch` to `doc` (an object of built-in `kind`).
pub fn apply(kind: &str, doc: &Value, patch: &Value) -> ApiResult<Value> {
    let Value::Object(patch) = patch else {
        return Err(ApiError::bad_request("error decoding patch: a strategic merge patch must be a JSON object"));
    };
    let mut out = doc.clone();
    if !out.is_object() {
        out = Value::Object(Map::new());
    }
    let map = out.as_object_mut().expect("object");
    merge_map(kind, "", map, patch)?;
    Ok(out)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// What a map patch asks of its parent.
enum Outcome {
    Keep,
    Delete,
}

fn merge_map(kind: &str, path: &str, orig: &mut Map<String, Value>, patch: &Map<String, Value>) -> ApiResult<Outcome> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *orig = strip(patch);
            return Ok(Outcome::Keep);
        }
        Some("delete") => return Ok(Outcome::Delete),
        Some(other) => return Err(ApiError::bad_request(format!("unknown patch type: {other:?}"))),
        None => {}
    }
    if let Some(retain) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
        orig.retain(|k, _| keep.contains(&k.as_str()));
    }
    let mut orders: Vec<(&str, &Vec<Value>)> = Vec::new();
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            if let Some(order) = value.as_array() {
                orders.push((field, order));
            }
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let remove = value.as_array().cloned().unwrap_or_default();
            if let Some(Value::Array(items)) = orig.get_mut(field) {
                items.retain(|v| !remove.contains(v));
            }
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        let child_path = join(path, key);
        match value {
            Value::Null => {
                orig.remove(key);
            }
            Value::Object(child_patch) => match orig.get_mut(key) {
                Some(Value::Object(child)) => {
                    if let Outcome::Delete = merge_map(kind, &child_path, child, child_patch)? {
                        orig.remove(key);
                    }
                }
                _ => {
                    if child_patch.get("$patch").and_then(Value::as_str) == Some("delete") {
                        orig.remove(key);
                    } else {
                        let mut fresh = Map::new();
                        merge_map(kind, &child_path, &mut fresh, child_patch)?;
                        orig.insert(key.clone(), Value::Object(fresh));
                    }
                }
            },
            Value::Array(items) => {
                let merged = merge_list(kind, &child_path, orig.get(key), items)?;
                orig.insert(key.clone(), Value::Array(merged));
            }
            scalar => {
                orig.insert(key.clone(), scalar.clone());
            }
        }
    }
    for (field, order) in orders {
        if let Some(Value::Array(items)) = orig.get_mut(field) {
            reorder(kind, &join(path, field), items, order);
        }
    }
    Ok(Outcome::Keep)
}

fn merge_list(kind: &str, path: &str, orig: Option<&Value>, patch: &[Value]) -> ApiResult<Vec<Value>> {
    let orig: Vec<Value> = orig.and_then(Value::as_array).cloned().unwrap_or_default();
    let replace = patch.iter().any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace"));
    let elements: Vec<&Value> =
        patch.iter().filter(|e| e.get("$patch").and_then(Value::as_str) != Some("replace")).collect();
    let strategy = smp_strategy(kind, path);
    let strategy = if replace { SmpStrategy::Replace } else { strategy };
    match strategy {
        SmpStrategy::Replace => Ok(elements.into_iter().map(strip_value).collect()),
        SmpStrategy::MergePrimitives => {
            let mut out = orig;
            for e in elements {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
            Ok(out)
        }
        SmpStrategy::MergeByKey(key) => {
            let item_path = format!("{path}[]");
            let mut out = orig;
            for e in elements {
                let Some(patch_map) = e.as_object() else {
                    return Err(ApiError::bad_request(format!(
                        "the list {path} can only hold objects with the merge key {key}"
                    )));
                };
                let key_value = patch_map.get(key).cloned().unwrap_or(Value::Null);
                let position = out.iter().position(|o| o.get(key) == Some(&key_value));
                if patch_map.get("$patch").and_then(Value::as_str) == Some("delete") {
                    out.retain(|o| o.get(key) != Some(&key_value));
                    continue;
                }
                match position {
                    Some(i) => {
                        if let Value::Object(existing) = &mut out[i]
                            && let Outcome::Delete = merge_map(kind, &item_path, existing, patch_map)?
                        {
                            out.remove(i);
                        }
                    }
                    None => {
                        let mut fresh = Map::new();
                        merge_map(kind, &item_path, &mut fresh, patch_map)?;
                        out.push(Value::Object(fresh));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// `$setElementOrder`: listed elements first, in that order, then the rest as they were.
fn reorder(kind: &str, path: &str, items: &mut Vec<Value>, order: &[Value]) {
    let key = match smp_strategy(kind, path) {
        SmpStrategy::MergeByKey(key) => Some(key),
        _ => None,
    };
    let matches = |item: &Value, o: &Value| match key {
        Some(k) => item.get(k).is_some() && item.get(k) == o.get(k),
        None => item == o,
    };
    let mut sorted = Vec::with_capacity(items.len());
    for o in order {
        if let Some(i) = items.iter().position(|item| matches(item, o)) {
            sorted.push(items.remove(i));
        }
    }
    sorted.append(items);
    *items = sorted;
}

fn strip(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_value(v))).collect()
}

fn strip_value(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(strip(m)),
        Value::Array(a) => Value::Array(a.iter().map(strip_value).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_apply_port_change() {
        // The body kubectl sent after a Service port changed from 80 to 81 (kube-apiserver.md §3.2).
        let doc = json!({"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}], "type": "ClusterIP"}});
        let patch = json!({"spec": {"$setElementOrder/ports": [{"port": 81}], "ports": [{"name": "http", "port": 81, "targetPort": 8080}, {"$patch": "delete", "port": 80}]}});
        let out = apply("Service", &doc, &patch).unwrap();
        assert_eq!(out["spec"]["ports"], json!([{"name": "http", "port": 81, "targetPort": 8080}]));
        assert_eq!(out["spec"]["type"], "ClusterIP");
    }

    #[test]
    fn merge_by_key_keeps_unmentioned_elements() {
        let doc = json!({"spec": {"ports": [{"port": 80, "name": "a"}, {"port": 443, "name": "b"}]}});
        let out = apply("Service", &doc, &json!({"spec": {"ports": [{"port": 443, "name": "tls"}]}})).unwrap();
        assert_eq!(out["spec"]["ports"], json!([{"port": 80, "name": "a"}, {"port": 443, "name": "tls"}]));
        // A ConfigMap has no merge keys: lists replace.
        let out = apply("ConfigMap", &json!({"x": [1, 2]}), &json!({"x": [3]})).unwrap();
        assert_eq!(out["x"], json!([3]));
    }

    #[test]
    fn finalizers_union_and_delete_from_primitive_list() {
        let doc = json!({"metadata": {"finalizers": ["a", "b"]}});
        let out = apply("ConfigMap", &doc, &json!({"metadata": {"finalizers": ["c"]}})).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        let out =
            apply("ConfigMap", &doc, &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn replace_and_delete_directives() {
        let doc = json!({"data": {"a": "1", "b": "2"}, "spec": {"x": 1}});
        let out =
            apply("ConfigMap", &doc, &json!({"data": {"$patch": "replace", "c": "3"}, "spec": {"$patch": "delete"}}))
                .unwrap();
        assert_eq!(out, json!({"data": {"c": "3"}}));
    }
}
