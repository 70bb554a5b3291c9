//! What the world-level properties share: case counts, a paused runtime per case, manifests
//! as JSON (which is YAML), and reading the outcome back in the oracle's terms.

use std::collections::BTreeMap;
use std::time::Duration;

use latticelab::world::{World, WorldConfig};
use serde_json::{Value, json};
use sim_controller::Quirks;

use super::oracle::{self, AN, ExportedGroup};

/// Cases for a property: `default` unless `LATTICELAB_PROPTEST_CASES` says otherwise.
pub fn cases(default: u32) -> u32 {
    sim_core::proptest_cases(default)
}

/// Runs one case on a fresh current-thread runtime whose clock is paused: the world's time is
/// virtual and its timeline depends on the seed alone.
pub fn run<T>(case: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(case)
}

pub fn vpc(index: usize) -> String {
    format!("vpc-{:017x}", index + 1)
}

pub const NETWORK: &str = "props-net";

/// A world of `clusters` (`name`, VPC index), one service network associated with every VPC,
/// and in every cluster the GatewayClass and the Gateway of that network.
pub async fn world(clusters: &[(String, usize)], seed: u64, profile: &str) -> World {
    let specs: Vec<(String, String)> = clusters.iter().map(|(n, v)| (n.clone(), vpc(*v))).collect();
    let refs: Vec<(&str, &str)> = specs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut config = WorldConfig::new(&refs);
    config.seed = seed;
    config.quirks = Quirks::profile(profile).expect("a profile");
    let world = World::start(config).await.expect("the world starts");
    let lattice = world.lattice();
    let sn = lattice.create_service_network().name(NETWORK).send().await.expect("CreateServiceNetwork");
    let mut vpcs: Vec<&String> = specs.iter().map(|(_, v)| v).collect();
    vpcs.dedup();
    vpcs.sort();
    vpcs.dedup();
    for v in vpcs {
        lattice
            .create_service_network_vpc_association()
            .service_network_identifier(sn.id().unwrap_or_default())
            .vpc_identifier(v)
            .send()
            .await
            .expect("CreateServiceNetworkVpcAssociation");
    }
    for (name, _) in &specs {
        apply(&world, name, &gateway()).await;
    }
    world
}

fn gateway() -> Vec<Value> {
    vec![
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": NETWORK},
         "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}),
    ]
}

/// Applies each value (one object) in order.
pub async fn apply(world: &World, cluster: &str, objects: &[Value]) {
    for o in objects {
        world.apply(cluster, &o.to_string()).await.unwrap_or_else(|e| panic!("{cluster}: {e:#}\n{o}"));
    }
}

pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Service with these ports.
pub fn service(namespace: &str, name: &str, ports: &[oracle::ServicePort]) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| {
            let mut v = json!({"port": p.port, "protocol": "TCP", "targetPort": match &p.target {
                oracle::TargetPort::Number(n) => json!(n),
                oracle::TargetPort::Name(s) => json!(s),
            }});
            if !p.name.is_empty() {
                v["name"] = json!(p.name);
            }
            v
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
           "spec": {"selector": {"app": name}, "ports": ports}})
}

/// EndpointSlice `<service>-<index>` of a Service.
pub fn slice(namespace: &str, service: &str, index: usize, slice: &oracle::Slice) -> Value {
    let ports: Vec<Value> = slice
        .ports
        .iter()
        .map(|p| {
            let mut v = json!({"port": p.port, "protocol": "TCP"});
            if !p.name.is_empty() {
                v["name"] = json!(p.name);
            }
            v
        })
        .collect();
    let endpoints: Vec<Value> = slice
        .endpoints
        .iter()
        .map(|e| {
            let mut conditions = serde_json::Map::new();
            if let Some(r) = e.ready {
                conditions.insert("ready".into(), json!(r));
            }
            if let Some(t) = e.terminating {
                conditions.insert("terminating".into(), json!(t));
            }
            json!({"addresses": e.addresses, "conditions": conditions})
        })
        .collect();
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": format!("{service}-{index}"), "namespace": namespace,
                        "labels": {"kubernetes.io/service-name": service}},
           "addressType": "IPv4", "ports": ports, "endpoints": endpoints})
}

/// A federated ServiceExport: legacy mode with an optional `port` annotation, or
/// `exportedPorts` (`port`, `routeType`).
pub fn export(namespace: &str, name: &str, port_annotation: Option<&str>, exported: &[(i32, &str)]) -> Value {
    let mut annotations = json!({format!("{AN}federation"): "amazon-vpc-lattice"});
    if let Some(a) = port_annotation {
        annotations[format!("{AN}port")] = json!(a);
    }
    let mut o = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceExport",
                       "metadata": {"name": name, "namespace": namespace, "annotations": annotations}});
    if !exported.is_empty() {
        let ports: Vec<Value> = exported.iter().map(|(p, t)| json!({"port": p, "routeType": t})).collect();
        o["spec"] = json!({"exportedPorts": ports});
    }
    o
}

