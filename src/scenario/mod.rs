//! Gherkin scenarios: the world a scenario runs in, the step library (shared by
//! `latticelab run` and `cargo test`), the runner, failure bundles and the step catalogue.

pub mod bundle;
pub mod catalogue;
pub mod junit;
pub mod params;
pub mod powers;
pub mod replay;
pub mod runner;
pub mod steps;

use std::sync::OnceLock;
use std::time::Duration;

use sim_controller::Quirks;

use crate::backend::SharedBackend;
use crate::world::{ClusterSpec, World, WorldConfig};

/// How a run's scenarios are configured (set once by the runner).
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub seed: u64,
    pub profile: String,
    /// How long an assertion waits for the world to converge (virtual time).
    pub within: Duration,
    /// An external controller command to run per cluster instead of the reference one.
    pub external: Option<String>,
    /// Where external controllers' logs go, a folder per scenario.
    pub controller_logs: std::path::PathBuf,
    /// Real AWS as every world's Lattice.
    pub aws: Option<crate::world::aws::AwsLattice>,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            seed: 0,
            profile: "v2.1.3".into(),
            within: Duration::from_secs(300),
            external: None,
            controller_logs: std::path::PathBuf::from("target/latticelab-report/controllers"),
            aws: None,
        }
    }
}

static SETTINGS: OnceLock<RunSettings> = OnceLock::new();

pub fn settings() -> RunSettings {
    SETTINGS.get().cloned().unwrap_or_default()
}

pub fn set_settings(settings: RunSettings) {
    let _ = SETTINGS.set(settings);
}

static BACKEND: OnceLock<SharedBackend> = OnceLock::new();

/// The cluster backend of this process's run (embedded unless the runner set another).
pub fn backend() -> SharedBackend {
    BACKEND.get_or_init(|| std::sync::Arc::new(crate::backend::embedded::Embedded::default())).clone()
}

/// Sets the run's backend; a process runs its scenarios on one backend.
pub fn set_backend(backend: SharedBackend) -> anyhow::Result<()> {
    let kind = backend.kind();
    BACKEND.set(backend).ok();
    anyhow::ensure!(BACKEND.get().is_some_and(|b| b.kind() == kind), "this process already runs on another backend");
    Ok(())
}

/// The world of one scenario: declared in Background steps, started on first use.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ScenarioWorld {
    pub seed: u64,
    pub profile: String,
    pub within: Duration,
    pub clusters: Vec<ClusterSpec>,
    /// Service networks to create at start: name and the clusters whose VPCs join it.
    pub networks: Vec<(String, Vec<String>)>,
    pub world: Option<World>,
    /// The scenario's text, for failure bundles.
    pub text: String,
    pub name: String,
    /// When the scenario began (virtual time).
    pub started_at: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for ScenarioWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioWorld")
            .field("seed", &self.seed)
            .field("profile", &self.profile)
            .field("clusters", &self.clusters)
            .finish()
    }
}

impl ScenarioWorld {
    async fn new() -> Result<Self, std::convert::Infallible> {
        let s = settings();
        Ok(Self {
            seed: s.seed,
            profile: s.profile,
            within: s.within,
            clusters: vec![],
            networks: vec![],
            world: None,
            text: String::new(),
            name: String::new(),
            started_at: None,
        })
    }

    /// The running world, started with what the Background declared (two clusters in
    /// distinct VPCs when none was).
    pub async fn world(&mut self) -> anyhow::Result<&mut World> {
        if self.world.is_none() {
            if self.clusters.is_empty() {
                self.clusters = vec![
                    ClusterSpec::new("cluster-a", "vpc-0aaaaaaaaaaaaaaa1"),
                    ClusterSpec::new("cluster-b", "vpc-0bbbbbbbbbbbbbbb2"),
                ];
            }
            let mut config = WorldConfig::new(&[]);
            config.clusters = self.clusters.clone();
            config.seed = self.seed;
            config.quirks = Quirks::profile(&self.profile).map_err(anyhow::Error::msg)?;
            let s = settings();
            config.aws = s.aws.clone();
            config.external = s.external.map(|command| crate::world::external::External {
                command,
                log_dir: s.controller_logs.join(bundle::slug(&self.name)),
            });
            let world = World::start_on(config, backend().as_ref()).await?;
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
}
