//! The suite against the real controller: every scenario that runs on wall-clock time, with
//! the binary at `LATTICELAB_REAL_CONTROLLER` as each cluster's controller (`real:PATH`), in
//! both tagging modes. Without the variable the test prints `SKIPPED` and why; latticelab
//! neither ships nor builds that binary (README, "Run the real controller against the
//! simulated world").

mod common;

use std::path::{Path, PathBuf};

use latticelab::backend::BackendOptions;
use latticelab::scenario::runner::{RunOptions, run_blocking};
use latticelab::world::external::Launch;
use sim_controller::TaggingApi;

/// The real controller's binary from `LATTICELAB_REAL_CONTROLLER`; without it, `test` prints
/// SKIPPED with the reason and gets `None`.
fn real_controller_or_skip(test: &str) -> Option<PathBuf> {
    let Some(binary) = std::env::var_os("LATTICELAB_REAL_CONTROLLER").map(PathBuf::from) else {
        common::skipped(
            test,
            "LATTICELAB_REAL_CONTROLLER is not set (the path of a real controller binary built from its own repository)",
        );
        return None;
    };
    assert!(binary.exists(), "LATTICELAB_REAL_CONTROLLER={} does not exist", binary.display());
    Some(binary)
}

#[test]
fn every_wall_clock_scenario_passes_with_the_real_controller() {
    let Some(binary) = real_controller_or_skip("every_wall_clock_scenario_passes_with_the_real_controller") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("a temp dir");
    for (mode, tagging) in [("resource-groups", TaggingApi::ResourceGroups), ("lattice", TaggingApi::Lattice)] {
        let outcome = run_blocking(RunOptions {
            paths: vec![root.join("features")],
            external_controller: Some(Launch::Real(binary.clone())),
            tagging,
            report: tmp.path().join(mode),
            backend_options: BackendOptions {
                state_dir: tmp.path().join(format!("{mode}-state")),
                ..BackendOptions::default()
            },
            quiet: true,
            ..RunOptions::default()
        })
        .expect("the suite runs");
        println!(
            "real controller, tagging {mode}: {} scenarios passed, {} failed, {} skipped",
            outcome.scenarios_passed,
            outcome.scenarios_failed,
            outcome.skipped_for_backend.len()
        );
        assert!(outcome.scenarios_passed > 0, "no scenario ran");
        assert!(outcome.passed(), "tagging {mode}: {:?}", outcome.failures);
    }
}

/// The differential's settings for the real controller at `binary`: profile v2.1.3, the
/// default tagging mode, the external bound.
fn diff_options(binary: PathBuf, state_dir: &Path) -> latticelab::random::diff::DiffOptions {
    latticelab::random::diff::DiffOptions {
        launch: Launch::Real(binary),
        profile: "v2.1.3".into(),
        tagging: TaggingApi::default(),
        state_dir: state_dir.to_path_buf(),
        within: latticelab::random::diff::EXTERNAL_BOUND,
    }
}

/// The differential on a few random cases (docs/differential.md): the reference reconcilers
/// and the real controller end in the same canonical Lattice states, once settled and once
/// everything is deleted, up to the choices timing and ids make.
#[test]
fn the_reference_and_the_real_controller_agree_on_random_cases() {
    use latticelab::random::Case;
    use latticelab::random::diff;
    let Some(binary) = real_controller_or_skip("the_reference_and_the_real_controller_agree_on_random_cases") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let options = diff_options(binary, tmp.path());
    let cases: u64 = std::env::var("LATTICELAB_DIFF_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    for index in 0..cases {
        let case = diff::without_faults(Case::draw(0, index));
        let verdict = diff::run_case(&case, &options, tmp.path().join(format!("case-{index}")))
            .unwrap_or_else(|e| panic!("case {index}: {e:#}"));
        assert!(verdict.agrees(), "case {index}: {:?}\n{case:#?}", verdict.disagreements);
    }
}

/// Every request the real controller makes of the embedded clusters, on a few random cases,
/// gets only the client errors a real API server gives in the same state: 404 for an object
/// that is not there (a read, a write or a delete naming it) or for the discovery of a group
/// nobody installed (the controller asks for `externaldns.k8s.io`), and 409 for a write that
/// lost a race. Anything else (415 for a body's media type, 400 or 422 for a request a real
/// server takes, 405) fails, with the requests that got it.
#[test]
fn the_real_controller_gets_no_client_error_a_real_api_server_would_not_give() {
    use latticelab::random::Case;
    use latticelab::random::diff;
    let Some(binary) =
        real_controller_or_skip("the_real_controller_gets_no_client_error_a_real_api_server_would_not_give")
    else {
        return;
    };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let options = diff_options(binary, tmp.path());
    let mut served = 0;
    let mut unexpected = Vec::new();
    for index in 0..2 {
        let case = diff::without_faults(Case::draw(0, index));
        let verdict = diff::run_case(&case, &options, tmp.path().join(format!("case-{index}")))
            .unwrap_or_else(|e| panic!("case {index}: {e:#}"));
        for (cluster, requests) in verdict.external_journal["kubernetes"].as_object().into_iter().flatten() {
            for request in requests.as_array().into_iter().flatten() {
                served += 1;
                let (method, path) =
                    (request["method"].as_str().unwrap_or_default(), request["path"].as_str().unwrap_or_default());
                let status = request["status"].as_u64().unwrap_or_default();
                if (400..500).contains(&status) && !a_real_server_answers(method, path, status) {
                    unexpected.push(format!("case {index}, {cluster}: {method} {path} -> {status}"));
                }
            }
        }
    }
    println!("{served} requests of the real controller read");
    assert!(served > 0, "no request was recorded");
    assert!(unexpected.is_empty(), "client errors a real API server would not give:\n{}", unexpected.join("\n"));
}

