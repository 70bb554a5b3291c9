//! Reconcile errors, classified the way the real controller acts on them (controller.md §2.2
//! step 6): "retry needed" requeues after `LATTICE_RETRY`, anything else backs off
//! exponentially.

use std::time::Duration;

use aws_sdk_vpclattice::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model could not be built (event `FailedBuildModel`).
    #[error("{0}")]
    Build(String),
    /// A Lattice call failed.
    #[error("{code}: {message}")]
    Aws { code: String, message: String },
    /// `RequeueNeededAfter(LATTICE_RETRY)`: a resource is in progress, targets are draining.
    #[error("retry needed: {0}")]
    Retry(String),
    /// A requeue after a fixed delay (Mode-3 `ExternalTargetGroupNotFound`: 1 min).
    #[error("requeue after {after:?}: {why}")]
    RequeueAfter { after: Duration, why: String },
    /// Anything else that backs off (deploy failures that are not AWS errors).
    #[error("{0}")]
    Deploy(String),
    #[error(transparent)]
    Kube(#[from] kube::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn code(&self) -> &str {
        match self {
            Error::Aws { code, .. } => code,
            _ => "",
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == "ResourceNotFoundException"
    }

    pub fn is_conflict(&self) -> bool {
        self.code() == "ConflictException"
    }

    pub fn is_access_denied(&self) -> bool {
        self.code() == "AccessDeniedException"
    }

    /// The fixed requeue this error asks for, if any.
    pub fn requeue(&self, lattice_retry: Duration) -> Option<Duration> {
        match self {
            Error::Retry(_) => Some(lattice_retry),
            Error::RequeueAfter { after, .. } => Some(*after),
            _ => None,
        }
    }
}

/// Any SDK error as an [`Error::Aws`] with the service's error code: from the wire's
/// metadata, else the modeled variant's name (`ResourceNotFoundException(…)`), which is all a
/// locally constructed error has.
pub fn aws<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(e: SdkError<E, R>) -> Error {
    let code = e
        .code()
        .map(String::from)
        .or_else(|| {
            e.as_service_error()
                .map(|s| format!("{s:?}"))
                .and_then(|d| d.split(['(', ' ', '{']).next().map(String::from))
                .filter(|c| c.ends_with("Exception"))
        })
        .unwrap_or_else(|| "Unknown".to_string());
    let message = e.message().map(String::from).unwrap_or_else(|| format!("{e:?}"));
    Error::Aws { code, message }
}
