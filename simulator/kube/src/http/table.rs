//! Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), so that
//! `kubectl get` shows real columns (kube-apiserver.md §7.4).

use serde_json::{Value, json};

use crate::meta;
use crate::resource::{Builtin, PrinterColumn, ResourceType};

pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

pub fn wants_table(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| first.replace(' ', "").contains("as=Table"))
}

/// What each row carries (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

fn columns(rt: &ResourceType) -> Vec<PrinterColumn> {
    let name = PrinterColumn {
        name: "Name".into(),
        type_: "string".into(),
        json_path: ".metadata.name".into(),
        priority: 0,
        description: "Name must be unique within a namespace.".into(),
    };
    let age = PrinterColumn {
        name: "Age".into(),
        type_: "date".into(),
        json_path: ".metadata.creationTimestamp".into(),
        priority: 0,
        description: "CreationTimestamp of the object.".into(),
    };
    let mut out = vec![name];
    if rt.is_custom() {
        if rt.columns.is_empty() {
            out.push(age);
        } else {
            out.extend(rt.columns.iter().cloned());
        }
    } else {
        let (wide, narrow): (Vec<_>, Vec<_>) = rt.columns.iter().cloned().partition(|c| c.priority > 0);
        let shows_creation = narrow.iter().any(|c| c.json_path == age.json_path);
        out.extend(narrow);
        if !shows_creation {
            out.push(age);
        }
        out.extend(wide);
    }
    out
}

/// A Table of `objects` (each at the requested version).
pub fn table(rt: &ResourceType, objects: &[Value], list_meta: Value, include: Include, now_ms: u64) -> Value {
    let cols = columns(rt);
    let definitions: Vec<Value> = cols
        .iter()
        .map(|c| {
            let format = if c.name == "Name" { "name" } else { "" };
            json!({"name": c.name, "type": if c.type_ == "date" { "string" } else { c.type_.as_str() }, "format": format,
                   "description": c.description, "priority": c.priority})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let cells: Vec<Value> = cols.iter().map(|c| cell(rt, c, o, now_ms)).collect();
            let mut row = json!({"cells": cells});
            match include {
                Include::None => {}
                Include::Metadata => {
                    row["object"] = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]});
                }
                Include::Object => row["object"] = o.clone(),
            }
            row
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "columnDefinitions": definitions, "rows": rows})
}

