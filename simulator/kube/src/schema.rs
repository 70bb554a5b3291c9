//! Structural schemas of custom resources (`openAPIV3Schema`): pruning, defaulting and
//! validation with the apiserver's field paths and messages (kube-apiserver.md §7.3).
//!
//! Written here rather than with a JSON-Schema crate because what matters is Kubernetes'
//! reading of the schema — `x-kubernetes-*` extensions, null pruning, defaults, list types —
//! and its error shapes (`spec.rules[0].backendRefs: Required value`), which a generic
//! validator neither applies nor words.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use fancy_regex::Regex;
use serde_json::{Map, Value};

use crate::error::Cause;

/// Fields every object has whatever its schema says.
const ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Removes fields the schema does not know (unless `x-kubernetes-preserve-unknown-fields`)
/// and nulls of non-nullable fields; returns the unknown fields' paths, for
/// `fieldValidation=Strict|Warn`.
pub fn prune(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    prune_at(schema, obj, "", true, &mut unknown);
    unknown
}

fn prune_at(schema: &Value, value: &mut Value, path: &str, root: bool, unknown: &mut Vec<String>) {
    let preserve = schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true);
    match value {
        Value::Object(map) => {
            let properties = schema["properties"].as_object();
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            if properties.is_none() && additional.is_none() && (preserve || schema.get("type").is_none()) {
                return;
            }
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if root && ROOT_FIELDS.contains(&key.as_str()) {
                    continue;
                }
                let child_path = join(path, &key);
                let child_schema = properties.and_then(|p| p.get(&key)).or(additional);
                match child_schema {
                    Some(child) => {
                        if map[&key].is_null() && child["nullable"] != Value::Bool(true) {
                            map.remove(&key);
                            continue;
                        }
                        prune_at(child, map.get_mut(&key).expect("key exists"), &child_path, false, unknown);
                    }
                    None if preserve || additional_allows_any(schema) => {}
                    None => {
                        map.remove(&key);
                        unknown.push(child_path);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_at(item_schema, item, &format!("{path}[{i}]"), false, unknown);
                }
            }
        }
        _ => {}
    }
}

fn additional_allows_any(schema: &Value) -> bool {
    schema["additionalProperties"] == Value::Bool(true)
}

/// Fills absent fields that have a `default`, at every depth (defaults are themselves
/// defaulted, as the apiserver pre-defaults them when the CRD is created).
pub fn apply_defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(properties) = schema["properties"].as_object() {
                for (key, child) in properties {
                    if !map.contains_key(key)
                        && let Some(default) = child.get("default")
                    {
                        map.insert(key.clone(), default.clone());
                    }
                    if let Some(v) = map.get_mut(key) {
                        apply_defaults(child, v);
                    }
                }
            }
            if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for v in map.values_mut() {
                    apply_defaults(additional, v);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// Every violation of the schema, with apiserver field paths and messages.
pub fn validate(schema: &Value, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let Value::Object(map) = obj {
        let mut body = map.clone();
        for f in ROOT_FIELDS {
            body.remove(f);
        }
        let mut root_schema = schema.clone();
        if let Some(props) = root_schema.get_mut("properties").and_then(Value::as_object_mut) {
            for f in ROOT_FIELDS {
                props.remove(f);
            }
        }
        if let Some(required) = root_schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|r| !ROOT_FIELDS.iter().any(|f| r == f));
        }
        validate_at(&root_schema, &Value::Object(body), "", &mut causes);
    }
    causes
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn validate_at(schema: &Value, value: &Value, path: &str, causes: &mut Vec<Cause>) {
    let shown = if path.is_empty() { "<root>" } else { path };
    if value.is_null() {
        if schema["nullable"] != Value::Bool(true) && schema.get("type").is_some() {
            let expected = schema["type"].as_str().unwrap_or("object");
            causes.push(Cause::type_invalid(
                shown,
                &Value::from("null"),
                format!("{shown} in body must be of type {expected}: \"null\""),
            ));
        }
        return;
    }
    let int_or_string = schema["x-kubernetes-int-or-string"] == Value::Bool(true);
    if int_or_string {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            causes.push(Cause::type_invalid(
                shown,
                value,
                format!("{shown} in body must be of type int-or-string: \"{}\"", type_name(value)),
            ));
        }
    } else if let Some(expected) = schema["type"].as_str() {
        let actual = type_name(value);
        let ok = actual == expected || (expected == "number" && actual == "integer");
        if !ok {
            causes.push(Cause::type_invalid(
                shown,
                &Value::from(actual),
                format!("{shown} in body must be of type {expected}: \"{actual}\""),
            ));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        causes.push(Cause::not_supported(shown, value, options));
    }
    match value {
        Value::Object(map) => validate_object(schema, map, path, causes),
        Value::Array(items) => validate_array(schema, items, path, causes),
        Value::String(s) => validate_string(schema, s, shown, causes),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            if let Some(min) = schema["minimum"].as_f64() {
                let exclusive = schema["exclusiveMinimum"] == Value::Bool(true);
                if x < min || (exclusive && x == min) {
                    let rel = if exclusive { "greater than" } else { "greater than or equal to" };
                    causes.push(Cause::invalid(shown, value, format!("{shown} in body should be {rel} {}", num(min))));
                }
            }
            if let Some(max) = schema["maximum"].as_f64() {
                let exclusive = schema["exclusiveMaximum"] == Value::Bool(true);
                if x > max || (exclusive && x == max) {
                    let rel = if exclusive { "less than" } else { "less than or equal to" };
                    causes.push(Cause::invalid(shown, value, format!("{shown} in body should be {rel} {}", num(max))));
                }
            }
        }
        _ => {}
    }
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 { format!("{}", x as i64) } else { x.to_string() }
}

