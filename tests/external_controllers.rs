//! External controllers on one host: each process listens on loopback ports of its own and
//! gets a hermetic environment; `serve` prints `ready` only once each controller's readiness
//! endpoint answers, and reports a controller that exits, at once, with its log.
//!
//! The real controller is played by a stand-in: a `manager` script that runs
//! `latticelab controller`, which takes the real controller's two listener flags.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `real:` binary in `dir`: `latticelab controller` with `args` (the flags serve adds are
/// `"$@"`).
fn stand_in(dir: &Path, args: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("manager");
    let script = format!("#!/bin/sh\nexec '{}' controller {args}\n", env!("CARGO_BIN_EXE_latticelab"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `latticelab serve` with `controller` and extra environment; its stderr goes to
/// `state/serve.err`.
struct Serve {
    child: Child,
    state: PathBuf,
    /// The first line on stdout: `ready`, or `None` when serve exited first.
    first_line: Option<String>,
}

impl Serve {
    fn start(state: &Path, controller: &str, env: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(state).unwrap();
        let err = std::fs::File::create(state.join("serve.err")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_latticelab"))
            .args(["serve", "--state-dir"])
            .arg(state)
            .args(["--controller", controller])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let first_line = BufReader::new(stdout).lines().next().and_then(Result::ok);
        Self { child, state: state.to_path_buf(), first_line }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.state.join("serve.err")).unwrap_or_default()
    }

    /// The `metrics` and `health` addresses serve reports for `cluster`'s controller.
    fn addresses(&self, cluster: &str) -> (String, String) {
        let stderr = self.stderr();
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("latticelab: controller of {cluster}:")))
            .unwrap_or_else(|| panic!("serve names {cluster}'s controller addresses:\n{stderr}"));
        let after = |key: &str| line.split(key).nth(1).and_then(|r| r.split(',').next()).unwrap().trim().to_string();
        (after("metrics "), after("health "))
    }

    /// SIGTERM; whether serve then exited cleanly.
    fn stop(mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().is_ok_and(|s| s.success());
        let status = self.child.wait();
        let clean = sent && status.as_ref().is_ok_and(|s| s.success());
        if !clean {
            eprintln!("serve ended with {status:?}:\n{}", self.stderr());
        }
        clean
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET, its status.
async fn get(url: &str) -> Result<u16, String> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let answer = client.get(url.parse().map_err(|e| format!("{e}"))?).await.map_err(|e| format!("{url}: {e}"))?;
    Ok(answer.status().as_u16())
}

#[tokio::test]
async fn two_real_controllers_on_one_host_each_bind_their_own_loopback_ports_and_stay_up() {
    let dir = tempfile::tempdir().unwrap();
    let manager = stand_in(dir.path(), "\"$@\"");
    let serve = Serve::start(&dir.path().join("state"), &format!("real:{}", manager.display()), &[]);
    assert_eq!(serve.first_line.as_deref(), Some("ready"), "serve is ready:\n{}", serve.stderr());
    let (a, b) = (serve.addresses("cluster-a"), serve.addresses("cluster-b"));
    let all = [&a.0, &a.1, &b.0, &b.1];
    assert!(all.iter().all(|addr| addr.starts_with("127.0.0.1:")), "loopback only: {all:?}");
    let mut distinct = all.to_vec();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "a port of its own for each listener: {all:?}");
    // Ready means each readiness endpoint answered; both controllers still answer afterwards.
    for (cluster, (metrics, health)) in [("cluster-a", &a), ("cluster-b", &b)] {
        assert_eq!(get(&format!("http://{health}/readyz")).await, Ok(200), "{cluster} is ready");
        assert_eq!(get(&format!("http://{health}/healthz")).await, Ok(200), "{cluster} is healthy");
        assert_eq!(get(&format!("http://{metrics}/metrics")).await, Ok(200), "{cluster} serves metrics");
        let log = std::fs::read_to_string(dir.path().join(format!("state/controller-{cluster}.log"))).unwrap();
        assert!(log.contains(&format!("controller for cluster {cluster}")), "{cluster}'s own log: {log}");
    }
    assert!(!serve.stderr().contains("exited"), "no controller exited:\n{}", serve.stderr());
    assert!(serve.stop(), "serve stops cleanly");
}

/// What the issue saw with the real controller: processes that bind one fixed port. The
/// second dies with "address already in use"; serve says which, how, and where its log is,
/// instead of printing `ready`.
#[tokio::test]
async fn a_controller_that_cannot_bind_its_port_is_reported_and_serve_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fixed = taken.local_addr().unwrap();
    drop(taken);
    let manager = stand_in(dir.path(), &format!("--health-probe-bind-address={fixed}"));
    let serve = Serve::start(&dir.path().join("state"), &format!("real:{}", manager.display()), &[]);
    assert_eq!(serve.first_line, None, "serve never prints ready:\n{}", serve.stderr());
    let stderr = serve.stderr();
    assert!(
        stderr.contains("exited (status 1); see ") && stderr.contains("/controller-cluster-"),
        "the exit is reported with the log's path:\n{stderr}"
    );
    assert!(stderr.to_lowercase().contains("address already in use"), "{stderr}");
}

