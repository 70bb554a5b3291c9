//! One simulated cluster: its identity (name, VPC, CIDRs), its store, its credentials, its
//! fault plans and the watch streams it has open. Cheap to clone; clones share the cluster.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{Value, json};
use sim_core::{Clock, FaultDecision, FaultPlan, FaultPlans, SeededRng};
use tokio::sync::watch;

use latticelab_crds::Channel;

use crate::builtin::ServiceNetwork;
use crate::resource::ResourceType;
use crate::store::{Store, WriteOptions};
use crate::tls::TlsMaterial;

/// What makes one cluster different from another.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub name: String,
    pub vpc_id: String,
    pub pod_cidr: String,
    pub service_cidr: String,
    pub seed: u64,
    pub clock: Clock,
    /// The bearer token clients present; HTTPS listeners require it.
    pub token: String,
    /// Serve the AWS controller's and Gateway API CRDs from the start.
    pub install_crds: bool,
    /// Which Gateway API channel those CRDs come from.
    pub gateway_api_channel: Channel,
}

impl ClusterConfig {
    /// A cluster named `name` in `vpc_id`; CIDRs from `index` so that clusters of one world
    /// do not overlap (pods 10.(244+i).0.0/16, services 10.(96+16i).0.0/12).
    pub fn new(name: &str, vpc_id: &str, index: u8) -> Self {
        let i = u32::from(index);
        Self {
            name: name.into(),
            vpc_id: vpc_id.into(),
            pod_cidr: format!("10.{}.0.0/16", 244 + (i % 12)),
            service_cidr: format!("10.{}.0.0/12", 96 + 16 * (i % 9)),
            seed: u64::from(index),
            clock: Clock::manual(),
            token: format!("latticelab-{name}-token"),
            install_crds: true,
            gateway_api_channel: Channel::Standard,
        }
    }
}

/// How open watch streams are told to end early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchSignal {
    None,
    /// End the stream (a dropped connection).
    Drop(u64),
    /// Send a 410 Expired event, then end.
    Expire(u64),
}

/// One API request, as the cluster's journal records it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Milliseconds on the cluster's clock since it started.
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    pub status: u16,
}

pub(crate) struct Inner {
    pub config: ClusterConfig,
    pub journal: Mutex<Vec<Request>>,
    pub started_ms: u64,
    pub store: Mutex<Store>,
    pub faults: Mutex<FaultPlans>,
    /// Root of the fault streams: each operation (`watch services`) draws from a stream of
    /// its own, forked from this one, so concurrent requests of one instant take the same
    /// faults whichever arrives first.
    pub fault_rng: SeededRng,
    pub fault_streams: Mutex<BTreeMap<String, SeededRng>>,
    pub watch_signal: watch::Sender<WatchSignal>,
    pub tls: OnceLock<TlsMaterial>,
}

#[derive(Clone)]
pub struct Cluster {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("name", &self.inner.config.name).finish()
    }
}

/// The objects every cluster starts with: the four namespaces and `default/kubernetes`.
const BOOTSTRAP_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

