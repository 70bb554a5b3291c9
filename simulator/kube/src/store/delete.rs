//! Deletion: finalizers and deletionTimestamp, garbage collection of owned objects
//! (background, foreground, orphan), namespace termination and CRD cleanup
//! (kube-apiserver.md §4.6–§4.8, §7.3). Collection runs synchronously inside the write that
//! removes an owner, so it is deterministic and needs no background controller.

use serde_json::{Value, json};

use super::{Change, EventType, Store, at_version};
use crate::builtin;
use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::resource::{Builtin, ResourceType};

const FOREGROUND: &str = "foregroundDeletion";
const ORPHAN: &str = "orphan";
pub(super) const CRD_CLEANUP: &str = "customresourcecleanup.apiextensions.k8s.io";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn parse(text: &str) -> ApiResult<Self> {
        match text {
            "Background" => Ok(Self::Background),
            "Foreground" => Ok(Self::Foreground),
            "Orphan" => Ok(Self::Orphan),
            other => Err(ApiError::bad_request(format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            ))),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    pub dry_run: bool,
}

#[derive(Clone, Debug)]
pub enum DeleteOutcome {
    /// Gone; the last state, with the deletion's RV.
    Deleted(Value),
    /// Waiting for finalizers; the object with its deletionTimestamp.
    Pending(Value),
}

/// An object's address: its type and key.
type Address = (ResourceType, String, String);