#[tokio::test]
async fn serve_reports_a_controller_that_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let serve = Serve::start(&state, "external:sh -c 'echo giving up now >&2; exit 3'", &[]);
    assert_eq!(serve.first_line.as_deref(), Some("ready"), "{}", serve.stderr());
    let log = state.join("controller-cluster-a.log");
    let expected = format!("the controller of cluster-a exited (status 3); see {}", log.display());
    let reported = sim_core::eventually(Duration::from_secs(20), || async {
        let stderr = serve.stderr();
        if stderr.contains(&expected) { Ok(stderr) } else { Err(stderr) }
    })
    .await
    .unwrap_or_else(|e| panic!("serve reports the exit while serving: {e}"));
    let after = reported.split(&expected).nth(1).unwrap_or_default();
    assert!(after.contains("giving up now"), "with the log's last lines:\n{reported}");
    assert!(serve.stop(), "serve goes on serving, and stops cleanly");
}

#[tokio::test]
async fn the_controller_gets_nothing_of_the_parents_environment_but_path() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let parent = [
        ("AWS_PROFILE", "no-such-profile"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ("AWS_SESSION_TOKEN", "a-session-token"),
        ("AWS_ENDPOINT_URL", "http://203.0.113.1"),
        ("AWS_ENDPOINT_URL_VPC_LATTICE", "http://203.0.113.2"),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("LATTICELAB_TEST_MARKER", "from-the-parent"),
    ];
    let controller = format!(
        "external:sh -c 'env > \"$HOME/environment\"; exec {} controller --health-probe-bind-address=$LATTICELAB_HEALTH_ADDR'",
        env!("CARGO_BIN_EXE_latticelab")
    );
    let serve = Serve::start(&state, &controller, &parent);
    assert_eq!(serve.first_line.as_deref(), Some("ready"), "{}", serve.stderr());
    let seen = std::fs::read_to_string(state.join("home-cluster-a/environment")).unwrap();
    let names: Vec<&str> = seen.lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k).collect();
    for (name, _) in parent {
        assert!(!names.contains(&name), "{name} reached the controller:\n{seen}");
    }
    for name in ["KUBECONFIG", "CLUSTER_NAME", "CLUSTER_VPC_ID", "AWS_ACCOUNT_ID", "REGION", "LATTICE_ENDPOINT"] {
        assert!(names.contains(&name), "{name} is set:\n{seen}");
    }
    assert!(
        seen.contains("CLUSTER_NAME=cluster-a\n")
            && seen.contains(&format!("HOME={}", state.join("home-cluster-a").display()))
    );
    assert!(names.contains(&"PATH"), "PATH is kept, so a command line finds its programs");
    let stderr = serve.stderr();
    assert!(serve.stop(), "serve stops cleanly:\n{stderr}");
}

/// `run --controller real:PATH`: a scenario runs against one stand-in process per cluster,
/// each given its ports as flags and waited for until ready.
#[test]
fn a_scenario_runs_against_real_controller_processes() {
    let dir = tempfile::tempdir().unwrap();
    let manager = stand_in(dir.path(), "\"$@\"");
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--controller", &format!("real:{}", manager.display()), "--backend-state-dir"])
        .arg(dir.path())
        .arg("--report")
        .arg(dir.path().join("report"))
        .args(["--name", "HTTPRoute example", "features/import/service-import-reference.feature"])
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    let logs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("report/controllers"))
        .unwrap()
        .flat_map(|scenario| std::fs::read_dir(scenario.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    assert!(logs.len() >= 2, "a log per cluster's process: {logs:?}");
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("latticelab: controller for cluster"), "{}: {text}", log.display());
        assert!(text.contains("health probe listener on 127.0.0.1:"), "given its ports: {}: {text}", log.display());
    }
}

/// Whether process `pid` still runs (a zombie waiting for its reaper does not).
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// A serve killed outright (SIGKILL: no destructor runs) takes its controllers with it
/// (docs/external-controllers.md, "Lifetime").
#[tokio::test]
async fn a_killed_serve_leaves_no_controller_behind() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut serve = Serve::start(&state, "external:sh -c 'echo $$ > \"$HOME/pid\"; exec sleep 600'", &[]);
    assert_eq!(serve.first_line.as_deref(), Some("ready"), "{}", serve.stderr());
    let pid_file = state.join("home-cluster-a/pid");
    let pid = sim_core::eventually(Duration::from_secs(20), || async {
        std::fs::read_to_string(&pid_file).map(|p| p.trim().to_string()).map_err(|e| e.to_string())
    })
    .await
    .expect("the controller wrote its pid");
    assert!(running(&pid), "the controller runs while serve does");
    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    let gone = sim_core::eventually(Duration::from_secs(20), || async {
        if running(&pid) { Err(format!("process {pid} still runs")) } else { Ok(()) }
    })
    .await;
    assert!(gone.is_ok(), "{gone:?}");
}
