//! `latticelab run` on the backends other than the embedded default.
//!
//! - kubeconfig: the import and export features on the clusters of a `latticelab serve
//!   --controller none` world, reached over HTTPS through its kubeconfig, on wall-clock time;
//!   scenarios that need embedded-only powers are listed as skipped with the reason, and the
//!   clusters are left as clean as they were found.
//! - kind and k3s: the same features on clusters those backends create, when this machine
//!   can create them; otherwise SKIPPED with the reason (`LATTICELAB_REQUIRE_KIND=1` /
//!   `LATTICELAB_REQUIRE_K3S=1` turn that into a failure).

mod common;

use std::path::Path;
use std::process::Command;

use kube::api::{Api, DynamicObject, GroupVersionKind};
use kube::discovery::ApiResource;
use latticelab::backend::{self, BackendKind, BackendOptions};

const CLUSTERS: [&str; 5] = [
    "cluster-a:vpc-0aaaaaaaaaaaaaaa1",
    "cluster-b:vpc-0bbbbbbbbbbbbbbb2",
    "east:vpc-0eeeeeeeeeeeeeee1",
    "west:vpc-0fffffffffffffff2",
    "front:vpc-0ccccccccccccccc3",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `latticelab run` with `args` over the import and export features; its exit status and
/// its output.
fn run(args: &[&str], state: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .current_dir(root())
        .arg("run")
        .args(args)
        .arg("--backend-state-dir")
        .arg(state)
        .arg("--report")
        .arg(state.join("report"))
        .arg("--junit")
        .arg(state.join("junit.xml"))
        .args(["features/import", "features/export"])
        .output()
        .expect("latticelab run starts");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_run_on_the_clusters_of_a_kubeconfig() {
    let mut serve_args = vec!["--controller", "none"];
    for c in CLUSTERS {
        serve_args.extend(["--cluster", c]);
    }
    let served = common::Served::start_with(&serve_args);
    let kubeconfig = served.dir().join("kubeconfig");
    let state = tempfile::tempdir().unwrap();
    let (ok, output) = run(&["--backend", "kubeconfig", "--kubeconfig", kubeconfig.to_str().unwrap()], state.path());
    assert!(ok, "the run passes on kubeconfig clusters:\n{output}");
    assert!(
        output.contains("skipped on the kubeconfig backend")
            && output.contains("@virtual-time: lets virtual time pass, which only embedded clusters have"),
        "scenarios that need virtual time are reported as skipped, with the reason:\n{output}"
    );
    let summary = output.lines().find(|l| l.starts_with("latticelab: ") && l.contains("scenarios passed")).unwrap();
    let passed: usize = summary["latticelab: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 10, "most import and export scenarios ran: {summary}");
    assert!(summary.contains(", 0 failed,"), "{summary}");
    let junit = std::fs::read_to_string(state.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("features/import/service-import-reference.feature")
            && junit.contains("features/export/service-export.feature"),
        "one JUnit document holds both feature paths"
    );
    assert!(
        junit.contains(r#"name="Skipped on the kubeconfig backend""#)
            && junit.contains(r#"<skipped message="@virtual-time: lets virtual time pass"#),
        "the skipped scenarios are skipped test cases with their reason: {junit}"
    );

    // Every scenario removed what it applied: the shared clusters are as serve made them.
    for cluster in ["cluster-a", "cluster-b", "east", "west", "front"] {
        let client = backend::kubeconfig::client_for(&kubeconfig, cluster).await.unwrap();
        for (group, version, kind, plural) in [
            ("application-networking.k8s.aws", "v1alpha1", "ServiceExport", "serviceexports"),
            ("application-networking.k8s.aws", "v1alpha1", "ServiceImport", "serviceimports"),
            ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
            ("", "v1", "Service", "services"),
        ] {
            let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
            let left: Vec<String> = Api::<DynamicObject>::all_with(client.clone(), &ar)
                .list(&Default::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter_map(|o| o.metadata.name)
                .filter(|n| n != "kubernetes")
                .collect();
            assert!(left.is_empty(), "{cluster} still holds {kind} {left:?}");
        }
    }
    assert!(served.stop(), "serve stops cleanly");
}

/// The same run on a backend that creates its clusters, or SKIPPED with the reason.
fn run_or_skip(kind: BackendKind, require: &str) {
    let state = tempfile::tempdir().unwrap();
    let options = BackendOptions { state_dir: state.path().into(), ..BackendOptions::default() };
    if let Some(why) = backend::backend(kind, options).unavailable() {
        assert!(std::env::var(require).as_deref() != Ok("1"), "the {kind} backend is required: {why}");
        common::skipped(&format!("the {kind} backend"), &why);
        return;
    }
    let (ok, output) = run(&["--backend", &kind.to_string()], state.path());
    assert!(ok, "the run passes on {kind} clusters:\n{output}");
    assert!(output.contains(&format!("skipped on the {kind} backend")), "{output}");
}

#[test]
fn scenarios_run_on_kind_clusters() {
    run_or_skip(BackendKind::Kind, "LATTICELAB_REQUIRE_KIND");
}

#[test]
fn scenarios_run_on_k3s_containers() {
    run_or_skip(BackendKind::K3s, "LATTICELAB_REQUIRE_K3S");
}

/// The kind configurations give every cluster its own pod and service CIDRs, and so do the
/// k3s server arguments.
#[test]
fn every_real_cluster_gets_its_own_cidrs() {
    for (file, clusters) in [("two-clusters.yaml", 2), ("three-clusters.yaml", 3)] {
        let text = std::fs::read_to_string(root().join("kind-configs").join(file)).unwrap();
        let docs = backend::kind::documents(&text).unwrap();
        assert_eq!(docs.len(), clusters, "{file}");
        let mut cidrs: Vec<String> = docs
            .iter()
            .flat_map(|d| [&d["networking"]["podSubnet"], &d["networking"]["serviceSubnet"]])
            .map(|v| v.as_str().unwrap_or_else(|| panic!("{file}: a CIDR is missing")).to_string())
            .collect();
        cidrs.sort();
        cidrs.dedup();
        assert_eq!(cidrs.len(), 2 * clusters, "{file}: CIDRs repeat");
    }
    assert!(backend::kind::documents("kind: Pod\napiVersion: v1\n").is_err(), "only kind Cluster documents");
    let args: Vec<Vec<String>> = (0..3).map(backend::k3s::server_args).collect();
    for (i, a) in args.iter().enumerate() {
        for b in &args[i + 1..] {
            let cidr = |x: &Vec<String>, flag: &str| x.iter().find(|s| s.starts_with(flag)).cloned().unwrap();
            assert_ne!(cidr(a, "--cluster-cidr"), cidr(b, "--cluster-cidr"));
            assert_ne!(cidr(a, "--service-cidr"), cidr(b, "--service-cidr"));
        }
    }
}

/// `--controller external:CMD` on embedded clusters served over loopback: one
/// `latticelab controller` process per cluster with the real controller's environment, on
/// wall-clock time; scenarios that choose the reference controller's profile or let virtual
/// time pass are reported as skipped; a failing scenario's bundle holds every controller's log.
#[test]
fn scenarios_run_with_an_external_controller() {
    let state = tempfile::tempdir().unwrap();
    let controller = format!("external:{} controller", env!("CARGO_BIN_EXE_latticelab"));
    let (ok, output) = run(&["--controller", &controller], state.path());
    assert!(ok, "the run passes with external controllers:\n{output}");
    assert!(output.contains("skipped on the embedded backend with external:"), "{output}");
    let logs = state.path().join("report/controllers");
    let scenario = std::fs::read_dir(&logs).unwrap().next().unwrap().unwrap().path();
    let log = std::fs::read_to_string(scenario.join("controller-cluster-a.log"))
        .or_else(|_| std::fs::read_to_string(scenario.join("controller-east.log")))
        .unwrap();
    assert!(log.contains("latticelab: controller for cluster"), "the controller's own output: {log}");

    // A scenario that fails leaves the controllers' logs in its bundle.
    let feature = state.path().join("failing.feature");
    std::fs::write(
        &feature,
        "Feature: a failure\n  Scenario: an export that never appears\n    \
         When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n      kind: ConfigMap\n      \
         metadata: {name: unrelated}\n      \"\"\"\n    \
         Then within 2 seconds, export default/missing of \"cluster-a\" has 1 target group\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .args(["run", "--controller", &controller, "--backend-state-dir"])
        .arg(state.path())
        .arg("--report")
        .arg(state.path().join("failed"))
        .arg(&feature)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the failing scenario fails the run");
    let bundle = state.path().join("failed/an-export-that-never-appears");
    for cluster in ["cluster-a", "cluster-b"] {
        let log = std::fs::read_to_string(bundle.join(format!("controller-{cluster}.log")))
            .unwrap_or_else(|e| panic!("the bundle holds {cluster}'s controller log: {e}"));
        assert!(log.contains(&format!("controller for cluster {cluster}")), "{log}");
    }
}

/// An external controller that exits fails the scenario at its next assertion, with how it
/// ended and the end of its log, instead of leaving the assertion to run out its bound.
#[test]
fn an_external_controller_that_exits_fails_the_scenario_at_once() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .current_dir(root())
        .args(["run", "--controller", "external:sh -c 'echo no cluster for me; exit 3'", "--backend-state-dir"])
        .arg(state.path())
        .arg("--report")
        .arg(state.path().join("report"))
        .args(["--name", "HTTPRoute example", "features/import/service-import-reference.feature"])
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("the controller of cluster-a exited (status 3); see ") && text.contains("no cluster for me"),
        "{text}"
    );
}
