//! Create, update (PUT), patch and apply: the pipelines of kube-apiserver.md §4.3, §4.4, §5.

use serde_json::{Value, json};

use super::{Change, EventType, Store, at_version};
use crate::builtin;
use crate::error::{ApiError, ApiResult, Cause};
use crate::meta;
use crate::patch::PatchKind;
use crate::patch::fields::{self, Applier, Scope};
use crate::patch::lists::TypeInfo;
use crate::resource::{Builtin, ResourceType};
use crate::schema;

/// `fieldValidation`: what unknown fields cost (kube-apiserver.md §4.9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    #[default]
    Warn,
    Strict,
}

/// The subresource a write addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Finalize,
}

#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    /// `fieldManager` as sent.
    pub field_manager: Option<String>,
    /// The manager recorded when none is sent (derived from the User-Agent).
    pub default_manager: String,
    pub field_validation: FieldValidation,
    /// `force` (apply only).
    pub force: bool,
}

impl WriteOptions {
    fn manager(&self) -> String {
        self.field_manager.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| self.default_manager.clone())
    }
}

#[derive(Clone, Debug)]
pub struct WriteOutcome {
    pub object: Value,
    pub created: bool,
    pub warnings: Vec<String>,
}

/// Who records field ownership for a write.
enum Ownership {
    /// Track as an `Update` by this manager.
    Update(String),
    /// Already computed (server-side apply).
    Applied,
}

fn type_info<'a>(rt: &'a ResourceType, version: &str) -> TypeInfo<'a> {
    match rt.schema(version) {
        Some(schema) => TypeInfo::Schema(schema),
        None => TypeInfo::Builtin(&rt.kind),
    }
}

fn check_type(rt: &ResourceType, version: &str, obj: &Value) -> ApiResult<()> {
    if !obj.is_object() {
        return Err(ApiError::bad_request("the body of the request must be a JSON or YAML object"));
    }
    let expected_version = rt.api_version(version);
    let Some(kind) = obj["kind"].as_str().filter(|k| !k.is_empty()) else {
        return Err(ApiError::bad_request(format!("Object 'Kind' is missing in '{}'", truncate(&obj.to_string()))));
    };
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    if api_version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_version})"
        )));
    }
    if kind != rt.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    if s.len() > 200 { format!("{}...", &s[..s.floor_char_boundary(200)]) } else { s.to_string() }
}

/// The part of an object whose change bumps `generation`.
fn generation_part(obj: &Value, rt: &ResourceType) -> Value {
    let mut part = obj.clone();
    if let Some(map) = part.as_object_mut() {
        map.remove("metadata");
        if rt.status_subresource {
            map.remove("status");
        }
    }
    part
}

/// An object as no-op detection compares it: without its RV and ownership timestamps.
fn comparable(obj: &Value) -> Value {
    let mut c = obj.clone();
    if let Some(meta) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
        if let Some(Value::Array(entries)) = meta.get_mut("managedFields") {
            for e in entries {
                if let Some(e) = e.as_object_mut() {
                    e.remove("time");
                }
            }
        }
    }
    c
}

impl Store {
    /// Decodes and prunes the body as its type does; returns it with its unknown fields.
    fn normalize(&self, rt: &ResourceType, version: &str, obj: &Value) -> ApiResult<(Value, Vec<String>)> {
        match (rt.builtin, rt.schema(version)) {
            (Some(b), _) => builtin::decode(b, &rt.kind, version, obj),
            (None, Some(schema)) => {
                let mut out = obj.clone();
                let unknown = schema::prune(schema, &mut out);
                Ok((out, unknown))
            }
            (None, None) => Ok((obj.clone(), vec![])),
        }
    }

    fn unknown_field_policy(unknown: Vec<String>, validation: FieldValidation) -> ApiResult<Vec<String>> {
        let texts: Vec<String> = unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect();
        match validation {
            FieldValidation::Strict if !texts.is_empty() => {
                Err(ApiError::bad_request(format!("strict decoding error: {}", texts.join(", "))))
            }
            FieldValidation::Warn => Ok(texts),
            _ => Ok(vec![]),
        }
    }

