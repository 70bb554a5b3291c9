//! The reference reconciler against embedded clusters and the Lattice simulator,
//! in-process, on virtual time.

mod reconciler {
    pub mod smoke;
    pub mod support;
}