fn cell(rt: &ResourceType, column: &PrinterColumn, obj: &Value, now_ms: u64) -> Value {
    if let Some(value) = computed_cell(rt, column, obj) {
        return value;
    }
    let values = json_path(obj, &column.json_path);
    if column.type_ == "date" {
        return values.first().and_then(Value::as_str).map_or(Value::Null, |t| age(t, now_ms).into());
    }
    match values.as_slice() {
        [] => Value::Null,
        [one] if column.type_ == "integer" || column.type_ == "number" || column.type_ == "boolean" => one.clone(),
        many => {
            let parts: Vec<String> = many.iter().map(scalar_text).collect();
            parts.join(",").into()
        }
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Columns the built-in printers compute rather than read.
fn computed_cell(rt: &ResourceType, column: &PrinterColumn, obj: &Value) -> Option<Value> {
    let b = rt.builtin?;
    let none = || Value::from("<none>");
    match (b, column.name.as_str()) {
        (Builtin::Service, "Port(s)") => {
            let ports: Vec<String> = obj["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| match p["nodePort"].as_u64() {
                    Some(np) => format!("{}:{np}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")),
                    None => format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")),
                })
                .collect();
            Some(if ports.is_empty() { none() } else { ports.join(",").into() })
        }
        (Builtin::Service, "External-IP") => {
            let ips = json_path(obj, &column.json_path);
            Some(if ips.is_empty() { none() } else { ips.iter().map(scalar_text).collect::<Vec<_>>().join(",").into() })
        }
        (Builtin::Service, "Selector") => {
            let pairs: Vec<String> = obj["spec"]["selector"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", scalar_text(v)))
                .collect();
            Some(if pairs.is_empty() { none() } else { pairs.join(",").into() })
        }
        (Builtin::ConfigMap | Builtin::Secret, "Data") => {
            let n =
                obj["data"].as_object().map_or(0, |m| m.len()) + obj["binaryData"].as_object().map_or(0, |m| m.len());
            Some(n.into())
        }
        (Builtin::EndpointSlice, "Ports") => {
            let ports: Vec<String> =
                obj["ports"].as_array().into_iter().flatten().map(|p| scalar_text(&p["port"])).collect();
            Some(if ports.is_empty() { none() } else { ports.join(",").into() })
        }
        (Builtin::EndpointSlice, "Endpoints") => {
            let addrs: Vec<String> = obj["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|e| meta::string_list(&e["addresses"]))
                .collect();
            Some(if addrs.is_empty() { none() } else { addrs.join(",").into() })
        }
        (Builtin::CoreEvent, "Object") => Some(
            format!(
                "{}/{}",
                obj["involvedObject"]["kind"].as_str().unwrap_or_default().to_lowercase(),
                obj["involvedObject"]["name"].as_str().unwrap_or_default()
            )
            .into(),
        ),
        _ => None,
    }
}

/// The JSONPath subset printer columns use: `.a.b`, `[n]`, `[*]`, `[?(@.k=="v")]`.
pub fn json_path(obj: &Value, path: &str) -> Vec<Value> {
    let mut current = vec![obj.clone()];
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}').trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let field = &r[..end];
            current = current.iter().filter_map(|v| v.get(field).cloned()).collect();
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { return vec![] };
            let inner = &r[..end];
            rest = &r[end + 1..];
            current = if inner == "*" {
                current.iter().flat_map(|v| v.as_array().cloned().unwrap_or_default()).collect()
            } else if let Some(filter) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let Some((key, wanted)) = filter.split_once("==") else { return vec![] };
                let wanted = wanted.trim().trim_matches('"').trim_matches('\'');
                current
                    .iter()
                    .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                    .filter(|item| item.get(key.trim()).and_then(Value::as_str) == Some(wanted))
                    .collect()
            } else if let Ok(i) = inner.parse::<usize>() {
                current.iter().filter_map(|v| v.get(i).cloned()).collect()
            } else {
                return vec![];
            };
        } else {
            return vec![];
        }
    }
    current.into_iter().filter(|v| !v.is_null()).collect()
}

/// kubectl's short ages (`apimachinery/pkg/util/duration.HumanDuration`).
pub fn age(timestamp: &str, now_ms: u64) -> String {
    let Ok(then) = humantime::parse_rfc3339_weak(timestamp) else { return "<unknown>".into() };
    let then_ms = then.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    human_duration(now_ms.saturating_sub(then_ms) / 1000)
}

pub fn human_duration(seconds: u64) -> String {
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
    if seconds < 120 {
        format!("{seconds}s")
    } else if minutes < 10 {
        if seconds.is_multiple_of(60) { format!("{minutes}m") } else { format!("{minutes}m{}s", seconds % 60) }
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        if minutes.is_multiple_of(60) { format!("{hours}h") } else { format!("{hours}h{}m", minutes % 60) }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 192 {
        if hours.is_multiple_of(24) { format!("{days}d") } else { format!("{days}d{}h", hours % 24) }
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        let years = days / 365;
        if days.is_multiple_of(365) { format!("{years}y") } else { format!("{years}y{}d", days % 365) }
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_subset() {
        let obj = json!({"status": {"conditions": [{"type": "Accepted", "status": "True"}, {"type": "Programmed", "status": "False"}],
                                    "addresses": [{"value": "a"}, {"value": "b"}]}});
        assert_eq!(json_path(&obj, r#".status.conditions[?(@.type=="Programmed")].status"#), [json!("False")]);
        assert_eq!(json_path(&obj, ".status.addresses[*].value"), [json!("a"), json!("b")]);
        assert_eq!(json_path(&obj, ".status.conditions[0].type"), [json!("Accepted")]);
        assert!(json_path(&obj, ".spec.missing").is_empty());
    }

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(3 * 86_400 + 3600), "3d1h");
    }
}
