//! Gherkin scenarios: the world a scenario runs in, the step library (shared by
//! `latticelab run` and `cargo test`), the checks made before anything runs, the runner,
//! its report, failure bundles and the step catalogue.

pub mod bundle;
pub mod catalogue;
pub mod junit;
pub mod lint;
pub mod params;
pub mod powers;
pub mod record;
pub mod replay;
pub mod report;
pub mod runner;
pub mod steps;

use std::sync::Arc;
use std::time::Duration;

use sim_controller::Quirks;

use crate::backend::SharedBackend;
use crate::world::{ClusterSpec, World, WorldConfig};

/// How a run's scenarios are configured; every scenario's world is handed these by its run.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub seed: u64,
    pub profile: String,
    /// How long an assertion waits for the world to converge.
    pub within: Duration,
    /// How long the world must stand still before an assertion believes what it reads
    /// (`docs/scenarios.md#settling`).
    pub settle: Duration,
    /// An external controller to run per cluster instead of the reference one.
    pub external: Option<crate::world::external::Launch>,
    /// Where external controllers' logs go, a folder per scenario.
    pub controller_logs: std::path::PathBuf,
    /// Real AWS as every world's Lattice.
    pub aws: Option<crate::world::aws::AwsLattice>,
    /// Where the controllers tag, unless a scenario chooses (`the controllers tag through …`).
    pub tagging: sim_controller::TaggingApi,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            seed: 0,
            profile: "v2.1.3".into(),
            within: Duration::from_secs(300),
            settle: Duration::from_secs(15),
            external: None,
            controller_logs: std::path::PathBuf::from("target/latticelab-report/controllers"),
            aws: None,
            tagging: sim_controller::TaggingApi::default(),
        }
    }
}

/// What a run gives each of its scenarios: the settings and where clusters come from.
#[derive(Clone)]
pub struct RunContext {
    pub settings: RunSettings,
    pub backend: SharedBackend,
}

impl Default for RunContext {
    fn default() -> Self {
        Self { settings: RunSettings::default(), backend: Arc::new(crate::backend::embedded::Embedded::default()) }
    }
}

/// The two clusters of a scenario that declares none, each in its own VPC.
pub fn default_clusters() -> Vec<ClusterSpec> {
    vec![ClusterSpec::new("cluster-a", "vpc-0aaaaaaaaaaaaaaa1"), ClusterSpec::new("cluster-b", "vpc-0bbbbbbbbbbbbbbb2")]
}

/// The world of one scenario: declared in Background steps, started on first use.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ScenarioWorld {
    /// Handed over by the run before the first step.
    pub run: Arc<RunContext>,
    pub seed: u64,
    pub profile: String,
    pub tagging: sim_controller::TaggingApi,
    pub within: Duration,
    pub clusters: Vec<ClusterSpec>,
    /// Service networks to create at start: name and the clusters whose VPCs join it.
    pub networks: Vec<(String, Vec<String>)>,
    pub world: Option<World>,
    /// The scenario's text, for failure bundles.
    pub text: String,
    pub name: String,
    /// When the scenario began.
    pub started_at: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for ScenarioWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioWorld")
            .field("seed", &self.seed)
            .field("profile", &self.profile)
            .field("tagging", &self.tagging)
            .field("clusters", &self.clusters)
            .finish()
    }
}

impl ScenarioWorld {
    async fn new() -> Result<Self, std::convert::Infallible> {
        Ok(Self::with_run(Arc::default()))
    }

    /// A world configured by `run` (its seed is the run's until the runner derives the
    /// scenario's own).
    pub fn with_run(run: Arc<RunContext>) -> Self {
        Self {
            seed: run.settings.seed,
            profile: run.settings.profile.clone(),
            tagging: run.settings.tagging,
            within: run.settings.within,
            run,
            clusters: vec![],
            networks: vec![],
            world: None,
            text: String::new(),
            name: String::new(),
            started_at: None,
        }
    }

    /// The running world, started with what the Background declared (two clusters in
    /// distinct VPCs when none was).
    pub async fn world(&mut self) -> anyhow::Result<&mut World> {
        if self.world.is_none() {
            if self.clusters.is_empty() {
                self.clusters = default_clusters();
            }
            let mut config = WorldConfig::new(&[]);
            config.clusters = self.clusters.clone();
            config.seed = self.seed;
            config.quirks = Quirks::profile(&self.profile).map_err(anyhow::Error::msg)?;
            config.tagging = self.tagging;
            let s = &self.run.settings;
            config.aws = s.aws.clone();
            config.external = s.external.clone().map(|launch| crate::world::external::External {
                launch,
                log_dir: s.controller_logs.join(bundle::slug(&self.name)),
            });
            let world = World::start_on(config, self.run.backend.as_ref()).await?;
            for (name, members) in &self.networks {
                let members: Vec<&str> = members.iter().map(String::as_str).collect();
                world.service_network(name, &members).await?;
            }
            self.world = Some(world);
        }
        Ok(self.world.as_mut().expect("started above"))
    }

    pub fn started(&self) -> anyhow::Result<&World> {
        self.world.as_ref().ok_or_else(|| anyhow::anyhow!("the world has not started: no step has used it yet"))
    }

    /// How long the world must stand still before an assertion believes it.
    pub fn settle(&self) -> Duration {
        self.run.settings.settle
    }
}
