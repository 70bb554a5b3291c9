//! Model-driven property: for every operation, a request built from the model with one
//! constraint broken is answered 400 ValidationException naming that field — never a 5xx,
//! never a panic — and leaves the state as it was.

use std::sync::LazyLock;

use axum::body::{Body, to_bytes};
use fancy_regex::Regex;
use http::Request;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sim_lattice::model::{self, Kind, Location, Operation, Shape};
use sim_lattice::{Simulator, wire};
use tower::ServiceExt;

/// Values that satisfy the model's patterns, tried in order for each patterned shape.
const EXAMPLES: &[&str] = &[
    "abc",
    "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0",
    "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-0123456789abcdef0",
    "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0",
    "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0/rule/rule-0123456789abcdef0",
    "arn:aws:acm:us-west-2:123456789012:certificate/abc-123",
    "arn:aws:logs:us-west-2:123456789012:log-group:lattice",
    "vpc-01234567",
    "sg-01234567",
    "123456789012",
    "80",
    "200",
    "/",
    "{}",
    "vpce-0123456789abcdef0",
];

/// Every id prefix the model uses, for `prefix-` + 17 characters.
const PREFIXES: &[&str] =
    &["sn", "svc", "listener", "rule", "tg", "snsa", "snva", "snra", "als", "rgw", "rcfg", "rea", "dv"];

fn anchored(shape: &Shape) -> Option<Regex> {
    shape.pattern.and_then(|p| Regex::new(&format!("^(?:{p})$")).ok())
}

fn matches(re: &Regex, s: &str) -> bool {
    re.is_match(s).unwrap_or(false)
}

fn valid_string(shape: &Shape) -> Option<String> {
    if let Some(first) = shape.enum_values.first() {
        return Some(first.to_string());
    }
    let fits = |s: &str| {
        let n = s.chars().count() as i64;
        shape.min.is_none_or(|m| n >= m) && shape.max.is_none_or(|m| n <= m)
    };
    let Some(re) = anchored(shape) else {
        let n = shape.min.unwrap_or(1).max(1) as usize;
        return Some("a".repeat(n)).filter(|s| fits(s));
    };
    let ids = PREFIXES.iter().map(|p| format!("{p}-0123456789abcdef0"));
    let arns = PREFIXES.iter().flat_map(|p| {
        [
            "targetgroup",
            "servicenetworkserviceassociation",
            "servicenetworkvpcassociation",
            "servicenetworkresourceassociation",
            "accesslogsubscription",
            "resourcegateway",
            "resourceconfiguration",
            "resourceendpointassociation",
            "domainverification",
        ]
        .map(move |t| format!("arn:aws:vpc-lattice:us-west-2:123456789012:{t}/{p}-0123456789abcdef0"))
    });
    EXAMPLES.iter().map(|s| s.to_string()).chain(ids).chain(arns).find(|s| fits(s) && matches(&re, s))
}

/// A minimal valid instance of a shape: required members only, lists at their minimum.
fn valid(shape: &Shape) -> Value {
    match shape.kind {
        Kind::Structure => {
            let mut m = Map::new();
            for member in shape.members.iter().filter(|m| shape.required.contains(&m.name)) {
                m.insert(member.name.into(), valid(model::shape(member.target)));
            }
            Value::Object(m)
        }
        Kind::Union => {
            let first = &shape.members[0];
            json!({ first.name: valid(model::shape(first.target)) })
        }
        Kind::List => {
            let item = valid(model::shape(shape.item.unwrap_or_default()));
            Value::Array(vec![item; shape.min.unwrap_or(0).max(0) as usize])
        }
        Kind::Map => json!({}),
        Kind::String => Value::String(valid_string(shape).unwrap_or_default()),
        Kind::Integer | Kind::Long => json!(shape.min.unwrap_or(1).max(shape.max.map_or(1, |m| m.min(1)))),
        Kind::Boolean => json!(true),
        Kind::Timestamp => json!("2026-01-01T00:00:00Z"),
    }
}

/// One way to break a request: the path of the field, and the broken request.
#[derive(Clone, Debug)]
struct Break {
    path: String,
    input: Value,
    what: &'static str,
}