    fn default_and_validate(
        &mut self,
        rt: &ResourceType,
        version: &str,
        obj: &mut Value,
        old: Option<&Value>,
    ) -> ApiResult<()> {
        meta::drop_empty_metadata(obj);
        match (rt.builtin, rt.schema(version)) {
            (Some(b), _) => builtin::apply_defaults(b, obj, old, &mut self.network)?,
            (None, Some(schema)) => schema::apply_defaults(schema, obj),
            _ => {}
        }
        let name_rule = rt.builtin.map_or(meta::dns_subdomain_errors as fn(&str) -> Vec<String>, builtin::name_rule);
        let mut causes = meta::validate_metadata(obj, name_rule);
        if let Some(old) = old {
            causes.extend(finalizers_added_while_deleting(old, obj));
        }
        match (rt.builtin, rt.schema(version)) {
            (Some(Builtin::CustomResourceDefinition), _) => causes.extend(self.validate_crd(obj, old)),
            (Some(b), _) => causes.extend(builtin::validate(b, obj, old)),
            (None, Some(schema)) => causes.extend(schema::validate(schema, obj)),
            _ => {}
        }
        if causes.is_empty() { Ok(()) } else { Err(ApiError::invalid(&rt.group, &rt.kind, meta::name(obj), causes)) }
    }

    /// POST (kube-apiserver.md §4.3).
    pub fn create(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: Option<&str>,
        body: Value,
        opts: &WriteOptions,
    ) -> ApiResult<WriteOutcome> {
        self.create_inner(rt, version, namespace, body, opts, Ownership::Update(opts.manager()))
    }

