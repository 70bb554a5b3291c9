//! The `latticelab` command: parses arguments and hands each verb to its module.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    latticelab::cli::Cli::parse().run().await
}
