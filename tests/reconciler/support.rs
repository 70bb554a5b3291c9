//! A two-cluster world and the manifests the reconciler tests share.

use std::time::Duration;

use latticelab::world::{World, WorldConfig};
use serde_json::Value;
use sim_controller::Quirks;

pub const A: &str = "cluster-a";
pub const B: &str = "cluster-b";
pub const VPC_A: &str = "vpc-0aaaaaaaaaaaaaaa1";
pub const VPC_B: &str = "vpc-0bbbbbbbbbbbbbbb2";
/// Bound for convergence on virtual time.
pub const WITHIN: Duration = Duration::from_secs(300);

pub async fn world(profile: &str) -> World {
    world_tagging_through(profile, sim_controller::TaggingApi::default()).await
}

/// [`world`] with the controllers reading and writing tags through `tagging`.
pub async fn world_tagging_through(profile: &str, tagging: sim_controller::TaggingApi) -> World {
    let mut config = WorldConfig::new(&[(A, VPC_A), (B, VPC_B)]);
    config.quirks = Quirks::profile(profile).unwrap();
    config.tagging = tagging;
    let world = World::start(config).await.expect("world starts");
    world.service_network("my-hotel", &[A, B]).await.expect("service network");
    world
}

/// A Service with pods behind it: one EndpointSlice per call, ready endpoints.
pub fn service(name: &str, ports: &[(&str, i32, i32)], ips: &[&str]) -> String {
    let port_lines: String =
        ports.iter().map(|(n, p, t)| format!("  - name: {n}\n    port: {p}\n    targetPort: {t}\n")).collect();
    let slice_ports: String =
        ports.iter().map(|(n, _, t)| format!("- name: {n}\n  port: {t}\n  protocol: TCP\n")).collect();
    let endpoints: String =
        ips.iter().map(|ip| format!("- addresses: [\"{ip}\"]\n  conditions: {{ready: true}}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n  ports:\n{port_lines}---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}-1\n  labels: {{kubernetes.io/service-name: {name}}}\naddressType: IPv4\nports:\n{slice_ports}endpoints:\n{endpoints}"
    )
}

pub fn export(name: &str, exported: Option<&[(i32, &str)]>, annotations: &[(&str, &str)]) -> String {
    let mut a = String::from("    application-networking.k8s.aws/federation: amazon-vpc-lattice\n");
    for (k, v) in annotations {
        a.push_str(&format!("    {k}: \"{v}\"\n"));
    }
    let spec = match exported {
        Some(ports) => {
            let lines: String = ports.iter().map(|(p, t)| format!("  - port: {p}\n    routeType: {t}\n")).collect();
            format!("spec:\n  exportedPorts:\n{lines}")
        }
        None => String::new(),
    };
    format!(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: {name}\n  annotations:\n{a}{spec}"
    )
}

pub fn import(name: &str, annotations: &[(&str, &str)]) -> String {
    let mut a = String::new();
    for (k, v) in annotations {
        a.push_str(&format!("    {k}: \"{v}\"\n"));
    }
    let annotations = if a.is_empty() { String::new() } else { format!("  annotations:\n{a}") };
    format!(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: {name}\n{annotations}spec:\n  type: ClusterSetIP\n  ports:\n  - port: 80\n    protocol: TCP\n"
    )
}

pub const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: amazon-vpc-lattice
spec:
  controllerName: application-networking.k8s.aws/gateway-api-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: my-hotel
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: http
    protocol: HTTP
    port: 80
";

/// An HTTPRoute with one rule and these backendRefs (`kind`, `name`, `weight`).
pub fn route(name: &str, backends: &[(&str, &str, i32)]) -> String {
    let refs: String = backends
        .iter()
        .map(|(k, n, w)| format!("    - kind: {k}\n      name: {n}\n      port: 80\n      weight: {w}\n"))
        .collect();
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - backendRefs:\n{refs}"
    )
}