fn set(root: &mut Value, steps: &[String], v: Option<Value>) {
    let Some((last, parents)) = steps.split_last() else { return };
    let mut cur = root;
    for s in parents {
        cur = &mut cur[s.as_str()];
    }
    match v {
        Some(v) => cur[last.as_str()] = v,
        None => {
            if let Some(o) = cur.as_object_mut() {
                o.remove(last);
            }
        }
    }
}

/// Every single-constraint break reachable from the top-level members and one level into
/// structures.
fn breaks(op: &Operation) -> Vec<Break> {
    let root_shape = model::shape(op.input);
    let base = valid(root_shape);
    let mut out = Vec::new();
    let visit = |shape: &Shape, steps: Vec<String>, location: Location, required: bool, out: &mut Vec<Break>| {
        let path = steps.join(".");
        let mut push = |what: &'static str, v: Option<Value>| {
            let mut input = base.clone();
            // Make sure the parent exists for nested members.
            if steps.len() > 1 && input[steps[0].as_str()].is_null() {
                return;
            }
            set(&mut input, &steps, v);
            out.push(Break { path: path.clone(), input, what });
        };
        if required && location != Location::Uri {
            push("missing required member", None);
        }
        let wrong_type = location == Location::Body;
        match shape.kind {
            Kind::String => {
                if let Some(max) = shape.max.filter(|m| *m < 5000) {
                    push("too long", Some(Value::String("a".repeat(max as usize + 1))));
                }
                if let Some(min) = shape.min.filter(|m| *m > 0) {
                    push("too short", Some(Value::String("a".repeat(min as usize - 1))));
                }
                if !shape.enum_values.is_empty() {
                    push("not in the enum", Some(json!("NOT_A_VALUE")));
                }
                if let Some(re) = anchored(shape) {
                    let n = shape.min.unwrap_or(1).max(1) as usize;
                    let within = shape.max.is_none_or(|m| n as i64 <= m);
                    if let Some(bad) = ["!", " ", "A"].iter().map(|c| c.repeat(n)).find(|s| within && !matches(&re, s))
                    {
                        push("breaks the pattern", Some(Value::String(bad)));
                    }
                }
                if wrong_type {
                    push("not a string", Some(json!(5)));
                }
            }
            Kind::Integer | Kind::Long => {
                if let Some(max) = shape.max {
                    push("above the range", Some(json!(max + 1)));
                }
                if let Some(min) = shape.min {
                    push("below the range", Some(json!(min - 1)));
                }
                if location != Location::Uri {
                    push("not an integer", Some(json!("many")));
                }
            }
            Kind::List if location == Location::Body => {
                let item = valid(model::shape(shape.item.unwrap_or_default()));
                if let Some(max) = shape.max.filter(|m| *m < 300) {
                    push("too many items", Some(Value::Array(vec![item; max as usize + 1])));
                }
                if shape.min.is_some_and(|m| m > 0) {
                    push("too few items", Some(json!([])));
                }
                push("not a list", Some(json!("x")));
            }
            Kind::Structure if wrong_type => push("not an object", Some(json!(7))),
            Kind::Union => {
                push("no member of the union", Some(json!({})));
                if shape.members.len() > 1 {
                    let mut both = Map::new();
                    for m in &shape.members[..2] {
                        both.insert(m.name.into(), valid(model::shape(m.target)));
                    }
                    push("two members of the union", Some(Value::Object(both)));
                }
            }
            Kind::Boolean if wrong_type => push("not a boolean", Some(json!("yes"))),
            _ => {}
        }
    };
    for m in root_shape.members {
        let target = model::shape(m.target);
        let required = root_shape.required.contains(&m.name);
        visit(target, vec![m.name.into()], m.location, required, &mut out);
        if target.kind == Kind::Structure && required {
            for inner in target.members {
                let inner_required = target.required.contains(&inner.name);
                visit(
                    model::shape(inner.target),
                    vec![m.name.into(), inner.name.into()],
                    Location::Body,
                    inner_required,
                    &mut out,
                );
            }
        }
    }
    out
}

