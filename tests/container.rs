//! The container image of `latticelab serve`: built from the repository's Dockerfile with
//! `scripts/build-image.sh` (from scratch — no registry), started through testcontainers,
//! waited on until it prints `ready`, then driven through its published ports with kube-rs
//! (an export applied to cluster-a) and the AWS SDK (the reference controller inside made
//! the export's target group).
//!
//! Without a reachable Docker engine it prints SKIPPED and why; `LATTICELAB_REQUIRE_DOCKER=1`
//! makes that a failure.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kube::api::GroupVersionKind;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

async fn docker_available() -> Result<(), String> {
    let docker =
        testcontainers::core::client::docker_client_instance().await.map_err(|e| format!("no Docker client: {e}"))?;
    // No engine to talk to is a reason to skip; an engine that is there but slow is not a
    // pass — the test waits for it, and fails if it never answers.
    match tokio::time::timeout(Duration::from_secs(120), docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("no Docker engine answers: {e}")),
        Err(_) => panic!("the Docker engine did not answer a ping within 120 s"),
    }
}

fn object(yaml: &str) -> DynamicObject {
    serde_yaml_ng::from_str(yaml).expect("a manifest")
}

async fn apply(client: &kube::Client, ar: &ApiResource, obj: DynamicObject) {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", ar);
    let name = obj.metadata.name.clone().expect("a name");
    api.patch(&name, &PatchParams::apply("container-test"), &Patch::Apply(&obj)).await.expect("applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_serves_lattice_and_clusters() {
    if let Err(why) = docker_available().await {
        assert!(std::env::var("LATTICELAB_REQUIRE_DOCKER").as_deref() != Ok("1"), "Docker is required: {why}");
        common::skipped("the_image_serves_lattice_and_clusters", &why);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = Command::new("bash")
        .arg(root.join("scripts/build-image.sh"))
        .env("BINARY", env!("CARGO_BIN_EXE_latticelab"))
        .env("TAG", "test")
        .output()
        .expect("bash runs");
    assert!(built.status.success(), "the image builds: {}", String::from_utf8_lossy(&built.stderr));

    let container = GenericImage::new("latticelab", "test")
        .with_exposed_port(8080.tcp())
        .with_exposed_port(6443.tcp())
        .with_wait_for(WaitFor::message_on_stdout("ready"))
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .await
        .expect("the container starts and prints ready");
    let lattice_port = container.get_host_port_ipv4(8080.tcp()).await.expect("8080 published");
    let kube_port = container.get_host_port_ipv4(6443.tcp()).await.expect("6443 published");

    // The kubeconfig the container wrote, pointed at the published port of cluster-a (its
    // certificate names 127.0.0.1).
    let dir = tempfile::tempdir().unwrap();
    let copied = Command::new("docker")
        .args(["cp", &format!("{}:/state/kubeconfig", container.id())])
        .arg(dir.path().join("kubeconfig"))
        .output()
        .expect("docker cp runs");
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    let mut kubeconfig = Kubeconfig::read_from(dir.path().join("kubeconfig")).expect("a kubeconfig");
    for named in &mut kubeconfig.clusters {
        if named.name == "cluster-a"
            && let Some(cluster) = named.cluster.as_mut()
        {
            cluster.server = Some(format!("https://127.0.0.1:{kube_port}"));
        }
    }
    let options = KubeConfigOptions { context: Some("cluster-a".into()), ..Default::default() };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await.expect("config");
    let client = kube::Client::try_from(config).expect("client");

    let core = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Service"), "services");
    apply(&client, &core, object("apiVersion: v1\nkind: Service\nmetadata: {name: inventory}\nspec: {ports: [{name: http, port: 80, targetPort: 8090}]}\n")).await;
    let slices = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("discovery.k8s.io", "v1", "EndpointSlice"),
        "endpointslices",
    );
    apply(&client, &slices, object("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: inventory-1, labels: {kubernetes.io/service-name: inventory}}\naddressType: IPv4\nports: [{name: http, port: 8090}]\nendpoints: [{addresses: [10.0.1.1]}]\n")).await;
    let exports = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("application-networking.k8s.aws", "v1alpha1", "ServiceExport"),
        "serviceexports",
    );
    apply(&client, &exports, object("apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata: {name: inventory, annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}}\n")).await;

    let conf = aws_sdk_vpclattice::Config::builder()
        .behavior_version(aws_sdk_vpclattice::config::BehaviorVersion::latest())
        .region(aws_sdk_vpclattice::config::Region::new("us-west-2"))
        .credentials_provider(aws_sdk_vpclattice::config::Credentials::new("AKIDLATTICELAB", "x", None, None, "test"))
        .endpoint_url(format!("http://127.0.0.1:{lattice_port}"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let lattice = aws_sdk_vpclattice::Client::from_conf(conf);
    let targets = sim_core::eventually(Duration::from_secs(30), || async {
        let groups = lattice.list_target_groups().send().await.map_err(|e| e.to_string())?.items.unwrap_or_default();
        let Some(id) = groups.into_iter().find_map(|g| g.id) else { return Err("no target group yet".to_string()) };
        let targets = lattice.list_targets().target_group_identifier(id).send().await.map_err(|e| e.to_string())?.items;
        if targets.is_empty() { Err("no targets yet".to_string()) } else { Ok(targets) }
    })
    .await
    .expect("the reference controller in the container exports inventory");
    assert_eq!(targets[0].id.as_deref(), Some("10.0.1.1"));
    assert_eq!(targets[0].port, Some(8090));
}
