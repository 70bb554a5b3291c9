//! Running features: filters, a per-scenario seed, virtual time, terminal progress and
//! summary, JUnit XML, and a failure bundle for every failing scenario.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, event, writer};

use anyhow::Context as _;

use super::powers::{skipped, tag_filter};
use super::{RunSettings, ScenarioWorld, set_backend, set_settings};
use crate::backend::{BackendKind, BackendOptions, Power};

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `.feature` files or folders of them.
    pub paths: Vec<PathBuf>,
    pub tags: Option<String>,
    pub name: Option<String>,
    pub seed: u64,
    pub profile: String,
    pub junit: Option<PathBuf>,
    /// Where failure bundles go.
    pub report: PathBuf,
    pub concurrency: usize,
    /// Where clusters come from; real backends run on wall-clock time, one scenario at a time.
    pub backend: BackendKind,
    pub backend_options: BackendOptions,
    /// `external:CMD`: this command per cluster instead of the reference controller, on
    /// wall-clock time.
    pub external_controller: Option<String>,
    /// `--lattice aws`: real AWS instead of the simulator.
    pub aws: Option<AwsOptions>,
}

/// Real AWS as the Lattice of a run.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// The explicit consent to create (and delete) resources in the account.
    pub allow_writes: bool,
    /// Scenario VPC id → a real VPC of the account.
    pub vpcs: std::collections::BTreeMap<String, String>,
}

