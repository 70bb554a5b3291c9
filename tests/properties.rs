//! Property tests, end to end where it matters (Kubernetes objects in → reference controllers
//! → Lattice state out), against oracles written from the controller's specification.
//! `LATTICELAB_PROPTEST_CASES` raises every property's case count for long runs.

mod properties {
    pub mod annotations;
    pub mod convergence;
    pub mod metamorphic;
    pub mod oracle;
    pub mod ports;
    pub mod support;
}
