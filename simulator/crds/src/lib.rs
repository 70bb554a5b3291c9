//! The custom resources a latticelab cluster serves from the start, generated from Rust types:
//!
//! - [`aws`]: the `application-networking.k8s.aws/v1alpha1` kinds of the AWS Gateway API
//!   Controller (ServiceExport, ServiceImport, TargetGroupPolicy, …), with the real CRDs'
//!   required fields, enums, bounds and subresources;
//! - [`install`]: the CustomResourceDefinition objects — the AWS kinds plus Gateway API v1.5
//!   (standard or experimental channel)
//!   (from the `gateway-api` crate's types, with the upstream schemas' defaults, enums and
//!   printer columns laid over them, since generated Rust types cannot carry those).
//!
//! Both the embedded API server and the reference controller use these types, so this crate
//! depends on no simulator.

pub mod aws;
pub mod install;
mod overlay;

pub use install::{Channel, all_crds, all_crds_for, aws_crds, gateway_api_crds, gateway_api_crds_for};
