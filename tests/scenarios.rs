//! Every scenario under `features/`, as `latticelab run` runs them (the same step library and
//! runner), inside `cargo test`: once with the controllers tagging through the Resource Groups
//! Tagging API (their default) and once through Lattice (`--tagging lattice`); a scenario that
//! chooses its tagging path runs with it both times. Cargo's own arguments (`cargo test some_filter`,
//! `-- --test-threads=1`) are ignored rather than refused; `LATTICELAB_TAGS` and
//! `LATTICELAB_NAME` filter the scenarios.

use std::path::PathBuf;
use std::process::ExitCode;

use latticelab::scenario::runner::{RunOptions, run_blocking};
use sim_controller::TaggingApi;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // `cargo test -- --list`: one entry for the whole suite.
        println!("scenarios: test");
        return ExitCode::SUCCESS;
    }
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    if let Some(f) = &filter
        && !"scenarios".contains(f.as_str())
        && std::env::var("LATTICELAB_NAME").is_err()
    {
        println!("scenarios: filtered out by `{f}`");
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    for (mode, tagging) in [("resource-groups", TaggingApi::ResourceGroups), ("lattice", TaggingApi::Lattice)] {
        if !run_in(mode, tagging) {
            code = ExitCode::FAILURE;
        }
    }
    code
}

/// The whole suite with the controllers tagging through `tagging`; whether it passed.
fn run_in(mode: &str, tagging: TaggingApi) -> bool {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let options = RunOptions {
        paths: vec![root.join("features")],
        tags: std::env::var("LATTICELAB_TAGS").ok(),
        name: std::env::var("LATTICELAB_NAME").ok(),
        tagging,
        report: tmp.join(format!("latticelab-report-{mode}")),
        junit: Some(tmp.join(format!("scenarios-junit-{mode}.xml"))),
        ..RunOptions::default()
    };
    match run_blocking(options) {
        Ok(outcome) if outcome.passed() => {
            println!("test result: ok. {} scenarios passed; 0 failed (tagging: {mode})", outcome.scenarios_passed);
            true
        }
        Ok(outcome) => {
            println!(
                "test result: FAILED. {} scenarios passed; {} failed; {} steps skipped (tagging: {mode}); bundles: {:?}",
                outcome.scenarios_passed, outcome.scenarios_failed, outcome.steps_skipped, outcome.bundles
            );
            false
        }
        Err(e) => {
            eprintln!("scenarios (tagging: {mode}): {e:#}");
            false
        }
    }
}
