//! The Resource Groups Tagging API's two wire protocols on the simulator's endpoint
//! (docs/lattice.md, "The Resource Groups Tagging API"):
//! - awsJson1_1: `POST /`, `X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Operation>`,
//!   JSON in and out (the Go SDK and the Rust SDK);
//! - Smithy RPC v2 CBOR: `POST /service/ResourceGroupsTaggingAPI_20170126/operation/<Operation>`
//!   with `smithy-protocol: rpc-v2-cbor`, CBOR in and out (listed first by the model; botocore
//!   speaks it when its model offers only it).
//!
//! Neither collides with a Lattice route: Lattice has no `POST /` and its paths start
//! `/services`, not `/service`.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::Simulator;
use crate::model::TAGGING;
use crate::state::{Api, Error};

/// The service's Smithy name: the `X-Amz-Target` prefix and the RPC v2 path segment.
const SERVICE: &str = "ResourceGroupsTaggingAPI_20170126";
/// The namespace of its shape ids, which RPC v2 CBOR errors carry in `__type`.
const NAMESPACE: &str = "com.amazonaws.resourcegroupstaggingapi";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const CBOR_CONTENT_TYPE: &str = "application/cbor";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    AwsJson11,
    RpcV2Cbor,
}

/// A request of the Tagging API: its protocol and the operation it names.
#[derive(Debug, PartialEq, Eq)]
pub struct TaggingRequest {
    pub protocol: Protocol,
    pub operation: String,
}

/// Recognises a Tagging API request by its target header or RPC v2 path; `None` leaves the
/// request to Lattice's routes.
pub fn recognise(parts: &Parts) -> Option<TaggingRequest> {
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    if let Some(operation) = target.and_then(|t| t.strip_prefix(SERVICE)).and_then(|t| t.strip_prefix('.')) {
        return Some(TaggingRequest { protocol: Protocol::AwsJson11, operation: operation.to_string() });
    }
    let rest = parts.uri.path().strip_prefix("/service/")?.strip_prefix(SERVICE)?.strip_prefix("/operation/")?;
    Some(TaggingRequest { protocol: Protocol::RpcV2Cbor, operation: rest.to_string() })
}

/// Answers one Tagging API request whose caller is already known.
pub async fn answer(
    sim: &Simulator,
    parts: &Parts,
    request: &TaggingRequest,
    body: &[u8],
    caller: &crate::Caller,
) -> Response {
    let protocol = request.protocol;
    if parts.method != axum::http::Method::POST {
        return failure(protocol, "UnknownOperationException", 404, &format!("{} is not POST", parts.method));
    }
    if protocol == Protocol::RpcV2Cbor && !parts.headers.contains_key("smithy-protocol") {
        return failure(
            protocol,
            "SerializationException",
            400,
            "RPC v2 requests must carry smithy-protocol: rpc-v2-cbor",
        );
    }
    let Some(op) = TAGGING.operation(&request.operation) else {
        let message = format!("{} is not an operation of {SERVICE}", request.operation);
        return failure(protocol, "UnknownOperationException", 400, &message);
    };
    let input = match decode(protocol, body) {
        Ok(Value::Object(fields)) => {
            // Members the model does not define are ignored, as by the service.
            let shape = TAGGING.shape(op.input);
            Value::Object(fields.into_iter().filter(|(k, _)| shape.member(k).is_some()).collect::<Map<_, _>>())
        }
        Ok(_) => return failure(protocol, "SerializationException", 400, "the request body must be an object"),
        Err(message) => return failure(protocol, "SerializationException", 400, &message),
    };
    match sim.call(&format!("{}{}", Api::TAGGING_PREFIX, op.name), input, caller).await {
        Ok(output) => success(protocol, &output),
        Err(e) => error(protocol, &e),
    }
}

