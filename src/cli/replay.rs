//! `latticelab replay DIR`: re-runs a failure bundle's scenario with its seed and profile and
//! says whether the same failure reproduces with the same journal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::scenario::replay::{Replay, replay_blocking};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A failure bundle directory.
    bundle: PathBuf,
}

pub async fn replay(args: Args) -> anyhow::Result<ExitCode> {
    let bundle = args.bundle.clone();
    let outcome = tokio::task::spawn_blocking(move || replay_blocking(&bundle))
        .await?
        .with_context(|| format!("replaying {}", args.bundle.display()))?;
    match outcome {
        Replay::Reproduced => {
            println!("reproduced: the same failure, with an identical journal");
            Ok(ExitCode::SUCCESS)
        }
        Replay::DifferentJournal { first_difference } => {
            println!("the failure reproduces, but the journal differs: {first_difference}");
            Ok(ExitCode::FAILURE)
        }
        Replay::DifferentFailure { was, now } => {
            println!("a different outcome: the bundle failed with\n  {was}\nthe replay {now}");
            Ok(ExitCode::FAILURE)
        }
    }
}