/// A Service `http` 80 → 8080 and its one EndpointSlice, one ready endpoint per address.
pub fn http_service(namespace: &str, name: &str, addresses: impl IntoIterator<Item = String>) -> [Value; 2] {
    let port = oracle::ServicePort { name: "http".into(), port: 80, target: oracle::TargetPort::Number(8080) };
    let endpoints = oracle::Slice {
        ports: vec![oracle::SlicePort { name: "http".into(), port: 8080 }],
        endpoints: addresses
            .into_iter()
            .map(|a| oracle::Endpoint { addresses: vec![a], ready: Some(true), terminating: None })
            .collect(),
    };
    [service(namespace, name, &[port]), slice(namespace, name, 1, &endpoints)]
}

/// A ServiceImport with these annotations (full keys).
pub fn import(namespace: &str, name: &str, annotations: &BTreeMap<String, String>) -> Value {
    json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport",
           "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
           "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]}})
}

/// An HTTPRoute with one rule and one ServiceImport backendRef.
pub fn import_route(namespace: &str, name: &str, import: &str, port: i32, weight: i32) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"parentRefs": [{"name": NETWORK, "namespace": "default", "sectionName": "http"}],
                    "rules": [{"backendRefs": [{"kind": "ServiceImport", "name": import, "port": port, "weight": weight}]}]}})
}

/// The Lattice service name of a route (controller.md §1.4; names here are short).
pub fn lattice_service(route: &str, namespace: &str) -> String {
    format!("{route}-{namespace}")
}

/// A target group as the properties compare them.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub id: String,
    pub arn: String,
    pub cluster: String,
    pub vpc: String,
    pub port: i64,
    pub tags: BTreeMap<String, String>,
    pub targets: Vec<(String, i64)>,
}

/// What Lattice holds, as the properties read it: the world's typed view.
pub struct Seen(pub latticelab::world::LatticeView);

impl Seen {
    pub async fn of(world: &World) -> Self {
        Self(world.view().await.expect("reading Lattice"))
    }

    /// Every target group, in id order (the list order).
    pub fn groups(&self) -> Vec<Group> {
        self.0
            .target_groups
            .iter()
            .map(|g| Group {
                id: g.id.clone(),
                arn: g.arn.clone(),
                cluster: g.cluster().to_string(),
                vpc: g.vpc.clone(),
                port: i64::from(g.port.unwrap_or_default()),
                tags: g.tags.clone(),
                targets: g.targets.iter().map(|t| (t.id.clone(), i64::from(t.port))).collect(),
            })
            .collect()
    }

    pub fn service_names(&self) -> Vec<String> {
        self.0.services.iter().map(|s| s.name.clone()).collect()
    }

    /// `(group, weight)` of every forward of a Lattice service's custom rules, to groups that exist.
    pub fn forwards(&self, service: &str) -> Vec<(Group, i64)> {
        let Some(svc) = self.0.service_named(service) else { return vec![] };
        let groups = self.groups();
        self.0
            .forwards(&svc.id)
            .iter()
            .filter_map(|f| {
                let g = f.group.as_ref().ok()?;
                Some((groups.iter().find(|x| x.id == g.id)?.clone(), i64::from(f.weight)))
            })
            .collect()
    }
}

/// Every target group an export made, in list order, as the import oracle sees them.
pub async fn exported_groups(world: &World) -> Vec<ExportedGroup> {
    Seen::of(world)
        .await
        .groups()
        .into_iter()
        .filter(|g| g.tags.get(&format!("{AN}SourceTypeKey")).map(String::as_str) == Some("ServiceExport"))
        .map(|g| ExportedGroup { id: g.id, vpc: g.vpc, tags: g.tags })
        .collect()
}

/// `(target group id, weight)` of every forward of a Lattice service's custom rules.
pub async fn forwards(world: &World, service: &str) -> Vec<(String, i64)> {
    Seen::of(world).await.forwards(service).into_iter().map(|(g, w)| (g.id, w)).collect()
}

/// The operations of the mutating Lattice calls so far (everything but Get*/List*), in order.
pub fn lattice_write_calls(world: &World) -> Vec<String> {
    world
        .sim
        .journal()
        .entries()
        .iter()
        .filter(|e| !sim_lattice::state::Api::is_read_only(&e.operation))
        .map(|e| e.operation.clone())
        .collect()
}

pub fn lattice_writes(world: &World) -> u64 {
    lattice_write_calls(world).len() as u64
}

/// Lets `secs` of virtual time pass.
pub async fn pass(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}
