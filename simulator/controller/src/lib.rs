//! The reference reconciler (issue: reference reconciler). Not built yet: this crate reserves its place in the workspace.
