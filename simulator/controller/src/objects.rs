//! Reading ServiceExports. The Go type declares `spec` with `omitempty`, so a stored export
//! may have no `spec` at all (the usual legacy-mode manifest); the derived Rust type requires
//! one, so exports are read as dynamic objects and given an empty `spec` before typing.

use kube::api::{Api, ApiResource, DynamicObject};
use latticelab_crds::aws::ServiceExport;

use crate::error::{Error, Result};

pub fn export_resource() -> ApiResource {
    ApiResource::erase::<ServiceExport>(&())
}

pub fn export_from(obj: &DynamicObject) -> Result<ServiceExport> {
    let mut value = serde_json::to_value(obj).map_err(|e| Error::Deploy(e.to_string()))?;
    if value.get("spec").is_none_or(|s| s.is_null()) {
        value["spec"] = serde_json::json!({});
    }
    serde_json::from_value(value).map_err(|e| Error::Deploy(format!("unreadable ServiceExport: {e}")))
}

pub fn exports_api(kube: &kube::Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(kube.clone(), namespace, &export_resource())
}

/// The export (typed) and its stored form (for writes), if it exists.
pub async fn get_export(
    kube: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Option<(ServiceExport, DynamicObject)>> {
    match exports_api(kube, namespace).get_opt(name).await? {
        Some(obj) => Ok(Some((export_from(&obj)?, obj))),
        None => Ok(None),
    }
}
