//! sim-core: what every simulator in latticelab shares and that knows neither AWS nor Kubernetes.
//!
//! # Layout
//! - [`clock`]: virtual time — manual, or following tokio's (pausable) clock.
//! - [`rng`]: one seeded random stream per world, so the same seed yields the same ids.
//! - [`ids`]: resource ids and request ids drawn from that stream.
//! - [`faults`]: fault plans (throttling, internal errors, latency, eventual consistency) as data.
//! - [`journal`]: the call journal and per-operation call counters.
//! - [`eventually`]: the one polling wait, for tests and scenarios.
//! - [`cases`]: how many cases a property test runs.

pub mod cases;
pub mod clock;
pub mod eventually;
pub mod faults;
pub mod ids;
pub mod journal;
pub mod rng;

pub use cases::proptest_cases;
pub use clock::Clock;
pub use eventually::{TimedOut, eventually};
pub use faults::{FaultDecision, FaultKind, FaultPlan, FaultPlans, FaultScope, FaultTrigger};
pub use ids::IdGenerator;
pub use journal::{Call, Journal, JournalEntry};
pub use rng::SeededRng;
