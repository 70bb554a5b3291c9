//! RFC 6902 JSON patch as the apiserver applies it (`evanphx/json-patch` v4): a `test` whose
//! value is `null` passes when the target key is absent. kube-runtime's finalizer helper
//! depends on it (`test /metadata/finalizers null`, then `add`), and the `json-patch` crate
//! alone fails that test, so each such operation is checked here first (kube-apiserver.md §5.1).

use json_patch::{PatchOperation, TestOperation};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Applies `patch` to `doc`; a malformed document is 400, an operation that fails is 422.
pub fn apply(doc: &Value, patch: &Value) -> ApiResult<Value> {
    let ops: Vec<PatchOperation> = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    let mut out = doc.clone();
    for op in &ops {
        if let PatchOperation::Test(TestOperation { path, value: Value::Null }) = op
            && out.pointer(path.as_str()).is_none()
        {
            continue;
        }
        json_patch::patch(&mut out, std::slice::from_ref(op)).map_err(|_| ApiError::patch_rejected())?;
    }
    Ok(out)
}

/// RFC 7386: objects merge, `null` deletes, everything else replaces.
pub fn merge(doc: &Value, patch: &Value) -> ApiResult<Value> {
    if !patch.is_object() {
        return Err(ApiError::bad_request("error decoding patch: a merge patch must be a JSON object"));
    }
    let mut out = doc.clone();
    json_patch::merge(&mut out, patch);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn test_null_on_missing_key_passes() {
        let doc = json!({"metadata": {"name": "a"}});
        let patch = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["f"]}
        ]);
        assert_eq!(apply(&doc, &patch).unwrap()["metadata"]["finalizers"], json!(["f"]));
    }

    #[test]
    fn failing_test_is_422_and_changes_nothing() {
        let doc = json!({"metadata": {"finalizers": ["x"]}});
        let patch = json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "y"},
            {"op": "remove", "path": "/metadata/finalizers/0"}
        ]);
        let e = apply(&doc, &patch).unwrap_err();
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        assert_eq!(apply(&doc, &json!({"not": "a list"})).unwrap_err().code, 400);
    }

    #[test]
    fn merge_patch_deletes_with_null() {
        let doc = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        assert_eq!(merge(&doc, &json!({"a": {"b": null}, "l": [3]})).unwrap(), json!({"a": {"c": 2}, "l": [3]}));
    }
}
