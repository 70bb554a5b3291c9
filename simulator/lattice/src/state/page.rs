//! Pagination (`maxResults`, opaque `nextToken`, stable id order) and projection of full
//! resource views onto the model's output shapes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{Env, Error, Input, Result};
use crate::model::{Kind, LATTICE, Model};

const TOKEN_PREFIX: &str = "after:";

/// One page of `items` (already in stable order, keyed by id): `{items, nextToken?}`.
pub(crate) fn page(env: &Env, input: &Input, items: Vec<(String, Value)>) -> Result<Value> {
    let limit =
        input.get("maxResults").and_then(Value::as_u64).map_or(env.config.default_page_size, |n| n as usize).max(1);
    let after = match input.get("nextToken").and_then(Value::as_str) {
        None => None,
        Some(token) => {
            Some(decode(token).ok_or_else(|| Error::field("nextToken", "is not a token this service issued"))?)
        }
    };
    let mut rest = items.into_iter().filter(|(key, _)| after.as_ref().is_none_or(|a| key > a)).peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < limit {
        let Some((key, item)) = rest.next() else { break };
        last = Some(key);
        out.push(item);
    }
    let mut page = json!({ "items": out });
    if rest.peek().is_some()
        && let Some(last) = last
    {
        page["nextToken"] = Value::String(token_after(&last));
    }
    Ok(page)
}

/// An opaque token for the page that starts after the item keyed `last`.
pub(crate) fn token_after(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last}"))
}

/// The key a token of [`token_after`] names; `None` for a token this service never issued.
pub(crate) fn decode(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix(TOKEN_PREFIX).map(str::to_string)
}

/// Keeps only the members the Lattice shape defines, recursively through structures and
/// lists, so a full view can answer Create, Get, Update and List (summary) alike.
pub fn project(shape_name: &str, value: &Value) -> Value {
    project_in(&LATTICE, shape_name, value)
}

/// [`project`] onto a shape of `model`.
pub fn project_in(model: &Model, shape_name: &str, value: &Value) -> Value {
    let shape = model.shape(shape_name);
    match (shape.kind, value) {
        (Kind::Structure | Kind::Union, Value::Object(fields)) => {
            let mut out = Map::new();
            for member in shape.members {
                if let Some(v) = fields.get(member.name).filter(|v| !v.is_null()) {
                    out.insert(member.name.to_string(), project_in(model, member.target, v));
                }
            }
            Value::Object(out)
        }
        (Kind::List, Value::Array(items)) => {
            let item = shape.item.unwrap_or_default();
            Value::Array(items.iter().map(|v| project_in(model, item, v)).collect())
        }
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn projection_drops_members_the_shape_lacks() {
        let view =
            json!({"id": "tg-1", "name": "a", "serviceArns": ["x"], "secret": 1, "config": {"port": 80, "junk": true}});
        assert_eq!(
            project("CreateTargetGroupResponse", &view),
            json!({"id": "tg-1", "name": "a", "config": {"port": 80}})
        );
        let list = json!({"items": [view], "nextToken": "t"});
        let projected = project("ListTargetGroupsResponse", &list);
        assert_eq!(projected["items"][0]["serviceArns"], json!(["x"]));
        assert!(projected["items"][0].get("config").is_none(), "summaries have no config");
    }
}
