//! The one place where state errors become HTTP: the model's status, `x-amzn-ErrorType`,
//! the shape's body members and `Retry-After` (lattice-api.md §5).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::{Error, SERVICE_CODE};

/// A state error on its way to the wire.
#[derive(Debug)]
pub struct AwsError(pub Error);

impl AwsError {
    /// The body members of the error's shape.
    pub fn body(&self) -> Value {
        let mut body = match &self.0 {
            Error::Validation { message, reason, fields } => json!({
                "message": message, "reason": reason,
                "fieldList": fields.iter().map(|f| json!({"name": f.name, "message": f.message})).collect::<Vec<_>>(),
            }),
            Error::AccessDenied { message } => json!({"message": message}),
            Error::NotFound { message, resource_id, resource_type }
            | Error::Conflict { message, resource_id, resource_type } => {
                json!({"message": message, "resourceId": resource_id, "resourceType": resource_type})
            }
            Error::QuotaExceeded { message, resource_id, resource_type, quota_code } => json!({
                "message": message, "resourceId": resource_id, "resourceType": resource_type,
                "serviceCode": SERVICE_CODE, "quotaCode": quota_code,
            }),
            Error::Throttling { message, .. } => json!({"message": message, "serviceCode": SERVICE_CODE}),
            Error::Internal { message, .. } => json!({"message": message}),
        };
        if let Some(fields) = body.as_object_mut() {
            fields.retain(|_, v| !v.is_null());
        }
        body
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [("content-type", "application/json"), ("x-amzn-errortype", self.0.shape_name())],
            self.body().to_string(),
        )
            .into_response();
        let retry_after = match &self.0 {
            Error::Throttling { retry_after_secs, .. } | Error::Internal { retry_after_secs, .. } => *retry_after_secs,
            _ => None,
        };
        if let Some(secs) = retry_after {
            response.headers_mut().insert("retry-after", secs.into());
        }
        response
    }
}