    fn create_inner(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: Option<&str>,
        body: Value,
        opts: &WriteOptions,
        ownership: Ownership,
    ) -> ApiResult<WriteOutcome> {
        check_type(rt, version, &body)?;
        let mut obj = body;
        let namespace = if rt.namespaced {
            let url_ns = namespace.unwrap_or_default();
            match meta::namespace(&obj) {
                "" => {
                    meta::meta_mut(&mut obj).insert("namespace".into(), url_ns.into());
                }
                ns if ns != url_ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            url_ns.to_string()
        } else {
            meta::meta_mut(&mut obj).remove("namespace");
            String::new()
        };
        if !meta::resource_version(&obj).is_empty() {
            return Err(ApiError::internal("resourceVersion should not be set on objects to be created"));
        }
        if meta::name(&obj).is_empty()
            && let Some(prefix) = meta::str_field(&obj, "generateName").map(String::from)
        {
            let name = loop {
                let candidate = format!("{prefix}{}", self.rng().string_from(b"bcdfghjklmnpqrstvwxz2456789", 5));
                if self.stored(rt, &namespace, &candidate).is_none() {
                    break candidate;
                }
            };
            meta::meta_mut(&mut obj).insert("name".into(), name.into());
        }
        let (mut obj, unknown) = self.normalize(rt, version, &obj)?;
        let warnings = Self::unknown_field_policy(unknown, opts.field_validation)?;
        if rt.namespaced {
            match self.namespace_state(&namespace) {
                None => return Err(ApiError::not_found("", "namespaces", &namespace)),
                Some(true) => {
                    return Err(ApiError::namespace_terminating(&rt.group, &rt.plural, meta::name(&obj), &namespace));
                }
                Some(false) => {}
            }
        }

        let now = self.now();
        let uid = self.rng().uuid();
        {
            let m = meta::meta_mut(&mut obj);
            m.insert("uid".into(), uid.into());
            m.insert("creationTimestamp".into(), now.clone().into());
            m.remove("deletionTimestamp");
            m.remove("deletionGracePeriodSeconds");
            m.remove("generation");
            if !matches!(ownership, Ownership::Applied) {
                m.remove("managedFields");
            }
        }
        if rt.tracks_generation() {
            meta::meta_mut(&mut obj).insert("generation".into(), 1.into());
        }
        if rt.status_subresource
            && let Some(map) = obj.as_object_mut()
        {
            map.remove("status");
        }
        obj["apiVersion"] = rt.storage_api_version().into();

        let network_before = self.network.clone();
        let result = self.default_and_validate(rt, version, &mut obj, None);
        if let Err(e) = result {
            self.network = network_before;
            return Err(e);
        }
        if self.stored(rt, &namespace, meta::name(&obj)).is_some() {
            self.network = network_before;
            return Err(ApiError::already_exists(&rt.group, &rt.plural, meta::name(&obj)));
        }
        if let Ownership::Update(manager) = &ownership {
            let empty = json!({});
            let scope = Scope::Main { status_subresource: false };
            fields::track_update(
                &empty,
                &mut obj,
                manager,
                scope,
                &rt.api_version(version),
                &now,
                type_info(rt, version),
            );
        }
        meta::drop_empty_metadata(&mut obj);
        if opts.dry_run {
            self.network = network_before;
            return Ok(WriteOutcome { object: at_version(&obj, rt, version), created: true, warnings });
        }
        if rt.builtin == Some(Builtin::CustomResourceDefinition) {
            self.crd_accepted(&mut obj, &now);
        }
        let rv = self.next_rv();
        meta::meta_mut(&mut obj).insert("resourceVersion".into(), rv.to_string().into());
        let name = meta::name(&obj).to_string();
        self.objects.entry(Self::key_of(rt)).or_default().insert((namespace.clone(), name), obj.clone());
        self.record(Change {
            rv,
            resource: Self::key_of(rt),
            namespace,
            type_: EventType::Added,
            object: obj.clone(),
            previous: None,
        });
        if rt.builtin == Some(Builtin::CustomResourceDefinition) {
            self.register_crd(&obj);
        }
        Ok(WriteOutcome { object: at_version(&obj, rt, version), created: true, warnings })
    }

    /// PUT (kube-apiserver.md §4.4).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: &str,
        name: &str,
        subresource: Option<Subresource>,
        body: Value,
        opts: &WriteOptions,
    ) -> ApiResult<WriteOutcome> {
        self.update_inner(
            rt,
            version,
            namespace,
            name,
            subresource,
            body,
            opts,
            Ownership::Update(opts.manager()),
            false,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn update_inner(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: &str,
        name: &str,
        subresource: Option<Subresource>,
        body: Value,
        opts: &WriteOptions,
        ownership: Ownership,
        from_patch: bool,
    ) -> ApiResult<WriteOutcome> {
        let old = self
            .stored(rt, namespace, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        check_type(rt, version, &body)?;
        let mut obj = body;
        match meta::name(&obj) {
            "" => {
                meta::meta_mut(&mut obj).insert("name".into(), name.into());
            }
            n if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {}
        }
        if rt.namespaced {
            match meta::namespace(&obj) {
                "" => {
                    meta::meta_mut(&mut obj).insert("namespace".into(), namespace.into());
                }
                ns if ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
        }
        let sent_rv = meta::resource_version(&obj).to_string();
        if !sent_rv.is_empty() && sent_rv != meta::resource_version(&old) {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        if sent_rv.is_empty() && rt.is_custom() && !from_patch {
            // The message names the plural resource, not the Kind (apiserver store.go Update).
            let cause = Cause {
                reason: "FieldValueInvalid",
                message: "Invalid value: 0x0: must be specified for an update".into(),
                field: "metadata.resourceVersion".into(),
            };
            return Err(ApiError::invalid(&rt.group, &rt.plural, name, vec![cause]));
        }
        let reset_managed = obj["metadata"]["managedFields"] == json!([{}]);
        let (mut obj, unknown) = self.normalize(rt, version, &obj)?;
        let warnings = Self::unknown_field_policy(unknown, opts.field_validation)?;

        // What the endpoint may change.
        obj = match subresource {
            Some(Subresource::Status) => {
                let mut kept = old.clone();
                kept["status"] = obj.get("status").cloned().unwrap_or(Value::Null);
                if kept["status"].is_null()
                    && let Some(map) = kept.as_object_mut()
                {
                    map.remove("status");
                }
                if matches!(ownership, Ownership::Applied) {
                    kept["metadata"]["managedFields"] = obj["metadata"]["managedFields"].clone();
                }
                kept
            }
            Some(Subresource::Finalize) => {
                let mut kept = old.clone();
                kept["spec"]["finalizers"] = obj["spec"]["finalizers"].clone();
                kept
            }
            None => {
                if rt.status_subresource {
                    match old.get("status") {
                        Some(status) => obj["status"] = status.clone(),
                        None => {
                            if let Some(map) = obj.as_object_mut() {
                                map.remove("status");
                            }
                        }
                    }
                }
                obj
            }
        };
        obj["apiVersion"] = rt.storage_api_version().into();
        {
            let old_meta = old["metadata"].as_object().cloned().unwrap_or_default();
            let m = meta::meta_mut(&mut obj);
            for key in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "name",
                "namespace",
                "resourceVersion",
            ] {
                match old_meta.get(key) {
                    Some(v) => m.insert(key.into(), v.clone()),
                    None => m.remove(key),
                };
            }
            if !matches!(ownership, Ownership::Applied) {
                match old_meta.get("managedFields") {
                    Some(v) if !reset_managed => m.insert("managedFields".into(), v.clone()),
                    _ => m.remove("managedFields"),
                };
            }
        }
        let network_before = self.network.clone();
        if let Err(e) = self.default_and_validate(rt, version, &mut obj, Some(&old)) {
            self.network = network_before;
            return Err(e);
        }
        if rt.tracks_generation() && generation_part(&obj, rt) != generation_part(&old, rt) {
            let generation = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            meta::meta_mut(&mut obj).insert("generation".into(), generation.into());
        }
        let now = self.now();
        if let Ownership::Update(manager) = &ownership
            && !reset_managed
        {
            let scope = match subresource {
                Some(Subresource::Status) => Scope::Status,
                _ => Scope::Main { status_subresource: rt.status_subresource },
            };
            fields::track_update(
                &old,
                &mut obj,
                manager,
                scope,
                &rt.api_version(version),
                &now,
                type_info(rt, version),
            );
        }
        meta::drop_empty_metadata(&mut obj);

        if comparable(&obj) == comparable(&old) {
            self.network = network_before;
            return Ok(WriteOutcome { object: at_version(&old, rt, version), created: false, warnings });
        }
        if opts.dry_run {
            self.network = network_before;
            return Ok(WriteOutcome { object: at_version(&obj, rt, version), created: false, warnings });
        }
        if meta::is_deleting(&old) && self.finalizers_done(rt, &obj) {
            // The update that empties the finalizers of a deleting object is not written: the
            // object goes, and watchers see only DELETED (apiserver store.go Update →
            // errEmptiedFinalizers).
            self.remove_now(rt, namespace, name);
            return Ok(WriteOutcome { object: at_version(&obj, rt, version), created: false, warnings });
        }
        let rv = self.next_rv();
        meta::meta_mut(&mut obj).insert("resourceVersion".into(), rv.to_string().into());
        self.objects
            .entry(Self::key_of(rt))
            .or_default()
            .insert((namespace.to_string(), name.to_string()), obj.clone());
        self.record(Change {
            rv,
            resource: Self::key_of(rt),
            namespace: namespace.to_string(),
            type_: EventType::Modified,
            object: obj.clone(),
            previous: Some(old),
        });
        if rt.builtin == Some(Builtin::CustomResourceDefinition) {
            self.register_crd(&obj);
        }
        Ok(WriteOutcome { object: at_version(&obj, rt, version), created: false, warnings })
    }

    /// PATCH (kube-apiserver.md §5).
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: &str,
        name: &str,
        subresource: Option<Subresource>,
        kind: PatchKind,
        patch: &Value,
        opts: &WriteOptions,
    ) -> ApiResult<WriteOutcome> {
        if kind == PatchKind::Apply {
            return self.apply(rt, version, namespace, name, subresource, patch, opts);
        }
        if kind == PatchKind::Strategic && rt.is_custom() {
            return Err(ApiError::unsupported_media_type(
                "application/strategic-merge-patch+json",
                &["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"],
            ));
        }
        let live = self.get(rt, version, namespace, name)?;
        let patched = match kind {
            PatchKind::Json => crate::patch::json::apply(&live, patch)?,
            PatchKind::Merge => crate::patch::json::merge(&live, patch)?,
            PatchKind::Strategic => crate::patch::strategic::apply(&rt.kind, &live, patch)?,
            PatchKind::Apply => unreachable!("handled above"),
        };
        self.update_inner(
            rt,
            version,
            namespace,
            name,
            subresource,
            patched,
            opts,
            Ownership::Update(opts.manager()),
            true,
        )
    }

    /// Server-side apply, creating the object when it is missing (kube-apiserver.md §5.5).
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: &str,
        name: &str,
        subresource: Option<Subresource>,
        applied: &Value,
        opts: &WriteOptions,
    ) -> ApiResult<WriteOutcome> {
        let Some(manager) = opts.field_manager.clone().filter(|m| !m.is_empty()) else {
            return Err(ApiError::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        };
        if manager.len() > 128 {
            return Err(ApiError::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes",
            ));
        }
        check_type(rt, version, applied)?;
        match meta::name(applied) {
            "" => {}
            n if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {}
        }
        let scope = match subresource {
            Some(Subresource::Status) => Scope::Status,
            _ => Scope::Main { status_subresource: rt.status_subresource },
        };
        let now = self.now();
        let api_version = rt.api_version(version);
        let who = Applier { manager: &manager, force: opts.force, scope, api_version: &api_version, now: &now };
        let types = type_info(rt, version);
        let conflict = |conflicts: Vec<fields::Conflict>| apply_conflict(rt, name, conflicts);
        match self.stored(rt, namespace, name).cloned() {
            None => {
                if subresource.is_some() {
                    return Err(ApiError::not_found(&rt.group, &rt.plural, name));
                }
                let mut base = json!({"apiVersion": api_version, "kind": rt.kind, "metadata": {"name": name}});
                if rt.namespaced {
                    base["metadata"]["namespace"] = namespace.into();
                }
                let merged = fields::apply(&base, applied, who, types).map_err(conflict)?;
                self.create_inner(rt, version, rt.namespaced.then_some(namespace), merged, opts, Ownership::Applied)
            }
            Some(live) => {
                let live = at_version(&live, rt, version);
                let merged = fields::apply(&live, applied, who, types).map_err(conflict)?;
                self.update_inner(rt, version, namespace, name, subresource, merged, opts, Ownership::Applied, true)
            }
        }
    }
}

fn apply_conflict(rt: &ResourceType, name: &str, conflicts: Vec<fields::Conflict>) -> ApiError {
    let n = conflicts.len();
    let message = if n == 1 {
        format!("Apply failed with 1 conflict: conflict with \"{}\": {}", conflicts[0].manager, conflicts[0].path)
    } else {
        let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
        managers.dedup();
        let mut text = format!("Apply failed with {n} conflicts: ");
        for m in managers {
            text.push_str(&format!("conflicts with \"{m}\":"));
            for c in conflicts.iter().filter(|c| c.manager == m) {
                text.push_str(&format!("\n- {}", c.path));
            }
            text.push('\n');
        }
        text.trim_end().to_string()
    };
    let mut e = ApiError::new(409, "Conflict", message);
    let mut details = json!({"name": name, "kind": rt.plural});
    if !rt.group.is_empty() {
        details["group"] = rt.group.clone().into();
    }
    details["causes"] = conflicts
        .iter()
        .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\"", c.manager), "field": c.path}))
        .collect();
    e.details = Some(details);
    e
}

fn finalizers_added_while_deleting(old: &Value, new: &Value) -> Vec<Cause> {
    if !meta::is_deleting(old) {
        return vec![];
    }
    let before = meta::finalizers(old);
    let added: Vec<String> = meta::finalizers(new).into_iter().filter(|f| !before.contains(f)).collect();
    if added.is_empty() {
        return vec![];
    }
    let list: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
    vec![Cause::forbidden(
        "metadata.finalizers",
        format!(
            "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
            list.join(", ")
        ),
    )]
}
