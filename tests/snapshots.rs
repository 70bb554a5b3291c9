//! The final Lattice state of the canonical scenarios, as YAML snapshots. Everything in it
//! derives from the world's seed (ids, names, virtual timestamps), so nothing is redacted.

use latticelab::world::{World, WorldConfig};
use serde_json::Value;

const EXPORT: &str = "apiVersion: v1
kind: Service
metadata: {name: inventory}
spec:
  ports: [{name: http, port: 80, targetPort: 8090}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: inventory-1, labels: {kubernetes.io/service-name: inventory}}
addressType: IPv4
ports: [{name: http, port: 8090}]
endpoints: [{addresses: [10.244.1.5]}, {addresses: [10.244.1.6]}]
";

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: amazon-vpc-lattice}
spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: my-hotel}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, protocol: HTTP, port: 80}]
";

/// A seeded two-cluster world with the service network my-hotel in both VPCs.
async fn seeded_world(seed: u64) -> World {
    let mut config =
        WorldConfig::new(&[("cluster-a", "vpc-0aaaaaaaaaaaaaaa1"), ("cluster-b", "vpc-0bbbbbbbbbbbbbbb2")]);
    config.seed = seed;
    let world = World::start(config).await.unwrap();
    world.service_network("my-hotel", &["cluster-a", "cluster-b"]).await.unwrap();
    world
}

/// The Lattice state (journal-independent: resources and tags only) once `done` holds and
/// every controller has settled, a GC pass included.
async fn settled_state(world: &World, done: impl Fn(&World) -> bool) -> Value {
    world
        .eventually(std::time::Duration::from_secs(300), || async {
            if done(world) { Ok(()) } else { Err("not converged".into()) }
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    world.lattice_state()
}

/// Runs `steps` (cluster, manifests) in a [`seeded_world`]; its [`settled_state`].
async fn final_state(seed: u64, steps: &[(&str, String)], done: impl Fn(&World) -> bool) -> Value {
    let world = seeded_world(seed).await;
    for (cluster, yaml) in steps {
        world.apply(cluster, yaml).await.unwrap();
    }
    settled_state(&world, done).await
}

/// The target groups of the simulator's snapshot.
fn groups(world: &World) -> Vec<Value> {
    world.lattice_state()["targetGroups"].as_object().map(|m| m.values().cloned().collect()).unwrap_or_default()
}

fn forwards(world: &World) -> usize {
    world.lattice_state()["rules"]
        .as_object()
        .map_or(0, |m| m.values().filter(|r| r["action"]["forward"].is_object()).count())
}

#[tokio::test(start_paused = true)]
async fn reference_example_exported_port() {
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory\n  annotations: {{application-networking.k8s.aws/federation: amazon-vpc-lattice}}\nspec:\n  exportedPorts: [{{port: 80, routeType: HTTP}}]\n"
    );
    let import = "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata: {name: inventory}\nspec: {type: ClusterSetIP, ports: [{port: 80}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: inventory}\nspec:\n  parentRefs: [{name: my-hotel, sectionName: http}]\n  rules:\n  - backendRefs: [{kind: ServiceImport, name: inventory, port: 80}]\n".to_string();
    let state =
        final_state(1, &[("cluster-a", export), ("cluster-b", GATEWAY.to_string()), ("cluster-b", import)], |w| {
            forwards(w) == 1
        })
        .await;
    insta::assert_yaml_snapshot!("reference_example_exported_port", state);
}

#[tokio::test(start_paused = true)]
async fn legacy_mode_with_the_port_annotation() {
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory\n  annotations:\n    application-networking.k8s.aws/federation: amazon-vpc-lattice\n    application-networking.k8s.aws/port: \"80\"\n"
    );
    let state = final_state(2, &[("cluster-a", export)], |w| {
        groups(w).first().is_some_and(|g| g["targets"].as_array().is_some_and(|t| t.len() == 2))
    })
    .await;
    insta::assert_yaml_snapshot!("legacy_mode_with_the_port_annotation", state);
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_gives_the_same_state() {
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory\n  annotations: {{application-networking.k8s.aws/federation: amazon-vpc-lattice}}\nspec:\n  exportedPorts: [{{port: 80, routeType: HTTP}}]\n"
    );
    let one = final_state(9, &[("cluster-a", export.clone())], |w| !groups(w).is_empty()).await;
    let two = final_state(9, &[("cluster-a", export.clone())], |w| !groups(w).is_empty()).await;
    let other = final_state(10, &[("cluster-a", export)], |w| !groups(w).is_empty()).await;
    assert_eq!(one, two);
    assert_ne!(one, other, "another seed, other ids");
}

