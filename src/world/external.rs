//! External controllers: one process per cluster, started with exactly the environment the
//! real AWS Gateway API Controller reads and nothing of the parent's, on loopback ports of its
//! own, its output in a log file, watched for readiness and for an exit
//! (docs/external-controllers.md).

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};

/// The dummy credentials of the simulated account, as `lattice.env` and external
/// controllers get them.
pub const ACCESS_KEY_ID: &str = "AKIDLATTICELAB";
pub const SECRET_ACCESS_KEY: &str = "latticelab-secret-access-key";

/// How long a controller with a readiness endpoint has to answer it.
pub const READY_WITHIN: Duration = Duration::from_secs(120);

/// How an external controller is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Launch {
    /// `external:CMD ARGS…`: a command line run by `sh -c`; it may use
    /// `$LATTICELAB_METRICS_ADDR` and `$LATTICELAB_HEALTH_ADDR`.
    Command(String),
    /// `real:PATH`: the real controller's binary, run directly with
    /// `--metrics-bind-address` and `--health-probe-bind-address` on its own loopback ports.
    Real(PathBuf),
}

impl Launch {
    /// `external:CMD` or `real:PATH`; `None` when `choice` is neither.
    pub fn parse(choice: &str) -> Option<Result<Self, String>> {
        if let Some(cmd) = choice.strip_prefix("external:") {
            let cmd = cmd.trim();
            return Some(if cmd.is_empty() {
                Err("external: needs a command, for example 'external:latticelab controller'".into())
            } else {
                Ok(Self::Command(cmd.to_string()))
            });
        }
        let path = choice.strip_prefix("real:")?.trim();
        Some(if path.is_empty() {
            Err("real: needs the controller binary's path, for example 'real:/opt/controller/manager'".into())
        } else {
            Ok(Self::Real(PathBuf::from(path)))
        })
    }

    /// Whether the process answers `GET /readyz` on its health address: the real controller
    /// always does; a command line does when it is given the address.
    pub fn serves_readiness(&self) -> bool {
        match self {
            Self::Real(_) => true,
            Self::Command(cmd) => cmd.contains("LATTICELAB_HEALTH_ADDR"),
        }
    }

    fn command(&self, ports: &Ports) -> Command {
        match self {
            Self::Real(path) => {
                let mut c = Command::new(path);
                c.arg(format!("--metrics-bind-address={}", ports.metrics))
                    .arg(format!("--health-probe-bind-address={}", ports.health));
                c
            }
            Self::Command(cmd) => {
                let mut c = Command::new("sh");
                // `exec` so that the signal that stops it reaches the controller itself.
                c.arg("-c").arg(format!("exec {cmd}"));
                c
            }
        }
    }
}

impl std::fmt::Display for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command(cmd) => write!(f, "external:{cmd}"),
            Self::Real(path) => write!(f, "real:{}", path.display()),
        }
    }
}

/// An external controller for every cluster of a world, and where its logs go.
#[derive(Clone, Debug)]
pub struct External {
    pub launch: Launch,
    pub log_dir: PathBuf,
}

/// The loopback addresses one process listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub metrics: SocketAddr,
    pub health: SocketAddr,
}

impl Ports {
    /// `n` pairs of free 127.0.0.1 ports, all distinct: every listener is held until all are
    /// chosen, so no two processes of one world are given the same port.
    pub fn free(n: usize) -> anyhow::Result<Vec<Ports>> {
        let listeners = (0..2 * n)
            .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .collect::<std::io::Result<Vec<_>>>()
            .context("cannot find free loopback ports")?;
        let addrs = listeners.iter().map(|l| l.local_addr()).collect::<std::io::Result<Vec<_>>>()?;
        Ok(addrs.chunks(2).map(|p| Ports { metrics: p[0], health: p[1] }).collect())
    }
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
    /// The simulator's endpoint, which serves Lattice and the Resource Groups Tagging API.
    pub lattice_endpoint: String,
    /// Where the controller is told to read and write tags.
    pub tagging: sim_controller::TaggingApi,
    pub ports: Ports,
    /// An empty directory of its own, as `HOME`: no `~/.aws` or `~/.kube` of the user's.
    pub home: PathBuf,
}

