//! A decoded Kubernetes protobuf message as the JSON object Go's `encoding/json` would write
//! for the same Go value. Field names are the JSON names already (go-to-protobuf names each
//! field after its `json` tag), except in `JSONSchemaProps`; a few apimachinery types have a
//! JSON form of their own; and where the Go struct inlines a field or omits a zero one, the
//! table `proto/go-json.json`, read off the Go types, says so.

use std::sync::LazyLock;

use base64::Engine;
use k8s_openapi::jiff::Timestamp;
use prost_reflect::{DynamicMessage, MapKey, ReflectMessage, Value as Field};
use serde_json::{Map, Value};

/// Per message, the fields JSON inlines into the enclosing object and the fields it leaves out
/// when zero (`inline`, `omitEmpty`).
static GO_JSON: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../proto/go-json.json")).unwrap_or_default());

fn listed(table: &str, message: &str, field: &str) -> bool {
    GO_JSON[table][message].as_array().is_some_and(|fields| fields.iter().any(|f| f == field))
}

const EXTENSIONS: &str = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";

/// Why a message has no JSON form.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("{message}: the embedded JSON is invalid: {error}")]
    EmbeddedJson { message: String, error: serde_json::Error },
    #[error("{0}: the time is out of range")]
    Time(String),
}

pub fn message(message: &DynamicMessage) -> Result<Value, JsonError> {
    let name = message.descriptor().full_name().to_string();
    // Only fields the message carries: an absent one reads as its default.
    let number = |field: &str| {
        message
            .has_field_by_name(field)
            .then(|| message.get_field_by_name(field))
            .flatten()
            .and_then(|v| v.as_i64().or(v.as_i32().map(i64::from)))
    };
    let text = |field: &str| message.get_field_by_name(field).and_then(|v| v.as_str().map(String::from));
    let bytes = |field: &str| message.get_field_by_name(field).and_then(|v| v.as_bytes().cloned());
    let embedded = |field: &str| match bytes(field) {
        Some(raw) if !raw.is_empty() => {
            serde_json::from_slice(&raw).map_err(|error| JsonError::EmbeddedJson { message: name.clone(), error })
        }
        _ => Ok(Value::Null),
    };
    match name.strip_prefix("k8s.io.apimachinery.pkg.") {
        // metav1.Time: seconds, in UTC; the zero time (an empty message) is null.
        Some("apis.meta.v1.Time") => time(&name, number("seconds"), 0, "%Y-%m-%dT%H:%M:%SZ"),
        Some("apis.meta.v1.MicroTime") => {
            time(&name, number("seconds"), number("nanos").unwrap_or_default(), "%Y-%m-%dT%H:%M:%S%.6fZ")
        }
        Some("api.resource.Quantity") => Ok(text("string").unwrap_or_default().into()),
        // intstr.IntOrString: type 1 is a string, anything else the integer.
        Some("util.intstr.IntOrString") => Ok(if number("type") == Some(1) {
            text("strVal").unwrap_or_default().into()
        } else {
            number("intVal").unwrap_or_default().into()
        }),
        Some("apis.meta.v1.FieldsV1") => embedded("Raw"),
        Some("runtime.RawExtension") => embedded("raw"),
        _ => extension(message, &name, &embedded).unwrap_or_else(|| object(message, &name)),
    }
}

/// The apiextensions types whose JSON form is one of several shapes.
fn extension(
    message: &DynamicMessage,
    name: &str,
    embedded: &dyn Fn(&str) -> Result<Value, JsonError>,
) -> Option<Result<Value, JsonError>> {
    // A list field is set when it has an item.
    let set = |field: &str| message.has_field_by_name(field);
    let child = |field: &str| match message.get_field_by_name(field) {
        Some(v) if set(field) => value(&v),
        _ => Ok(Value::Null),
    };
    let short = name.strip_prefix(EXTENSIONS)?.strip_prefix('.')?;
    // As their Go MarshalJSON methods decide: the list first where it has one, then the
    // schema, then null (or the boolean).
    Some(match short {
        "JSON" => embedded("raw"),
        "JSONSchemaPropsOrArray" if set("jSONSchemas") => child("jSONSchemas"),
        "JSONSchemaPropsOrArray" => child("schema"),
        "JSONSchemaPropsOrBool" if set("schema") => child("schema"),
        "JSONSchemaPropsOrBool" => {
            Ok(message.get_field_by_name("allows").and_then(|v| v.as_bool()).unwrap_or(false).into())
        }
        "JSONSchemaPropsOrStringArray" if set("property") => child("property"),
        "JSONSchemaPropsOrStringArray" => child("schema"),
        _ => return None,
    })
}

fn object(message: &DynamicMessage, name: &str) -> Result<Value, JsonError> {
    let schema_props = name == format!("{EXTENSIONS}.JSONSchemaProps");
    let mut out = Map::new();
    for (field, v) in message.fields() {
        if is_zero(v) && listed("omitEmpty", name, field.name()) {
            continue;
        }
        match value(v)? {
            Value::Object(inner) if listed("inline", name, field.name()) => out.extend(inner),
            json => {
                let key = if schema_props { schema_props_key(field.name()) } else { field.name() };
                out.insert(key.to_string(), json);
            }
        }
    }
    Ok(Value::Object(out))
}