impl Store {
    pub fn delete(
        &mut self,
        rt: &ResourceType,
        version: &str,
        namespace: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<DeleteOutcome> {
        let old = self
            .stored(rt, namespace, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let storage_key = format!(
            "/registry/{}/{}{name}",
            rt.plural,
            if namespace.is_empty() { String::new() } else { format!("{namespace}/") }
        );
        if let Some(uid) = &opts.precondition_uid
            && uid != meta::uid(&old)
        {
            let why = format!(
                "StorageError: invalid object, Code: 4, Key: {storage_key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta::uid(&old)
            );
            return Err(ApiError::conflict_because(&rt.group, &rt.plural, name, &why));
        }
        if let Some(rv) = &opts.precondition_rv
            && rv != meta::resource_version(&old)
        {
            let why = format!(
                "StorageError: invalid object, Code: 4, Key: {storage_key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                meta::resource_version(&old)
            );
            return Err(ApiError::conflict_because(&rt.group, &rt.plural, name, &why));
        }
        if meta::is_deleting(&old) {
            return Ok(DeleteOutcome::Pending(at_version(&old, rt, version)));
        }
        let mut obj = old.clone();
        let mut finalizers = meta::finalizers(&obj);
        match opts.propagation.unwrap_or_default() {
            Propagation::Foreground if !finalizers.iter().any(|f| f == FOREGROUND) => {
                finalizers.push(FOREGROUND.into())
            }
            Propagation::Orphan if !finalizers.iter().any(|f| f == ORPHAN) => finalizers.push(ORPHAN.into()),
            _ => {}
        }
        meta::set_finalizers(&mut obj, finalizers.clone());
        let waits = !finalizers.is_empty()
            || rt.builtin == Some(Builtin::Namespace) && !meta::string_list(&obj["spec"]["finalizers"]).is_empty();
        if opts.dry_run {
            return Ok(if waits {
                DeleteOutcome::Pending(at_version(&obj, rt, version))
            } else {
                DeleteOutcome::Deleted(at_version(&old, rt, version))
            });
        }
        if !waits {
            let gone = self.remove_now(rt, namespace, name).expect("the object exists");
            return Ok(DeleteOutcome::Deleted(at_version(&gone, rt, version)));
        }
        let now = self.now();
        {
            let m = meta::meta_mut(&mut obj);
            m.insert("deletionTimestamp".into(), now.clone().into());
            m.insert("deletionGracePeriodSeconds".into(), 0.into());
            // The first deletionTimestamp bumps a generation that is set, as the API server's
            // `BeforeDelete` and `markAsDeleting` do, so controllers that watch through a
            // generation-changed predicate see the deletion (docs/kube.md, "Deletion").
            if let Some(generation) = m.get("generation").and_then(serde_json::Value::as_i64).filter(|g| *g > 0) {
                m.insert("generation".into(), (generation + 1).into());
            }
        }
        if rt.builtin == Some(Builtin::Namespace) {
            obj["status"] = json!({"phase": "Terminating", "conditions": [
                {"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "reason": "ResourcesDiscovered", "message": "All resources successfully discovered", "lastTransitionTime": now},
                {"type": "NamespaceDeletionContentFailure", "status": "False", "reason": "ContentDeleted", "message": "All content successfully deleted, may be waiting on finalization", "lastTransitionTime": now},
            ]});
        }
        self.write_internal(rt, namespace, name, obj);
        let uid = meta::uid(&old).to_string();
        match opts.propagation.unwrap_or_default() {
            Propagation::Orphan => {
                for (dep_rt, dep_ns, dep_name) in self.dependents(&uid, rt.namespaced.then_some(namespace)) {
                    self.mutate(&dep_rt, &dep_ns, &dep_name, |o| strip_owner(o, &uid));
                }
                self.mutate(rt, namespace, name, |o| remove_finalizer(o, ORPHAN));
            }
            Propagation::Foreground => {
                for (dep_rt, dep_ns, dep_name) in self.dependents(&uid, rt.namespaced.then_some(namespace)) {
                    let _ = self.delete(
                        &dep_rt,
                        &dep_rt.storage_version.clone(),
                        &dep_ns,
                        &dep_name,
                        &DeleteOptions::default(),
                    );
                }
                self.release_foreground(&uid);
            }
            Propagation::Background => {}
        }
        match rt.builtin {
            Some(Builtin::Namespace) => {
                for (c_rt, c_ns, c_name) in self.namespace_content(name) {
                    let _ =
                        self.delete(&c_rt, &c_rt.storage_version.clone(), &c_ns, &c_name, &DeleteOptions::default());
                }
                self.finish_namespace(name);
            }
            Some(Builtin::CustomResourceDefinition) => self.clean_up_crd(name),
            _ => {}
        }
        Ok(match self.stored(rt, namespace, name) {
            Some(current) => DeleteOutcome::Pending(at_version(current, rt, version)),
            None => DeleteOutcome::Deleted(at_version(&old, rt, version)),
        })
    }

    /// Every object of a type matching the selectors, deleted one by one (deletecollection).
    pub fn delete_collection(
        &mut self,
        rt: &ResourceType,
        version: &str,
        query: &super::ListQuery,
        opts: &DeleteOptions,
    ) -> ApiResult<Vec<Value>> {
        let page = self.list(rt, version, &super::ListQuery { limit: None, continue_token: None, ..query.clone() })?;
        let mut deleted = Vec::new();
        for item in page.items {
            let (ns, name) = (meta::namespace(&item).to_string(), meta::name(&item).to_string());
            match self.delete(rt, version, &ns, &name, opts) {
                Ok(DeleteOutcome::Deleted(o) | DeleteOutcome::Pending(o)) => deleted.push(o),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }

    /// Stores `obj` as a server-side change (no ownership tracking), removing it when it is
    /// deleting and its finalizers are done.
    fn write_internal(&mut self, rt: &ResourceType, namespace: &str, name: &str, mut obj: Value) {
        let Some(old) = self.stored(rt, namespace, name).cloned() else { return };
        meta::drop_empty_metadata(&mut obj);
        if obj == old {
            return;
        }
        if meta::is_deleting(&obj) && self.finalizers_done(rt, &obj) {
            self.remove_now(rt, namespace, name);
            return;
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
            object: obj,
            previous: Some(old),
        });
    }

    fn mutate(&mut self, rt: &ResourceType, namespace: &str, name: &str, change: impl FnOnce(&mut Value)) {
        if let Some(mut obj) = self.stored(rt, namespace, name).cloned() {
            change(&mut obj);
            self.write_internal(rt, namespace, name, obj);
        }
    }

    pub(super) fn finalizers_done(&self, rt: &ResourceType, obj: &Value) -> bool {
        meta::finalizers(obj).is_empty()
            && (rt.builtin != Some(Builtin::Namespace) || meta::string_list(&obj["spec"]["finalizers"]).is_empty())
    }

    /// Removes the object now: DELETED with a new RV, then what follows from its absence.
    pub(super) fn remove_now(&mut self, rt: &ResourceType, namespace: &str, name: &str) -> Option<Value> {
        let key = (namespace.to_string(), name.to_string());
        let old = self.objects.get_mut(&Self::key_of(rt))?.remove(&key)?;
        let rv = self.next_rv();
        let mut last = old.clone();
        meta::meta_mut(&mut last).insert("resourceVersion".into(), rv.to_string().into());
        self.record(Change {
            rv,
            resource: Self::key_of(rt),
            namespace: namespace.to_string(),
            type_: EventType::Deleted,
            object: last.clone(),
            previous: Some(old.clone()),
        });
        if let Some(b) = rt.builtin {
            builtin::release(b, &old, &mut self.network);
        }
        self.after_removal(rt, &old);
        Some(last)
    }

    fn after_removal(&mut self, rt: &ResourceType, gone: &Value) {
        let uid = meta::uid(gone).to_string();
        let namespace = meta::namespace(gone).to_string();
        // Background collection of dependents whose every owner is gone.
        for (dep_rt, dep_ns, dep_name) in self.dependents(&uid, rt.namespaced.then_some(namespace.as_str())) {
            let Some(dependent) = self.stored(&dep_rt, &dep_ns, &dep_name).cloned() else { continue };
            let other_owner_alive =
                meta::owner_uids(&dependent).iter().any(|o| *o != uid && self.uid_exists(o, &dep_ns));
            if other_owner_alive {
                self.mutate(&dep_rt, &dep_ns, &dep_name, |o| strip_owner(o, &uid));
            } else {
                let _ = self.delete(
                    &dep_rt,
                    &dep_rt.storage_version.clone(),
                    &dep_ns,
                    &dep_name,
                    &DeleteOptions::default(),
                );
            }
        }
        for owner in meta::owner_uids(gone) {
            self.release_foreground(&owner);
        }
        if !namespace.is_empty() && self.namespace_state(&namespace) == Some(true) {
            self.finish_namespace(&namespace);
        }
        if let Some(crd_name) = &rt.crd {
            self.clean_up_crd(&crd_name.clone());
        }
        if rt.builtin == Some(Builtin::CustomResourceDefinition) {
            self.unregister_crd(gone);
        }
    }

    fn uid_exists(&self, uid: &str, namespace: &str) -> bool {
        self.objects
            .values()
            .flat_map(|m| m.iter())
            .any(|((ns, _), o)| (ns.is_empty() || ns == namespace) && meta::uid(o) == uid)
    }

    /// Objects that name `uid` as an owner: in `namespace` for a namespaced owner, anywhere
    /// for a cluster-scoped one (cross-namespace references are ignored, as GC does).
    fn dependents(&self, uid: &str, namespace: Option<&str>) -> Vec<Address> {
        let mut out = Vec::new();
        for ((group, plural), objects) in &self.objects {
            let Some(rt) = self.registry.get(group, plural) else { continue };
            for ((ns, name), o) in objects {
                if namespace.is_some_and(|n| n != ns) {
                    continue;
                }
                if meta::owner_uids(o).iter().any(|u| u == uid) {
                    out.push((rt.clone(), ns.clone(), name.clone()));
                }
            }
        }
        out
    }

    /// A foreground-deleting owner goes once its blocking dependents are gone.
    fn release_foreground(&mut self, owner_uid: &str) {
        let Some((rt, ns, name)) = self.find_by_uid(owner_uid) else { return };
        let Some(owner) = self.stored(&rt, &ns, &name) else { return };
        if !meta::is_deleting(owner) || !meta::finalizers(owner).iter().any(|f| f == FOREGROUND) {
            return;
        }
        let blocking =
            self.dependents(owner_uid, rt.namespaced.then_some(ns.as_str())).into_iter().any(|(drt, dns, dname)| {
                self.stored(&drt, &dns, &dname).is_some_and(|d| {
                    d["metadata"]["ownerReferences"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|r| r["uid"] == owner_uid && r["blockOwnerDeletion"] == Value::Bool(true))
                })
            });
        if !blocking {
            self.mutate(&rt, &ns, &name, |o| remove_finalizer(o, FOREGROUND));
        }
    }

    fn find_by_uid(&self, uid: &str) -> Option<Address> {
        for ((group, plural), objects) in &self.objects {
            for ((ns, name), o) in objects {
                if meta::uid(o) == uid {
                    let rt = self.registry.get(group, plural)?.clone();
                    return Some((rt, ns.clone(), name.clone()));
                }
            }
        }
        None
    }

    fn namespace_content(&self, namespace: &str) -> Vec<Address> {
        let mut out = Vec::new();
        for ((group, plural), objects) in &self.objects {
            let Some(rt) = self.registry.get(group, plural).filter(|rt| rt.namespaced) else { continue };
            for (ns, name) in objects.keys() {
                if ns == namespace {
                    out.push((rt.clone(), ns.clone(), name.clone()));
                }
            }
        }
        out
    }

    /// When a terminating namespace is empty, the `kubernetes` finalizer goes and so does the
    /// namespace (what `PUT namespaces/<ns>/finalize` does on a real cluster).
    fn finish_namespace(&mut self, namespace: &str) {
        if !self.namespace_content(namespace).is_empty() {
            return;
        }
        let Some(ns_rt) = self.registry.get("", "namespaces").cloned() else { return };
        self.mutate(&ns_rt, "", namespace, |o| {
            if meta::is_deleting(o) {
                o["spec"]["finalizers"] = json!([]);
            }
        });
    }

    /// A deleting CRD deletes its instances, then drops its cleanup finalizer.
    fn clean_up_crd(&mut self, crd_name: &str) {
        let Some(crd_rt) = self.registry.get("apiextensions.k8s.io", "customresourcedefinitions").cloned() else {
            return;
        };
        let Some(crd) = self.stored(&crd_rt, "", crd_name).cloned() else { return };
        if !meta::is_deleting(&crd) {
            return;
        }
        let (group, plural) = (
            crd["spec"]["group"].as_str().unwrap_or_default(),
            crd["spec"]["names"]["plural"].as_str().unwrap_or_default(),
        );
        let Some(rt) = self.registry.get(group, plural).cloned() else {
            self.mutate(&crd_rt, "", crd_name, |o| remove_finalizer(o, CRD_CLEANUP));
            return;
        };
        let instances: Vec<Value> = self.objects_of(&rt, None).into_iter().cloned().collect();
        for instance in &instances {
            if !meta::is_deleting(instance) {
                let _ = self.delete(
                    &rt,
                    &rt.storage_version.clone(),
                    meta::namespace(instance),
                    meta::name(instance),
                    &DeleteOptions::default(),
                );
            }
        }
        if self.objects_of(&rt, None).is_empty() {
            self.mutate(&crd_rt, "", crd_name, |o| remove_finalizer(o, CRD_CLEANUP));
        }
    }
}

fn remove_finalizer(obj: &mut Value, finalizer: &str) {
    let finalizers: Vec<String> = meta::finalizers(obj).into_iter().filter(|f| f != finalizer).collect();
    meta::set_finalizers(obj, finalizers);
}

fn strip_owner(obj: &mut Value, uid: &str) {
    if let Some(refs) = obj["metadata"]["ownerReferences"].as_array_mut() {
        refs.retain(|r| r["uid"] != uid);
    }
    meta::drop_empty_metadata(obj);
}