impl ControllerEnv {
    /// The variables, in the real controller's names (its `pkg/config` and the AWS SDK's).
    /// The Tagging API client takes no endpoint from the controller's configuration, so in
    /// the default mode it is pointed at the simulator with the SDK's own
    /// `AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API` (docs/external-controllers.md).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let tagging = match self.tagging {
            sim_controller::TaggingApi::ResourceGroups => {
                ("AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API", self.lattice_endpoint.clone())
            }
            sim_controller::TaggingApi::Lattice => ("DISABLE_TAGGING_SERVICE_API", "true".into()),
        };
        vec![
            ("KUBECONFIG", self.kubeconfig.display().to_string()),
            ("CLUSTER_NAME", self.cluster_name.clone()),
            ("CLUSTER_VPC_ID", self.vpc_id.clone()),
            ("AWS_ACCOUNT_ID", self.account_id.clone()),
            ("REGION", self.region.clone()),
            ("AWS_REGION", self.region.clone()),
            ("LATTICE_ENDPOINT", self.lattice_endpoint.clone()),
            tagging,
            // A key of its own per cluster, so the simulator's journal tells the controllers apart.
            ("AWS_ACCESS_KEY_ID", super::access_key_of(&self.cluster_name)),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
            // Credentials and region are given: nothing may ask the instance metadata service,
            // which is not on loopback.
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("LATTICELAB_METRICS_ADDR", self.ports.metrics.to_string()),
            ("LATTICELAB_HEALTH_ADDR", self.ports.health.to_string()),
            ("HOME", self.home.display().to_string()),
        ]
    }

    /// The whole environment of the process: [`Self::vars`], and of the parent's only `PATH`
    /// (so that a command line finds its programs). Nothing else of the parent's reaches it —
    /// not `AWS_PROFILE` (a missing profile makes the real controller exit), credentials
    /// files, session tokens, `AWS_ENDPOINT_URL*` or `KUBERNETES_SERVICE_*`.
    pub fn environment(&self, parent: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = parent.into_iter().filter(|(k, _)| k == "PATH").collect();
        env.extend(self.vars().into_iter().map(|(k, v)| (OsString::from(k), OsString::from(v))));
        env
    }
}

/// How a process ended, as the reports say it: `status 1`, `signal 9`.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal {signal}");
        }
    }
    status.code().map_or_else(|| status.to_string(), |code| format!("status {code}"))
}

/// The last `n` lines of a log.
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A running external controller: the process (owned by a task that waits for it), its log
/// and its ports. Dropping it stops the process.
pub struct ExternalProcess {
    pub cluster: String,
    pub log: PathBuf,
    pub ports: Ports,
    pub launch: Launch,
    /// How it ended, once it has; `None` while it runs.
    ended: watch::Receiver<Option<Ended>>,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ended {
    /// It exited by itself.
    Exited(String),
    /// It was stopped.
    Stopped,
}

impl ExternalProcess {
    /// Starts `launch` for one cluster with exactly [`ControllerEnv::environment`], stdout
    /// and stderr appended to `log`.
    pub fn spawn(launch: &Launch, env: &ControllerEnv, log: &Path) -> anyhow::Result<Self> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let err = out.try_clone().with_context(|| format!("cannot open {}", log.display()))?;
        std::fs::create_dir_all(&env.home).with_context(|| format!("cannot create {}", env.home.display()))?;
        let mut command = launch.command(&env.ports);
        #[cfg(target_os = "linux")]
        // SAFETY: the closure runs in the child between fork and exec, and only calls prctl,
        // which is async-signal-safe and touches none of the parent's memory.
        #[allow(unsafe_code)]
        unsafe {
            command.pre_exec(|| {
                // The controller gets SIGTERM when the thread that started it ends: a
                // latticelab killed by a signal runs no destructor, and would otherwise leave its
                // controllers running (docs/external-controllers.md, "Lifetime").
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .env_clear()
            .envs(env.environment(std::env::vars_os()))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start the controller of {}: {launch}", env.cluster_name))?;
        let (ended_tx, ended) = watch::channel(None);
        let (stop, stop_rx) = oneshot::channel();
        tokio::spawn(supervise(child, stop_rx, ended_tx));
        Ok(Self {
            cluster: env.cluster_name.clone(),
            log: log.to_path_buf(),
            ports: env.ports,
            launch: launch.clone(),
            ended,
            stop: std::sync::Mutex::new(Some(stop)),
        })
    }

    /// How the process ended and the end of its log, if it exited by itself.
    pub fn exited(&self) -> Option<String> {
        match &*self.ended.borrow() {
            Some(Ended::Exited(how)) => Some(self.report(how)),
            _ => None,
        }
    }

    /// `the controller of C exited (status 1); see LOG`, then the log's last lines.
    fn report(&self, how: &str) -> String {
        format!(
            "the controller of {} exited ({how}); see {}\n{}",
            self.cluster,
            self.log.display(),
            log_tail(&self.log, 15)
        )
    }

    /// Waits until the process exits by itself, and says how; never returns for a process
    /// that is stopped instead.
    pub async fn exit(&self) -> String {
        let mut ended = self.ended.clone();
        match ended.wait_for(Option::is_some).await.map(|e| e.clone()) {
            Ok(Some(Ended::Exited(how))) => self.report(&how),
            _ => std::future::pending().await,
        }
    }

    /// Waits for `GET /readyz` on its health address to answer 200, when it serves one
    /// ([`Launch::serves_readiness`]); an exit meanwhile, or no answer within `within`, is an error.
    pub async fn ready(&self, within: Duration) -> anyhow::Result<()> {
        if !self.launch.serves_readiness() {
            return Ok(());
        }
        let url = format!("http://{}/readyz", self.ports.health);
        let probe = sim_core::eventually(within, || async {
            match probe(&url).await {
                Ok(200) => Ok(()),
                Ok(status) => Err(format!("{url} answered {status}")),
                Err(e) => Err(format!("{url}: {e}")),
            }
        });
        tokio::select! {
            biased;
            how = self.exit() => anyhow::bail!("{how}"),
            ready = probe => ready.map_err(|e| anyhow::anyhow!(
                "the controller of {} was not ready within {within:?} ({}); see {}\n{}",
                self.cluster, e.last, self.log.display(), log_tail(&self.log, 15)
            )),
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL if it is still there after 10 seconds.
    pub async fn stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(());
        }
        let mut ended = self.ended.clone();
        let _ = ended.wait_for(Option::is_some).await;
    }
}

impl Drop for ExternalProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(());
        }
    }
}

