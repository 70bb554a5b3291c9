//! `latticelab run`: every scenario under `features/` (or the given paths) on embedded
//! clusters and the simulator, on virtual time; progress and a summary on the terminal,
//! JUnit XML on request, a failure bundle per failing scenario, non-zero exit on any failed
//! or skipped step.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::scenario::runner::{RunOptions, run_blocking};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Feature files or folders (default: features).
    paths: Vec<PathBuf>,
    /// Tag expression, e.g. `@import and not @kind`.
    #[arg(long, short = 't')]
    tags: Option<String>,
    /// Only scenarios whose name matches this regex.
    #[arg(long, short = 'n')]
    name: Option<String>,
    /// The run's seed; each scenario's seed derives from it and its name.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reference controller profile: v2.1.3 or fixed (scenarios may choose their own).
    #[arg(long, default_value = "v2.1.3")]
    profile: String,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Where failure bundles go.
    #[arg(long, default_value = "target/latticelab-report")]
    report: PathBuf,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    sim_controller::Quirks::profile(&args.profile).map_err(anyhow::Error::msg)?;
    let paths = if args.paths.is_empty() { vec![PathBuf::from("features")] } else { args.paths };
    for p in &paths {
        anyhow::ensure!(p.exists(), "{} does not exist", p.display());
    }
    let options = RunOptions {
        paths,
        tags: args.tags,
        name: args.name,
        seed: args.seed,
        profile: args.profile,
        junit: args.junit,
        report: args.report,
        concurrency: args.concurrency.max(1),
    };
    let outcome = tokio::task::spawn_blocking(move || run_blocking(options)).await??;
    println!(
        "latticelab: {} scenarios passed, {} failed; {} steps passed, {} failed, {} skipped{}",
        outcome.scenarios_passed,
        outcome.scenarios_failed,
        outcome.steps_passed,
        outcome.steps_failed,
        outcome.steps_skipped,
        if outcome.parsing_errors > 0 {
            format!(", {} files did not parse", outcome.parsing_errors)
        } else {
            String::new()
        }
    );
    for b in &outcome.bundles {
        println!("latticelab: failure bundle {} (replay with `latticelab replay {}`)", b.display(), b.display());
    }
    Ok(if outcome.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
