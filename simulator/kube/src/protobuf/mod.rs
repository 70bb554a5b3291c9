//! `application/vnd.kubernetes.protobuf` request bodies of the built-in kinds (docs/kube.md
//! "Protobuf bodies"): the envelope client-go writes, decoded with the Kubernetes `.proto`
//! definitions under `proto/`, and turned into the JSON object the store keeps.
//!
//! Why not the `k8s-pb` crate's structs: they have neither serde nor reflection, so turning
//! them into the JSON the store keeps would take a hand-written conversion for each of several
//! hundred structs. The same `.proto` files, compiled into descriptors (build.rs) and read with
//! prost-reflect, decode every kind through one mapping.

mod envelope;
mod json;

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde_json::Value;

use self::envelope::Envelope;
use crate::error::{ApiError, ApiResult};
use crate::resource::{Builtin, ResourceType};

/// The media type of Kubernetes protobuf.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

static DESCRIPTORS: LazyLock<Result<DescriptorPool, String>> = LazyLock::new(|| {
    DescriptorPool::decode(include_bytes!(concat!(env!("OUT_DIR"), "/kubernetes.descriptors")).as_slice())
        .map_err(|e| e.to_string())
});

/// The protobuf message of a built-in kind.
fn message_name(builtin: Builtin) -> &'static str {
    match builtin {
        Builtin::Namespace => "k8s.io.api.core.v1.Namespace",
        Builtin::Service => "k8s.io.api.core.v1.Service",
        Builtin::ConfigMap => "k8s.io.api.core.v1.ConfigMap",
        Builtin::Secret => "k8s.io.api.core.v1.Secret",
        Builtin::Pod => "k8s.io.api.core.v1.Pod",
        Builtin::ServiceAccount => "k8s.io.api.core.v1.ServiceAccount",
        Builtin::CoreEvent => "k8s.io.api.core.v1.Event",
        Builtin::EndpointSlice => "k8s.io.api.discovery.v1.EndpointSlice",
        Builtin::Event => "k8s.io.api.events.v1.Event",
        Builtin::Lease => "k8s.io.api.coordination.v1.Lease",
        Builtin::CustomResourceDefinition => {
            "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
        }
    }
}

const DELETE_OPTIONS: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions";

fn descriptor(name: &str) -> ApiResult<MessageDescriptor> {
    let pool = DESCRIPTORS.as_ref().map_err(|e| ApiError::internal(format!("the protobuf descriptors: {e}")))?;
    pool.get_message_by_name(name).ok_or_else(|| ApiError::internal(format!("no protobuf message {name}")))
}

/// The object a protobuf body of the built-in `rt` at `version` carries, as JSON (custom
/// resources have no protobuf form: the caller answers 415 for them). The envelope's
/// `apiVersion` and `kind` become the object's, so a body of another kind is refused as a
/// JSON one would be; an envelope that names no type has the endpoint's, as the API server's
/// decoder defaults it.
pub fn decode_object(rt: &ResourceType, builtin: Builtin, version: &str, bytes: &[u8]) -> ApiResult<Value> {
    let mut envelope = Envelope::open(bytes).map_err(|e| unrecognized(&rt.kind, &e, bytes))?;
    if envelope.api_version.is_empty() {
        envelope.api_version = rt.api_version(version);
    }
    if envelope.kind.is_empty() {
        envelope.kind = rt.kind.clone();
    }
    let mut object = if envelope.kind == rt.kind {
        decode_raw(message_name(builtin), &envelope, &rt.kind)?
    } else {
        Value::Object(Default::default())
    };
    envelope.stamp(&mut object);
    Ok(object)
}

/// The `DeleteOptions` a protobuf body of a delete carries, as JSON.
pub fn decode_delete_options(bytes: &[u8]) -> ApiResult<Value> {
    let envelope = Envelope::open(bytes).map_err(|e| unrecognized("DeleteOptions", &e, bytes))?;
    if !envelope.kind.is_empty() && envelope.kind != "DeleteOptions" {
        return Err(ApiError::bad_request(format!(
            "{} in version {:?} cannot be handled as a DeleteOptions: the body is not a DeleteOptions",
            envelope.kind,
            envelope.version()
        )));
    }
    decode_raw(DELETE_OPTIONS, &envelope, "DeleteOptions")
}

fn decode_raw(message: &str, envelope: &Envelope, expected_kind: &str) -> ApiResult<Value> {
    let cannot = |e: &dyn std::fmt::Display| {
        let kind = if envelope.kind.is_empty() { expected_kind } else { &envelope.kind };
        ApiError::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {expected_kind}: {e}",
            envelope.version()
        ))
    };
    let message = DynamicMessage::decode(descriptor(message)?, envelope.raw.as_slice()).map_err(|e| cannot(&e))?;
    json::message(&message).map_err(|e| cannot(&e))
}

/// The API server's answer to a body it cannot even open: what it expected, why, and the
/// start of the body (`transformDecodeError` in its handlers).
fn unrecognized(kind: &str, error: &envelope::EnvelopeError, bytes: &[u8]) -> ApiError {
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {kind}): {error} ({})",
        summarize(bytes)
    ))
}

/// The first 30 bytes of a body, as the API server quotes them in an error: text when it
/// looks like JSON, hex otherwise.
fn summarize(bytes: &[u8]) -> String {
    const LIMIT: usize = 30;
    let (head, more) = if bytes.len() > LIMIT { (&bytes[..LIMIT], " ...") } else { (bytes, "") };
    match head.first() {
        None => "<empty>".to_string(),
        Some(b'{') => format!("{}{more}", String::from_utf8_lossy(head)),
        Some(_) => format!("{}{more}", head.iter().map(|b| format!("{b:02x}")).collect::<String>()),
    }
}