/// Owns the child: reports its exit, or stops it when asked (or when its handle is gone).
async fn supervise(mut child: Child, stop: oneshot::Receiver<()>, ended: watch::Sender<Option<Ended>>) {
    tokio::select! {
        status = child.wait() => {
            let how = status.map_or_else(|e| format!("unknown status: {e}"), describe);
            ended.send_replace(Some(Ended::Exited(how)));
        }
        _ = stop => {
            terminate(&mut child).await;
            ended.send_replace(Some(Ended::Stopped));
        }
    }
}

/// SIGTERM, then SIGKILL after 10 seconds.
async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

/// One `GET`, its status code.
async fn probe(url: &str) -> anyhow::Result<u16> {
    use http_body_util::Empty;
    use hyper_util::client::legacy::Client;
    let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let answer = tokio::time::timeout(Duration::from_secs(2), client.get(url.parse()?)).await??;
    Ok(answer.status().as_u16())
}

/// Serves `sim` on a loopback port until the returned sender is dropped; its endpoint URL.
pub async fn serve_lattice(sim: &sim_lattice::Simulator) -> anyhow::Result<(String, oneshot::Sender<()>)> {
    let server = sim_lattice::server::Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), sim.clone())
        .await
        .context("cannot bind a loopback port for the Lattice simulator")?;
    let endpoint = format!("http://{}", server.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Ok((endpoint, stop))
}

