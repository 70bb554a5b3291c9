//! Checks a request against the model's constraints: required members, types, lengths,
//! patterns, enums, ranges, list and map sizes, unions. Every problem is reported, each
//! naming its field, so one `ValidationException` can list them all.

use std::collections::BTreeMap;

use fancy_regex::Regex;
use serde_json::Value;

use super::{Kind, Model, Shape};

/// One bad field: the `fieldList` entry of a `ValidationException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Dotted path from the request root, e.g. `config.healthCheck.port` or `targets[0].id`.
    pub name: String,
    pub message: String,
}

/// Smithy patterns are ECMA-262 regexes with look-ahead (so not the `regex` crate); the
/// botocore model drops their `^…$`, and the API docs describe whole-value rules, so each
/// is anchored here.
pub(super) fn compile_patterns(shapes: &'static [Shape]) -> BTreeMap<&'static str, Regex> {
    shapes
        .iter()
        .filter_map(|s| {
            let p = s.pattern?;
            Regex::new(&format!("^(?:{p})$")).ok().map(|r| (s.name, r))
        })
        .collect()
}

/// All problems of `input` against the structure `shape_name` of `model`.
pub(super) fn validate_input(model: &Model, shape_name: &str, input: &Value) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    check(model, model.shape(shape_name), input, "", &mut problems);
    problems
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() { member.to_string() } else { format!("{path}.{member}") }
}

fn problem(out: &mut Vec<FieldProblem>, path: &str, message: String) {
    let name = if path.is_empty() { "body".to_string() } else { path.to_string() };
    out.push(FieldProblem { name, message });
}

fn check(model: &Model, shape: &Shape, value: &Value, path: &str, out: &mut Vec<FieldProblem>) {
    match shape.kind {
        Kind::Structure | Kind::Union => check_structure(model, shape, value, path, out),
        Kind::List => {
            let Some(items) = value.as_array() else {
                return problem(out, path, "must be a list".into());
            };
            check_size(shape, items.len(), path, out);
            let item = model.shape(shape.item.unwrap_or_default());
            for (i, v) in items.iter().enumerate() {
                check(model, item, v, &format!("{path}[{i}]"), out);
            }
        }
        Kind::Map => {
            let Some(entries) = value.as_object() else {
                return problem(out, path, "must be a map".into());
            };
            check_size(shape, entries.len(), path, out);
            let key_shape = model.shape(shape.key.unwrap_or_default());
            let value_shape = model.shape(shape.item.unwrap_or_default());
            for (k, v) in entries {
                let at = join(path, k);
                check(model, key_shape, &Value::String(k.clone()), &at, out);
                check(model, value_shape, v, &at, out);
            }
        }
        Kind::String => {
            let Some(text) = value.as_str() else {
                return problem(out, path, "must be a string".into());
            };
            check_string(model, shape, text, path, out);
        }
        Kind::Integer | Kind::Long => {
            let Some(n) = value.as_i64() else {
                return problem(out, path, "must be an integer".into());
            };
            let too_low = shape.min.is_some_and(|min| n < min);
            let too_high = shape.max.is_some_and(|max| n > max);
            if too_low || too_high {
                let range = format!("{}..{}", fmt_bound(shape.min), fmt_bound(shape.max));
                problem(out, path, format!("{n} is outside the allowed range {range}"));
            }
        }
        Kind::Boolean => {
            if !value.is_boolean() {
                problem(out, path, "must be a boolean".into());
            }
        }
        Kind::Timestamp => {
            if !(value.is_string() || value.is_number()) {
                problem(out, path, "must be a timestamp".into());
            }
        }
    }
}

fn fmt_bound(b: Option<i64>) -> String {
    b.map_or(String::new(), |n| n.to_string())
}

