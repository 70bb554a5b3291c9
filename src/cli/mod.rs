//! Command-line verbs. `main.rs` parses; each verb lives in its own module.

mod controller;
mod diff;
mod replay;
mod run;
mod serve;
mod steps;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "latticelab", version, about = "A simulated VPC Lattice control plane and multi-cluster test harness")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the simulated Lattice control plane and clusters on loopback until Ctrl-C or SIGTERM.
    Serve(serve::Args),
    /// Run the scenarios under features/.
    Run(run::Args),
    /// Print every step of the scenario library with an example.
    Steps,
    /// Re-run a failure bundle and say whether the failure reproduces with the same journal.
    Replay(replay::Args),
    /// Run the reference controller against one cluster of a kubeconfig, configured by the
    /// environment the real controller reads (CLUSTER_NAME, CLUSTER_VPC_ID, AWS_ACCOUNT_ID,
    /// REGION, LATTICE_ENDPOINT, …).
    Controller(controller::Args),
    /// Run random cases with the reference reconcilers and with an external controller (the
    /// real one), and compare the canonical Lattice states they end in.
    Diff(diff::Args),
}

impl Cli {
    pub async fn run(self) -> ExitCode {
        let result = match self.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Controller(args) => controller::controller(args).await,
            Command::Diff(args) => diff::diff(args).await,
            Command::Steps => steps::steps().await,
            Command::Replay(args) => replay::replay(args).await,
        };
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("latticelab: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}
