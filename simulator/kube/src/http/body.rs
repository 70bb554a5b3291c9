//! Request bodies: JSON or YAML objects, and protobuf ones for the built-in kinds (docs/kube.md
//! "Protobuf bodies": client-go's typed clients, `kubectl create <generator>` and
//! controller-runtime send them).

use axum::body::Body;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::protobuf;
use crate::resource::ResourceType;

/// The apiserver's request size limit.
const LIMIT: usize = 3 * 1024 * 1024;

pub async fn read(body: Body) -> ApiResult<Vec<u8>> {
    axum::body::to_bytes(body, LIMIT).await.map(|b| b.to_vec()).map_err(|_| {
        ApiError::new(413, "RequestEntityTooLarge", "the request entity is too large (limit is 3145728 bytes)")
    })
}

/// The media type of a request, without its parameters.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Decodes a body holding an object of `rt` at `version` by its media type.
pub fn decode(content_type: &str, bytes: &[u8], rt: &ResourceType, version: &str) -> ApiResult<Value> {
    match (media_type(content_type), rt.builtin) {
        ("" | "application/json" | "*/*", _) => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))),
        ("application/yaml" | "application/apply-patch+yaml", _) => decode_yaml(bytes),
        (protobuf::MEDIA_TYPE, Some(builtin)) => protobuf::decode_object(rt, builtin, version, bytes),
        (other, Some(_)) => Err(ApiError::unsupported_media_type(
            other,
            &["application/json", "application/yaml", protobuf::MEDIA_TYPE],
        )),
        // Custom resources have no protobuf form.
        (other, None) => Err(ApiError::unsupported_media_type(other, &["application/json", "application/yaml"])),
    }
}

/// Decodes the `DeleteOptions` body of a delete; an empty body is no options.
pub fn decode_delete_options(content_type: &str, bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match media_type(content_type) {
        protobuf::MEDIA_TYPE => protobuf::decode_delete_options(bytes),
        _ => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}"))),
    }
}

/// YAML (of which JSON is a subset), as apply patches are sent.
pub fn decode_yaml(bytes: &[u8]) -> ApiResult<Value> {
    serde_yaml_ng::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}
