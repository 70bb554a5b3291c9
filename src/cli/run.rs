//! `latticelab run`: runs the Gherkin scenarios under `features/`.
//!
//! The scenario world and step library are not in this crate yet, so this verb reports
//! how many scenario files it found and fails when it would have to run one it cannot.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the `.feature` files.
    #[arg(long, default_value = "features")]
    features: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut features: Vec<PathBuf> = std::fs::read_dir(&args.features)
        .with_context(|| format!("cannot read {}", args.features.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    features.sort();
    if features.is_empty() {
        println!("0 scenarios: no .feature files under {}", args.features.display());
        return Ok(ExitCode::SUCCESS);
    }
    for f in &features {
        eprintln!("latticelab: cannot run {}: this build has no step library", f.display());
    }
    Ok(ExitCode::FAILURE)
}
