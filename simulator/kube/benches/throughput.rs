//! Throughput of an embedded cluster — get, list, server-side apply, watch delivery —
//! in-process and over loopback HTTP and HTTPS, side by side in one run; cluster start time;
//! and memory per idle cluster: `cargo bench -p sim-kube --bench throughput`.
//!
//! `LATTICELAB_BENCH_CALLS` sets the calls per measurement (default 1000).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;
use sim_kube::kubeconfig::{Endpoint, render};
use sim_kube::server::{Listener, serve_http, serve_https};
use sim_kube::{Cluster, ClusterConfig};

fn calls() -> usize {
    std::env::var("LATTICELAB_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

fn new_cluster(name: &str) -> Cluster {
    Cluster::new(ClusterConfig::new(name, "vpc-0bench0000000000", 0)).expect("cluster")
}

async fn loopback_client(cluster: &Cluster, listener: &Listener) -> Client {
    let yaml = render(&[Endpoint::served("c", cluster, listener).expect("an endpoint")]);
    let config = Config::from_custom_kubeconfig(
        Kubeconfig::from_yaml(&yaml).expect("kubeconfig"),
        &KubeConfigOptions::default(),
    )
    .await
    .expect("config");
    Client::try_from(config).expect("client")
}

async fn per_second<F, Fut>(n: usize, mut f: F) -> f64
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    for i in 0..n {
        f(i).await;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

struct Row {
    what: &'static str,
    in_process: f64,
    http: f64,
    https: f64,
}

async fn measure(cluster: &Cluster, client: Client, n: usize, tag: &str) -> [f64; 4] {
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let name = format!("bench-{tag}");
    cms.create(
        &PostParams::default(),
        &ConfigMap { metadata: ObjectMeta { name: Some(name.clone()), ..Default::default() }, ..Default::default() },
    )
    .await
    .expect("create");
    let get = per_second(n, |_| {
        let cms = cms.clone();
        let name = name.clone();
        async move {
            cms.get(&name).await.expect("get");
        }
    })
    .await;
    let list = per_second(n / 10, |_| {
        let cms = cms.clone();
        async move {
            cms.list(&ListParams::default()).await.expect("list");
        }
    })
    .await;
    let apply = per_second(n / 2, |i| {
        let cms = cms.clone();
        let name = name.clone();
        async move {
            let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"i": i.to_string()}});
            cms.patch(&name, &PatchParams::apply("bench").force(), &Patch::Apply(body)).await.expect("apply");
        }
    })
    .await;
    // Watch delivery: events per second from the first write to the last event received.
    let rv = cluster.resource_version().to_string();
    let mut events = cms.watch(&WatchParams::default().disable_bookmarks(), &rv).await.expect("watch").boxed();
    let writes = n / 2;
    let start = Instant::now();
    let writer = {
        let cms = cms.clone();
        let name = name.clone();
        tokio::spawn(async move {
            for i in 0..writes {
                cms.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"data": {"w": i.to_string()}})))
                    .await
                    .expect("patch");
            }
        })
    };
    let mut seen = 0;
    while seen < writes {
        match tokio::time::timeout(Duration::from_secs(30), events.try_next()).await {
            Ok(Ok(Some(WatchEvent::Modified(_)))) => seen += 1,
            Ok(Ok(Some(_))) => {}
            other => panic!("watch ended early: {other:?}"),
        }
    }
    writer.await.expect("writer");
    let watch = writes as f64 / start.elapsed().as_secs_f64();
    [get, list, apply, watch]
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[tokio::main]
async fn main() {
    let n = calls();
    let cluster = new_cluster("bench");
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let http = serve_http(&cluster, loopback).await.expect("http");
    let https = serve_https(&cluster, loopback).await.expect("https");
    // Fill the namespace so lists carry 100 objects.
    let cms: Api<ConfigMap> = Api::default_namespaced(cluster.client());
    for i in 0..97 {
        cms.create(
            &PostParams::default(),
            &ConfigMap {
                metadata: ObjectMeta { name: Some(format!("fill-{i:03}")), ..Default::default() },
                ..Default::default()
            },
        )
        .await
        .expect("fill");
    }
    let in_process = measure(&cluster, cluster.client(), n, "in-process").await;
    let over_http = measure(&cluster, loopback_client(&cluster, &http).await, n, "http").await;
    let over_https = measure(&cluster, loopback_client(&cluster, &https).await, n, "https").await;
    let names = ["get", "list (100 objects)", "server-side apply", "watch events"];
    let rows: Vec<Row> = (0..4)
        .map(|i| Row { what: names[i], in_process: in_process[i], http: over_http[i], https: over_https[i] })
        .collect();

    println!("sim-kube throughput, {n} calls per measurement (requests or events per second)");
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>14} {:>14}",
        "", "in-process", "http", "https", "in-proc/http", "http/https"
    );
    for r in &rows {
        println!(
            "{:<22} {:>12.0} {:>12.0} {:>12.0} {:>13.1}x {:>13.1}x",
            r.what,
            r.in_process,
            r.http,
            r.https,
            r.in_process / r.http,
            r.http / r.https
        );
    }

    // Start-up: the first cluster also generates the CRDs; the rest reuse them.
    let start = Instant::now();
    let count = 50;
    let before = rss_bytes();
    let mut idle = Vec::with_capacity(count);
    for i in 0..count {
        idle.push(new_cluster(&format!("idle-{i}")));
    }
    let per_cluster = start.elapsed() / count as u32;
    let after = rss_bytes();
    let bytes_per_cluster = after.saturating_sub(before) as f64 / count as f64;
    println!();
    println!("cluster start: {:.1} ms (mean of {count}, with 12 CRDs installed)", per_cluster.as_secs_f64() * 1000.0);
    println!(
        "memory per idle cluster: {:.2} MiB resident ({:.0} clusters per GiB)",
        bytes_per_cluster / (1024.0 * 1024.0),
        (1024.0 * 1024.0 * 1024.0) / bytes_per_cluster.max(1.0)
    );
    drop(idle);
}
