//! `latticelab serve` as a child process, for tests that drive it with real clients.
#![allow(dead_code)] // each test binary uses part of this module

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Says that `test` could not run and why, where `cargo test` shows it: on the process's
/// stderr handle, which libtest does not capture (it captures `println!` and `eprintln!`).
pub fn skipped(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

pub struct Served {
    child: std::sync::Mutex<Child>,
    env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Served {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// `latticelab serve` with extra arguments.
    pub fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_latticelab"))
            .args(["serve", "--state-dir"])
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("latticelab serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let first = BufReader::new(stdout).lines().next().and_then(Result::ok);
        assert_eq!(first.as_deref(), Some("ready"), "serve prints ready first");
        let text = std::fs::read_to_string(dir.path().join("lattice.env")).expect("lattice.env");
        let env = text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self { child: std::sync::Mutex::new(child), env, _dir: dir }
    }

    /// The state directory (`lattice.env`, `kubeconfig`).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    pub fn var(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} in lattice.env"))
    }

    /// An SDK client for the served Lattice endpoint, with the credentials of `lattice.env`.
    pub fn lattice(&self) -> aws_sdk_vpclattice::Client {
        let conf = aws_sdk_vpclattice::Config::builder()
            .behavior_version(aws_sdk_vpclattice::config::BehaviorVersion::latest())
            .region(aws_sdk_vpclattice::config::Region::new(self.var("REGION").to_string()))
            .credentials_provider(aws_sdk_vpclattice::config::Credentials::new(
                self.var("AWS_ACCESS_KEY_ID"),
                self.var("AWS_SECRET_ACCESS_KEY"),
                None,
                None,
                "test",
            ))
            .endpoint_url(self.var("LATTICE_ENDPOINT"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_vpclattice::Client::from_conf(conf)
    }

    /// Stops with SIGTERM (through a shared reference) and returns whether it then exited
    /// cleanly — waiting for the exit it reports.
    pub fn stop_ok(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().is_ok_and(|s| s.success());
        sent && child.wait().is_ok_and(|s| s.success())
    }

    /// Stops with SIGTERM and returns whether it exited cleanly.
    pub fn stop(self) -> bool {
        self.stop_ok()
    }
}

/// A test that ends without [`Served::stop`] (it does not test the shutdown, or it failed
/// first) must not leave its `serve` running.
impl Drop for Served {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
