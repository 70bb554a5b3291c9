//! The wrapping of every Kubernetes protobuf body: the four bytes `k8s\0`, then a
//! `runtime.Unknown` message holding the type (`apiVersion`, `kind`) and the object's own
//! encoding (`raw`).

use prost_reflect::DynamicMessage;
use serde_json::Value;

use super::descriptor;

const MAGIC: [u8; 4] = [0x6b, 0x38, 0x73, 0x00];
const UNKNOWN: &str = "k8s.io.apimachinery.pkg.runtime.Unknown";

/// Why a body is not a Kubernetes protobuf envelope; the texts are the API server's.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    // Go prints a byte slice as `[107 56 115 0]`.
    #[error("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")]
    NoPrefix,
    #[error("{0}")]
    Malformed(String),
    #[error("unsupported content encoding {0:?}")]
    ContentEncoding(String),
    #[error("unsupported content type {0:?} inside the envelope")]
    ContentType(String),
}

#[derive(Debug)]
pub struct Envelope {
    pub api_version: String,
    pub kind: String,
    pub raw: Vec<u8>,
}

impl Envelope {
    pub fn open(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or(EnvelopeError::NoPrefix)?;
        let unknown =
            DynamicMessage::decode(descriptor(UNKNOWN).map_err(|e| EnvelopeError::Malformed(e.message.clone()))?, body)
                .map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        let text = |message: &DynamicMessage, field: &str| {
            message.get_field_by_name(field).and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
        };
        let encoding = text(&unknown, "contentEncoding");
        if !encoding.is_empty() {
            return Err(EnvelopeError::ContentEncoding(encoding));
        }
        let content_type = text(&unknown, "contentType");
        if !content_type.is_empty() && content_type != super::MEDIA_TYPE {
            return Err(EnvelopeError::ContentType(content_type));
        }
        let type_meta = unknown.get_field_by_name("typeMeta").and_then(|v| v.as_message().cloned());
        let (api_version, kind) = type_meta.map(|t| (text(&t, "apiVersion"), text(&t, "kind"))).unwrap_or_default();
        let raw = unknown.get_field_by_name("raw").and_then(|v| v.as_bytes().map(|b| b.to_vec())).unwrap_or_default();
        Ok(Envelope { api_version, kind, raw })
    }

    /// The version part of the envelope's `apiVersion` (`v1` of `discovery.k8s.io/v1`).
    pub fn version(&self) -> &str {
        self.api_version.rsplit('/').next().unwrap_or_default()
    }

    /// Gives `object` the envelope's type, where the envelope names one.
    pub fn stamp(&self, object: &mut Value) {
        if let Value::Object(map) = object {
            if !self.api_version.is_empty() {
                map.insert("apiVersion".into(), self.api_version.clone().into());
            }
            if !self.kind.is_empty() {
                map.insert("kind".into(), self.kind.clone().into());
            }
        }
    }
}
