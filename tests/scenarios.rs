//! Every scenario under `features/`, as `latticelab run` runs them (the same step library and
//! runner), inside `cargo test`. Cargo's own arguments (`cargo test some_filter`,
//! `-- --test-threads=1`) are ignored rather than refused; `LATTICELAB_TAGS` and
//! `LATTICELAB_NAME` filter the scenarios.

use std::path::PathBuf;
use std::process::ExitCode;

use latticelab::scenario::runner::{RunOptions, run_blocking};

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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let options = RunOptions {
        paths: vec![root.join("features")],
        tags: std::env::var("LATTICELAB_TAGS").ok(),
        name: std::env::var("LATTICELAB_NAME").ok(),
        report: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("latticelab-report"),
        junit: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenarios-junit.xml")),
        ..RunOptions::default()
    };
    match run_blocking(options) {
        Ok(outcome) if outcome.passed() => {
            println!("test result: ok. {} scenarios passed; 0 failed", outcome.scenarios_passed);
            ExitCode::SUCCESS
        }
        Ok(outcome) => {
            println!(
                "test result: FAILED. {} scenarios passed; {} failed; {} steps skipped; bundles: {:?}",
                outcome.scenarios_passed, outcome.scenarios_failed, outcome.steps_skipped, outcome.bundles
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("scenarios: {e:#}");
            ExitCode::FAILURE
        }
    }
}
