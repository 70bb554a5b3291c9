//! The world a scenario runs in: N clusters (name, VPC) from a backend (embedded by
//! default), one Lattice simulator, one reference controller per cluster, one seed, and time
//! that is virtual whenever the tokio clock is paused.

pub mod activity;
pub mod aws;
mod cleanup;
pub mod external;
mod invariants;
mod manifests;
pub mod orphans;
pub mod view;

use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use sim_controller::{ControllerConfig, Quirks, Running};
use sim_core::Clock;
use sim_kube::Cluster;
use sim_lattice::client::InProcessHttpClient;
use sim_lattice::state::{DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use sim_lattice::{Simulator, SimulatorOptions, wire};

pub use manifests::Applied;
pub use view::LatticeView;

use crate::backend::{BackendCluster, ClusterBackend, embedded::Embedded};

/// One cluster of a world.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub name: String,
    pub vpc_id: String,
}

impl ClusterSpec {
    pub fn new(name: &str, vpc_id: &str) -> Self {
        Self { name: name.into(), vpc_id: vpc_id.into() }
    }
}

#[derive(Clone, Debug)]
pub struct WorldConfig {
    pub clusters: Vec<ClusterSpec>,
    pub seed: u64,
    /// The reference controllers' behaviour profile.
    pub quirks: Quirks,
    /// Start a reference controller per cluster.
    pub controllers: bool,
    /// Start this external controller per cluster instead (wall-clock time only): it reaches
    /// the clusters through their kubeconfigs and Lattice through a loopback endpoint.
    pub external: Option<external::External>,
    /// Real AWS as the world's Lattice instead of the simulator.
    pub aws: Option<aws::AwsLattice>,
    /// Where every controller of the world reads and writes tags (default: the Resource
    /// Groups Tagging API, the real controller's default).
    pub tagging: sim_controller::TaggingApi,
}

impl WorldConfig {
    pub fn new(clusters: &[(&str, &str)]) -> Self {
        Self {
            clusters: clusters.iter().map(|(n, v)| ClusterSpec::new(n, v)).collect(),
            seed: 0,
            quirks: Quirks::profile("v2.1.3").expect("a known profile"),
            controllers: true,
            external: None,
            aws: None,
            tagging: sim_controller::TaggingApi::default(),
        }
    }
}