fn check_structure(model: &Model, shape: &Shape, value: &Value, path: &str, out: &mut Vec<FieldProblem>) {
    let Some(fields) = value.as_object() else {
        return problem(out, path, "must be an object".into());
    };
    for required in shape.required {
        if fields.get(*required).is_none_or(Value::is_null) {
            problem(out, &join(path, required), "is required".into());
        }
    }
    let mut set = 0;
    for member in shape.members {
        match fields.get(member.name) {
            None | Some(Value::Null) => {}
            Some(v) => {
                set += 1;
                check(model, model.shape(member.target), v, &join(path, member.name), out);
            }
        }
    }
    if shape.kind == Kind::Union && set != 1 {
        let names: Vec<&str> = shape.members.iter().map(|m| m.name).collect();
        problem(out, path, format!("exactly one of {} must be set, found {set}", names.join(", ")));
    }
}

fn check_size(shape: &Shape, len: usize, path: &str, out: &mut Vec<FieldProblem>) {
    let len = len as i64;
    if let Some(min) = shape.min.filter(|min| len < *min) {
        problem(out, path, format!("has {len} entries, at least {min} required"));
    }
    if let Some(max) = shape.max.filter(|max| len > *max) {
        problem(out, path, format!("has {len} entries, at most {max} allowed"));
    }
}

fn check_string(model: &Model, shape: &Shape, text: &str, path: &str, out: &mut Vec<FieldProblem>) {
    // Smithy lengths count Unicode scalar values, not bytes.
    let len = text.chars().count() as i64;
    if let Some(min) = shape.min.filter(|min| len < *min) {
        return problem(out, path, format!("length {len} is shorter than the minimum {min}"));
    }
    if let Some(max) = shape.max.filter(|max| len > *max) {
        return problem(out, path, format!("length {len} is longer than the maximum {max}"));
    }
    if !shape.enum_values.is_empty() && !shape.enum_values.contains(&text) {
        return problem(out, path, format!("must be one of {}", shape.enum_values.join(", ")));
    }
    if let Some(re) = model.patterns.get(shape.name)
        && !re.is_match(text).unwrap_or(false)
    {
        problem(out, path, format!("must match the pattern {}", shape.pattern.unwrap_or_default()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::validate_input;

    fn names(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn a_valid_target_group_request_has_no_problems() {
        let input = json!({"name": "tg-like-name", "type": "IP",
            "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": "vpc-12345678"}});
        // "tg-like-name" starts with `tg-`, which the name pattern forbids.
        assert_eq!(names(&validate_input("CreateTargetGroupRequest", &input)), ["name"]);
        let input = json!({"name": "web", "type": "IP",
            "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": "vpc-12345678"}});
        assert!(validate_input("CreateTargetGroupRequest", &input).is_empty());
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = json!({"type": "BOGUS", "config": {"port": 70000, "vpcIdentifier": "vpc-x"},
            "tags": {"": "v"}});
        let found = validate_input("CreateTargetGroupRequest", &input);
        let mut found = names(&found);
        found.sort();
        assert_eq!(found, ["config.port", "config.vpcIdentifier", "name", "tags.", "type"]);
    }

    #[test]
    fn names_follow_the_documented_rules() {
        for (name, ok) in [
            ("ab", false),
            ("abc", true),
            ("-abc", false),
            ("abc-", false),
            ("a--b", false),
            ("Abc", false),
            ("svc-x", false),
            ("my-svc", true),
        ] {
            let found = validate_input("CreateServiceRequest", &json!({"name": name}));
            assert_eq!(found.is_empty(), ok, "{name}: {found:?}");
        }
    }

    #[test]
    fn unions_need_exactly_one_member() {
        let rule = |action| {
            json!({"serviceIdentifier": "svc-0123456789abcdef0", "listenerIdentifier": "listener-0123456789abcdef0",
            "name": "r-one", "priority": 1, "match": {"httpMatch": {}}, "action": action})
        };
        assert!(validate_input("CreateRuleRequest", &rule(json!({"fixedResponse": {"statusCode": 404}}))).is_empty());
        assert_eq!(names(&validate_input("CreateRuleRequest", &rule(json!({})))), ["action"]);
        let both = json!({"fixedResponse": {"statusCode": 404}, "forward": {"targetGroups": [{"targetGroupIdentifier": "tg-0123456789abcdef0"}]}});
        assert_eq!(names(&validate_input("CreateRuleRequest", &rule(both))), ["action"]);
    }
}
