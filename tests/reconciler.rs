//! The reference reconciler against embedded clusters and the Lattice simulator,
//! in-process, on virtual time.

mod reconciler {
    pub mod edge_cases;
    pub mod flows;
    pub mod hazards;
    pub mod regressions;
    pub mod smoke;
    pub mod support;
}