pub struct WorldCluster {
    pub spec: ClusterSpec,
    /// The simulator's handle when the cluster is embedded.
    pub embedded: Option<Cluster>,
    pub client: kube::Client,
    /// A kubeconfig for this cluster alone, when it is a real one.
    pub kubeconfig: Option<std::path::PathBuf>,
    pub controller: Option<Running>,
    /// The external controller process of this cluster, and its log.
    pub external: Option<external::ExternalProcess>,
    /// What must live as long as the cluster does (a loopback listener).
    _keep_alive: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl WorldCluster {
    /// The embedded cluster, for what only it can do (fault injection, reading its store).
    pub fn sim(&self) -> anyhow::Result<&Cluster> {
        self.embedded.as_ref().with_context(|| {
            format!(
                "cluster {} is not embedded: this needs the embedded backend (its faults or its store)",
                self.spec.name
            )
        })
    }
}

/// `(cluster, apiVersion, kind)`.
type DiscoveryKey = (String, String, String);

pub struct World {
    pub sim: Simulator,
    pub clusters: Vec<WorldCluster>,
    pub config: WorldConfig,
    /// What was applied, per cluster, in order: removed from real clusters at [`World::release`].
    applied: std::sync::Mutex<Vec<(String, Applied)>>,
    /// Resource types found by discovery on real clusters, by (cluster, apiVersion, kind).
    discovered: std::sync::Mutex<std::collections::HashMap<DiscoveryKey, (kube::api::ApiResource, bool)>>,
    /// The simulator on loopback, for external controllers: its endpoint, and what stops it.
    pub lattice_endpoint: Option<String>,
    _lattice_server: Option<tokio::sync::oneshot::Sender<()>>,
    /// What assertions read Lattice through: an observer of the simulator (no faults, no
    /// journal entries), or the run's AWS client.
    observer: aws_sdk_vpclattice::Client,
}

/// The access key the controller of `cluster` signs its Lattice calls with (the simulator
/// accepts any): the journal names it, so calls can be counted per controller.
pub fn access_key_of(cluster: &str) -> String {
    format!("AKIDLATTICELAB-{cluster}")
}

/// The access key of the harness's own setup calls (service networks, someone's retag).
pub const HARNESS_ACCESS_KEY: &str = "AKIDLATTICELAB-HARNESS";

/// The SDK client a controller in this world uses: in-process, its own retry partition, the
/// controller's retry policy, signed with `access_key`.
pub fn lattice_client(sim: &Simulator, config: &ControllerConfig, access_key: &str) -> aws_sdk_vpclattice::Client {
    lattice_client_over(config, access_key, InProcessHttpClient::new(wire::router(sim.clone())))
}

fn lattice_client_over(
    config: &ControllerConfig,
    access_key: &str,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> aws_sdk_vpclattice::Client {
    // The controller's retry policy without jitter: the SDK draws jitter from the OS, and a
    // world's timeline must depend on its seed alone.
    let retries = aws_sdk_vpclattice::config::retry::RetryConfig::standard()
        .with_max_attempts(20)
        .with_use_static_exponential_base(true);
    let credentials = aws_sdk_vpclattice::config::Credentials::new(
        access_key,
        external::SECRET_ACCESS_KEY,
        None,
        None,
        "latticelab-world",
    );
    let conf = sim_controller::sdk::lattice_config(config)
        .credentials_provider(credentials)
        .retry_config(retries)
        .endpoint_url("http://lattice.in-process.invalid")
        .http_client(http)
        .build();
    aws_sdk_vpclattice::Client::from_conf(conf)
}

/// Both SDK clients of a controller in this world, in-process, signed with `access_key`.
pub fn aws_clients(sim: &Simulator, config: &ControllerConfig, access_key: &str) -> sim_controller::AwsClients {
    let tagging_conf = sim_controller::sdk::tagging_config(config)
        .credentials_provider(aws_sdk_resourcegroupstagging::config::Credentials::new(
            access_key,
            external::SECRET_ACCESS_KEY,
            None,
            None,
            "latticelab-world",
        ))
        // The SDK's standard retries without jitter, for the reason given in `lattice_client_over`.
        .retry_config(
            aws_sdk_resourcegroupstagging::config::retry::RetryConfig::standard()
                .with_use_static_exponential_base(true),
        )
        .endpoint_url("http://lattice.in-process.invalid")
        .http_client(InProcessHttpClient::new(wire::router(sim.clone())))
        .build();
    sim_controller::AwsClients {
        lattice: lattice_client(sim, config, access_key),
        tagging: aws_sdk_resourcegroupstagging::Client::from_conf(tagging_conf),
    }
}

/// The harness's reader of the simulator: an observer, whose calls meet no fault and leave
/// no journal entry.
fn observer_of(sim: &Simulator) -> aws_sdk_vpclattice::Client {
    let cc = ControllerConfig::new("latticelab-observer", "vpc-0000000000000000", DEFAULT_ACCOUNT_ID, DEFAULT_REGION);
    lattice_client_over(&cc, HARNESS_ACCESS_KEY, InProcessHttpClient::observer(wire::router(sim.clone())))
}

impl World {
    /// Starts the simulator, embedded clusters and (when configured) their controllers. Must
    /// run inside a tokio runtime; with a paused clock everything runs on virtual time.
    pub async fn start(config: WorldConfig) -> anyhow::Result<World> {
        Self::start_on(config, &Embedded::default()).await
    }

    /// [`World::start`] with the clusters of `backend`.
    pub async fn start_on(config: WorldConfig, backend: &dyn ClusterBackend) -> anyhow::Result<World> {
        // Every component's seed forks from the world's: the simulator's, each cluster's and
        // each controller's draw from streams of their own.
        let sim = Simulator::new(SimulatorOptions {
            seed: sim_core::rng::fork_seed(config.seed, "lattice"),
            clock: Clock::tokio(),
            ..SimulatorOptions::default()
        });
        anyhow::ensure!(
            config.aws.is_none() || config.external.is_none(),
            "real AWS with an external controller: its resources could not carry the run id, so they could not be cleaned up"
        );
        let (lattice_endpoint, lattice_server) = match &config.external {
            Some(_) => {
                let (endpoint, stop) = external::serve_lattice(&sim).await?;
                (Some(endpoint), Some(stop))
            }
            None => (None, None),
        };
        let mut ports = match &config.external {
            Some(_) => external::Ports::free(config.clusters.len())?,
            None => Vec::new(),
        }
        .into_iter();
        let mut clusters = Vec::new();
        for (i, spec) in config.clusters.iter().enumerate() {
            let BackendCluster { client, embedded, kubeconfig, keep_alive } = backend
                .cluster(spec, i, sim_core::rng::fork_seed(config.seed, &format!("cluster/{}", spec.name)), sim.clock())
                .await
                .with_context(|| format!("cluster {} from the {} backend", spec.name, backend.kind()))?;
            let mut wc = WorldCluster {
                spec: spec.clone(),
                embedded,
                client,
                kubeconfig,
                controller: None,
                external: None,
                _keep_alive: keep_alive,
            };
            if let (Some(ext), Some(endpoint), Some(ports)) = (&config.external, &lattice_endpoint, ports.next()) {
                wc.external = Some(external::start_for(ext, &wc, endpoint, config.tagging, ports)?);
            } else if config.controllers {
                wc.controller = Some(Self::controller_for(&sim, &wc, &config, i).await);
            }
            clusters.push(wc);
        }
        // A scenario starts once every controller that can say so is ready (or it fails, with
        // the controller's log, when one exits first).
        for process in clusters.iter().filter_map(|c| c.external.as_ref()) {
            process.ready(external::READY_WITHIN).await?;
        }
        let observer = match &config.aws {
            Some(aws) => aws.client.clone(),
            None => observer_of(&sim),
        };
        Ok(World {
            sim,
            clusters,
            config,
            applied: Default::default(),
            discovered: Default::default(),
            lattice_endpoint,
            _lattice_server: lattice_server,
            observer,
        })
    }

    /// The configuration the reference controller of cluster `index` runs with.
    pub fn controller_config(spec: &ClusterSpec, config: &WorldConfig, index: usize) -> ControllerConfig {
        let mut cc = ControllerConfig::new(&spec.name, &spec.vpc_id, DEFAULT_ACCOUNT_ID, DEFAULT_REGION);
        cc.tagging = config.tagging;
        let _ = index;
        cc.seed = Some(sim_core::rng::fork_seed(config.seed, &format!("controller/{}", spec.name)));
        cc.quirks = config.quirks.clone();
        cc
    }

    /// A controller configuration whose time of day is the world's virtual clock.
    fn with_world_clock(mut cc: ControllerConfig, clock: &Clock) -> ControllerConfig {
        let clock = clock.clone();
        cc.clock = sim_controller::WallClock(std::sync::Arc::new(move || {
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(clock.now_ms())
        }));
        cc
    }

    async fn controller_for(sim: &Simulator, wc: &WorldCluster, config: &WorldConfig, index: usize) -> Running {
        if let Some(aws) = &config.aws {
            let mut cc =
                ControllerConfig::new(&wc.spec.name, &aws.real_vpc(&wc.spec.vpc_id), &aws.account_id, &aws.region);
            cc.quirks = config.quirks.clone();
            // On real AWS tags go through Lattice: the run's resources are found by its run-id tag.
            cc.tagging = sim_controller::TaggingApi::Lattice;
            cc.kept_tags = vec![aws::RUN_ID_TAG.to_string()];
            let clients = sim_controller::AwsClients { lattice: aws.client.clone(), tagging: aws.tagging.clone() };
            return sim_controller::start(wc.client.clone(), clients, cc).await;
        }
        let cc = Self::with_world_clock(Self::controller_config(&wc.spec, config, index), sim.clock());
        let clients = aws_clients(sim, &cc, &access_key_of(&wc.spec.name));
        sim_controller::start(wc.client.clone(), clients, cc).await
    }

    /// Replaces cluster `name`'s controller (to change its configuration mid-scenario).
    pub async fn restart_controller(
        &mut self,
        name: &str,
        change: impl FnOnce(&mut ControllerConfig),
    ) -> anyhow::Result<()> {
        let index = self.index(name)?;
        let mut cc = Self::with_world_clock(
            Self::controller_config(&self.clusters[index].spec, &self.config, index),
            self.sim.clock(),
        );
        change(&mut cc);
        self.clusters[index].controller = None;
        let clients = aws_clients(&self.sim, &cc, &access_key_of(name));
        self.clusters[index].controller =
            Some(sim_controller::start(self.clusters[index].client.clone(), clients, cc).await);
        Ok(())
    }

    fn index(&self, name: &str) -> anyhow::Result<usize> {
        self.clusters.iter().position(|c| c.spec.name == name).with_context(|| format!("no cluster named {name}"))
    }

    pub fn cluster(&self, name: &str) -> anyhow::Result<&WorldCluster> {
        Ok(&self.clusters[self.index(name)?])
    }

    pub fn kube(&self, name: &str) -> anyhow::Result<kube::Client> {
        Ok(self.cluster(name)?.client.clone())
    }

    /// A Lattice client for the world's own setup steps (creating service networks).
    pub fn lattice(&self) -> aws_sdk_vpclattice::Client {
        if let Some(aws) = &self.config.aws {
            return aws.client.clone();
        }
        let cc =
            ControllerConfig::new("latticelab-harness", "vpc-0000000000000000", DEFAULT_ACCOUNT_ID, DEFAULT_REGION);
        lattice_client(&self.sim, &cc, HARNESS_ACCESS_KEY)
    }

    /// Lattice as assertions see it now, in Lattice's own terms (on real AWS: the run's
    /// resources, VPC ids mapped back to the scenario's).
    pub async fn view(&self) -> anyhow::Result<LatticeView> {
        let scope = self.config.aws.as_ref().map(aws::AwsLattice::scope).unwrap_or_default();
        view::read(&self.observer, &scope).await.context("reading Lattice")
    }

    /// Creates a service network and associates it with the VPCs of `clusters`.
    pub async fn service_network(&self, name: &str, clusters: &[&str]) -> anyhow::Result<String> {
        let lattice = self.lattice();
        let sn = lattice.create_service_network().name(name).send().await.context("CreateServiceNetwork")?;
        let id = sn.id.unwrap_or_default();
        for c in clusters {
            let mut vpc = self.cluster(c)?.spec.vpc_id.clone();
            if let Some(aws) = &self.config.aws {
                vpc = aws.real_vpc(&vpc);
            }
            lattice
                .create_service_network_vpc_association()
                .service_network_identifier(&id)
                .vpc_identifier(vpc)
                .send()
                .await
                .context("CreateServiceNetworkVpcAssociation")?;
        }
        Ok(id)
    }

    /// The simulator's snapshot of the default account and region (its control surface's
    /// `GET /_latticelab/snapshot`), for tests that compare whole states; `Null` when Lattice
    /// is real AWS. Assertions read [`World::view`] instead.
    pub fn lattice_state(&self) -> Value {
        if self.config.aws.is_some() {
            return Value::Null;
        }
        let snapshot = self.sim.snapshot_json();
        snapshot[format!("{DEFAULT_ACCOUNT_ID}/{DEFAULT_REGION}")].clone()
    }

    /// The first external controller that has exited, with how and the end of its log.
    pub fn exited_controller(&self) -> Option<String> {
        self.clusters.iter().find_map(|c| c.external.as_ref()?.exited())
    }

    /// Waits for `check` on the world (virtual time under a paused clock).
    pub async fn eventually<T, F, Fut>(&self, within: Duration, check: F) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        sim_core::eventually(within, check).await.map_err(anyhow::Error::new)
    }
}
