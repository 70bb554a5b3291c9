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
        most = most.max(diff::resources(&verdict.reference.converged));
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

/// A kept disagreement (tests/differential/v2.1.3/known.yaml).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    case: String,
    /// The Lattice service (by name) the real controller left behind.
    leaked: String,
    reason: String,
}

/// `state` without every resource and tag of Lattice service `name`.
fn without_service(state: &serde_json::Value, name: &str) -> serde_json::Value {
    let marker = format!("svc:{name}");
    let mut out = state.clone();
    if let Some(kinds) = out.as_object_mut() {
        for resources in kinds.values_mut().filter_map(|r| r.as_object_mut()) {
            resources.retain(|key, _| !key.contains(&marker));
        }
        kinds.retain(|_, r| r.as_object().is_none_or(|m| !m.is_empty()));
    }
    out
}

/// Each kept disagreement with the real controller still occurs, and is the leak it says: the
/// reference reconciler, run on the case again, differs from the recorded outcome, and agrees
/// once the leaked Lattice service is taken out of it.
#[test]
fn the_kept_disagreements_with_the_real_controller_still_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/v2.1.3");
    let known: Vec<Known> =
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("known.yaml")).expect("known.yaml")).expect("valid");
    assert!(!known.is_empty());
    let tmp = tempfile::tempdir().expect("a temp dir");
    let options = options(reference_process(), tmp.path(), diff::EXTERNAL_BOUND);
    for k in known {
        assert!(!k.reason.trim().is_empty(), "{}: a reason", k.case);
        let read = |file: &str| std::fs::read_to_string(dir.join(&k.case).join(file)).expect(file);
        let case: Case = serde_yaml_ng::from_str(&read("case.yaml")).expect("a case");
        let real: diff::Outcome = serde_yaml_ng::from_str(&read("external.yaml")).expect("an outcome");
        let reference = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime")
            .block_on(diff::reference(&case, &options))
            .expect("the reference run");
        let found = diff::compare(&case, &reference, &real);
        assert!(!found.is_empty(), "{}: no longer a disagreement; take it out of known.yaml", k.case);
        let stripped = diff::Outcome {
            converged: without_service(&real.converged, &k.leaked),
            cleaned: without_service(&real.cleaned, &k.leaked),
        };
        let rest = diff::compare(&case, &reference, &stripped);
        assert!(rest.is_empty(), "{}: more than {} differs: {rest:?}", k.case, k.leaked);
    }
}
