//! Where a world's clusters come from. The embedded clusters (sim-kube, in process, on
//! virtual time) are the default; kind clusters, k3s containers and existing kubeconfig
//! contexts are real API servers on wall-clock time. Every backend hands out a `kube::Client`
//! per declared cluster; only the embedded one also hands out the simulator's handle, which
//! is what cluster fault injection and virtual time need.

mod crds;
pub mod embedded;
pub mod k3s;
pub mod kind;
pub mod kubeconfig;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::world::ClusterSpec;

/// The backends `latticelab run --backend` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Embedded,
    Kind,
    K3s,
    Kubeconfig,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Kind => "kind",
            BackendKind::K3s => "k3s",
            BackendKind::Kubeconfig => "kubeconfig",
        })
    }
}

/// What only some backends can do. A scenario that needs one carries its tag; on a backend
/// without it the scenario is reported as skipped with [`Power::reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    /// Time that passes on request ("30 seconds pass") without waiting for it.
    VirtualTime,
    /// Conflicts, 5xx and dropped or expired watches injected into a cluster's API.
    ClusterFaults,
    /// The reference controller in process, whose behaviour profile a scenario can choose.
    /// Every backend has it unless the run's controller is external.
    ReferenceController,
    /// The Lattice simulator: its fault plans and its journal of calls. Every backend has it
    /// unless the run's Lattice is real AWS.
    LatticeSimulator,
}

impl Power {
    pub const ALL: [Power; 4] =
        [Power::VirtualTime, Power::ClusterFaults, Power::ReferenceController, Power::LatticeSimulator];

    /// The tag a scenario that needs this power carries (without the `@`).
    pub fn tag(self) -> &'static str {
        match self {
            Power::VirtualTime => "virtual-time",
            Power::ClusterFaults => "cluster-faults",
            Power::ReferenceController => "reference-controller",
            Power::LatticeSimulator => "lattice-simulator",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Power::VirtualTime => "lets virtual time pass, which only embedded clusters have",
            Power::ClusterFaults => "injects faults into a cluster's API, which only embedded clusters can",
            Power::ReferenceController => {
                "chooses the reference controller's profile, which an external controller lacks"
            }
            Power::LatticeSimulator => "injects Lattice faults or counts Lattice calls, which only the simulator can",
        }
    }
}

/// One cluster as a backend provides it.
pub struct BackendCluster {
    pub client: kube::Client,
    /// The simulator's handle, on the embedded backend only.
    pub embedded: Option<sim_kube::Cluster>,
    /// A kubeconfig file whose current context is this cluster (real backends), for an
    /// external controller process.
    pub kubeconfig: Option<PathBuf>,
    /// What must live as long as the cluster is used (a loopback listener).
    pub keep_alive: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// A source of clusters for worlds.
#[async_trait::async_trait]
pub trait ClusterBackend: Send + Sync {
    fn kind(&self) -> BackendKind;

    /// The powers this backend has, of [`Power::ALL`].
    fn powers(&self) -> Vec<Power>;

    /// Why this backend cannot run here (a missing tool, image or file), if it cannot.
    fn unavailable(&self) -> Option<String> {
        None
    }

    /// The cluster `spec` (the `index`-th of its world). Real backends create a cluster the
    /// first time a name is asked for and hand the same one out again afterwards.
    async fn cluster(
        &self,
        spec: &ClusterSpec,
        index: usize,
        seed: u64,
        clock: &sim_core::Clock,
    ) -> anyhow::Result<BackendCluster>;

    /// Deletes every cluster this backend created (kind clusters, k3s containers).
    async fn teardown(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The backend a run uses, shared by its scenarios.
pub type SharedBackend = Arc<dyn ClusterBackend>;

/// Options of the real backends.
#[derive(Clone, Debug)]
pub struct BackendOptions {
    /// kubeconfig backend: the file (default: `$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig backend: `cluster=context` pairs; a cluster without one uses the context
    /// named after it.
    pub contexts: Vec<(String, String)>,
    /// kind backend: a kind configuration with one `Cluster` document per world cluster
    /// (default: `kind-configs/three-clusters.yaml`).
    pub kind_config: Option<PathBuf>,
    /// Where real backends keep kubeconfigs and logs.
    pub state_dir: PathBuf,
    /// Leave kind clusters and k3s containers running after the run.
    pub keep: bool,
    /// Embedded backend: serve each cluster on loopback with a kubeconfig of its own (under
    /// `state_dir/served`), for controllers that run as processes.
    pub serve_embedded: bool,
}

impl Default for BackendOptions {
    /// What `latticelab run` uses without flags: state under `target/latticelab-backend`, so
    /// nothing lands in the working directory.
    fn default() -> Self {
        Self {
            kubeconfig: None,
            contexts: Vec::new(),
            kind_config: None,
            state_dir: PathBuf::from("target/latticelab-backend"),
            keep: false,
            serve_embedded: false,
        }
    }
}

/// A backend of `kind` with `options`.
pub fn backend(kind: BackendKind, options: BackendOptions) -> SharedBackend {
    match kind {
        BackendKind::Embedded => {
            Arc::new(embedded::Embedded { serve_in: options.serve_embedded.then(|| options.state_dir.join("served")) })
        }
        BackendKind::Kind => Arc::new(kind::Kind::new(options)),
        BackendKind::K3s => Arc::new(k3s::K3s::new(options)),
        BackendKind::Kubeconfig => Arc::new(kubeconfig::FromKubeconfig::new(options)),
    }
}

pub use crds::{ensure_crds, single_context_kubeconfig};