/// The HTTP request the model binds `input` to.
fn request(op: &Operation, input: &Value) -> Request<Body> {
    let shape = model::shape(op.input);
    let mut uri = op.uri.to_string();
    let mut query = Vec::new();
    let mut body = Map::new();
    for m in shape.members {
        let v = &input[m.name];
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        match m.location {
            Location::Uri => {
                let label = if v.is_null() { String::new() } else { text(v) };
                uri = uri.replace(
                    &format!("{{{}}}", m.location_name),
                    &utf8_percent_encode(&label, NON_ALPHANUMERIC).to_string(),
                );
            }
            Location::Query if !v.is_null() => {
                let values = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
                for item in values {
                    query.push(format!("{}={}", m.location_name, utf8_percent_encode(&text(&item), NON_ALPHANUMERIC)));
                }
            }
            Location::Body if !v.is_null() => {
                body.insert(m.name.into(), v.clone());
            }
            _ => {}
        }
    }
    if !query.is_empty() {
        uri = format!("{uri}?{}", query.join("&"));
    }
    let has_body = matches!(op.method, "POST" | "PUT" | "PATCH");
    Request::builder()
        .method(op.method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(if has_body { Body::from(Value::Object(body).to_string()) } else { Body::empty() })
        .expect("a request")
}

static ALL_BREAKS: LazyLock<Vec<(&'static Operation, Break)>> =
    LazyLock::new(|| model::operations().iter().flat_map(|op| breaks(op).into_iter().map(move |b| (op, b))).collect());

#[test]
fn every_patterned_input_shape_has_a_valid_example() {
    let missing: Vec<&str> = model::shapes()
        .iter()
        .filter(|s| s.pattern.is_some() && s.error_status.is_none())
        .filter(|s| valid_string(s).is_none())
        .map(|s| s.name)
        .collect();
    assert!(missing.is_empty(), "no valid example for {missing:?}");
}

#[test]
fn every_operation_has_breakable_constraints() {
    for op in model::operations() {
        let input = valid(model::shape(op.input));
        assert!(model::validate_input(op.input, &input).is_empty(), "{}: the base request is invalid", op.name);
        let has_members = !model::shape(op.input).members.is_empty();
        assert!(!has_members || !breaks(op).is_empty(), "{}: nothing to break", op.name);
    }
    assert!(ALL_BREAKS.len() > 500, "{} breaks", ALL_BREAKS.len());
}

async fn answer(sim: &Simulator, op: &Operation, input: &Value) -> (u16, Option<String>, Value) {
    let response = wire::router(sim.clone()).oneshot(request(op, input)).await.unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let error = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, error, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn case_count() -> u32 {
    sim_core::proptest_cases(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    #[test]
    fn one_broken_constraint_is_a_validation_error_naming_the_field(index in 0..ALL_BREAKS.len()) {
        let (op, broken) = &ALL_BREAKS[index];
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let sim = Simulator::with_seed(1);
        let before = sim.snapshot_json();
        let (status, error, body) = rt.block_on(answer(&sim, op, &broken.input));
        prop_assert!(status < 500, "{} ({}: {}) → {status}", op.name, broken.path, broken.what);
        prop_assert_eq!(status, 400, "{} ({}: {}) → {} {}", op.name, broken.path, broken.what, status, body);
        prop_assert_eq!(error.as_deref(), Some("ValidationException"));
        let names: Vec<&str> = body["fieldList"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
        let path = broken.path.as_str();
        prop_assert!(
            names.iter().any(|n| *n == path || n.starts_with(&format!("{path}.")) || n.starts_with(&format!("{path}["))),
            "{} ({}: {}): fieldList {:?}", op.name, path, broken.what, names
        );
        prop_assert_eq!(sim.snapshot_json(), before, "a rejected request changed the state");
    }
}

#[tokio::test]
async fn every_break_of_every_operation_is_rejected_cleanly() {
    // The exhaustive sweep behind the sampled property: no 5xx, no panic, a field named.
    let sim = Simulator::with_seed(1);
    let mut failures = Vec::new();
    for (op, broken) in ALL_BREAKS.iter() {
        let (status, error, body) = answer(&sim, op, &broken.input).await;
        let path = broken.path.as_str();
        let named = body["fieldList"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str())
            .any(|n| n == path || n.starts_with(&format!("{path}.")) || n.starts_with(&format!("{path}[")));
        if status != 400 || error.as_deref() != Some("ValidationException") || !named {
            failures.push(format!("{} {} ({}) → {status} {body}", op.name, path, broken.what));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} breaks mishandled:\n{}",
        failures.len(),
        ALL_BREAKS.len(),
        failures.join("\n")
    );
    assert_eq!(sim.snapshot_json(), json!({}), "nothing was created");
}
