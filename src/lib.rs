//! latticelab: an integration-test harness and simulator for the VPC Lattice multi-cluster
//! feature of the AWS Gateway API Controller.
//!
//! # Layout
//! - [`cli`]: the `latticelab` verbs, one module each.
//! - [`backend`]: where clusters come from (embedded, kind, k3s, kubeconfig contexts).
//! - [`world`]: clusters, the Lattice simulator and the controllers of one scenario.
//! - [`scenario`]: the Gherkin step library, runner, failure bundles and replay.
//! - [`random`]: random cases (the convergence property's generator) and the
//!   differential against external controllers.
//! - [`oracle`]: what the controller's specification says targets and import resolutions
//!   are, written apart from the reference reconciler.

pub mod backend;
pub mod cli;
pub mod oracle;
pub mod random;
pub mod scenario;
pub mod world;
