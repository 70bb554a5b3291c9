//! Reading and writing `metadata` on JSON objects, and the name rules.

use serde_json::{Map, Value};

use crate::error::Cause;

pub fn meta(obj: &Value) -> &Value {
    &obj["metadata"]
}

pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj["metadata"].is_object() {
        obj["metadata"] = Value::Object(Map::new());
    }
    obj["metadata"].as_object_mut().expect("metadata is an object")
}

pub fn str_field<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj["metadata"].get(field).and_then(Value::as_str)
}

pub fn name(obj: &Value) -> &str {
    str_field(obj, "name").unwrap_or_default()
}

pub fn namespace(obj: &Value) -> &str {
    str_field(obj, "namespace").unwrap_or_default()
}

pub fn uid(obj: &Value) -> &str {
    str_field(obj, "uid").unwrap_or_default()
}

pub fn resource_version(obj: &Value) -> &str {
    str_field(obj, "resourceVersion").unwrap_or_default()
}

pub fn is_deleting(obj: &Value) -> bool {
    obj["metadata"].get("deletionTimestamp").is_some_and(|v| !v.is_null())
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    string_list(&obj["metadata"]["finalizers"])
}

pub fn set_finalizers(obj: &mut Value, finalizers: Vec<String>) {
    meta_mut(obj).insert("finalizers".into(), finalizers.into());
    drop_empty_metadata(obj);
}

pub fn labels(obj: &Value) -> Map<String, Value> {
    obj["metadata"]["labels"].as_object().cloned().unwrap_or_default()
}