impl RunOptions {
    /// Whether the run leaves the process or the simulator (real clusters, controller
    /// processes, real AWS): then it runs on wall-clock time, one scenario at a time.
    pub fn wall_clock(&self) -> bool {
        self.backend != BackendKind::Embedded || self.external_controller.is_some() || self.aws.is_some()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from("features")],
            tags: None,
            name: None,
            seed: 0,
            profile: "v2.1.3".into(),
            junit: None,
            report: PathBuf::from("target/latticelab-report"),
            concurrency: 8,
            backend: BackendKind::Embedded,
            backend_options: BackendOptions::default(),
            external_controller: None,
            aws: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RunOutcome {
    pub scenarios_passed: usize,
    pub scenarios_failed: usize,
    pub steps_passed: usize,
    pub steps_failed: usize,
    pub steps_skipped: usize,
    pub parsing_errors: usize,
    pub bundles: Vec<PathBuf>,
    /// Virtual time the scenarios simulated, summed over scenarios.
    pub virtual_seconds: f64,
    /// Scenarios the backend cannot run, each with the reason (`file:line name: reason`).
    pub skipped_for_backend: Vec<String>,
    /// What the run ran on, as skip reports name it ("the kind backend with Lattice on AWS").
    pub ran_on: String,
}

impl RunOutcome {
    /// A run passes with no failed, skipped or unparsable step.
    pub fn passed(&self) -> bool {
        self.steps_failed == 0 && self.steps_skipped == 0 && self.parsing_errors == 0 && self.scenarios_failed == 0
    }
}

/// A stable seed for one scenario: the run's seed mixed with its feature and name.
pub fn scenario_seed(run_seed: u64, feature: &str, scenario: &str) -> u64 {
    // FNV-1a: stable across platforms and releases, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ run_seed;
    for b in feature.bytes().chain([0]).chain(scenario.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The text of a scenario, as a one-scenario feature (for bundles and replay).
pub fn scenario_text(feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario) -> String {
    let mut out = String::new();
    for t in &feature.tags {
        out.push_str(&format!("@{t} "));
    }
    out.push_str(&format!("\nFeature: {}\n\n", feature.name));
    if let Some(bg) = &feature.background {
        out.push_str("  Background:\n");
        for s in &bg.steps {
            push_step(&mut out, s);
        }
        out.push('\n');
    }
    for t in &scenario.tags {
        out.push_str(&format!("  @{t}\n"));
    }
    out.push_str(&format!("  Scenario: {}\n", scenario.name));
    for s in &scenario.steps {
        push_step(&mut out, s);
    }
    out
}

fn push_step(out: &mut String, s: &cucumber::gherkin::Step) {
    out.push_str(&format!("    {}{}\n", s.keyword, s.value));
    if let Some(t) = &s.table {
        for row in &t.rows {
            out.push_str(&format!("      | {} |\n", row.join(" | ")));
        }
    }
    if let Some(d) = &s.docstring {
        out.push_str("      \"\"\"\n");
        for line in d.lines() {
            out.push_str(&format!("      {line}\n"));
        }
        out.push_str("      \"\"\"\n");
    }
}

/// Runs the features on a current-thread runtime, its clock paused (virtual time) on the
/// embedded backend and running (wall-clock time) on real ones.
pub fn run_blocking(options: RunOptions) -> anyhow::Result<RunOutcome> {
    std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().start_paused(!options.wall_clock()).build()?;
        runtime.block_on(run(options))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the scenario runner panicked"))?
}

pub async fn run(mut options: RunOptions) -> anyhow::Result<RunOutcome> {
    let aws = match &options.aws {
        None => None,
        Some(a) => Some(connect_aws(a, options.external_controller.is_some()).await?),
    };
    set_settings(RunSettings {
        aws: aws.clone(),
        seed: options.seed,
        profile: options.profile.clone(),
        external: options.external_controller.clone(),
        controller_logs: options.report.join("controllers"),
        ..RunSettings::default()
    });
    // An external controller reaches embedded clusters through loopback kubeconfigs.
    options.backend_options.serve_embedded = options.external_controller.is_some();
    let backend = crate::backend::backend(options.backend, options.backend_options.clone());
    if let Some(reason) = backend.unavailable() {
        anyhow::bail!("the {} backend cannot run here: {reason}", options.backend);
    }
    set_backend(backend.clone())?;
    let mut powers = backend.powers();
    if options.external_controller.is_some() {
        // A process outside the runtime lives on wall-clock time and has its own profile.
        powers.retain(|p| !matches!(p, Power::VirtualTime | Power::ReferenceController));
    }
    if aws.is_some() {
        // Real AWS answers on wall-clock time and takes no fault plans.
        powers.retain(|p| !matches!(p, Power::VirtualTime | Power::LatticeSimulator));
    }
    let missing: Vec<Power> = Power::ALL.into_iter().filter(|p| !powers.contains(p)).collect();
    let mut on = format!("the {} backend", options.backend);
    if let Some(cmd) = &options.external_controller {
        on.push_str(&format!(" with external:{cmd}"));
    }
    if aws.is_some() {
        on.push_str(" with Lattice on AWS");
    }
    let mut outcome = RunOutcome { ran_on: on.clone(), ..RunOutcome::default() };
    let mut skipped_cases = Vec::new();
    for (s, reason) in skipped(&options.paths, options.tags.as_deref(), options.name.as_deref(), &missing)? {
        let line = format!("{}:{} {}: {reason}", s.file.display(), s.line, s.name);
        println!("latticelab: skipped on {on}: {line}");
        outcome.skipped_for_backend.push(line);
        skipped_cases.push((format!("Scenario: {}: {}:{}", s.name, s.file.display(), s.line), reason));
    }
    options.tags = tag_filter(options.tags.as_deref(), &missing);
    if options.wall_clock() {
        // Real clusters are shared by the run's scenarios, and controller processes are
        // heavy: one world at a time.
        options.concurrency = 1;
    }
    let result = run_paths(&options, &mut outcome).await.and_then(|parts| match &options.junit {
        Some(junit) => super::junit::merge(junit, &parts, &skipped_cases, &on),
        None => Ok(()),
    });
    let teardown = backend.teardown().await;
    // Each world deletes the run's AWS resources when it ends; this sweep catches a world
    // that never got to.
    let swept = match &aws {
        Some(aws) => aws.delete_run().await.with_context(|| format!("deleting the resources of run {}", aws.run_id)),
        None => Ok(()),
    };
    result?;
    teardown.with_context(|| format!("tearing down the {} backend", options.backend))?;
    swept?;
    Ok(outcome)
}

/// Real AWS, guarded: only with the explicit consent, never with an external controller
/// (whose creates could not carry the run id), every create tagged with a fresh run id.
async fn connect_aws(options: &AwsOptions, external: bool) -> anyhow::Result<crate::world::aws::AwsLattice> {
    anyhow::ensure!(
        options.allow_writes,
        "--lattice aws creates and deletes VPC Lattice resources in your AWS account: pass --allow-aws-writes to agree"
    );
    anyhow::ensure!(
        !external,
        "--lattice aws with an external controller: its resources could not carry the run id, so they could not be cleaned up"
    );
    anyhow::ensure!(
        std::env::var("AWS_ACCOUNT_ID").is_ok_and(|a| !a.is_empty()),
        "--lattice aws: set AWS_ACCOUNT_ID (the reference controllers need it, as the real one does)"
    );
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let run_id = format!("latticelab-{}-{}", since_epoch.as_secs(), std::process::id());
    let aws = crate::world::aws::AwsLattice::connect(&run_id, options.vpcs.clone()).await?;
    println!("latticelab: Lattice is AWS ({}), run id {run_id} (tag {})", aws.region, crate::world::aws::RUN_ID_TAG);
    Ok(aws)
}

/// Runs each feature path; the JUnit documents they wrote, to merge.
async fn run_paths(options: &RunOptions, outcome: &mut RunOutcome) -> anyhow::Result<Vec<PathBuf>> {
    let bundles: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let mut parts = Vec::new();
    for (i, path) in options.paths.iter().enumerate() {
        let junit = options.junit.as_ref().map(|j| super::junit::part(j, i));
        let stats = run_path(path, options, junit.as_deref(), bundles.clone()).await?;
        parts.extend(junit);
        outcome.steps_passed += stats.0;
        outcome.steps_failed += stats.1;
        outcome.steps_skipped += stats.2;
        outcome.parsing_errors += stats.3;
        outcome.scenarios_failed += stats.4;
        outcome.scenarios_passed += stats.5;
        outcome.virtual_seconds += stats.6;
    }
    outcome.bundles = bundles.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(parts)
}

type Stats = (usize, usize, usize, usize, usize, usize, f64);

/// Filters as cucumber's own command line would carry them.
fn opts<P, R, W>(options: &RunOptions) -> anyhow::Result<cucumber::cli::Opts<P, R, W>>
where
    P: clap::Args + Default,
    R: clap::Args + Default,
    W: clap::Args + Default,
{
    let mut cli = cucumber::cli::Opts::<P, R, W>::default();
    if let Some(name) = &options.name {
        cli.re_filter = Some(regex::Regex::new(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?);
    }
    if let Some(tags) = &options.tags {
        cli.tags_filter = Some(tags.parse::<TagOperation>().map_err(|e| anyhow::anyhow!("--tags {tags:?}: {e}"))?);
    }
    Ok(cli)
}

async fn run_path(
    path: &Path,
    options: &RunOptions,
    junit: Option<&Path>,
    bundles: Arc<Mutex<Vec<PathBuf>>>,
) -> anyhow::Result<Stats> {
    let report = options.report.clone();
    let seed = options.seed;
    let scenarios: Arc<Mutex<(usize, usize)>> = Arc::default();
    let counted = scenarios.clone();
    let simulated: Arc<Mutex<f64>> = Arc::default();
    let simulated_sink = simulated.clone();
    let base = ScenarioWorld::cucumber()
        .max_concurrent_scenarios(options.concurrency)
        .fail_on_skipped()
        .before(move |feature, _rule, scenario, world| {
            world.seed = scenario_seed(seed, &feature.name, &scenario.name);
            world.name = scenario.name.clone();
            world.text = scenario_text(feature, scenario);
            world.started_at = Some(tokio::time::Instant::now());
            Box::pin(async {})
        })
        .after(move |_feature, _rule, scenario, finished, world| {
            let report = report.clone();
            let bundles = bundles.clone();
            let counted = counted.clone();
            let simulated = simulated_sink.clone();
            Box::pin(async move {
                if let Some(started) = world.as_ref().and_then(|w| w.started_at) {
                    *simulated.lock().unwrap_or_else(|e| e.into_inner()) += started.elapsed().as_secs_f64();
                }
                let failure = match finished {
                    event::ScenarioFinished::StepFailed(_, _, e) => Some(format!("{e}")),
                    event::ScenarioFinished::BeforeHookFailed(_) => Some("the before hook failed".to_string()),
                    event::ScenarioFinished::StepSkipped => Some("a step matched no step of the library".to_string()),
                    _ => None,
                };
                {
                    let mut c = counted.lock().unwrap_or_else(|e| e.into_inner());
                    if failure.is_some() { c.1 += 1 } else { c.0 += 1 }
                }
                if let (Some(failure), Some(world)) = (failure, world.as_deref())
                    && let Ok(dir) = super::bundle::write(&report, &scenario.name, world, &failure).await
                {
                    eprintln!("latticelab: failure bundle {}", dir.display());
                    bundles.lock().unwrap_or_else(|e| e.into_inner()).push(dir);
                }
                if let Some(started) = world.and_then(|w| w.world.as_mut())
                    && let Err(e) = started.release().await
                {
                    eprintln!("latticelab: after {:?}: {e:#}", scenario.name);
                }
            })
        });
    let steps = match junit {
        Some(file) => {
            let junit = std::fs::File::create(file).map_err(|e| anyhow::anyhow!("--junit {}: {e}", file.display()))?;
            let basic = writer::Basic::raw(std::io::stdout(), writer::Coloring::Never, 0);
            let wr = base
                .with_writer(basic.summarized().tee::<ScenarioWorld, _>(writer::JUnit::for_tee(junit, 0)).normalized())
                .with_cli(opts(options)?)
                .run(path)
                .await;
            (wr.passed_steps(), wr.failed_steps(), wr.skipped_steps(), wr.parsing_errors())
        }
        None => {
            let basic = writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0);
            let wr = base.with_writer(basic.summarized().normalized()).with_cli(opts(options)?).run(path).await;
            (wr.passed_steps(), wr.failed_steps(), wr.skipped_steps(), wr.parsing_errors())
        }
    };
    let (passed, failed) = *scenarios.lock().unwrap_or_else(|e| e.into_inner());
    let virtual_seconds = *simulated.lock().unwrap_or_else(|e| e.into_inner());
    Ok((steps.0, steps.1, steps.2, steps.3, failed, passed, virtual_seconds))
}