impl Cluster {
    pub fn new(config: ClusterConfig) -> Result<Self, String> {
        let network = ServiceNetwork::new(&config.service_cidr)?;
        // Names and fault decisions on separate streams: one more fault plan does not shift
        // every later generated name.
        let seed = SeededRng::new(config.seed);
        let (rng, fault_rng) = (seed.fork("names"), seed.fork("faults"));
        let mut store = Store::new(network, rng, config.clock.clone());
        bootstrap(&mut store, &config)?;
        let (watch_signal, _) = watch::channel(WatchSignal::None);
        let started_ms = config.clock.now_ms();
        Ok(Self {
            inner: Arc::new(Inner {
                journal: Mutex::new(Vec::new()),
                started_ms,
                config,
                store: Mutex::new(store),
                faults: Mutex::new(FaultPlans::default()),
                fault_rng,
                fault_streams: Mutex::new(BTreeMap::new()),
                watch_signal,
                tls: OnceLock::new(),
            }),
        })
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.inner.config
    }

    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    pub fn token(&self) -> &str {
        &self.inner.config.token
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.inner.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current resourceVersion counter.
    pub fn resource_version(&self) -> u64 {
        self.store().resource_version()
    }

    /// Every object, grouped by resource, for snapshots and failure bundles.
    pub fn dump(&self) -> Value {
        self.store().dump()
    }

    /// The stored objects of one resource (`""`, `"configmaps"`), in key order.
    pub fn objects(&self, group: &str, plural: &str) -> Vec<Value> {
        let store = self.store();
        match store.registry.get(group, plural) {
            Some(rt) => store.objects_of(rt, None).into_iter().cloned().collect(),
            None => vec![],
        }
    }

    pub fn object_count(&self) -> usize {
        self.store().count()
    }

    /// How much the objects have changed so far, and when they last did (events and leases
    /// left out).
    pub fn activity(&self) -> crate::store::Activity {
        self.store().activity()
    }

    /// Every API request served so far, in order.
    pub fn journal(&self) -> Vec<Request> {
        self.inner.journal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn record(&self, method: &str, path: &str, status: u16) {
        let at_ms = self.inner.config.clock.now_ms().saturating_sub(self.inner.started_ms);
        self.inner.journal.lock().unwrap_or_else(|e| e.into_inner()).push(Request {
            at_ms,
            method: method.into(),
            path: path.into(),
            status,
        });
    }

    /// Every change from now on, in resourceVersion order (what watches are built from).
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<crate::store::Change>> {
        self.store().subscribe()
    }

    /// The types served right now (built-in and CRD-defined).
    pub fn resource_types(&self) -> Vec<ResourceType> {
        self.store().registry.all().cloned().collect()
    }

    /// Adds a fault plan on this cluster's API. Operations are named `<verb> <resource>`:
    /// `create serviceexports`, `watch services`, `patch httproutes`.
    pub fn add_fault(&self, plan: FaultPlan) {
        self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()).add(plan);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn decide(&self, operation: &str) -> FaultDecision {
        let rng = self
            .inner
            .fault_streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(operation.to_string())
            .or_insert_with(|| self.inner.fault_rng.fork(operation))
            .clone();
        self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()).decide(
            operation,
            &rng,
            self.inner.config.clock.now_ms(),
        )
    }

    /// Ends every open watch stream now, as a dropped connection would; clients re-watch
    /// from the last resourceVersion they saw.
    pub fn drop_watches(&self) {
        self.inner.watch_signal.send_modify(|s| *s = WatchSignal::Drop(signal_serial(s) + 1));
    }

    /// Ends every open watch stream with an in-stream 410 Expired and forgets the history,
    /// so clients must relist.
    pub fn expire_watches(&self) {
        self.store().compact();
        self.inner.watch_signal.send_modify(|s| *s = WatchSignal::Expire(signal_serial(s) + 1));
    }

    /// Limits the remembered history (watches resuming from before it get 410).
    pub fn set_history_limit(&self, limit: usize) {
        self.store().set_history_limit(limit);
    }

    /// The CA (PEM) clients trust for this cluster's HTTPS listener, generated on first use.
    pub fn ca_pem(&self) -> Result<String, String> {
        Ok(self.tls()?.ca_pem.clone())
    }

    pub(crate) fn tls(&self) -> Result<&TlsMaterial, String> {
        if let Some(tls) = self.inner.tls.get() {
            return Ok(tls);
        }
        let material = TlsMaterial::generate(&self.inner.config.name)?;
        Ok(self.inner.tls.get_or_init(|| material))
    }
}

fn signal_serial(signal: &WatchSignal) -> u64 {
    match signal {
        WatchSignal::None => 0,
        WatchSignal::Drop(n) | WatchSignal::Expire(n) => *n,
    }
}

fn bootstrap(store: &mut Store, config: &ClusterConfig) -> Result<(), String> {
    let opts = WriteOptions { default_manager: "kube-apiserver".into(), ..WriteOptions::default() };
    let ns_type = store.registry.get("", "namespaces").cloned().ok_or("no namespaces type")?;
    for ns in BOOTSTRAP_NAMESPACES {
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        store.create(&ns_type, "v1", None, body, &opts).map_err(|e| e.to_string())?;
    }
    let svc_type = store.registry.get("", "services").cloned().ok_or("no services type")?;
    let network = ServiceNetwork::new(&config.service_cidr)?;
    let kubernetes_ip = first_service_ip(&network);
    let body = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": kubernetes_ip, "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}});
    store.create(&svc_type, "v1", Some("default"), body, &opts).map_err(|e| e.to_string())?;
    if config.install_crds {
        let crd_type =
            store.registry.get("apiextensions.k8s.io", "customresourcedefinitions").cloned().ok_or("no CRD type")?;
        for body in startup_crds(config.gateway_api_channel) {
            let name = body["metadata"]["name"].as_str().unwrap_or_default().to_string();
            store.create(&crd_type, "v1", None, body.clone(), &opts).map_err(|e| format!("installing {name}: {e}"))?;
        }
    }
    Ok(())
}

/// The startup CRDs as JSON, generated from the Rust types once per process (generation is
/// the larger part of a cluster's start-up cost).
fn startup_crds(channel: Channel) -> &'static [Value] {
    static STANDARD: OnceLock<Vec<Value>> = OnceLock::new();
    static EXPERIMENTAL: OnceLock<Vec<Value>> = OnceLock::new();
    let cell = match channel {
        Channel::Standard => &STANDARD,
        Channel::Experimental => &EXPERIMENTAL,
    };
    cell.get_or_init(|| {
        latticelab_crds::all_crds_for(channel).iter().filter_map(|crd| serde_json::to_value(crd).ok()).collect()
    })
}

/// `.1` of the service range: the `kubernetes` Service's address.
fn first_service_ip(network: &ServiceNetwork) -> String {
    let cidr = network.cidr();
    let base: std::net::Ipv4Addr =
        cidr.split('/').next().and_then(|a| a.parse().ok()).unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    std::net::Ipv4Addr::from(u32::from(base) + 1).to_string()
}
