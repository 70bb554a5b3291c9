//! One cluster's objects: a single resourceVersion counter (like an etcd revision), the
//! objects of every type in key order, a bounded history of changes for watches, and the
//! write pipelines (create, update, patch, delete) with the apiserver's semantics.
//!
//! Everything here is synchronous and runs under the cluster's lock; HTTP lives in
//! [`crate::http`].

mod crd;
mod delete;
mod write;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use sim_core::{Clock, SeededRng};
use tokio::sync::broadcast;

pub use self::delete::{DeleteOptions, DeleteOutcome, Propagation};
pub use self::write::{FieldValidation, Subresource, WriteOptions, WriteOutcome};
use crate::builtin::ServiceNetwork;
use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::resource::{GroupResource, Registry, ResourceType};
use crate::selector::{FieldSelector, LabelSelector};

/// How many changes a cluster remembers for watches that resume.
pub const DEFAULT_HISTORY: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watches replay it.
#[derive(Clone, Debug)]
pub struct Change {
    pub rv: u64,
    pub resource: GroupResource,
    pub namespace: String,
    pub type_: EventType,
    /// The object after the change (for deletions: the last state, with the deletion's RV).
    pub object: Value,
    /// The object before the change, for selector transitions.
    pub previous: Option<Value>,
}

type Key = (String, String);

pub struct Store {
    pub registry: Registry,
    rv: u64,
    objects: BTreeMap<GroupResource, BTreeMap<Key, Value>>,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Changes at or below this RV are no longer in `history`.
    compacted_rv: u64,
    changes: broadcast::Sender<Arc<Change>>,
    network: ServiceNetwork,
    rng: SeededRng,
    clock: Clock,
    activity: Activity,
}

/// How much the cluster's objects have changed, leaving out the bookkeeping kinds
/// (events, leases) that clients write as they go: what tells a watcher the world moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Changes to objects other than events and leases.
    pub changes: u64,
    /// The clock's time of the last such change.
    pub last_change_ms: u64,
}

/// Events and leases: written by clients as they work, never what a scenario asserts on.
fn is_bookkeeping(resource: &GroupResource) -> bool {
    matches!(
        (resource.0.as_str(), resource.1.as_str()),
        ("" | "events.k8s.io", "events") | ("coordination.k8s.io", "leases")
    )
}

/// A page of a list.
#[derive(Clone, Debug)]
pub struct ListPage {
    pub items: Vec<Value>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

/// What a list asks for.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

impl Store {
    pub fn new(network: ServiceNetwork, rng: SeededRng, clock: Clock) -> Self {
        let (changes, _) = broadcast::channel(4096);
        Self {
            registry: Registry::with_builtins(),
            rv: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: DEFAULT_HISTORY,
            compacted_rv: 0,
            changes,
            network,
            rng,
            clock,
            activity: Activity::default(),
        }
    }

