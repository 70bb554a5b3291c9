//! What the world-level properties share: case counts, a paused runtime per case, manifests
//! as JSON (which is YAML), and reading the outcome back in the oracle's terms.

use std::collections::BTreeMap;
use std::time::Duration;

use latticelab::world::World;
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

pub use latticelab::random::objects::{export, http_service, import, import_route, lattice_service, vpc};

/// A world of `clusters` (`name`, VPC index) with the reference controllers of `profile`,
/// one service network associated with every VPC, and in every cluster the GatewayClass and
/// the Gateway of that network.
pub async fn world(clusters: &[(String, usize)], seed: u64, profile: &str) -> World {
    let mut config = latticelab::random::objects::config(clusters, seed);
    config.quirks = Quirks::profile(profile).expect("a profile");
    let world = World::start(config).await.expect("the world starts");
    latticelab::random::objects::furnish(&world).await.expect("the world is furnished");
    world
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