/// Target groups in the Lattice state, with their tags.
pub fn target_groups(world: &World) -> Vec<Value> {
    let state = world.lattice_state();
    let tags = state["tags"].clone();
    state["targetGroups"]
        .as_object()
        .map(|m| {
            m.values()
                .map(|tg| {
                    let mut tg = tg.clone();
                    tg["tags"] = tags[tg["arn"].as_str().unwrap_or_default()].clone();
                    tg
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn exported_groups(world: &World, name: &str) -> Vec<Value> {
    target_groups(world)
        .into_iter()
        .filter(|tg| {
            tg["tags"]["application-networking.k8s.aws/SourceTypeKey"] == "ServiceExport"
                && tg["tags"]["application-networking.k8s.aws/ServiceName"] == name
        })
        .collect()
}

/// `(target group id, weight)` of every forward in the non-default rules of the services.
pub fn forwards(world: &World) -> Vec<(String, i64)> {
    let state = world.lattice_state();
    let mut out = Vec::new();
    for rule in state["rules"].as_object().into_iter().flat_map(|m| m.values()) {
        if rule["isDefault"] == true {
            continue;
        }
        for tg in rule["action"]["forward"]["targetGroups"].as_array().into_iter().flatten() {
            out.push((
                tg["targetGroupIdentifier"].as_str().unwrap_or_default().to_string(),
                tg["weight"].as_i64().unwrap_or(1),
            ));
        }
    }
    out
}

pub fn targets(tg: &Value) -> Vec<(String, i64)> {
    tg["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["id"].as_str().unwrap_or_default().to_string(), t["port"].as_i64().unwrap_or_default()))
        .collect()
}

/// `(reason, message)` of the core Events about `name` in `cluster`.
pub async fn events(world: &World, cluster: &str, name: &str) -> Vec<(String, String)> {
    let api: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::all(world.kube(cluster).unwrap());
    api.list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect()
}

/// `(type, status, reason)` of the first parent's conditions of an HTTPRoute.
pub async fn route_conditions(world: &World, cluster: &str, name: &str) -> Vec<(String, String, String)> {
    let route = world
        .get(cluster, "gateway.networking.k8s.io/v1", "HTTPRoute", Some("default"), name)
        .await
        .unwrap()
        .unwrap_or_default();
    route["status"]["parents"][0]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["type"].as_str().unwrap_or_default().into(),
                c["status"].as_str().unwrap_or_default().into(),
                c["reason"].as_str().unwrap_or_default().into(),
            )
        })
        .collect()
}

pub async fn finalizers(
    world: &World,
    cluster: &str,
    api_version: &str,
    kind: &str,
    name: &str,
) -> Option<Vec<String>> {
    let obj = world.get(cluster, api_version, kind, Some("default"), name).await.unwrap()?;
    Some(
        obj["metadata"]["finalizers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(String::from))
            .collect(),
    )
}

pub const EXPORTS: &str = "application-networking.k8s.aws/v1alpha1";

/// Runs the world for `d` of virtual time (the controllers act meanwhile).
pub async fn pass(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Exports `name` (Service with two pods, exportedPorts 80/HTTP) from `cluster`.
pub async fn exported(world: &World, cluster: &str, name: &str) -> Value {
    world.apply(cluster, &service(name, &[("http", 80, 8080)], &["10.0.1.1", "10.0.1.2"])).await.unwrap();
    world.apply(cluster, &export(name, Some(&[(80, "HTTP")]), &[])).await.unwrap();
    world
        .eventually(WITHIN, || async {
            let groups: Vec<Value> = exported_groups(world, name)
                .into_iter()
                .filter(|g| g["tags"]["application-networking.k8s.aws/ClusterName"] == cluster)
                .collect();
            match groups.as_slice() {
                [one] if targets(one).len() == 2 => Ok(one.clone()),
                other => Err(format!("{} groups", other.len())),
            }
        })
        .await
        .unwrap()
}

/// A Gateway in `cluster` and a route there importing `name` (weight 1).
pub async fn imported(world: &World, cluster: &str, route_name: &str, name: &str, annotations: &[(&str, &str)]) {
    world.apply(cluster, GATEWAY).await.unwrap();
    world.apply(cluster, &import(name, annotations)).await.unwrap();
    world.apply(cluster, &route(route_name, &[("ServiceImport", name, 1)])).await.unwrap();
}

/// Waits until the routes' rules forward exactly `wanted`.
pub async fn forwards_become(world: &World, wanted: Vec<(String, i64)>) {
    world
        .eventually(WITHIN, || async {
            let mut f = forwards(world);
            f.sort();
            let mut w = wanted.clone();
            w.sort();
            if f == w { Ok(()) } else { Err(format!("forwards {f:?}, wanted {w:?}")) }
        })
        .await
        .unwrap();
}

pub fn id(tg: &Value) -> String {
    tg["id"].as_str().unwrap_or_default().to_string()
}
