//! The differential (`latticelab diff`, docs/differential.md) without the real controller:
//! the reference reconciler run as an external process must agree with itself in process on
//! random cases, and a controller that does nothing must be reported where the reference acts.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use latticelab::random::diff::{self, DiffOptions};
use latticelab::random::{Case, Faults, Op};
use latticelab::world::external::Launch;

/// `latticelab controller` as each cluster's external controller, with its readiness endpoint.
fn reference_process() -> Launch {
    Launch::Command(format!(
        "{} controller --health-probe-bind-address=$LATTICELAB_HEALTH_ADDR",
        env!("CARGO_BIN_EXE_latticelab")
    ))
}

fn options(launch: Launch, state_dir: &Path, within: Duration) -> DiffOptions {
    DiffOptions {
        launch,
        profile: "v2.1.3".into(),
        tagging: sim_controller::TaggingApi::default(),
        state_dir: state_dir.to_path_buf(),
        within,
    }
}

/// Non-tag resources of a canonical state.
fn resources(state: &serde_json::Value) -> usize {
    let kinds = state.as_object().into_iter().flatten().filter(|(k, _)| *k != "tags");
    kinds.filter_map(|(_, r)| r.as_object()).map(|r| r.len()).sum()
}

#[test]
fn the_reference_as_a_process_agrees_with_itself_in_process() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let options = options(reference_process(), tmp.path(), diff::EXTERNAL_BOUND);
    let mut most = 0;
    for index in 0..3 {
        let case = diff::without_faults(Case::draw(0, index));
        let verdict = diff::run_case(&case, &options, tmp.path().join(format!("logs-{index}")))
            .unwrap_or_else(|e| panic!("case {index}: {e:#}"));
        assert!(verdict.agrees(), "case {index}: {:?}\n{case:#?}", verdict.disagreements);
        // What is left once everything is deleted is the harness's network and associations.
        let left = &verdict.external.cleaned;
        let mut kinds: Vec<&String> =
            left.as_object().into_iter().flat_map(|m| m.keys()).filter(|k| *k != "tags").collect();
        kinds.sort();
        assert_eq!(kinds, ["serviceNetworkVpcAssociations", "serviceNetworks"], "case {index}: {left:#}");
        most = most.max(resources(&verdict.reference.converged));
    }
    // Agreement on states with nothing the controllers made in them would prove nothing.
    assert!(most > 3, "no case made more than the harness's network and associations ({most} resources)");
}

#[test]
fn a_controller_that_does_nothing_is_reported_where_the_reference_acts() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let case = Case {
        seed: 1,
        vpcs: vec![0, 1],
        faults: Faults::NONE,
        ops: vec![
            Op::PutService { cluster: 0, service: 0, endpoints: vec![1] },
            Op::PutExport { cluster: 0, service: 0 },
            Op::PutRoute { cluster: 1, service: 0, from: None, weight: 7 },
        ],
    };
    let file = tmp.path().join("export.yaml");
    std::fs::write(&file, serde_yaml_ng::to_string(&case).expect("YAML")).expect("writable");
    let report = tmp.path().join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .args(["diff", "--controller", "external:sleep 600", "--within", "3", "--case"])
        .arg(&file)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("latticelab runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a disagreement fails the run:\n{stdout}");
    assert!(stdout.contains("DISAGREE"), "{stdout}");
    // What the reference made for the route and the export, the idle world lacks.
    assert!(stdout.contains("  converged: .") && stdout.contains("is missing from the external world"), "{stdout}");
    assert!(stdout.contains("0 agree (0 with choices set apart), 1 disagree, 0 failed"), "{stdout}");
    // Kept to be read and run again.
    let kept = report.join("from-export");
    let again: Case =
        serde_yaml_ng::from_str(&std::fs::read_to_string(kept.join("case.yaml")).expect("case.yaml")).expect("a case");
    assert_eq!(again, case);
    for file in ["reference.yaml", "external.yaml", "external-journal.yaml"] {
        assert!(kept.join(file).is_file(), "{file} is kept");
    }
}

#[test]
fn a_case_file_with_a_bad_field_is_refused_with_where() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let file = tmp.path().join("bad.yaml");
    std::fs::write(&file, "seed: 1\nvpcs: [0, 0]\nfaults: {throttling: 0, internalErrors: 0, eventualConsistency: null, kubeConflicts: 0, kubeErrors: 0}\nops:\n- op: putExport\n  cluster: zero\n  service: 0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .args(["diff", "--controller", "external:true", "--case"])
        .arg(&file)
        .output()
        .expect("latticelab runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("bad.yaml") && stderr.contains("ops[0]"), "{stderr}");
}
