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

/// The differential on a few random cases (docs/differential.md): the reference reconcilers
/// and the real controller end in the same canonical Lattice states, once settled and once
/// everything is deleted, up to the choices timing and ids make.
#[test]
fn the_reference_and_the_real_controller_agree_on_random_cases() {
    use latticelab::random::Case;
    use latticelab::random::diff::{self, DiffOptions};
    let Some(binary) = real_controller_or_skip("the_reference_and_the_real_controller_agree_on_random_cases") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let options = DiffOptions {
        launch: Launch::Real(binary),
        profile: "v2.1.3".into(),
        tagging: TaggingApi::default(),
        state_dir: tmp.path().to_path_buf(),
        within: diff::EXTERNAL_BOUND,
    };
    let cases: u64 = std::env::var("LATTICELAB_DIFF_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    for index in 0..cases {
        let case = diff::without_faults(Case::draw(0, index));
        let verdict = diff::run_case(&case, &options, tmp.path().join(format!("case-{index}")))
            .unwrap_or_else(|e| panic!("case {index}: {e:#}"));
        assert!(verdict.agrees(), "case {index}: {:?}\n{case:#?}", verdict.disagreements);
    }
}
