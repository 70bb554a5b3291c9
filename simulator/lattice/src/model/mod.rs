//! The AWS service models the simulator serves, reduced to what routing and validation
//! need: VPC Lattice (`model/vpc-lattice-2022-11-30.json`) and the Resource Groups Tagging
//! API (`model/resourcegroupstaggingapi-2017-01-26.json`), each generated into its own table
//! by `cargo run -p sim-lattice --bin gen-model-tables`.

pub mod codegen;
#[rustfmt::skip]
mod generated;
#[rustfmt::skip]
mod generated_tagging;
mod validate;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use fancy_regex::Regex;

pub use validate::FieldProblem;

/// One service model: its operations and shapes (both sorted by name), and the compiled
/// patterns of its string shapes.
pub struct Model {
    pub name: &'static str,
    operations: &'static [Operation],
    shapes: &'static [Shape],
    patterns: LazyLock<BTreeMap<&'static str, Regex>>,
}

/// VPC Lattice 2022-11-30 (restJson1).
pub static LATTICE: Model = Model {
    name: "vpc-lattice",
    operations: generated::OPERATIONS,
    shapes: generated::SHAPES,
    patterns: LazyLock::new(|| validate::compile_patterns(generated::SHAPES)),
};

/// The Resource Groups Tagging API 2017-01-26 (awsJson1_1 and Smithy RPC v2 CBOR).
pub static TAGGING: Model = Model {
    name: "resourcegroupstaggingapi",
    operations: generated_tagging::OPERATIONS,
    shapes: generated_tagging::SHAPES,
    patterns: LazyLock::new(|| validate::compile_patterns(generated_tagging::SHAPES)),
};

impl Model {
    /// Every operation, sorted by name.
    pub fn operations(&self) -> &'static [Operation] {
        self.operations
    }

    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        let ops = self.operations;
        ops.binary_search_by(|o| o.name.cmp(name)).ok().map(|i| &ops[i])
    }

    /// Every shape, sorted by name.
    pub fn shapes(&self) -> &'static [Shape] {
        self.shapes
    }

    pub fn shape(&self, name: &str) -> &'static Shape {
        let shapes = self.shapes;
        match shapes.binary_search_by(|s| s.name.cmp(name)) {
            Ok(i) => &shapes[i],
            // The generator emits every shape a member refers to, and a test checks it.
            Err(_) => panic!("shape {name} is not in the generated {} model", self.name),
        }
    }

    /// All problems of `input` against the structure `shape_name`.
    pub fn validate_input(&self, shape_name: &str, input: &serde_json::Value) -> Vec<FieldProblem> {
        validate::validate_input(self, shape_name, input)
    }
}

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

/// Every Lattice operation, sorted by name.
pub fn operations() -> &'static [Operation] {
    LATTICE.operations()
}

/// A Lattice operation.
pub fn operation(name: &str) -> Option<&'static Operation> {
    LATTICE.operation(name)
}

/// Every Lattice shape, sorted by name.
pub fn shapes() -> &'static [Shape] {
    LATTICE.shapes()
}

/// A Lattice shape.
pub fn shape(name: &str) -> &'static Shape {
    LATTICE.shape(name)
}

/// All problems of a Lattice request against its input structure.
pub fn validate_input(shape_name: &str, input: &serde_json::Value) -> Vec<FieldProblem> {
    LATTICE.validate_input(shape_name, input)
}

impl Shape {
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// The checked-in models, the file each is generated into, and that file's checked-in text:
/// what the generator and its freshness test share.
pub const SOURCES: &[Source] = &[
    Source {
        model_file: "vpc-lattice-2022-11-30.json",
        model_json: include_str!("../../model/vpc-lattice-2022-11-30.json"),
        generated_file: "generated.rs",
        generated_rs: include_str!("generated.rs"),
    },
    Source {
        model_file: "resourcegroupstaggingapi-2017-01-26.json",
        model_json: include_str!("../../model/resourcegroupstaggingapi-2017-01-26.json"),
        generated_file: "generated_tagging.rs",
        generated_rs: include_str!("generated_tagging.rs"),
    },
];

/// One checked-in model and its generated table.
pub struct Source {
    pub model_file: &'static str,
    pub model_json: &'static str,
    pub generated_file: &'static str,
    pub generated_rs: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tables_match_the_checked_in_models() {
        for source in SOURCES {
            let fresh = codegen::generate(source.model_json, source.model_file).expect("model parses");
            assert!(
                fresh == source.generated_rs,
                "simulator/lattice/src/model/{} is stale: run `cargo run -p sim-lattice --bin gen-model-tables`",
                source.generated_file
            );
        }
    }

    #[test]
    fn the_tagging_model_has_its_nine_operations_and_errors() {
        assert_eq!(TAGGING.operations().len(), 9);
        let op = TAGGING.operation("GetResources").unwrap();
        assert_eq!((op.method, op.uri, op.input), ("POST", "/", "GetResourcesInput"));
        // awsJson errors carry no HTTP binding: client errors are 400, faults 500.
        assert_eq!(TAGGING.shape("InvalidParameterException").error_status, Some(400));
        assert_eq!(TAGGING.shape("InternalServiceException").error_status, Some(500));
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
        for model in [&LATTICE, &TAGGING] {
            for s in model.shapes() {
                for target in s.members.iter().map(|m| m.target).chain(s.item).chain(s.key) {
                    model.shape(target);
                }
            }
            for op in model.operations() {
                model.shape(op.input);
                model.shape(op.output);
                for e in op.errors {
                    assert!(model.shape(e).error_status.is_some(), "{e}");
                }
            }
        }
    }
}
