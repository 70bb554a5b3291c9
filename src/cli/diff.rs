//! `latticelab diff`: the differential between the reference reconcilers and an external
//! controller (the real one) on random cases — a line per case, the first difference of each
//! disagreement, a summary, and for each disagreeing case its case file, both outcomes and
//! the controllers' logs (docs/differential.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::random::Case;
use crate::random::diff::{self, DiffOptions, Verdict};
use crate::world::external::Launch;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The controller to hold the reference to: `real:PATH` (the real controller's binary)
    /// or `external:CMD ARGS…`.
    #[arg(long, value_name = "real:PATH|external:CMD", value_parser = launch, required_unless_present = "judge")]
    controller: Option<Launch>,
    /// Compare the outcomes kept in these disagreement folders again, with the comparison of
    /// this latticelab, without running anything.
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with_all = ["case", "controller"])]
    judge: Vec<PathBuf>,
    /// How many cases to run.
    #[arg(long, default_value_t = 200)]
    cases: u64,
    /// The seed the cases are drawn from.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The index of the first case (to resume, or to re-run one: `--first 17 --cases 1`).
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// Run the case in this file (as a disagreement's `case.yaml` holds it) instead.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cases", "first"])]
    case: Option<PathBuf>,
    /// The reference reconcilers' profile.
    #[arg(long, default_value = "v2.1.3")]
    profile: String,
    /// Where both sides read and write tags: `resource-groups` or `lattice`.
    #[arg(long, default_value = "resource-groups", value_name = "resource-groups|lattice")]
    tagging: sim_controller::TaggingApi,
    /// Seconds the external world has to agree with the reference at each moment.
    #[arg(long, value_name = "SECONDS", default_value_t = diff::EXTERNAL_BOUND.as_secs())]
    within: u64,
    /// Where disagreements, kubeconfigs and controller logs go.
    #[arg(long, default_value = "target/latticelab-diff")]
    report: PathBuf,
}

fn launch(s: &str) -> Result<Launch, String> {
    Launch::parse(s.trim()).unwrap_or_else(|| Err(format!("{s:?} is neither real:PATH nor external:CMD")))
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let de = serde_yaml_ng::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        anyhow::anyhow!("{}: at {at}: {}", path.display(), e.into_inner())
    })
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Writes what a disagreeing case needs to be looked at and run again.
fn keep(dir: &Path, case: &Case, verdict: &Verdict) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, text) in [
        ("case.yaml", serde_yaml_ng::to_string(case)?),
        ("reference.yaml", serde_yaml_ng::to_string(&verdict.reference)?),
        ("external.yaml", serde_yaml_ng::to_string(&verdict.external)?),
        ("external-journal.yaml", serde_yaml_ng::to_string(&verdict.external_journal)?),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `--judge`: each kept disagreement compared again.
fn judge(dirs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut disagreeing = 0;
    for dir in dirs {
        let case: Case = read_yaml(&dir.join("case.yaml"))?;
        let reference: diff::Outcome = read_yaml(&dir.join("reference.yaml"))?;
        let external: diff::Outcome = read_yaml(&dir.join("external.yaml"))?;
        let differences = diff::compare(&case, &reference, &external);
        let choices = diff::choices(&case, &reference, &external);
        if differences.is_empty() {
            println!("{}: agree (set apart as choices: {})", dir.display(), choices.join(", "));
        } else {
            disagreeing += 1;
            println!("{}: DISAGREE", dir.display());
            for (moment, what) in &differences {
                println!("  {moment}: {what}");
            }
        }
    }
    Ok(if disagreeing == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub async fn diff(args: Args) -> anyhow::Result<ExitCode> {
    if !args.judge.is_empty() {
        return judge(&args.judge);
    }
    let Some(controller) = args.controller.clone() else { anyhow::bail!("--controller is needed to run cases") };
    sim_controller::Quirks::profile(&args.profile).map_err(anyhow::Error::msg)?;
    // (what the case is called, the folder it is kept in, the case)
    let cases: Vec<(String, String, Case)> = match &args.case {
        Some(path) => {
            let stem = path.file_stem().map_or("case".into(), |s| s.to_string_lossy().into_owned());
            vec![(path.display().to_string(), format!("from-{stem}"), read_yaml(path)?)]
        }
        None => (args.first..args.first + args.cases)
            .map(|i| (format!("case {i}"), format!("case-{i}"), Case::draw(args.seed, i)))
            .collect(),
    };
    let options = DiffOptions {
        launch: controller.clone(),
        profile: args.profile.clone(),
        tagging: args.tagging,
        state_dir: args.report.clone(),
        within: Duration::from_secs(args.within),
    };
    println!(
        "latticelab diff: {} case(s) of seed {}, the reference (profile {}) against {}, tagging through {}",
        cases.len(),
        args.seed,
        args.profile,
        controller,
        args.tagging
    );
    let (mut agreed, mut with_choices, mut disagreed, mut failed) = (0, 0, 0, 0);
    let (mut reference_time, mut external_time) = (Duration::ZERO, Duration::ZERO);
    for (name, folder, drawn) in cases {
        let case = diff::without_faults(drawn);
        let dir = args.report.join(folder);
        let logs = dir.join("controllers");
        let options = options.clone();
        let run = case.clone();
        let result = tokio::task::spawn_blocking(move || diff::run_case(&run, &options, logs)).await?;
        let shape = format!("{} clusters, {} operations", case.vpcs.len(), case.ops.len());
        match result {
            Ok(verdict) => {
                reference_time += verdict.reference_time;
                external_time += verdict.external_time;
                let times =
                    format!("reference {}, external {}", secs(verdict.reference_time), secs(verdict.external_time));
                let choices = diff::choices(&case, &verdict.reference, &verdict.external);
                let loosely = match choices.as_slice() {
                    [] => String::new(),
                    some => format!("; set apart as choices: {}", some.join(", ")),
                };
                let made = diff::resources(&verdict.reference.converged);
                if verdict.agrees() {
                    agreed += 1;
                    with_choices += usize::from(!choices.is_empty());
                    println!("{name} ({shape}, {made} resources): agree ({times}{loosely})");
                    // Nothing to look at: the logs of an agreeing case go.
                    let _ = std::fs::remove_dir_all(&dir);
                } else {
                    disagreed += 1;
                    println!("{name} ({shape}, {made} resources): DISAGREE ({times}{loosely}); see {}", dir.display());
                    for (moment, what) in &verdict.disagreements {
                        println!("  {moment}: {what}");
                    }
                    keep(&dir, &case, &verdict)?;
                }
            }
            Err(e) => {
                failed += 1;
                println!("{name} ({shape}): FAILED: {e:#}; see {}", dir.display());
                std::fs::create_dir_all(&dir).ok();
                std::fs::write(dir.join("case.yaml"), serde_yaml_ng::to_string(&case)?).ok();
            }
        }
    }
    println!(
        "latticelab diff: {agreed} agree ({with_choices} with choices set apart), {disagreed} disagree, {failed} failed; reference {}, external {}",
        secs(reference_time),
        secs(external_time)
    );
    Ok(if disagreed == 0 && failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
