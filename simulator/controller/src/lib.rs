//! sim-controller: a reference reconciler that models the AWS Gateway API Controller v2.1.3
//! (`aws/aws-application-networking-k8s`) for everything an import/export scenario touches.
//!
//! It talks to clusters only through `kube::Client` and to Lattice only through
//! `aws-sdk-vpclattice`, so it runs against embedded clusters and the simulator, against kind
//! clusters and real AWS, and beside the real Go controller.
//!
//! # Layout
//! - [`config`], [`quirks`]: the environment the real controller reads; hazards H-1…H-11 as
//!   toggles, grouped in the profiles `v2.1.3` and `fixed`.
//! - [`model`]: pure builders — target groups and targets of exports and route backends,
//!   route rules, ServiceImport resolution.
//! - [`lattice`]: the Lattice calls, in the order the real controller makes them.
//! - [`reconcile`]: ServiceExport, routes, Gateways and the target-group GC.
//! - [`runtime`]: triggers and mappers, fed from kube-runtime watchers.
//! - [`workqueue`]: a deterministic controller-runtime-style queue that runs the reconciles.

pub mod config;
pub mod error;
pub mod informer;
pub mod lattice;
pub mod model;
pub mod names;
pub mod objects;
pub mod quirks;
pub mod reconcile;
pub mod runtime;
pub mod sdk;
pub mod tags;
pub mod workqueue;

pub use config::{ControllerConfig, TaggingApi, WallClock};
pub use lattice::AwsClients;
pub use quirks::{Quirk, Quirks};
pub use runtime::{Running, start};
