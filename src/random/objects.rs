//! The objects a random world is made of: its service network and Gateway, and what each
//! operation applies — a Service `http` 80 → 8080 with its EndpointSlice, a federated
//! ServiceExport, a ServiceImport and the HTTPRoute that uses it.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::world::{World, WorldConfig};

/// The annotation and tag prefix of the controller.
pub const AN: &str = "application-networking.k8s.aws/";

/// The service network (and Gateway) of every random world.
pub const NETWORK: &str = "props-net";

pub fn vpc(index: usize) -> String {
    format!("vpc-{:017x}", index + 1)
}

/// A world of `clusters` (`name`, VPC index) and this seed, its other settings the defaults.
pub fn config(clusters: &[(String, usize)], seed: u64) -> WorldConfig {
    let specs: Vec<(String, String)> = clusters.iter().map(|(n, v)| (n.clone(), vpc(*v))).collect();
    let refs: Vec<(&str, &str)> = specs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut config = WorldConfig::new(&refs);
    config.seed = seed;
    config
}

/// One service network associated with every VPC of the world, and in every cluster the
/// GatewayClass and the Gateway of that network.
pub async fn furnish(world: &World) -> anyhow::Result<()> {
    let mut vpcs: Vec<String> = world.clusters.iter().map(|c| c.spec.vpc_id.clone()).collect();
    vpcs.sort();
    vpcs.dedup();
    let lattice = world.lattice();
    let sn = lattice.create_service_network().name(NETWORK).send().await.context("CreateServiceNetwork")?;
    for v in vpcs {
        lattice
            .create_service_network_vpc_association()
            .service_network_identifier(sn.id().unwrap_or_default())
            .vpc_identifier(v)
            .send()
            .await
            .context("CreateServiceNetworkVpcAssociation")?;
    }
    for c in &world.clusters {
        for o in gateway() {
            world.apply(&c.spec.name, &o.to_string()).await.with_context(|| format!("{}: {o}", c.spec.name))?;
        }
    }
    Ok(())
}

fn gateway() -> Vec<Value> {
    vec![
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": NETWORK},
         "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}),
    ]
}

/// A Service `http` 80 → 8080 and its one EndpointSlice `<name>-1`, one ready endpoint per
/// address.
pub fn http_service(namespace: &str, name: &str, addresses: impl IntoIterator<Item = String>) -> [Value; 2] {
    let endpoints: Vec<Value> =
        addresses.into_iter().map(|a| json!({"addresses": [a], "conditions": {"ready": true}})).collect();
    [
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
               "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}}),
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
               "metadata": {"name": format!("{name}-1"), "namespace": namespace, "labels": {"kubernetes.io/service-name": name}},
               "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}], "endpoints": endpoints}),
    ]
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

/// The Lattice service name of a route without a `service-name-override`: the controller's
/// rule.
pub use sim_controller::names::service as lattice_service;