    pub fn activity(&self) -> Activity {
        self.activity
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn compacted_rv(&self) -> u64 {
        self.compacted_rv
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
        self.trim_history();
    }

    /// Forgets every change so far: watches resuming from an older RV get 410 Expired.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    pub fn now(&self) -> String {
        Clock::rfc3339_seconds(self.clock.now_ms())
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn rng(&self) -> &SeededRng {
        &self.rng
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(&mut self, change: Change) {
        if !is_bookkeeping(&change.resource) {
            self.activity = Activity { changes: self.activity.changes + 1, last_change_ms: self.clock.now_ms() };
        }
        let change = Arc::new(change);
        self.history.push_back(change.clone());
        self.trim_history();
        let _ = self.changes.send(change);
    }

    fn trim_history(&mut self) {
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
    }

    /// The changes after `since` that are still remembered, and a receiver for the ones to
    /// come (subscribed before reading, under the same lock, so nothing falls between).
    #[allow(clippy::type_complexity)]
    pub fn changes_since(&self, since: u64) -> Result<(Vec<Arc<Change>>, broadcast::Receiver<Arc<Change>>), ApiError> {
        if since < self.compacted_rv {
            return Err(ApiError::expired(format!("too old resource version: {since} ({})", self.compacted_rv + 1)));
        }
        let receiver = self.changes.subscribe();
        let backlog = self.history.iter().filter(|c| c.rv > since).cloned().collect();
        Ok((backlog, receiver))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }

    fn key_of(rt: &ResourceType) -> GroupResource {
        (rt.group.clone(), rt.plural.clone())
    }

    pub(crate) fn stored(&self, rt: &ResourceType, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(&Self::key_of(rt))?.get(&(namespace.to_string(), name.to_string()))
    }

    /// The object as seen through `version`.
    pub fn get(&self, rt: &ResourceType, version: &str, namespace: &str, name: &str) -> ApiResult<Value> {
        self.stored(rt, namespace, name)
            .map(|o| at_version(o, rt, version))
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// Objects of a type, in key order, optionally in one namespace.
    pub(crate) fn objects_of(&self, rt: &ResourceType, namespace: Option<&str>) -> Vec<&Value> {
        self.objects
            .get(&Self::key_of(rt))
            .map(|m| m.iter().filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns)).map(|(_, v)| v).collect())
            .unwrap_or_default()
    }

    pub fn list(&self, rt: &ResourceType, version: &str, query: &ListQuery) -> ApiResult<ListPage> {
        let (list_rv, after) = match &query.continue_token {
            Some(token) => {
                let (rv, after) = decode_continue(token)?;
                if rv < self.compacted_rv {
                    return Err(ApiError::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    ));
                }
                (rv, Some(after))
            }
            None => (self.rv, None),
        };
        let matching: Vec<(&Key, &Value)> = self
            .objects
            .get(&Self::key_of(rt))
            .map(|m| {
                m.iter()
                    .filter(|((ns, _), _)| query.namespace.as_deref().is_none_or(|n| n == ns))
                    .filter(|(k, _)| after.as_ref().is_none_or(|a| *k > a))
                    .filter(|(_, o)| query.labels.matches(&meta::labels(o)) && query.fields.matches(o))
                    .collect()
            })
            .unwrap_or_default();
        let limit = query.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let more = matching.len() > limit;
        let page: Vec<Value> = matching.iter().take(limit).map(|(_, o)| list_item(o, rt, version)).collect();
        let continue_token = more.then(|| encode_continue(list_rv, matching[limit - 1].0));
        let remaining = more.then(|| matching.len() - limit);
        Ok(ListPage { items: page, resource_version: list_rv, continue_token, remaining })
    }

    /// Every object, by type, for snapshots.
    pub fn dump(&self) -> Value {
        let mut out = serde_json::Map::new();
        for ((group, plural), objects) in &self.objects {
            if objects.is_empty() {
                continue;
            }
            let key = crate::error::qualified(group, plural);
            out.insert(key, objects.values().cloned().collect());
        }
        Value::Object(out)
    }

    pub fn count(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Whether the namespace exists and is not being deleted.
    fn namespace_state(&self, namespace: &str) -> Option<bool> {
        let ns_type = self.registry.get("", "namespaces")?;
        self.stored(ns_type, "", namespace).map(meta::is_deleting)
    }
}

/// The object as served through `version` (conversion strategy None: same object,
/// `apiVersion` rewritten).
pub fn at_version(obj: &Value, rt: &ResourceType, version: &str) -> Value {
    let mut out = obj.clone();
    if version != rt.storage_version {
        out["apiVersion"] = rt.api_version(version).into();
    }
    out
}

/// Built-in list items carry no `apiVersion`/`kind` on real servers; custom ones do.
fn list_item(obj: &Value, rt: &ResourceType, version: &str) -> Value {
    let mut item = at_version(obj, rt, version);
    if !rt.is_custom()
        && let Some(map) = item.as_object_mut()
    {
        map.remove("apiVersion");
        map.remove("kind");
    }
    item
}

fn encode_continue(rv: u64, after: &Key) -> String {
    use base64::Engine;
    let token = json!({"v": "latticelab.continue/1", "rv": rv, "ns": after.0, "name": after.1});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_continue(token: &str) -> ApiResult<(u64, Key)> {
    use base64::Engine;
    let invalid = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let rv = value["rv"].as_u64().ok_or_else(invalid)?;
    let ns = value["ns"].as_str().ok_or_else(invalid)?.to_string();
    let name = value["name"].as_str().ok_or_else(invalid)?.to_string();
    Ok((rv, (ns, name)))
}