pub fn string_list(value: &Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// The `ownerReferences[].uid` values.
pub fn owner_uids(obj: &Value) -> Vec<String> {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .map(|refs| refs.iter().filter_map(|r| r["uid"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Go's `omitempty` on metadata: empty lists and maps are not stored, so that a JSON-patch
/// `test` of `/metadata/finalizers` against `null` passes on an object without finalizers
/// (kube-apiserver.md §5.1).
pub fn drop_empty_metadata(obj: &mut Value) {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    // Go decodes a JSON null into a map[string]string value as "".
    for key in ["labels", "annotations"] {
        if let Some(Value::Object(map)) = meta.get_mut(key) {
            for v in map.values_mut().filter(|v| v.is_null()) {
                *v = Value::from("");
            }
        }
    }
    for key in ["finalizers", "ownerReferences", "labels", "annotations", "managedFields"] {
        let empty = match meta.get(key) {
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            meta.remove(key);
        }
    }
    for key in
        ["deletionTimestamp", "deletionGracePeriodSeconds", "generateName", "namespace", "uid", "resourceVersion"]
    {
        if meta.get(key).is_some_and(|v| v.is_null() || v.as_str() == Some("")) {
            meta.remove(key);
        }
    }
}

/// DNS-1123 subdomain: lowercase alphanumerics, `-` and `.`, at most 253 characters.
pub fn dns_subdomain_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 253 {
        errors.push("must be no more than 253 characters".to_string());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if value.is_empty() || !value.split('.').all(label_ok) {
        errors.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must \
             start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is \
             '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                .to_string(),
        );
    }
    errors
}

/// DNS-1123 label (namespaces): at most 63 characters, no dots.
pub fn dns_label_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 63 {
        errors.push("must be no more than 63 characters".to_string());
    }
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if !ok {
        errors.push(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and \
             end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is \
             '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                .to_string(),
        );
    }
    errors
}

/// DNS-1035 label (Services): like a DNS-1123 label but starting with a letter.
pub fn dns1035_label_errors(value: &str) -> Vec<String> {
    let mut errors = dns_label_errors(value);
    if errors.is_empty() && !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        errors.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic \
             character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for \
             validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                .to_string(),
        );
    }
    errors
}

/// Metadata checks every object gets: the name's shape, label and annotation syntax,
/// ownerReferences (kube-apiserver.md §4.8).
pub fn validate_metadata(obj: &Value, name_rule: fn(&str) -> Vec<String>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let m = meta(obj);
    let name = name(obj);
    if name.is_empty() && str_field(obj, "generateName").is_none() {
        causes.push(Cause::required("metadata.name"));
    } else if !name.is_empty() {
        for e in name_rule(name) {
            causes.push(Cause::invalid("metadata.name", &Value::from(name), e));
        }
    }
    if let Some(labels) = m["labels"].as_object() {
        for (k, v) in labels {
            if let Some(e) = qualified_name_error(k) {
                causes.push(Cause::invalid("metadata.labels", &Value::from(k.as_str()), e));
            }
            match v.as_str() {
                Some(v) if label_value_ok(v) => {}
                _ => causes.push(Cause::invalid(
                    "metadata.labels",
                    v,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', \
                     and must start and end with an alphanumeric character",
                )),
            }
        }
    } else if !m["labels"].is_null() {
        causes.push(Cause::type_invalid("metadata.labels", &m["labels"], "must be a map of strings"));
    }
    if let Some(annotations) = m["annotations"].as_object() {
        let mut total = 0;
        for (k, v) in annotations {
            if let Some(e) = qualified_name_error(k) {
                causes.push(Cause::invalid("metadata.annotations", &Value::from(k.as_str()), e));
            }
            if !v.is_string() {
                causes.push(Cause::type_invalid(format!("metadata.annotations.{k}"), v, "must be a string"));
            }
            total += k.len() + v.as_str().map_or(0, str::len);
        }
        if total > 262_144 {
            causes.push(Cause {
                reason: "FieldValueTooLong",
                message: "Too long: must have at most 262144 bytes".into(),
                field: "metadata.annotations".into(),
            });
        }
    }
    if let Some(refs) = m["ownerReferences"].as_array() {
        let mut controllers = 0;
        for (i, r) in refs.iter().enumerate() {
            for field in ["apiVersion", "kind", "name", "uid"] {
                if r[field].as_str().unwrap_or_default().is_empty() {
                    causes.push(Cause::invalid(
                        format!("metadata.ownerReferences[{i}].{field}"),
                        &r[field],
                        format!("{field} must not be empty"),
                    ));
                }
            }
            if r["controller"] == Value::Bool(true) {
                controllers += 1;
            }
        }
        if controllers > 1 {
            causes.push(Cause::invalid(
                "metadata.ownerReferences",
                &m["ownerReferences"],
                "Only one reference can have Controller set to true",
            ));
        }
    }
    causes
}

fn label_value_ok(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// `prefix/name` keys: an optional DNS subdomain prefix and a 63-character name.
fn qualified_name_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !dns_subdomain_errors(p).is_empty()
    {
        return Some("prefix part must be a lowercase RFC 1123 subdomain".into());
    }
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    (!ok).then(|| {
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an \
         alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
         '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_metadata_lists_are_dropped() {
        let mut o = json!({"metadata": {"name": "a", "finalizers": [], "labels": {}, "annotations": {"x": "y"}}});
        drop_empty_metadata(&mut o);
        assert_eq!(o, json!({"metadata": {"name": "a", "annotations": {"x": "y"}}}));
    }

    #[test]
    fn names() {
        assert!(dns_subdomain_errors("a.b-c").is_empty());
        assert!(!dns_subdomain_errors("A").is_empty());
        assert!(!dns_label_errors("a.b").is_empty());
        assert!(!dns1035_label_errors("1abc").is_empty());
        assert!(dns1035_label_errors("abc-1").is_empty());
    }

    #[test]
    fn metadata_checks() {
        let o = json!({"metadata": {"name": "x", "labels": {"app": "bad value"}, "ownerReferences": [{"apiVersion": "v1", "kind": "A", "name": "a", "uid": ""}]}});
        let fields: Vec<String> = validate_metadata(&o, dns_subdomain_errors).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["metadata.labels", "metadata.ownerReferences[0].uid"]);
    }
}
