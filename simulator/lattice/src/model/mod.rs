//! The VPC Lattice service model, reduced to what routing and validation need, generated
//! from `model/vpc-lattice-2022-11-30.json` by `cargo run -p sim-lattice --bin gen-model-tables`.

pub mod codegen;
#[rustfmt::skip]
mod generated;
mod validate;

pub use validate::{FieldProblem, validate_input};

/// One operation: its HTTP binding and shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub name: &'static str,
    pub method: &'static str,
    /// URI template, e.g. `/targetgroups/{targetGroupIdentifier}`.
    pub uri: &'static str,
    pub success_code: u16,
    pub input: &'static str,
    pub output: &'static str,
    pub errors: &'static [&'static str],
    pub idempotent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Structure,
    Union,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
}

/// Where a request member travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Body,
    Uri,
    Query,
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub name: &'static str,
    pub target: &'static str,
    pub location: Location,
    /// Name on the wire (path label, query key or header), when not in the body.
    pub location_name: &'static str,
    pub idempotency_token: bool,
}

/// One shape with its constraints. Numbers are the model's, untouched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub name: &'static str,
    pub kind: Kind,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<&'static str>,
    pub enum_values: &'static [&'static str],
    pub members: &'static [Member],
    pub required: &'static [&'static str],
    /// List member shape, or map value shape.
    pub item: Option<&'static str>,
    /// Map key shape.
    pub key: Option<&'static str>,
    /// HTTP status of an error shape.
    pub error_status: Option<u16>,
}

/// Every operation, sorted by name.
pub fn operations() -> &'static [Operation] {
    generated::OPERATIONS
}

pub fn operation(name: &str) -> Option<&'static Operation> {
    let ops = generated::OPERATIONS;
    ops.binary_search_by(|o| o.name.cmp(name)).ok().map(|i| &ops[i])
}

/// Every shape, sorted by name.
pub fn shapes() -> &'static [Shape] {
    generated::SHAPES
}

pub fn shape(name: &str) -> &'static Shape {
    let shapes = generated::SHAPES;
    match shapes.binary_search_by(|s| s.name.cmp(name)) {
        Ok(i) => &shapes[i],
        // The generator emits every shape a member refers to, and a test checks it.
        Err(_) => panic!("shape {name} is not in the generated model"),
    }
}

impl Shape {
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// The checked-in model the tables were generated from.
pub const MODEL_JSON: &str = include_str!("../../model/vpc-lattice-2022-11-30.json");
/// The checked-in generated tables, as text, for the freshness test.
pub const GENERATED_RS: &str = include_str!("generated.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tables_match_the_checked_in_model() {
        let fresh = codegen::generate(MODEL_JSON).expect("model parses");
        assert!(
            fresh == GENERATED_RS,
            "simulator/lattice/src/model/generated.rs is stale: run `cargo run -p sim-lattice --bin gen-model-tables`"
        );
    }

    #[test]
    fn all_seventy_three_operations_are_routed() {
        assert_eq!(operations().len(), 73);
        let op = operation("CreateTargetGroup").unwrap();
        assert_eq!((op.method, op.uri, op.success_code), ("POST", "/targetgroups", 201));
        assert_eq!(operation("DeleteListener").unwrap().success_code, 204);
    }

    #[test]
    fn every_referenced_shape_exists() {
        for s in shapes() {
            for target in s.members.iter().map(|m| m.target).chain(s.item).chain(s.key) {
                shape(target);
            }
        }
        for op in operations() {
            shape(op.input);
            shape(op.output);
            for e in op.errors {
                assert!(shape(e).error_status.is_some(), "{e}");
            }
        }
    }
}