#[tokio::test(start_paused = true)]
async fn mode_2_export_name_and_cluster_filter() {
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory-east\n  annotations: {{application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: inventory}}\nspec:\n  exportedPorts: [{{port: 80, routeType: HTTP}}]\n"
    );
    let import = "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: inventory\n  annotations: {application-networking.k8s.aws/export-name: inventory-east, application-networking.k8s.aws/aws-eks-cluster-name: cluster-a}\nspec: {type: ClusterSetIP, ports: [{port: 80}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: inventory}\nspec:\n  parentRefs: [{name: my-hotel, sectionName: http}]\n  rules:\n  - backendRefs: [{kind: ServiceImport, name: inventory, port: 80}]\n".to_string();
    let state =
        final_state(3, &[("cluster-a", export), ("cluster-b", GATEWAY.to_string()), ("cluster-b", import)], |w| {
            forwards(w) == 1
        })
        .await;
    insta::assert_yaml_snapshot!("mode_2_export_name_and_cluster_filter", state);
}

#[tokio::test(start_paused = true)]
async fn getting_started_walkthrough_weighted_local_and_imported() {
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory-ver2\n  annotations: {{application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: inventory}}\nspec:\n  exportedPorts: [{{port: 80, routeType: HTTP}}]\n"
    );
    let local = EXPORT.replace("inventory", "inventory-ver1");
    let route = "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata: {name: inventory-ver2}\nspec: {type: ClusterSetIP, ports: [{port: 80}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: inventory}\nspec:\n  parentRefs: [{name: my-hotel, sectionName: http}]\n  rules:\n  - backendRefs:\n    - {name: inventory-ver1, port: 80, weight: 10}\n    - {kind: ServiceImport, name: inventory-ver2, port: 80, weight: 90}\n".to_string();
    let state = final_state(
        4,
        &[("cluster-a", export), ("cluster-b", GATEWAY.to_string()), ("cluster-b", local), ("cluster-b", route)],
        |w| {
            w.lattice_state()["rules"].as_object().is_some_and(|m| {
                m.values().any(|r| r["action"]["forward"]["targetGroups"].as_array().is_some_and(|t| t.len() == 2))
            })
        },
    )
    .await;
    insta::assert_yaml_snapshot!("getting_started_walkthrough_weighted_local_and_imported", state);
}

#[tokio::test(start_paused = true)]
async fn mode_3_external_target_group_by_arn() {
    let world = seeded_world(5).await;
    let export = format!(
        "{EXPORT}---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory\n  annotations: {{application-networking.k8s.aws/federation: amazon-vpc-lattice}}\nspec:\n  exportedPorts: [{{port: 80, routeType: HTTP}}]\n"
    );
    world.apply("cluster-a", &export).await.unwrap();
    let arn = world
        .eventually(std::time::Duration::from_secs(300), || async {
            groups(&world).first().and_then(|g| g["arn"].as_str().map(String::from)).ok_or("no group".to_string())
        })
        .await
        .unwrap();
    world.apply("cluster-b", GATEWAY).await.unwrap();
    let import = format!(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: external\n  annotations: {{application-networking.k8s.aws/target-group-arn: \"{arn}\"}}\nspec: {{type: ClusterSetIP, ports: [{{port: 80}}]}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: external}}\nspec:\n  parentRefs: [{{name: my-hotel, sectionName: http}}]\n  rules:\n  - backendRefs: [{{kind: ServiceImport, name: external, port: 80}}]\n"
    );
    world.apply("cluster-b", &import).await.unwrap();
    let state = settled_state(&world, |w| forwards(w) == 1).await;
    insta::assert_yaml_snapshot!("mode_3_external_target_group_by_arn", state);
}
