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

#[test]
fn every_wall_clock_scenario_passes_with_the_real_controller() {
    let Some(binary) = std::env::var_os("LATTICELAB_REAL_CONTROLLER").map(PathBuf::from) else {
        common::skipped(
            "every_wall_clock_scenario_passes_with_the_real_controller",
            "LATTICELAB_REAL_CONTROLLER is not set (the path of a real controller binary built from its own repository)",
        );
        return;
    };
    assert!(binary.exists(), "LATTICELAB_REAL_CONTROLLER={} does not exist", binary.display());
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
