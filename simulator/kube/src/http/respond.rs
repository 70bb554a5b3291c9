//! Building responses: JSON bodies, `Status` errors, warnings.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::error::ApiError;

pub fn json_with(status: u16, content_type: &str, value: &Value) -> Response {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a valid response")
}

pub fn json(status: u16, value: &Value) -> Response {
    json_with(status, "application/json", value)
}

pub fn error(e: &ApiError) -> Response {
    let mut response = json(e.code, &e.into_status());
    if let Some(retry) = e.details.as_ref().and_then(|d| d["retryAfterSeconds"].as_u64())
        && let Ok(v) = HeaderValue::from_str(&retry.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

pub fn text(status: u16, text: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(text.to_string()))
        .expect("a valid response")
}

/// `Warning: 299 - "<text>"` headers, as the apiserver sends them for unknown fields.
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    response
}
