//! External controllers: one process per cluster, started with exactly the environment the
//! real AWS Gateway API Controller reads (controller.md §6), its output in a log file.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// The dummy credentials of the simulated account, as `lattice.env` and external
/// controllers get them.
pub const ACCESS_KEY_ID: &str = "AKIDLATTICELAB";
pub const SECRET_ACCESS_KEY: &str = "latticelab-secret-access-key";

/// An external controller for every cluster of a world: a shell command line, and where
/// its logs go.
#[derive(Clone, Debug)]
pub struct External {
    pub command: String,
    pub log_dir: PathBuf,
}

/// What one cluster's controller is told.
#[derive(Clone, Debug)]
pub struct ControllerEnv {
    /// A kubeconfig whose current context is the cluster.
    pub kubeconfig: PathBuf,
    pub cluster_name: String,
    pub vpc_id: String,
    pub account_id: String,
    pub region: String,
    pub lattice_endpoint: String,
}

impl ControllerEnv {
    /// The variables, in the real controller's names; the Resource Groups Tagging API is
    /// not simulated, so tag lookups go through Lattice (`DISABLE_TAGGING_SERVICE_API`).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("KUBECONFIG", self.kubeconfig.display().to_string()),
            ("CLUSTER_NAME", self.cluster_name.clone()),
            ("CLUSTER_VPC_ID", self.vpc_id.clone()),
            ("AWS_ACCOUNT_ID", self.account_id.clone()),
            ("REGION", self.region.clone()),
            ("AWS_REGION", self.region.clone()),
            ("LATTICE_ENDPOINT", self.lattice_endpoint.clone()),
            ("DISABLE_TAGGING_SERVICE_API", "true".into()),
            // A key of its own per cluster, so the simulator's journal tells the controllers apart.
            ("AWS_ACCESS_KEY_ID", super::access_key_of(&self.cluster_name)),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
        ]
    }
}

/// Starts `command` (a shell command line) for one cluster, stdout and stderr appended to
/// `log`. The process is killed if its handle is dropped.
pub fn spawn(command: &str, env: &ControllerEnv, log: &Path) -> anyhow::Result<Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let err = out.try_clone().with_context(|| format!("cannot open {}", log.display()))?;
    // `exec` so that the signal that stops it reaches the controller itself, not a shell.
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec {command}"))
        .envs(env.vars())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start the controller of {}: {command}", env.cluster_name))
}

/// Stops a controller: SIGTERM, then SIGKILL if it is still there after 10 seconds.
pub async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        if tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

/// A running external controller: the process and its log.
pub struct ExternalProcess {
    child: tokio::sync::Mutex<Child>,
    pub log: PathBuf,
}

impl ExternalProcess {
    /// How the process ended and the end of its log, if it has ended: a controller that
    /// exits while its world runs makes every later assertion moot.
    pub fn exited(&self) -> Option<String> {
        let mut child = self.child.try_lock().ok()?;
        let status = child.try_wait().ok()??;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
        Some(format!("{status}; the end of {}:\n{}", self.log.display(), tail.join("\n")))
    }

    pub async fn stop(&self) {
        stop(&mut *self.child.lock().await).await;
    }
}

/// Serves `sim` on a loopback port until the returned sender is dropped; its endpoint URL.
pub async fn serve_lattice(sim: &sim_lattice::Simulator) -> anyhow::Result<(String, tokio::sync::oneshot::Sender<()>)> {
    let server = sim_lattice::server::Server::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), sim.clone())
        .await
        .context("cannot bind a loopback port for the Lattice simulator")?;
    let endpoint = format!("http://{}", server.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Ok((endpoint, stop))
}

/// Starts `external` for one cluster of a world.
pub fn start_for(
    external: &External,
    cluster: &super::WorldCluster,
    lattice_endpoint: &str,
) -> anyhow::Result<ExternalProcess> {
    let kubeconfig = cluster
        .kubeconfig
        .clone()
        .with_context(|| format!("cluster {} has no kubeconfig for an external controller", cluster.spec.name))?;
    let env = ControllerEnv {
        kubeconfig,
        cluster_name: cluster.spec.name.clone(),
        vpc_id: cluster.spec.vpc_id.clone(),
        account_id: sim_lattice::state::DEFAULT_ACCOUNT_ID.into(),
        region: sim_lattice::state::DEFAULT_REGION.into(),
        lattice_endpoint: lattice_endpoint.into(),
    };
    std::fs::create_dir_all(&external.log_dir)
        .with_context(|| format!("cannot create {}", external.log_dir.display()))?;
    let log = external.log_dir.join(format!("controller-{}.log", cluster.spec.name));
    Ok(ExternalProcess { child: tokio::sync::Mutex::new(spawn(&external.command, &env, &log)?), log })
}