fn validate_object(schema: &Value, map: &Map<String, Value>, path: &str, causes: &mut Vec<Cause>) {
    if let Some(required) = schema["required"].as_array() {
        for field in required.iter().filter_map(Value::as_str) {
            if map.get(field).is_none_or(Value::is_null) {
                causes.push(Cause::required(join(path, field)));
            }
        }
    }
    let properties = schema["properties"].as_object();
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    for (key, child) in map {
        if let Some(child_schema) = properties.and_then(|p| p.get(key)) {
            validate_at(child_schema, child, &join(path, key), causes);
        } else if let Some(additional) = additional {
            validate_at(additional, child, &format!("{path}[{key}]"), causes);
        }
    }
    if let Some(max) = schema["maxProperties"].as_u64()
        && map.len() as u64 > max
    {
        causes.push(Cause::too_many(path, map.len(), max));
    }
}

fn validate_array(schema: &Value, items: &[Value], path: &str, causes: &mut Vec<Cause>) {
    if let Some(min) = schema["minItems"].as_u64()
        && (items.len() as u64) < min
    {
        causes.push(Cause::invalid(
            path,
            &Value::from(items.len()),
            format!("{path} in body should have at least {min} items"),
        ));
    }
    if let Some(max) = schema["maxItems"].as_u64()
        && items.len() as u64 > max
    {
        causes.push(Cause::too_many(path, items.len(), max));
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            validate_at(item_schema, item, &format!("{path}[{i}]"), causes);
        }
    }
    match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    causes.push(Cause::duplicate(format!("{path}[{i}]"), item));
                }
            }
        }
        Some("map") => {
            let keys: Vec<&str> = schema["x-kubernetes-list-map-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let key_of = |item: &Value| keys.iter().map(|k| item[*k].clone()).collect::<Vec<_>>();
            for (i, item) in items.iter().enumerate() {
                let key = key_of(item);
                if items[..i].iter().any(|other| key_of(other) == key) {
                    let shown: Map<String, Value> = keys.iter().map(|k| (k.to_string(), item[*k].clone())).collect();
                    causes.push(Cause::duplicate(format!("{path}[{i}]"), &Value::Object(shown)));
                }
            }
        }
        _ => {}
    }
}

