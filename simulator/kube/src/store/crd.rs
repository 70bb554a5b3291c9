//! CustomResourceDefinitions: validation, the accepted status, and serving the new type the
//! moment it is established (kube-apiserver.md §7.3, §2.5).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Store;
use super::delete::CRD_CLEANUP;
use crate::error::Cause;
use crate::meta;
use crate::resource::{PrinterColumn, ResourceType, version_priority};
use crate::schema;

impl Store {
    pub(super) fn validate_crd(&self, crd: &Value, old: Option<&Value>) -> Vec<Cause> {
        let mut causes = Vec::new();
        let spec = &crd["spec"];
        let group = spec["group"].as_str().unwrap_or_default();
        let plural = spec["names"]["plural"].as_str().unwrap_or_default();
        if group.is_empty() {
            causes.push(Cause::required("spec.group"));
        } else if !group.contains('.') {
            causes.push(Cause::invalid("spec.group", &spec["group"], "should be a domain with at least one dot"));
        }
        if plural.is_empty() {
            causes.push(Cause::required("spec.names.plural"));
        }
        if spec["names"]["kind"].as_str().unwrap_or_default().is_empty() {
            causes.push(Cause::required("spec.names.kind"));
        }
        let expected = format!("{plural}.{group}");
        if meta::name(crd) != expected {
            causes.push(Cause::invalid(
                "metadata.name",
                &Value::from(meta::name(crd)),
                "must be spec.names.plural+\".\"+spec.group",
            ));
        }
        let scopes = [json!("Cluster"), json!("Namespaced")];
        if !scopes.contains(&spec["scope"]) {
            causes.push(Cause::not_supported("spec.scope", &spec["scope"], &scopes));
        }
        let versions = spec["versions"].as_array().cloned().unwrap_or_default();
        if versions.is_empty() {
            causes.push(Cause::required("spec.versions"));
        }
        let storage = versions.iter().filter(|v| v["storage"] == Value::Bool(true)).count();
        if !versions.is_empty() && storage != 1 {
            causes.push(Cause::invalid(
                "spec.versions",
                &json!("array"),
                "must have exactly one version marked as storage version",
            ));
        }
        for (i, v) in versions.iter().enumerate() {
            let schema = &v["schema"]["openAPIV3Schema"];
            if !schema.is_object() {
                causes.push(Cause::required(format!("spec.versions[{i}].schema.openAPIV3Schema")));
            } else {
                if schema["type"] != "object" {
                    causes.push(Cause::required(format!("spec.versions[{i}].schema.openAPIV3Schema.type")));
                }
                schema::check_schema(schema, &format!("spec.versions[{i}].schema.openAPIV3Schema"), &mut causes);
            }
        }
        if let Some(old) = old {
            for field in ["group", "scope"] {
                if old["spec"][field] != spec[field] {
                    causes.push(Cause::invalid(format!("spec.{field}"), &spec[field], "field is immutable"));
                }
            }
        } else if self.registry.get(group, plural).is_some_and(|rt| rt.crd.is_none()) {
            causes.push(Cause::invalid("spec.names.plural", &spec["names"]["plural"], "is served by a built-in type"));
        }
        causes
    }

    /// Defaults the names, sets the accepted status and the cleanup finalizer.
    pub(super) fn crd_accepted(&self, crd: &mut Value, now: &str) {
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default().to_string();
        let names = crd["spec"]["names"].as_object_mut().expect("validated");
        names.entry("singular").or_insert_with(|| kind.to_lowercase().into());
        names.entry("listKind").or_insert_with(|| format!("{kind}List").into());
        let storage: Vec<Value> = crd["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["storage"] == Value::Bool(true))
            .map(|v| v["name"].clone())
            .collect();
        crd["status"] = json!({
            "acceptedNames": crd["spec"]["names"].clone(),
            "storedVersions": storage,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now},
            ],
        });
        let mut finalizers = meta::finalizers(crd);
        if !finalizers.iter().any(|f| f == CRD_CLEANUP) {
            finalizers.push(CRD_CLEANUP.into());
        }
        meta::set_finalizers(crd, finalizers);
    }

    /// Serves (or re-serves, after an update) the type a stored CRD defines.
    pub(super) fn register_crd(&mut self, crd: &Value) {
        if meta::is_deleting(crd) {
            return;
        }
        if let Some(rt) = resource_type_of(crd) {
            self.registry.insert(rt);
        }
    }

    pub(super) fn unregister_crd(&mut self, crd: &Value) {
        let (group, plural) = (
            crd["spec"]["group"].as_str().unwrap_or_default(),
            crd["spec"]["names"]["plural"].as_str().unwrap_or_default(),
        );
        if self.registry.get(group, plural).is_some_and(|rt| rt.crd.is_some()) {
            self.registry.remove(group, plural);
            self.objects.remove(&(group.to_string(), plural.to_string()));
        }
    }
}

/// The served type of a CRD: every served version, the storage version first.
pub fn resource_type_of(crd: &Value) -> Option<ResourceType> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let versions = spec["versions"].as_array()?;
    let storage = versions.iter().find(|v| v["storage"] == Value::Bool(true))?;
    let storage_version = storage["name"].as_str()?.to_string();
    let mut served: Vec<String> = versions
        .iter()
        .filter(|v| v["served"] != Value::Bool(false))
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    served.sort_by_key(|v| (v != &storage_version, version_priority(v)));
    let schemas: BTreeMap<String, Value> = versions
        .iter()
        .filter_map(|v| Some((v["name"].as_str()?.to_string(), v["schema"]["openAPIV3Schema"].clone())))
        .collect();
    let columns = storage["additionalPrinterColumns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| PrinterColumn {
            name: c["name"].as_str().unwrap_or_default().into(),
            type_: c["type"].as_str().unwrap_or("string").into(),
            json_path: c["jsonPath"].as_str().unwrap_or_default().into(),
            priority: c["priority"].as_i64().unwrap_or(0),
            description: c["description"].as_str().unwrap_or_default().into(),
        })
        .collect();
    let kind = names["kind"].as_str()?.to_string();
    let strings = |v: &Value| meta::string_list(v);
    Some(ResourceType {
        group: spec["group"].as_str()?.to_string(),
        versions: served,
        storage_version,
        plural: names["plural"].as_str()?.to_string(),
        singular: names["singular"].as_str().map_or_else(|| kind.to_lowercase(), String::from),
        list_kind: names["listKind"].as_str().map_or_else(|| format!("{kind}List"), String::from),
        kind,
        namespaced: spec["scope"] == "Namespaced",
        short_names: strings(&names["shortNames"]),
        categories: strings(&names["categories"]),
        status_subresource: storage["subresources"]["status"].is_object(),
        crd: Some(meta::name(crd).to_string()),
        builtin: None,
        schemas,
        columns,
    })
}
