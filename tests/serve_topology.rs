//! `latticelab serve --topology FILE`: clusters, a service network associated with every
//! VPC and the controller choice from YAML; a mistake is reported with file, line and column.

use std::process::Command;

use common::Served;

mod common;

#[tokio::test]
async fn a_topology_file_sets_clusters_network_and_controller() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("topology.yaml");
    std::fs::write(
        &file,
        "clusters:\n- {name: east, vpc: vpc-0eeeeeeeeeeeeeee1}\n- {name: west, vpc: vpc-0eeeeeeeeeeeeeee1}\n- {name: north}\n\
         serviceNetwork: mesh\ncontroller: none\n",
    )
    .unwrap();
    let served = Served::start_with(&["--topology", file.to_str().unwrap()]);
    let kubeconfig = std::fs::read_to_string(served.dir().join("kubeconfig")).unwrap();
    for cluster in ["east", "west", "north"] {
        assert!(kubeconfig.contains(&format!("name: {cluster}\n")), "{kubeconfig}");
        let own = std::fs::read_to_string(served.dir().join(format!("kubeconfig-{cluster}"))).unwrap();
        assert!(own.contains(&format!("current-context: {cluster}")), "{own}");
    }
    let lattice = served.lattice();
    let networks = lattice.list_service_networks().send().await.unwrap().items;
    assert_eq!(networks.iter().map(|n| n.name.as_deref().unwrap_or_default()).collect::<Vec<_>>(), ["mesh"]);
    let associations = lattice
        .list_service_network_vpc_associations()
        .service_network_identifier(networks[0].id.clone().unwrap_or_default())
        .send()
        .await
        .unwrap()
        .items;
    // east and west share a VPC: two associations, not three.
    assert_eq!(associations.len(), 2, "{associations:?}");
    assert!(associations.iter().any(|a| a.vpc_id.as_deref() == Some("vpc-0eeeeeeeeeeeeeee1")));
    // controller: none — an export applied to a cluster makes no target group: no controller
    // runs (a reference controller makes one within milliseconds).
    let kc = kube::config::Kubeconfig::read_from(served.dir().join("kubeconfig")).unwrap();
    let options = kube::config::KubeConfigOptions { context: Some("east".into()), ..Default::default() };
    let client = kube::Client::try_from(kube::Config::from_custom_kubeconfig(kc, &options).await.unwrap()).unwrap();
    let export: kube::api::DynamicObject = serde_yaml_ng::from_str(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata: {name: lonely, namespace: default, annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}}\nspec: {exportedPorts: [{port: 80, routeType: HTTP}]}\n",
    )
    .unwrap();
    let ar = kube::discovery::ApiResource::from_gvk_with_plural(
        &kube::api::GroupVersionKind::gvk("application-networking.k8s.aws", "v1alpha1", "ServiceExport"),
        "serviceexports",
    );
    let service: k8s_openapi::api::core::v1::Service = serde_yaml_ng::from_str(
        "metadata: {name: lonely}\nspec: {ports: [{name: http, port: 80, targetPort: 8080}]}\n",
    )
    .unwrap();
    let services: kube::Api<k8s_openapi::api::core::v1::Service> = kube::Api::namespaced(client.clone(), "default");
    services.patch("lonely", &kube::api::PatchParams::apply("test"), &kube::api::Patch::Apply(&service)).await.unwrap();
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(client, "default", &ar);
    api.patch("lonely", &kube::api::PatchParams::apply("test"), &kube::api::Patch::Apply(&export)).await.unwrap();
    let made = sim_core::eventually(std::time::Duration::from_secs(3), || async {
        let groups = lattice.list_target_groups().send().await.map_err(|e| e.to_string())?.items.unwrap_or_default();
        if groups.is_empty() { Err("no target group".to_string()) } else { Ok(groups.len()) }
    })
    .await;
    assert!(made.is_err(), "a target group appeared: {made:?}");
    assert!(served.stop());
}

/// `latticelab serve` with the topology file `file` holding `text`.
fn serve_with_topology(dir: &std::path::Path, file: &std::path::Path, text: &str) -> std::process::Output {
    std::fs::write(file, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .args(["serve", "--state-dir"])
        .arg(dir.join("state"))
        .args(["--topology", file.to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn a_bad_topology_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("topology.yaml");
    let out = serve_with_topology(dir.path(), &file, "clusters:\n- {name: east}\ncontroler: none\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("{}:3:1", file.display())), "{stderr}");
    assert!(stderr.contains("unknown field `controler`"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ready"));

    let out = serve_with_topology(dir.path(), &file, "controller: externl:x\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown controller \"externl:x\""), "{stderr}");
}