fn decode(protocol: Protocol, body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match protocol {
        Protocol::AwsJson11 => serde_json::from_slice(body).map_err(|e| format!("the request body is not JSON: {e}")),
        Protocol::RpcV2Cbor => ciborium::from_reader(body).map_err(|e| format!("the request body is not CBOR: {e}")),
    }
}

fn encode(protocol: Protocol, value: &Value) -> Vec<u8> {
    match protocol {
        Protocol::AwsJson11 => value.to_string().into_bytes(),
        Protocol::RpcV2Cbor => {
            let mut out = Vec::new();
            // Writing to a Vec cannot fail, and a JSON value always has a CBOR form.
            ciborium::into_writer(value, &mut out).unwrap_or_default();
            out
        }
    }
}

fn respond(protocol: Protocol, status: u16, body: &Value, error_type: Option<&str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = match protocol {
        Protocol::AwsJson11 => JSON_CONTENT_TYPE,
        Protocol::RpcV2Cbor => CBOR_CONTENT_TYPE,
    };
    let mut response = (status, [("content-type", content_type)], Body::from(encode(protocol, body))).into_response();
    let headers = response.headers_mut();
    if protocol == Protocol::RpcV2Cbor {
        headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    }
    if let Some(value) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("x-amzn-errortype", value);
    }
    response
}

fn success(protocol: Protocol, output: &Value) -> Response {
    respond(protocol, 200, output, None)
}

/// An error body: `__type` (the bare name on awsJson, the shape id on RPC v2) and `Message`.
fn failure(protocol: Protocol, error_type: &str, status: u16, message: &str) -> Response {
    let type_id = match protocol {
        Protocol::AwsJson11 => error_type.to_string(),
        Protocol::RpcV2Cbor => format!("{NAMESPACE}#{error_type}"),
    };
    let body = serde_json::json!({"__type": type_id, "Message": message});
    respond(protocol, status, &body, Some(error_type))
}

/// A state error in the Tagging API's shapes.
pub fn error(protocol: Protocol, e: &Error) -> Response {
    let message = match e {
        Error::Validation { message, .. }
        | Error::AccessDenied { message }
        | Error::NotFound { message, .. }
        | Error::Conflict { message, .. }
        | Error::QuotaExceeded { message, .. }
        | Error::Throttling { message, .. }
        | Error::Internal { message, .. } => message.as_str(),
    };
    failure(protocol, e.shape_name_in(Api::Tagging), e.status_in(Api::Tagging), message)
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(uri: &str, target: Option<&str>) -> Parts {
        let mut builder = Request::post(uri);
        if let Some(t) = target {
            builder = builder.header("x-amz-target", t);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn both_protocols_are_recognised_and_lattice_is_left_alone() {
        let json = recognise(&parts("/", Some("ResourceGroupsTaggingAPI_20170126.GetResources"))).unwrap();
        assert_eq!(json, TaggingRequest { protocol: Protocol::AwsJson11, operation: "GetResources".into() });
        let cbor =
            recognise(&parts("/service/ResourceGroupsTaggingAPI_20170126/operation/TagResources", None)).unwrap();
        assert_eq!(cbor, TaggingRequest { protocol: Protocol::RpcV2Cbor, operation: "TagResources".into() });
        assert_eq!(recognise(&parts("/services", None)), None);
        assert_eq!(recognise(&parts("/", Some("Other_1.GetResources"))), None);
    }

    #[test]
    fn cbor_round_trips_a_request() {
        let value = serde_json::json!({"ResourceARNList": ["arn:x"], "Tags": {"k": "v"}, "ResourcesPerPage": 5});
        assert_eq!(decode(Protocol::RpcV2Cbor, &encode(Protocol::RpcV2Cbor, &value)).unwrap(), value);
        assert_eq!(decode(Protocol::RpcV2Cbor, b"").unwrap(), serde_json::json!({}));
        assert!(decode(Protocol::RpcV2Cbor, &[0xff, 0x00]).is_err());
    }
}
