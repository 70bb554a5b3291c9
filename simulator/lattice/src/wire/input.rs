//! Builds an operation's input from the wire: path labels, query parameters (repeated keys
//! for lists) and JSON body members, each where the model binds it.

use serde_json::{Map, Value};

use crate::model::{self, Kind, Location, Operation};
use crate::state::Error;

/// The request as the model names its members. Values that do not parse as their type are
/// kept as strings, so validation reports them against their field.
pub fn build(op: &Operation, labels: Vec<(&str, String)>, query: Option<&str>, body: &[u8]) -> Result<Value, Error> {
    let shape = model::shape(op.input);
    let mut input = Map::new();
    let body_members: Vec<_> = shape.members.iter().filter(|m| m.location == Location::Body).collect();
    if !body_members.is_empty() && !body.iter().all(u8::is_ascii_whitespace) {
        let parsed: Value = serde_json::from_slice(body).map_err(|e| Error::Validation {
            message: format!("The request body is not valid JSON: {e}"),
            reason: "cannotParse",
            fields: Vec::new(),
        })?;
        let Value::Object(fields) = parsed else {
            return Err(Error::Validation {
                message: "The request body must be a JSON object".into(),
                reason: "cannotParse",
                fields: Vec::new(),
            });
        };
        // Unknown members are ignored (lattice-api.md §12: the model keeps growing).
        for member in body_members {
            if let Some(v) = fields.get(member.name) {
                input.insert(member.name.to_string(), v.clone());
            }
        }
    }
    let pairs = query_pairs(query.unwrap_or(""));
    for member in shape.members {
        match member.location {
            Location::Uri => {
                if let Some((_, v)) = labels.iter().find(|(name, _)| *name == member.location_name) {
                    input.insert(member.name.to_string(), Value::String(v.clone()));
                }
            }
            Location::Query => {
                let values: Vec<&String> =
                    pairs.iter().filter(|(k, _)| k == member.location_name).map(|(_, v)| v).collect();
                let target = model::shape(member.target);
                if target.kind == Kind::List {
                    if !values.is_empty() {
                        let item = model::shape(target.item.unwrap_or_default());
                        input.insert(member.name.to_string(), values.iter().map(|v| scalar(item.kind, v)).collect());
                    }
                } else if let Some(v) = values.first() {
                    input.insert(member.name.to_string(), scalar(target.kind, v));
                }
            }
            Location::Header | Location::Body => {}
        }
    }
    Ok(Value::Object(input))
}

fn scalar(kind: Kind, text: &str) -> Value {
    match kind {
        Kind::Integer | Kind::Long => text.parse::<i64>().map_or_else(|_| Value::String(text.into()), Value::from),
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.into()),
        },
        _ => Value::String(text.into()),
    }
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn repeated_query_keys_become_a_list() {
        let op = model::operation("UntagResource").unwrap();
        let input = build(op, vec![("resourceArn", "arn:x".into())], Some("tagKeys=a&tagKeys=b%20c"), b"").unwrap();
        assert_eq!(input, json!({"resourceArn": "arn:x", "tagKeys": ["a", "b c"]}));
    }

    #[test]
    fn integers_parse_and_junk_stays_for_validation() {
        let op = model::operation("ListServices").unwrap();
        assert_eq!(build(op, vec![], Some("maxResults=5"), b"").unwrap(), json!({"maxResults": 5}));
        assert_eq!(build(op, vec![], Some("maxResults=five"), b"").unwrap(), json!({"maxResults": "five"}));
    }

    #[test]
    fn bad_bodies_cannot_be_parsed() {
        let op = model::operation("CreateServiceNetwork").unwrap();
        let Err(Error::Validation { reason, .. }) = build(op, vec![], None, b"{not json") else { panic!() };
        assert_eq!(reason, "cannotParse");
        assert!(build(op, vec![], None, b"[1]").is_err());
        assert_eq!(build(op, vec![], None, br#"{"name":"n","extra":1}"#).unwrap(), json!({"name": "n"}));
    }
}
