//! Random worlds: the convergence property's generator of cases, the objects they are made
//! of, how a world performs them, and the differential that runs one case with the
//! reference reconcilers and with external controllers (docs/differential.md).

pub mod ambiguity;
pub mod case;
pub mod diff;
pub mod objects;
pub mod perform;

pub use case::{Case, Faults, Op};
