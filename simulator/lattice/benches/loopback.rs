//! Loopback throughput of the simulator, side by side with moto's server in one run, with
//! the same Rust client: `cargo bench -p sim-lattice --bench loopback`.
//!
//! moto comes from `LATTICELAB_MOTO_SERVER`, else `.venv/bin/moto_server` (made by
//! `.ci/run`), else `moto_server` on PATH; without it only latticelab is measured.
//! `LATTICELAB_BENCH_CALLS` sets the calls per measurement (default 400).

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_vpclattice::config::retry::RetryConfig;
use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_vpclattice::types::{TargetGroupConfig, TargetGroupProtocol, TargetGroupType};
use aws_sdk_vpclattice::{Client, Config};
use sim_core::Clock;
use sim_lattice::{Simulator, SimulatorOptions, server};

const CONCURRENCY: usize = 16;

fn client(endpoint: &str) -> Client {
    let conf = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "static"))
        .retry_config(RetryConfig::disabled())
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(conf)
}

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LATTICELAB_MOTO_SERVER") {
        return Some(p.into());
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("moto_server").arg("--help").output().ok().filter(|o| o.status.success()).map(|_| "moto_server".into())
}

/// Starts moto's server and waits (polling, bounded) until it accepts connections.
async fn start_moto() -> Option<(Moto, String)> {
    let binary = moto_binary()?;
    let port = StdListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let moto = Moto(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline {
            eprintln!("moto_server did not start listening within 30 s");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some((moto, format!("http://{addr}")))
}

type Call =
    Arc<dyn Fn(Client, usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync>;

/// Requests per second for `calls` calls, one after another or from 16 tasks at once;
/// `None` when any call failed (the server does not serve the operation).
async fn measure(c: &Client, calls: usize, concurrent: bool, call: Call) -> Option<f64> {
    if !call(c.clone(), usize::MAX).await {
        return None;
    }
    let start = Instant::now();
    let ok = if concurrent {
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|t| {
                let (c, call) = (c.clone(), call.clone());
                tokio::spawn(async move {
                    let mut ok = true;
                    for i in (t..calls).step_by(CONCURRENCY) {
                        ok &= call(c.clone(), i).await;
                    }
                    ok
                })
            })
            .collect();
        let mut ok = true;
        for t in tasks {
            ok &= t.await.unwrap_or(false);
        }
        ok
    } else {
        let mut ok = true;
        for i in 0..calls {
            ok &= call(c.clone(), i).await;
        }
        ok
    };
    ok.then(|| calls as f64 / start.elapsed().as_secs_f64())
}

/// Creates one IP target group; its id.
async fn create_target_group(c: &Client, name: String) -> Option<String> {
    let config = TargetGroupConfig::builder()
        .port(80)
        .protocol(TargetGroupProtocol::Http)
        .vpc_identifier("vpc-0a1b2c3d4e5f60718");
    let out =
        c.create_target_group().name(name).r#type(TargetGroupType::Ip).config(config.build()).send().await.ok()?;
    out.id().map(str::to_string)
}

async fn seed_target_groups(c: &Client) -> Option<String> {
    let mut first = None;
    for i in 0..20 {
        let id = create_target_group(c, format!("bench-seed-{i}")).await?;
        first.get_or_insert(id);
    }
    first
}

fn operations(tg_id: String) -> Vec<(&'static str, Call)> {
    let list: Call = Arc::new(|c: Client, _| Box::pin(async move { c.list_target_groups().send().await.is_ok() }));
    let get: Call = Arc::new(move |c: Client, _| {
        let id = tg_id.clone();
        Box::pin(async move { c.get_target_group().target_group_identifier(id).send().await.is_ok() })
    });
    let create_delete: Call = Arc::new(|c: Client, i| {
        Box::pin(async move {
            let name = if i == usize::MAX { "bench-probe".to_string() } else { format!("bench-{i}") };
            let Some(id) = create_target_group(&c, name).await else { return false };
            c.delete_target_group().target_group_identifier(id).send().await.is_ok()
        })
    });
    vec![("ListTargetGroups", list), ("GetTargetGroup", get), ("CreateTargetGroup+DeleteTargetGroup", create_delete)]
}

fn fmt(rate: Option<f64>) -> String {
    rate.map_or_else(|| "not served".to_string(), |r| format!("{r:.0} req/s"))
}

#[tokio::main]
async fn main() {
    let calls: usize = std::env::var("LATTICELAB_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let sim = Simulator::new(SimulatorOptions { clock: Clock::wall(), ..SimulatorOptions::default() });
    let addr = server::spawn_loopback(sim).await.expect("bind loopback");
    let ours = client(&format!("http://{addr}"));
    let our_tg = seed_target_groups(&ours).await.expect("latticelab serves CreateTargetGroup");

    let moto = start_moto().await;
    let theirs = match &moto {
        Some((_, endpoint)) => {
            let c = client(endpoint);
            seed_target_groups(&c).await.map(|tg| (c, tg))
        }
        None => {
            println!("moto_server not found: measuring latticelab alone (run .ci/run or set LATTICELAB_MOTO_SERVER)");
            None
        }
    };

    println!(
        "{calls} calls per measurement, {CONCURRENCY} tasks when concurrent, same aws-sdk-vpclattice client, loopback HTTP/1.1"
    );
    println!("{:<38} {:<11} {:>14} {:>14} {:>8}", "operation", "mode", "latticelab", "moto", "ratio");
    let their_ops = theirs.as_ref().map(|(_, tg)| operations(tg.clone()));
    for (i, (name, call)) in operations(our_tg).into_iter().enumerate() {
        for concurrent in [false, true] {
            let mode = if concurrent { "16 tasks" } else { "sequential" };
            let our_rate = measure(&ours, calls, concurrent, call.clone()).await;
            let their_rate = match (&theirs, &their_ops) {
                (Some((c, _)), Some(ops)) => measure(c, calls, concurrent, ops[i].1.clone()).await,
                _ => None,
            };
            let ratio = match (our_rate, their_rate) {
                (Some(a), Some(b)) => format!("{:.1}x", a / b),
                _ => "-".into(),
            };
            println!("{name:<38} {mode:<11} {:>14} {:>14} {ratio:>8}", fmt(our_rate), fmt(their_rate));
        }
    }
}