/// Whether a real API server gives `status` to `method path` in some state of the world.
fn a_real_server_answers(method: &str, path: &str, status: u64) -> bool {
    let resource = path.split_once('?').map_or(path, |(p, _)| p);
    // `/api/v1/namespaces/ns/pods/name[/status]`, `/apis/g/v/namespaces/ns/kind/name[/status]`:
    // the segment after the kind's plural names an object.
    let names_an_object = {
        let parts: Vec<&str> = resource.trim_start_matches('/').split('/').collect();
        let base = if parts.first() == Some(&"api") { 2 } else { 3 };
        let after_namespace =
            if parts.get(base) == Some(&"namespaces") && parts.len() > base + 2 { base + 2 } else { base };
        parts.len() > after_namespace + 1
    };
    let discovers_a_group = resource.starts_with("/apis/") && resource.matches('/').count() <= 3;
    match status {
        404 => names_an_object || discovers_a_group,
        409 => matches!(method, "POST" | "PUT" | "PATCH"),
        _ => false,
    }
}

/// The real controller's one write of a built-in kind in protobuf: a Pod's readiness-gate
/// condition, through `pods/status` (controller-runtime sends protobuf for the kinds
/// client-go knows). A pod with the gate behind a not-yet-ready endpoint of an exported
/// Service: the controller registers the target, reads its status from Lattice, and writes
/// the condition, which the cluster must take (not 415) and store as the controller meant it.
#[test]
fn the_real_controller_writes_a_pods_readiness_condition_and_the_cluster_stores_it() {
    use k8s_openapi::api::core::v1::Pod;
    use latticelab::backend::embedded::Embedded;
    use latticelab::random::objects;
    use latticelab::world::World;
    use latticelab::world::external::External;
    use serde_json::json;
    let test = "the_real_controller_writes_a_pods_readiness_condition_and_the_cluster_stores_it";
    let Some(binary) = real_controller_or_skip(test) else { return };
    const GATE: &str = "application-networking.k8s.aws/pod-readiness-gate";
    let tmp = tempfile::tempdir().expect("a temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime
        .block_on(async {
            let mut config = objects::config(&[("c1".to_string(), 0)], 0);
            config.external = Some(External { launch: Launch::Real(binary), log_dir: tmp.path().join("logs") });
            let mut world = World::start_on(config, &Embedded { serve_in: Some(tmp.path().join("served")) }).await?;
            objects::furnish(&world).await?;
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "example.com/web:1"}], "readinessGates": [{"conditionType": GATE}]}});
            let [service, mut slice] = objects::http_service("default", "web", ["10.0.0.7".to_string()]);
            slice["endpoints"][0]["conditions"]["ready"] = json!(false);
            slice["endpoints"][0]["targetRef"] = json!({"kind": "Pod", "name": "web-0", "namespace": "default"});
            let export = objects::export("default", "web", None, &[]);
            world.apply_documents("c1", &[pod, service, slice, export]).await?;
            let pods: kube::Api<Pod> = kube::Api::namespaced(world.kube("c1")?, "default");
            let condition = world
                .eventually(std::time::Duration::from_secs(120), || {
                    let pods = pods.clone();
                    async move {
                        let pod = pods.get("web-0").await.map_err(|e| e.to_string())?;
                        let conditions = pod.status.and_then(|s| s.conditions).unwrap_or_default();
                        conditions.into_iter().find(|c| c.type_ == GATE).ok_or_else(|| "no readiness-gate condition yet".to_string())
                    }
                })
                .await?;
            let journal = latticelab::scenario::bundle::journal(&world);
            world.release().await?;
            anyhow::Ok((condition, journal))
        })
        .map(|(condition, journal)| {
            // The reasons the controller gives a target's Lattice status (targets_synthesizer).
            let reasons = ["Healthy", "Unhealthy", "Unused", "Initial", "HealthCheckUnavailable", "TargetNotFound"];
            assert!(condition.reason.as_deref().is_some_and(|r| reasons.contains(&r)), "{condition:?}");
            assert!(matches!(condition.status.as_str(), "True" | "False"), "{condition:?}");
            let writes: Vec<&serde_json::Value> = journal["kubernetes"]["c1"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["method"] == "PUT" && r["path"].as_str().is_some_and(|p| p.contains("/pods/web-0/status")))
                .collect();
            assert!(!writes.is_empty(), "no write of the pod's status was recorded");
            assert!(writes.iter().all(|w| w["status"] == 200), "{writes:?}");
        })
        .unwrap_or_else(|e| panic!("{e:#}"));
}
