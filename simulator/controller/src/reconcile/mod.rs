//! The reconcilers and what they share: clients, configuration, the GC lock, events,
//! finalizers and the requeue policy.

pub mod export;
pub mod gateway;
pub mod gc;
pub mod route;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::config::ControllerConfig;
use crate::error::{Error, Result};
use crate::lattice::Lattice;
use crate::names::Suffixes;

pub struct Context {
    pub kube: kube::Client,
    pub lattice: Lattice,
    pub config: ControllerConfig,
    pub suffixes: Suffixes,
    /// Deploys hold the read side; the target-group GC the write side (§2.6, §2.8).
    pub gc_lock: tokio::sync::RwLock<()>,
    failures: Mutex<HashMap<String, u32>>,
    events: AtomicU64,
}

impl Context {
    pub fn new(kube: kube::Client, clients: crate::lattice::AwsClients, config: ControllerConfig) -> Self {
        let cached = config.quirks.has(crate::quirks::Quirk::TagCache);
        let lattice_tagging = config.tagging == crate::config::TaggingApi::Lattice;
        // The H-8 cache of lookups lives in the Lattice client that Lattice-tagging mode adds;
        // the Tagging API's answers are never cached (docs/controller.md#tag-caches).
        let caching = crate::lattice::TagCaching { ownership: cached, lookups: cached && lattice_tagging };
        let mut lattice =
            Lattice::new(clients.lattice, caching, config.quirks.has(crate::quirks::Quirk::TrustListsAfterCreate))
                .with_kept_tags(config.kept_tags.clone());
        if !lattice_tagging {
            lattice = lattice.with_resource_groups(clients.tagging);
        }
        Self {
            kube,
            lattice,
            suffixes: Suffixes::new(config.seed),
            config,
            gc_lock: tokio::sync::RwLock::new(()),
            failures: Mutex::new(HashMap::new()),
            events: AtomicU64::new(0),
        }
    }

    /// A target-group name with a fresh random suffix.
    pub fn target_group_name(&self, namespace: &str, name: &str) -> String {
        crate::names::target_group(namespace, name, &self.suffixes.draw())
    }

    /// The requeue after a failed reconcile of `key` ([`requeue_after`] with the failures of
    /// `key` so far), counting this failure. An error with a delay of its own leaves the count
    /// as it is.
    pub fn backoff(&self, key: &str, error: &Error) -> Duration {
        if let Some(after) = error.requeue(self.config.lattice_retry) {
            return after;
        }
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let n = failures.entry(key.to_string()).or_insert(0);
        let delay = requeue_after(error, *n, self.config.lattice_retry);
        *n = n.saturating_add(1);
        delay
    }

    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    /// A core/v1 Event on `obj`, as controller-runtime's recorder writes it.
    pub async fn event(&self, obj: Involved, component: &str, type_: &str, reason: &str, message: &str) {
        let namespace = obj.meta.namespace.clone().unwrap_or_else(|| "default".into());
        let n = self.events.fetch_add(1, Ordering::SeqCst);
        let now = Time(self.config.clock.timestamp());
        let name = obj.meta.name.clone().unwrap_or_default();
        let event = Event {
            metadata: kube::api::ObjectMeta {
                name: Some(format!("{name}.{n:016x}")),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(obj.api_version),
                kind: Some(obj.kind),
                name: Some(name),
                namespace: obj.meta.namespace.clone(),
                uid: obj.meta.uid.clone(),
                resource_version: obj.meta.resource_version.clone(),
                ..Default::default()
            },
            reason: Some(reason.into()),
            message: Some(message.into()),
            type_: Some(type_.into()),
            source: Some(EventSource { component: Some(component.into()), host: None }),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            count: Some(1),
            reporting_component: Some(component.into()),
            ..Default::default()
        };
        let api: Api<Event> = Api::namespaced(self.kube.clone(), &namespace);
        if let Err(e) = api.create(&PostParams::default(), &event).await {
            tracing::debug!("event {reason} not recorded: {e}");
        }
    }
}

/// The requeue of a failed reconcile that has already failed `failures` times: the error's
/// own delay (`LATTICE_RETRY` for "retry needed"), else 5 ms × 2ⁿ capped at 1000 s
/// (controller-runtime's default item back-off; controller.md §2.2 step 6).
pub fn requeue_after(error: &Error, failures: u32, lattice_retry: Duration) -> Duration {
    if let Some(after) = error.requeue(lattice_retry) {
        return after;
    }
    Duration::from_millis(5)
        .saturating_mul(1u32.checked_shl(failures).unwrap_or(u32::MAX))
        .min(Duration::from_secs(1000))
}

/// The object an event is about.
pub struct Involved {
    pub api_version: String,
    pub kind: String,
    pub meta: kube::api::ObjectMeta,
}

impl Involved {
    pub fn of<K: Resource<DynamicType = ()>>(obj: &K) -> Self {
        Self { api_version: K::api_version(&()).into(), kind: K::kind(&()).into(), meta: obj.meta().clone() }
    }
}

/// Adds `finalizer` with a merge patch carrying the object's resourceVersion (a conflict is
/// an error and a requeue).
pub async fn add_finalizer<K>(api: &Api<K>, obj: &K, finalizer: &str) -> Result<()>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if obj.finalizers().iter().any(|f| f == finalizer) {
        return Ok(());
    }
    let mut finalizers = obj.finalizers().to_vec();
    finalizers.push(finalizer.into());
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    api.patch(&obj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    Ok(())
}

pub async fn remove_finalizer<K>(api: &Api<K>, obj: &K, finalizer: &str) -> Result<()>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if !obj.finalizers().iter().any(|f| f == finalizer) {
        return Ok(());
    }
    let finalizers: Vec<String> = obj.finalizers().iter().filter(|f| *f != finalizer).cloned().collect();
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    match api.patch(&obj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}
