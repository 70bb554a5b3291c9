//! The spec oracles the properties compare against live in the library, beside the world's
//! invariants that use them too.

pub use latticelab::oracle::*;
