//! The Lattice error shapes, exactly as the model defines them. The wire maps each to its
//! status code and body in one place (`wire::error`).

use super::Api;
use crate::model::{self, FieldProblem};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `serviceCode` of quota and throttling errors (lattice-api.md §10).
pub const SERVICE_CODE: &str = "vpc-lattice";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("ValidationException: {message}")]
    Validation { message: String, reason: &'static str, fields: Vec<FieldProblem> },
    #[error("AccessDeniedException: {message}")]
    AccessDenied { message: String },
    #[error("ResourceNotFoundException: {message}")]
    NotFound { message: String, resource_id: String, resource_type: &'static str },
    #[error("ConflictException: {message}")]
    Conflict { message: String, resource_id: String, resource_type: &'static str },
    #[error("ServiceQuotaExceededException: {message}")]
    QuotaExceeded {
        message: String,
        resource_id: Option<String>,
        resource_type: &'static str,
        quota_code: &'static str,
    },
    #[error("ThrottlingException: {message}")]
    Throttling { message: String, retry_after_secs: Option<u32> },
    #[error("InternalServerException: {message}")]
    Internal { message: String, retry_after_secs: Option<u32> },
}

impl Error {
    /// The model's shape name, sent as `x-amzn-ErrorType`.
    pub fn shape_name(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "ValidationException",
            Error::AccessDenied { .. } => "AccessDeniedException",
            Error::NotFound { .. } => "ResourceNotFoundException",
            Error::Conflict { .. } => "ConflictException",
            Error::QuotaExceeded { .. } => "ServiceQuotaExceededException",
            Error::Throttling { .. } => "ThrottlingException",
            Error::Internal { .. } => "InternalServerException",
        }
    }

    /// The HTTP status, read from the model (402 for quotas, not 400).
    pub fn status(&self) -> u16 {
        model::shape(self.shape_name()).error_status.unwrap_or(500)
    }

    /// The error's shape in `api`'s model. The Tagging API has four: a bad request of any
    /// kind is an `InvalidParameterException` there, and a conflict a
    /// `ConcurrentModificationException`. Refused credentials keep Lattice's name, which
    /// neither model defines.
    pub fn shape_name_in(&self, api: Api) -> &'static str {
        match (api, self) {
            (Api::Lattice, _) | (Api::Tagging, Error::AccessDenied { .. }) => self.shape_name(),
            (Api::Tagging, Error::Throttling { .. }) => "ThrottledException",
            (Api::Tagging, Error::Internal { .. }) => "InternalServiceException",
            (Api::Tagging, Error::Conflict { .. }) => "ConcurrentModificationException",
            (Api::Tagging, _) => "InvalidParameterException",
        }
    }

    /// The HTTP status of [`Error::shape_name_in`], from `api`'s model.
    pub fn status_in(&self, api: Api) -> u16 {
        match (api, self) {
            (Api::Lattice, _) | (Api::Tagging, Error::AccessDenied { .. }) => self.status(),
            // Throttling is modelled as a client error (400) on the Tagging API.
            (Api::Tagging, _) => api.model().shape(self.shape_name_in(api)).error_status.unwrap_or(500),
        }
    }

    /// One bad field.
    pub fn field(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::fields(vec![FieldProblem { name: name.into(), message: message.into() }])
    }

    /// Several bad fields, as one `fieldValidationFailed` error.
    pub fn fields(fields: Vec<FieldProblem>) -> Self {
        let message = fields.iter().map(|f| format!("{}: {}", f.name, f.message)).collect::<Vec<_>>().join("; ");
        Error::Validation { message: format!("Invalid request: {message}"), reason: "fieldValidationFailed", fields }
    }

    /// A request the service understands but refuses for a reason other than one field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Validation { message: message.into(), reason: "other", fields: Vec::new() }
    }

    pub fn not_found(resource_type: &'static str, id: &str) -> Self {
        Error::NotFound {
            message: format!("{} {id} not found", type_words(resource_type)),
            resource_id: id.to_string(),
            resource_type,
        }
    }

    pub fn conflict(resource_type: &'static str, id: &str, message: impl Into<String>) -> Self {
        Error::Conflict { message: message.into(), resource_id: id.to_string(), resource_type }
    }

    pub fn quota(resource_type: &'static str, quota_code: &'static str, limit: usize, what: &str) -> Self {
        Error::QuotaExceeded {
            message: format!("Quota exceeded: at most {limit} {what}"),
            resource_id: None,
            resource_type,
            quota_code,
        }
    }
}

/// `TARGET_GROUP` → `Target group`.
fn type_words(resource_type: &str) -> String {
    let lower = resource_type.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or(String::new(), |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_come_from_the_model() {
        assert_eq!(Error::quota("SERVICE", "L-620C821E", 1, "services").status(), 402);
        assert_eq!(Error::not_found("TARGET_GROUP", "tg-1").status(), 404);
        assert_eq!(Error::field("name", "bad").status(), 400);
        assert_eq!(Error::Throttling { message: String::new(), retry_after_secs: None }.status(), 429);
        let throttled = Error::Throttling { message: String::new(), retry_after_secs: None };
        assert_eq!(
            (throttled.shape_name_in(Api::Tagging), throttled.status_in(Api::Tagging)),
            ("ThrottledException", 400)
        );
        let invalid = Error::field("ResourcesPerPage", "bad");
        assert_eq!(invalid.shape_name_in(Api::Tagging), "InvalidParameterException");
        assert_eq!(
            Error::not_found("TARGET_GROUP", "tg-1").to_string(),
            "ResourceNotFoundException: Target group tg-1 not found"
        );
    }
}