/// Starts `external` for one cluster of a world, on `ports`.
pub fn start_for(
    external: &External,
    cluster: &super::WorldCluster,
    lattice_endpoint: &str,
    tagging: sim_controller::TaggingApi,
    ports: Ports,
) -> anyhow::Result<ExternalProcess> {
    let kubeconfig = cluster
        .kubeconfig
        .clone()
        .with_context(|| format!("cluster {} has no kubeconfig for an external controller", cluster.spec.name))?;
    std::fs::create_dir_all(&external.log_dir)
        .with_context(|| format!("cannot create {}", external.log_dir.display()))?;
    let env = ControllerEnv {
        kubeconfig,
        cluster_name: cluster.spec.name.clone(),
        vpc_id: cluster.spec.vpc_id.clone(),
        account_id: sim_lattice::state::DEFAULT_ACCOUNT_ID.into(),
        region: sim_lattice::state::DEFAULT_REGION.into(),
        lattice_endpoint: lattice_endpoint.into(),
        tagging,
        ports,
        home: external.log_dir.join(format!("home-{}", cluster.spec.name)),
    };
    let log = external.log_dir.join(format!("controller-{}.log", cluster.spec.name));
    ExternalProcess::spawn(&external.launch, &env, &log)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> ControllerEnv {
        let ports = Ports { metrics: "127.0.0.1:1".parse().unwrap(), health: "127.0.0.1:2".parse().unwrap() };
        ControllerEnv {
            kubeconfig: "/k".into(),
            cluster_name: "c".into(),
            vpc_id: "vpc-01".into(),
            account_id: "111122223333".into(),
            region: "us-west-2".into(),
            lattice_endpoint: "http://127.0.0.1:3".into(),
            tagging: sim_controller::TaggingApi::ResourceGroups,
            ports,
            home: "/h".into(),
        }
    }

    #[test]
    fn nothing_of_the_parent_but_path_reaches_the_controller() {
        let parent = [
            ("PATH", "/usr/bin"),
            ("AWS_PROFILE", "missing"),
            ("AWS_CONFIG_FILE", "/u/.aws/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/u/.aws/credentials"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL", "https://example.com"),
            ("AWS_ENDPOINT_URL_VPC_LATTICE", "https://example.com"),
            ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", "443"),
            ("HOME", "/u"),
            ("AWS_ACCESS_KEY_ID", "AKIAREAL"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let got = env().environment(parent);
        let value = |name: &str| got.iter().find(|(k, _)| k == name).map(|(_, v)| v.to_string_lossy().into_owned());
        assert_eq!(value("PATH").as_deref(), Some("/usr/bin"));
        assert_eq!(value("HOME").as_deref(), Some("/h"), "HOME is a directory of its own");
        assert_eq!(value("AWS_ACCESS_KEY_ID").as_deref(), Some("AKIDLATTICELAB-c"));
        for name in ["AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SESSION_TOKEN"] {
            assert_eq!(value(name), None, "{name} reached the controller");
        }
        // The one endpoint variable is ours: the Tagging API on the simulator's endpoint.
        let leaked: Vec<_> = got
            .iter()
            .filter(|(k, v)| {
                let k = k.to_string_lossy();
                let ours = k == "AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API" && v == "http://127.0.0.1:3";
                (k.starts_with("AWS_ENDPOINT_URL") && !ours) || k.starts_with("KUBERNETES_SERVICE_")
            })
            .collect();
        assert!(leaked.is_empty(), "{leaked:?}");
        let names: Vec<_> = got.iter().map(|(k, _)| k.clone()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "each variable once: {names:?}");
    }

    #[test]
    fn the_tagging_mode_decides_which_variable_is_set() {
        let default = env().vars();
        let names: Vec<&str> = default.iter().map(|(k, _)| *k).collect();
        assert!(names.contains(&"AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API"));
        assert!(!names.contains(&"DISABLE_TAGGING_SERVICE_API"), "the default mode leaves it unset");
        let lattice = ControllerEnv { tagging: sim_controller::TaggingApi::Lattice, ..env() }.vars();
        assert!(lattice.contains(&("DISABLE_TAGGING_SERVICE_API", "true".to_string())));
        assert!(!lattice.iter().any(|(k, _)| k.starts_with("AWS_ENDPOINT_URL")));
    }

    #[test]
    fn every_address_given_is_loopback_and_distinct() {
        let ports = Ports::free(3).unwrap();
        let mut all: Vec<SocketAddr> = ports.iter().flat_map(|p| [p.metrics, p.health]).collect();
        assert!(all.iter().all(|a| a.ip().is_loopback()), "{all:?}");
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 6);
    }

    #[test]
    fn real_and_external_choices_parse() {
        assert_eq!(Launch::parse("real:/opt/manager"), Some(Ok(Launch::Real("/opt/manager".into()))));
        assert_eq!(
            Launch::parse("external: latticelab controller"),
            Some(Ok(Launch::Command("latticelab controller".into())))
        );
        assert!(matches!(Launch::parse("real:"), Some(Err(e)) if e.contains("binary's path")));
        assert!(matches!(Launch::parse("external:"), Some(Err(_))));
        assert_eq!(Launch::parse("reference"), None);
        assert!(Launch::Real("/x".into()).serves_readiness());
        assert!(!Launch::Command("latticelab controller".into()).serves_readiness());
        assert!(Launch::Command("m --health-probe-bind-address=$LATTICELAB_HEALTH_ADDR".into()).serves_readiness());
    }

    #[test]
    fn the_real_controller_gets_its_ports_as_flags() {
        let ports = env().ports;
        let c = Launch::Real("/opt/manager".into()).command(&ports);
        let args: Vec<_> = c.as_std().get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, ["--metrics-bind-address=127.0.0.1:1", "--health-probe-bind-address=127.0.0.1:2"]);
        assert_eq!(c.as_std().get_program(), "/opt/manager");
    }
}
