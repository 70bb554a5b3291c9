//! `latticelab steps`: the step catalogue, every step with an example.

use std::process::ExitCode;

pub async fn steps() -> anyhow::Result<ExitCode> {
    print!("{}", crate::scenario::catalogue::render());
    Ok(ExitCode::SUCCESS)
}
