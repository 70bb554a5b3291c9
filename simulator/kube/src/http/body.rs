//! Request bodies: JSON or YAML objects; protobuf is refused with the apiserver's 415
//! (kube-apiserver.md §1.4: `kubectl create <generator>` sends protobuf; decoding it is out of
//! scope and the limit is documented).

use axum::body::Body;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The apiserver's request size limit.
const LIMIT: usize = 3 * 1024 * 1024;

pub async fn read(body: Body) -> ApiResult<Vec<u8>> {
    axum::body::to_bytes(body, LIMIT).await.map(|b| b.to_vec()).map_err(|_| {
        ApiError::new(413, "RequestEntityTooLarge", "the request entity is too large (limit is 3145728 bytes)")
    })
}

/// Decodes an object body by its media type.
pub fn decode(content_type: &str, bytes: &[u8]) -> ApiResult<Value> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    match media {
        "" | "application/json" | "*/*" => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))),
        "application/yaml" | "application/apply-patch+yaml" => decode_yaml(bytes),
        other => Err(ApiError::unsupported_media_type(other, &["application/json", "application/yaml"])),
    }
}

/// YAML (of which JSON is a subset), as apply patches are sent.
pub fn decode_yaml(bytes: &[u8]) -> ApiResult<Value> {
    serde_yaml_ng::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}
