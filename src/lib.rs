//! latticelab: an integration-test harness and simulator for the VPC Lattice multi-cluster
//! feature of the AWS Gateway API Controller.
//!
//! # Layout
//! - [`cli`]: the `latticelab` verbs, one module each.
//! - [`world`]: clusters, the Lattice simulator and the controllers of one scenario.

pub mod cli;
pub mod world;
