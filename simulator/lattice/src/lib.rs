//! sim-lattice: a stateful Amazon VPC Lattice control plane that the real AWS clients talk
//! to unchanged.
//!
//! # Layout
//! - [`model`]: the route table and member constraints generated from the AWS model, and
//!   the validator that applies them.
//! - [`state`]: resources, lifecycles, quotas and every operation's semantics — no HTTP.
//! - [`sim`]: a [`Simulator`] — state plus clock, seed, fault plans and the call journal;
//!   the control surface in Rust.
//! - [`wire`]: REST-JSON over axum — routing, SigV4, error shapes, the control surface
//!   over HTTP.
//! - [`client`]: an `HttpClient` for `aws-sdk-vpclattice` that calls the router in-process.
//! - [`server`]: the router on a loopback TCP port.

pub mod client;
pub mod model;
pub mod server;
pub mod sim;
pub mod state;
pub mod wire;

pub use sim::{Activity, Caller, Simulator, SimulatorOptions};