fn is_zero(v: &Field) -> bool {
    match v {
        Field::Bool(b) => !b,
        Field::I32(n) => *n == 0,
        Field::I64(n) => *n == 0,
        Field::F64(n) => *n == 0.0,
        Field::String(s) => s.is_empty(),
        Field::Bytes(b) => b.is_empty(),
        _ => false,
    }
}

/// `JSONSchemaProps` is the one message whose JSON names are not valid protobuf names.
fn schema_props_key(field: &str) -> &str {
    match field {
        "schema" => "$schema",
        "ref" => "$ref",
        "xKubernetesPreserveUnknownFields" => "x-kubernetes-preserve-unknown-fields",
        "xKubernetesEmbeddedResource" => "x-kubernetes-embedded-resource",
        "xKubernetesIntOrString" => "x-kubernetes-int-or-string",
        "xKubernetesListMapKeys" => "x-kubernetes-list-map-keys",
        "xKubernetesListType" => "x-kubernetes-list-type",
        "xKubernetesMapType" => "x-kubernetes-map-type",
        "xKubernetesValidations" => "x-kubernetes-validations",
        other => other,
    }
}

fn value(v: &Field) -> Result<Value, JsonError> {
    Ok(match v {
        Field::Bool(b) => (*b).into(),
        Field::I32(n) => (*n).into(),
        Field::I64(n) => (*n).into(),
        Field::U32(n) => (*n).into(),
        Field::U64(n) => (*n).into(),
        Field::F32(n) => float(f64::from(*n)),
        Field::F64(n) => float(*n),
        Field::String(s) => s.clone().into(),
        // []byte is base64 in Go's JSON (Secret data, ConfigMap binaryData).
        Field::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b).into(),
        Field::EnumNumber(n) => (*n).into(),
        Field::Message(m) => message(m)?,
        Field::List(items) => Value::Array(items.iter().map(value).collect::<Result<_, _>>()?),
        Field::Map(entries) => {
            // Sorted, as Go's encoding/json writes map keys.
            let mut sorted: Vec<(String, &Field)> = entries.iter().map(|(k, v)| (key(k), v)).collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in sorted {
                out.insert(k, value(v)?);
            }
            Value::Object(out)
        }
    })
}

/// A float as Go writes it: a whole number without a fraction (`1`, not `1.0`).
fn float(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole number below is exact
    if n.fract() == 0.0 && n.abs() < EXACT {
        return (n as i64).into();
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn key(k: &MapKey) -> String {
    match k {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

/// A `Time` or `MicroTime`: Go marshals the zero time as an empty message, which is null.
fn time(name: &str, seconds: Option<i64>, nanos: i64, format: &str) -> Result<Value, JsonError> {
    let Some(seconds) = seconds else { return Ok(Value::Null) };
    let nanos = i32::try_from(nanos).map_err(|_| JsonError::Time(name.into()))?;
    let at = Timestamp::new(seconds, nanos).map_err(|_| JsonError::Time(name.into()))?;
    k8s_openapi::jiff::fmt::strtime::format(format, at).map(Value::from).map_err(|_| JsonError::Time(name.into()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn empty(short: &str) -> DynamicMessage {
        DynamicMessage::new(super::super::descriptor(&format!("{EXTENSIONS}.{short}")).expect("a message of the pool"))
    }

    fn typed(type_: &str) -> Field {
        let mut schema = empty("JSONSchemaProps");
        schema.set_field_by_name("type", Field::String(type_.into()));
        Field::Message(schema)
    }

    #[test]
    fn a_schema_or_list_is_its_list_if_it_has_one_else_its_schema_else_null() {
        let mut or_array = empty("JSONSchemaPropsOrArray");
        assert_eq!(message(&or_array).ok(), Some(Value::Null));
        or_array.set_field_by_name("schema", typed("string"));
        assert_eq!(message(&or_array).ok(), Some(json!({"type": "string"})));
        or_array.set_field_by_name("jSONSchemas", Field::List(vec![typed("integer")]));
        assert_eq!(message(&or_array).ok(), Some(json!([{"type": "integer"}])));

        let mut or_strings = empty("JSONSchemaPropsOrStringArray");
        assert_eq!(message(&or_strings).ok(), Some(Value::Null));
        or_strings.set_field_by_name("schema", typed("object"));
        assert_eq!(message(&or_strings).ok(), Some(json!({"type": "object"})));
        or_strings.set_field_by_name("property", Field::List(vec![Field::String("size".into())]));
        assert_eq!(message(&or_strings).ok(), Some(json!(["size"])));
    }

    #[test]
    fn a_schema_or_bool_is_its_schema_if_it_has_one_else_whether_it_allows() {
        let mut or_bool = empty("JSONSchemaPropsOrBool");
        assert_eq!(message(&or_bool).ok(), Some(json!(false)));
        or_bool.set_field_by_name("allows", Field::Bool(true));
        assert_eq!(message(&or_bool).ok(), Some(json!(true)));
        or_bool.set_field_by_name("schema", typed("string"));
        assert_eq!(message(&or_bool).ok(), Some(json!({"type": "string"})));
    }
}
