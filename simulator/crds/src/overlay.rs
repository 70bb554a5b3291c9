//! Laying schema facts over a generated CRD. Rust types generated from the upstream CRDs
//! (kopium) keep names, types and required fields but lose `default`, `pattern`, bounds and
//! printer columns; these helpers put them back at a field path such as
//! `spec.rules[].backendRefs[].kind` (`[]` steps into array items).

use serde_json::{Map, Value};

/// The schema node at `path` under an `openAPIV3Schema`, if every step exists.
pub fn node_mut<'a>(schema: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut node = schema;
    for step in path.split('.').filter(|s| !s.is_empty()) {
        let (field, items) = match step.strip_suffix("[]") {
            Some(field) => (field, true),
            None => (step, false),
        };
        node = node.get_mut("properties")?.get_mut(field)?;
        if items {
            node = node.get_mut("items")?;
        }
    }
    Some(node)
}

/// Merges `facts` (an object of schema keywords) into the node at `path`; returns false
/// when the path does not exist in the schema.
pub fn lay(schema: &mut Value, path: &str, facts: Value) -> bool {
    let (Some(node), Value::Object(facts)) = (node_mut(schema, path), facts) else {
        return false;
    };
    let target = node.as_object_mut().expect("schema nodes are objects");
    for (key, value) in facts {
        target.insert(key, value);
    }
    true
}

/// A printer column as the CRD spells it.
pub fn column(name: &str, type_: &str, json_path: &str, priority: i64) -> Value {
    let mut column = Map::new();
    column.insert("name".into(), name.into());
    column.insert("type".into(), type_.into());
    column.insert("jsonPath".into(), json_path.into());
    if priority > 0 {
        column.insert("priority".into(), priority.into());
    }
    Value::Object(column)
}