fn validate_string(schema: &Value, s: &str, path: &str, causes: &mut Vec<Cause>) {
    let value = Value::from(s);
    if let Some(max) = schema["maxLength"].as_u64()
        && s.chars().count() as u64 > max
    {
        causes.push(Cause::too_long(path, max));
    }
    if let Some(min) = schema["minLength"].as_u64()
        && (s.chars().count() as u64) < min
    {
        causes.push(Cause::invalid(path, &value, format!("{path} in body should be at least {min} chars long")));
    }
    if let Some(pattern) = schema["pattern"].as_str()
        && !pattern_matches(pattern, s)
    {
        causes.push(Cause::invalid(path, &value, format!("{path} in body should match '{pattern}'")));
    }
    if schema["format"] == "date-time" && !is_rfc3339(s) {
        causes.push(Cause::invalid(path, &value, format!("{path} in body must be of type date-time: \"{s}\"")));
    }
}

fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b't') && b[13] == b':' && b[16] == b':'
}

static PATTERNS: LazyLock<Mutex<HashMap<String, Option<Regex>>>> = LazyLock::new(Mutex::default);

/// Schema patterns are searches (not anchored) in Go's RE2 syntax; compiled once each. A
/// pattern that cannot be compiled matches everything, as the CRD would have been refused.
fn pattern_matches(pattern: &str, s: &str) -> bool {
    compiled(pattern).is_none_or(|r| r.is_match(s).unwrap_or(true))
}

fn compiled(pattern: &str) -> Option<Regex> {
    let mut cache = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(pattern.to_string()).or_insert_with(|| Regex::new(pattern).ok()).clone()
}

/// Checks that a schema compiles: every pattern is a valid regular expression. Used when a
/// CRD is created.
pub fn check_schema(schema: &Value, path: &str, causes: &mut Vec<Cause>) {
    if let Some(pattern) = schema["pattern"].as_str()
        && compiled(pattern).is_none()
    {
        causes.push(Cause::invalid(
            format!("{path}.pattern"),
            &Value::from(pattern),
            "must be a valid regular expression",
        ));
    }
    if let Some(props) = schema["properties"].as_object() {
        for (k, child) in props {
            check_schema(child, &format!("{path}.properties[{k}]"), causes);
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        check_schema(items, &format!("{path}.items"), causes);
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        check_schema(additional, &format!("{path}.additionalProperties"), causes);
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["ports", "type"], "properties": {
                "type": {"type": "string", "enum": ["ClusterSetIP", "Headless"]},
                "ports": {"type": "array", "items": {"type": "object", "required": ["port"], "properties": {
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "protocol": {"type": "string", "default": "TCP"}}}},
                "ips": {"type": "array", "maxItems": 1, "items": {"type": "string"}},
                "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5}
            }}
        }})
    }

    fn fields(causes: &[Cause]) -> Vec<String> {
        causes.iter().map(Cause::line).collect()
    }

    #[test]
    fn required_fields_are_named() {
        let obj = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"}, "spec": {}});
        assert_eq!(fields(&validate(&schema(), &obj)), ["spec.ports: Required value", "spec.type: Required value"]);
    }

    #[test]
    fn types_enums_bounds_patterns() {
        let obj = json!({"spec": {"type": "Other", "ports": [{"port": "80"}, {"port": 0}], "ips": ["a", "b"], "name": "ABCDEFG"}});
        let got = fields(&validate(&schema(), &obj));
        assert_eq!(
            got,
            [
                "spec.type: Unsupported value: \"Other\": supported values: \"ClusterSetIP\", \"Headless\"",
                "spec.ports[0].port: Invalid value: \"string\": spec.ports[0].port in body must be of type integer: \"string\"",
                "spec.ports[1].port: Invalid value: 0: spec.ports[1].port in body should be greater than or equal to 1",
                "spec.ips: Too many: 2: must have at most 1 items",
                "spec.name: Too long: may not be more than 5 bytes",
                "spec.name: Invalid value: \"ABCDEFG\": spec.name in body should match '^[a-z]+$'",
            ]
        );
    }

    #[test]
    fn defaults_and_pruning() {
        let mut obj = json!({"metadata": {"name": "a"}, "spec": {"type": "Headless", "ports": [{"port": 80}], "extra": 1, "ips": null}});
        let unknown = prune(&schema(), &mut obj);
        apply_defaults(&schema(), &mut obj);
        assert_eq!(unknown, ["spec.extra"]);
        assert_eq!(obj["spec"], json!({"type": "Headless", "ports": [{"port": 80, "protocol": "TCP"}]}));
        assert!(validate(&schema(), &obj).is_empty());
    }
}
