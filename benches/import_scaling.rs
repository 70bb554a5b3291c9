//! What one converged import costs as the exported target groups grow: the Lattice calls the
//! importing cluster's controller makes, and the wall time, from applying the route to its
//! rule forwarding to the export — with 10, 100 and 500 (the default per-region quota)
//! exported target groups in the account: `cargo bench --bench import_scaling`.
//!
//! The exported groups are created through the Lattice API, tagged as an exporting cluster's
//! controller tags them; the importing cluster runs the reference controller (profile
//! v2.1.3) on virtual time, so only real work is timed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_vpclattice::types::{
    IpAddressType, TargetGroupConfig, TargetGroupProtocol, TargetGroupProtocolVersion, TargetGroupType,
};
use latticelab::world::{World, WorldConfig};

const IMPORTING: &str = "cluster-b";

async fn measure(exported: usize) -> (BTreeMap<String, u64>, Duration, usize) {
    let mut config = WorldConfig::new(&[("cluster-a", "vpc-0aaaaaaaaaaaaaaa1"), (IMPORTING, "vpc-0bbbbbbbbbbbbbbb2")]);
    config.controllers = false;
    let mut world = World::start(config).await.expect("world");
    world.service_network("my-hotel", &["cluster-a", IMPORTING]).await.expect("network");
    let lattice = world.lattice();
    let mut wanted = String::new();
    for i in 0..exported {
        let name = format!("svc-{i:03}");
        let tg = lattice
            .create_target_group()
            .name(format!("k8s-default-{name}-abcdefghij"))
            .r#type(TargetGroupType::Ip)
            .config(
                TargetGroupConfig::builder()
                    .port(80)
                    .protocol(TargetGroupProtocol::Http)
                    .protocol_version(TargetGroupProtocolVersion::Http1)
                    .ip_address_type(IpAddressType::Ipv4)
                    .vpc_identifier("vpc-0aaaaaaaaaaaaaaa1")
                    .build(),
            )
            .tags("application-networking.k8s.aws/ManagedBy", "123456789012/cluster-a/vpc-0aaaaaaaaaaaaaaa1")
            .tags("application-networking.k8s.aws/ClusterName", "cluster-a")
            .tags("application-networking.k8s.aws/ServiceName", &name)
            .tags("application-networking.k8s.aws/ServiceNamespace", "default")
            .tags("application-networking.k8s.aws/SourceTypeKey", "ServiceExport")
            .tags("application-networking.k8s.aws/ProtocolVersion", "HTTP1")
            .send()
            .await
            .expect("exported group");
        if i == exported - 1 {
            wanted = tg.id.unwrap_or_default();
        }
    }
    let target = format!("svc-{:03}", exported - 1);
    let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: amazon-vpc-lattice\nspec:\n  controllerName: application-networking.k8s.aws/gateway-api-controller\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: my-hotel\nspec:\n  gatewayClassName: amazon-vpc-lattice\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n";
    world.apply(IMPORTING, gateway).await.expect("gateway");
    let import = format!(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: {target}\nspec:\n  type: ClusterSetIP\n  ports: [{{port: 80, protocol: TCP}}]\n"
    );
    world.apply(IMPORTING, &import).await.expect("import");
    world.restart_controller(IMPORTING, |_| {}).await.expect("controller");
    let before = world.sim.journal().counters().clone();
    let started = Instant::now();
    let route = format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: importer\nspec:\n  parentRefs: [{{name: my-hotel, sectionName: http}}]\n  rules:\n  - backendRefs: [{{kind: ServiceImport, name: {target}, port: 80}}]\n"
    );
    world.apply(IMPORTING, &route).await.expect("route");
    world
        .eventually(Duration::from_secs(600), || async {
            let state = world.lattice_state();
            let forwarded = state["rules"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .any(|r| r["action"]["forward"]["targetGroups"][0]["targetGroupIdentifier"] == wanted.as_str());
            if forwarded { Ok(()) } else { Err("not yet".into()) }
        })
        .await
        .expect("the import converges");
    let wall = started.elapsed();
    let after = world.sim.journal().counters().clone();
    let delta: BTreeMap<String, u64> = after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect();
    let rules = world.lattice_state()["rules"].as_object().map_or(0, |m| m.len());
    (delta, wall, rules)
}

fn main() {
    println!("one converged import (route → ServiceImport → exported target group), importing controller v2.1.3");
    println!(
        "{:>9} {:>11} {:>16} {:>21} {:>10} {:>12}",
        "exported", "all calls", "ListTargetGroups", "ListTagsForResource", "wall ms", "calls/group"
    );
    let mut baseline: Option<(u64, f64)> = None;
    for n in [10, 100, 500] {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime");
        let (calls, wall, _) = runtime.block_on(measure(n));
        let total: u64 = calls.values().sum();
        let wall_ms = wall.as_secs_f64() * 1000.0;
        println!(
            "{n:>9} {total:>11} {:>16} {:>21} {wall_ms:>10.1} {:>12.2}",
            calls.get("ListTargetGroups").copied().unwrap_or(0),
            calls.get("ListTagsForResource").copied().unwrap_or(0),
            total as f64 / n as f64
        );
        match baseline {
            None => baseline = Some((total, wall_ms)),
            Some((c, w)) => println!(
                "{:>9} calls ×{:.1}, wall ×{:.1} against 10 exported groups",
                "",
                total as f64 / c as f64,
                wall_ms / w
            ),
        }
    }
}
