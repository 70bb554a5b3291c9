//! `latticelab controller` as separate processes, one per cluster, reconciling a
//! `latticelab serve --no-controller` world over loopback: HTTPS to the clusters with the
//! kubeconfig's tokens, HTTP to the Lattice endpoint with the environment the real
//! controller reads.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::Served;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const VPC_A: &str = "vpc-0aaaaaaaaaaaaaaa1";
const VPC_B: &str = "vpc-0bbbbbbbbbbbbbbb2";

async fn kube_client(dir: &std::path::Path, context: &str) -> kube::Client {
    let kc = Kubeconfig::read_from(dir.join("kubeconfig")).unwrap();
    let config = kube::Config::from_custom_kubeconfig(
        kc,
        &KubeConfigOptions { context: Some(context.into()), ..Default::default() },
    )
    .await
    .unwrap();
    kube::Client::try_from(config).unwrap()
}

async fn apply(client: &kube::Client, yaml: &str) {
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let value = Value::deserialize(doc).unwrap();
        let (api_version, kind) = (value["apiVersion"].as_str().unwrap(), value["kind"].as_str().unwrap());
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let plural = match kind {
            "GatewayClass" => "gatewayclasses".to_string(),
            "EndpointSlice" => "endpointslices".to_string(),
            k => format!("{}s", k.to_lowercase()),
        };
        let ar = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural,
        };
        let api: Api<DynamicObject> = if kind == "GatewayClass" {
            Api::all_with(client.clone(), &ar)
        } else {
            Api::default_namespaced_with(client.clone(), &ar)
        };
        let name = value["metadata"]["name"].as_str().unwrap().to_string();
        api.patch(&name, &PatchParams::apply("test").force(), &Patch::Apply(&value)).await.unwrap();
    }
}

fn controller(served: &Served, cluster: &str, vpc: &str) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_latticelab"));
    cmd.args(["controller", "--context", cluster, "--kubeconfig"])
        .arg(served.dir().join("kubeconfig"))
        .env("CLUSTER_NAME", cluster)
        .env("CLUSTER_VPC_ID", vpc)
        .env("DISABLE_TAGGING_SERVICE_API", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for key in ["LATTICE_ENDPOINT", "REGION", "AWS_ACCOUNT_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        cmd.env(key, served.var(key));
    }
    cmd.spawn().expect("latticelab controller starts")
}

#[tokio::test]
async fn standalone_controllers_reconcile_a_served_world() {
    let served = Served::start_with(&[
        "--no-controller",
        "--cluster",
        &format!("cluster-a:{VPC_A}"),
        "--cluster",
        &format!("cluster-b:{VPC_B}"),
    ]);
    let mut controllers = Vec::new();
    for (cluster, vpc) in [("cluster-a", VPC_A), ("cluster-b", VPC_B)] {
        let mut child = controller(&served, cluster, vpc);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap();
        assert_eq!(ready.as_deref(), Some("ready"));
        controllers.push(child);
    }
    let lattice = served.lattice();
    let sn = lattice.create_service_network().name("my-hotel").send().await.unwrap().id.unwrap();
    for vpc in [VPC_A, VPC_B] {
        lattice
            .create_service_network_vpc_association()
            .service_network_identifier(&sn)
            .vpc_identifier(vpc)
            .send()
            .await
            .unwrap();
    }

    let a = kube_client(served.dir(), "cluster-a").await;
    let b = kube_client(served.dir(), "cluster-b").await;
    apply(&a, "apiVersion: v1\nkind: Service\nmetadata:\n  name: inventory\nspec:\n  ports:\n  - {name: http, port: 80, targetPort: 8090}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: inventory-1\n  labels: {kubernetes.io/service-name: inventory}\naddressType: IPv4\nports:\n- {name: http, port: 8090}\nendpoints:\n- addresses: [10.1.0.7]\n---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: inventory\n  annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}\nspec:\n  exportedPorts: [{port: 80, routeType: HTTP}]\n").await;
    apply(&b, "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: amazon-vpc-lattice\nspec:\n  controllerName: application-networking.k8s.aws/gateway-api-controller\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: my-hotel\nspec:\n  gatewayClassName: amazon-vpc-lattice\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: inventory\nspec:\n  type: ClusterSetIP\n  ports: [{port: 80, protocol: TCP}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: inventory\nspec:\n  parentRefs: [{name: my-hotel, sectionName: http}]\n  rules:\n  - backendRefs: [{kind: ServiceImport, name: inventory, port: 80, weight: 7}]\n").await;

    let forward = sim_core::eventually(Duration::from_secs(60), || async {
        let tgs = lattice.list_target_groups().send().await.map_err(|e| e.to_string())?.items.unwrap_or_default();
        let export = tgs.iter().find(|t| t.vpc_identifier.as_deref() == Some(VPC_A)).ok_or("no exported group yet")?;
        let services = lattice.list_services().send().await.map_err(|e| e.to_string())?.items.unwrap_or_default();
        let service = services.first().and_then(|s| s.id.clone()).ok_or("no service yet")?;
        let listeners =
            lattice.list_listeners().service_identifier(&service).send().await.map_err(|e| e.to_string())?.items;
        let listener = listeners.first().and_then(|l| l.id.clone()).ok_or("no listener yet")?;
        let rules = lattice
            .list_rules()
            .service_identifier(&service)
            .listener_identifier(&listener)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .items;
        for rule in rules.iter().filter(|r| r.is_default != Some(true)) {
            let got = lattice
                .get_rule()
                .service_identifier(&service)
                .listener_identifier(&listener)
                .rule_identifier(rule.id.clone().unwrap())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if let Some(aws_sdk_vpclattice::types::RuleAction::Forward(f)) = got.action {
                let to: Vec<(String, i32)> = f
                    .target_groups
                    .iter()
                    .map(|t| (t.target_group_identifier.clone(), t.weight.unwrap_or(1)))
                    .collect();
                if to == [(export.id.clone().unwrap(), 7)] {
                    return Ok(to);
                }
            }
        }
        Err("no forward to the exported group yet".to_string())
    })
    .await
    .expect("the standalone controllers converge");
    // The exporting controller registered the endpoints in the group the rule forwards to.
    let group = &forward[0].0;
    let targets = sim_core::eventually(Duration::from_secs(60), || async {
        let listed = lattice.list_targets().target_group_identifier(group).send().await.map_err(|e| e.to_string())?;
        let got: Vec<(String, i32)> =
            listed.items.iter().map(|t| (t.id.clone().unwrap_or_default(), t.port.unwrap_or_default())).collect();
        if got.is_empty() { Err("no target yet".to_string()) } else { Ok(got) }
    })
    .await
    .unwrap();
    assert_eq!(targets, [("10.1.0.7".to_string(), 8090)]);
    drop(controllers);
    assert!(served.stop_ok());
}
