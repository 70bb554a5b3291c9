//! sim-kube: embedded Kubernetes API servers, many per process, that `kubectl` and kube-rs
//! use unchanged.
//!
//! # Layout
//! - [`resource`]: what a cluster serves (built-in kinds and CRD-defined types).
//! - [`store`]: objects, the resourceVersion counter, history, and the write pipelines.
//! - [`schema`], [`builtin`]: validation and defaulting of custom and built-in kinds.
//! - [`patch`]: JSON, merge, strategic merge patch and server-side apply.
//! - [`selector`]: label and field selectors.
//! - [`error`]: `Status` errors as the apiserver words them.

pub mod builtin;
pub mod error;
pub mod meta;
pub mod patch;
pub mod resource;
pub mod schema;
pub mod selector;
pub mod store;
