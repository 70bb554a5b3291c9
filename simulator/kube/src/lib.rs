//! Embedded Kubernetes API servers (issue: embedded clusters). Not built yet: this crate reserves its place in the workspace.
