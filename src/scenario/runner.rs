//! Running features: the lint first, then every scenario with a seed of its own on virtual
//! time (or wall-clock time on real backends), a line per scenario and one summary, JUnit
//! XML on request, and a bundle for every failing scenario (every scenario with
//! `keep_bundles`). The runner takes its options from its caller only, never from the
//! process's arguments.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};

use anyhow::Context as _;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::{World as _, WriterExt as _, event, writer};

use super::powers::{scenarios, skipped, tag_filter};
use super::report::Report;
use super::{RunContext, RunSettings, ScenarioWorld};
use crate::backend::{BackendKind, BackendOptions, Power};

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `.feature` files or folders of them.
    pub paths: Vec<PathBuf>,
    pub tags: Option<String>,
    pub name: Option<String>,
    pub seed: u64,
    pub profile: String,
    /// Where the controllers tag, unless a scenario chooses.
    pub tagging: sim_controller::TaggingApi,
    pub junit: Option<PathBuf>,
    /// Where failure bundles go.
    pub report: PathBuf,
    /// Write a bundle for every scenario, passed or failed.
    pub keep_bundles: bool,
    /// Write the conformance record of every passed scenario here (`--record DIR`).
    pub record: Option<PathBuf>,
    pub concurrency: usize,
    /// How long an assertion waits for the world to stand still (`docs/scenarios.md#settling`);
    /// `None`: 15 s on virtual time, 3 s on wall-clock time.
    pub settle: Option<std::time::Duration>,
    /// Print nothing but problems and the outcome (tests that drive the runner).
    pub quiet: bool,
    /// Where clusters come from; real backends run on wall-clock time, one scenario at a time.
    pub backend: BackendKind,
    pub backend_options: BackendOptions,
    /// `external:CMD`: this command per cluster instead of the reference controller, on
    /// wall-clock time.
    pub external_controller: Option<crate::world::external::Launch>,
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
            tagging: sim_controller::TaggingApi::default(),
            junit: None,
            report: PathBuf::from("target/latticelab-report"),
            keep_bundles: false,
            record: None,
            concurrency: 8,
            settle: None,
            quiet: false,
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
    /// Steps that matched no step of the library.
    pub steps_skipped: usize,
    /// Mistakes in the feature files, found before anything ran (`file:line: what`), and
    /// Gherkin the parser refused.
    pub problems: Vec<String>,
    /// Every step that did not pass, as `file:line: step: why`.
    pub failures: Vec<String>,
    pub bundles: Vec<PathBuf>,
    /// Virtual time the scenarios simulated, summed over scenarios.
    pub virtual_seconds: f64,
    /// Scenarios the backend cannot run, each with the reason (`file:line name: reason`).
    pub skipped_for_backend: Vec<String>,
    /// What the run ran on, as skip reports name it ("the kind backend with Lattice on AWS").
    pub ran_on: String,
}

impl RunOutcome {
    /// A run passes with no failed or unmatched step, no problem in its files and no failed
    /// scenario.
    pub fn passed(&self) -> bool {
        self.steps_failed == 0 && self.steps_skipped == 0 && self.problems.is_empty() && self.scenarios_failed == 0
    }

    /// The run's one summary line.
    pub fn summary(&self) -> String {
        let mut parts =
            vec![format!("{} scenarios passed", self.scenarios_passed), format!("{} failed", self.scenarios_failed)];
        if !self.skipped_for_backend.is_empty() {
            parts.push(format!("{} skipped on {}", self.skipped_for_backend.len(), self.ran_on));
        }
        let mut line = format!(
            "latticelab: {}; {} steps passed, {} failed, {} matched no step",
            parts.join(", "),
            self.steps_passed,
            self.steps_failed,
            self.steps_skipped
        );
        if !self.problems.is_empty() {
            line.push_str(&format!("; {} problems in the feature files", self.problems.len()));
        }
        line
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

/// What a scenario chooses with the step `<prefix>X` (in its Background or its own steps),
/// so the world starts with it before any Background step applies anything: the profile
/// (`the controllers run profile X`) and the tagging path (`the controllers tag through X`).
fn chosen(
    prefix: &str,
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
) -> Option<String> {
    let background = feature.background.iter().chain(rule.and_then(|r| r.background.as_ref()));
    background
        .flat_map(|b| &b.steps)
        .chain(&scenario.steps)
        .find_map(|s| s.value.trim().strip_prefix(prefix).map(|p| p.trim().to_string()))
}

const RUNNER_THREAD: &str = "latticelab-scenarios";

/// A step's failure is a panic inside cucumber's step wrapper, reported by [`Report`]; the
/// default hook would also print it with a source path. Other panics (a bug) still print.
fn quiet_step_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_runner = std::thread::current().name() == Some(RUNNER_THREAD);
            let in_steps = info.location().is_some_and(|l| l.file().replace('\\', "/").contains("src/scenario/steps/"));
            if !(on_runner && in_steps) {
                default(info);
            }
        }));
    });
}

/// Runs `f` on a thread of its own with a current-thread runtime, its clock paused (virtual
/// time) unless `wall_clock`.
pub fn on_runner_thread<T: Send + 'static>(
    wall_clock: bool,
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<T>>>> + Send + 'static,
) -> anyhow::Result<T> {
    quiet_step_panics();
    std::thread::Builder::new()
        .name(RUNNER_THREAD.into())
        .spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().start_paused(!wall_clock).build()?;
            runtime.block_on(f())
        })?
        .join()
        .map_err(|_| anyhow::anyhow!("the scenario runner panicked"))?
}

/// Runs the features on a current-thread runtime, its clock paused (virtual time) on the
/// embedded backend and running (wall-clock time) on real ones.
pub fn run_blocking(options: RunOptions) -> anyhow::Result<RunOutcome> {
    on_runner_thread(options.wall_clock(), move || Box::pin(run(options)))
}

pub async fn run(mut options: RunOptions) -> anyhow::Result<RunOutcome> {
    let problems = super::lint::check(&options.paths);
    let selected = selected_count(&options)?;
    anyhow::ensure!(selected > 0 || !problems.is_empty(), "no scenario is selected by {}", describe_filters(&options));
    let aws = match &options.aws {
        None => None,
        Some(a) => Some(connect_aws(a, options.external_controller.is_some()).await?),
    };
    let settle = options.settle.unwrap_or(std::time::Duration::from_secs(if options.wall_clock() { 3 } else { 15 }));
    let settings = RunSettings {
        aws: aws.clone(),
        seed: options.seed,
        profile: options.profile.clone(),
        tagging: options.tagging,
        settle,
        external: options.external_controller.clone(),
        controller_logs: options.report.join("controllers"),
        ..RunSettings::default()
    };
    // An external controller reaches embedded clusters through loopback kubeconfigs.
    options.backend_options.serve_embedded = options.external_controller.is_some();
    let backend = crate::backend::backend(options.backend, options.backend_options.clone());
    if let Some(reason) = backend.unavailable() {
        anyhow::bail!("the {} backend cannot run here: {reason}", options.backend);
    }
    let context = Arc::new(RunContext { settings, backend: backend.clone() });
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
    if let Some(launch) = &options.external_controller {
        on.push_str(&format!(" with {launch}"));
    }
    if aws.is_some() {
        on.push_str(" with Lattice on AWS");
    }
    let mut outcome = RunOutcome { ran_on: on.clone(), ..RunOutcome::default() };
    for p in &problems {
        println!("error: {p}");
        outcome.problems.push(p.to_string());
    }
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
    let bad: Vec<PathBuf> = problems.iter().map(|p| p.file.clone()).collect();
    let result = run_paths(&options, &context, &bad, &mut outcome).await.and_then(|parts| match &options.junit {
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

/// How many scenarios the run's paths and filters select (before any backend skips).
fn selected_count(options: &RunOptions) -> anyhow::Result<usize> {
    let tags: Option<TagOperation> =
        options.tags.as_deref().map(|t| t.parse().map_err(|e| anyhow::anyhow!("--tags {t:?}: {e}"))).transpose()?;
    let name = options.name.as_deref().map(regex::Regex::new).transpose().context("--name")?;
    use cucumber::tag::Ext as _;
    Ok(scenarios(&options.paths)
        .unwrap_or_default()
        .iter()
        .filter(|s| tags.as_ref().is_none_or(|t| t.eval(s.tags.iter())))
        .filter(|s| name.as_ref().is_none_or(|n| n.is_match(&s.name)))
        .count())
}

fn describe_filters(options: &RunOptions) -> String {
    let paths: Vec<String> = options.paths.iter().map(|p| p.display().to_string()).collect();
    let mut text = paths.join(", ");
    if let Some(t) = &options.tags {
        text.push_str(&format!(" with --tags {t:?}"));
    }
    if let Some(n) = &options.name {
        text.push_str(&format!(" with --name {n:?}"));
    }
    text
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
async fn run_paths(
    options: &RunOptions,
    context: &Arc<RunContext>,
    bad: &[PathBuf],
    outcome: &mut RunOutcome,
) -> anyhow::Result<Vec<PathBuf>> {
    let bundles: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let simulated: Arc<Mutex<f64>> = Arc::default();
    let mut parts = Vec::new();
    for (i, path) in options.paths.iter().enumerate() {
        let junit = options.junit.as_ref().map(|j| super::junit::part(j, i));
        let report = Report::new(bad.to_vec(), options.quiet);
        let hooks = Hooks {
            options: options.clone(),
            context: context.clone(),
            bundles: bundles.clone(),
            simulated: simulated.clone(),
        };
        run_path(path, options, hooks, bad, report.clone(), junit.as_deref()).await?;
        parts.extend(junit);
        let tally = report.tally();
        outcome.steps_passed += tally.steps_passed;
        outcome.steps_failed += tally.steps_failed;
        outcome.steps_skipped += tally.steps_unmatched;
        outcome.scenarios_failed += tally.scenarios_failed;
        outcome.scenarios_passed += tally.scenarios_passed;
        outcome.problems.extend(tally.parse_errors);
        outcome.failures.extend(
            tally.failures.iter().map(|f| format!("{}:{}: {}: {}", f.file.display(), f.line, f.text, f.message)),
        );
    }
    outcome.virtual_seconds = *simulated.lock().unwrap_or_else(|e| e.into_inner());
    outcome.bundles = bundles.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(parts)
}

/// What every scenario's hooks share.
#[derive(Clone)]
struct Hooks {
    options: RunOptions,
    context: Arc<RunContext>,
    bundles: Arc<Mutex<Vec<PathBuf>>>,
    simulated: Arc<Mutex<f64>>,
}

/// Cucumber's options as its own command line would carry them — built here, so nothing is
/// read from the process's arguments.
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

/// One scenario's failure, if it failed.
pub fn failure_of(finished: &event::ScenarioFinished) -> Option<String> {
    match finished {
        event::ScenarioFinished::StepFailed(_, _, e) => Some(super::report::step_error(e)),
        event::ScenarioFinished::BeforeHookFailed(info) => {
            Some(format!("the scenario could not start: {}", super::report::payload(info)))
        }
        event::ScenarioFinished::StepSkipped => Some("a step matched no step of the library".to_string()),
        event::ScenarioFinished::StepPassed => None,
    }
}

async fn run_path(
    path: &Path,
    options: &RunOptions,
    hooks: Hooks,
    bad: &[PathBuf],
    report: Report,
    junit: Option<&Path>,
) -> anyhow::Result<()> {
    let (before, after) = (hooks.clone(), hooks);
    // Compared as canonical paths: cucumber names the files it parsed absolutely.
    let bad: Vec<PathBuf> = bad.iter().map(|p| p.canonicalize().unwrap_or_else(|_| p.clone())).collect();
    let base = ScenarioWorld::cucumber()
        .max_concurrent_scenarios(options.concurrency)
        .before(move |feature, rule, scenario, world| {
            *world = ScenarioWorld::with_run(before.context.clone());
            world.seed = scenario_seed(before.options.seed, &feature.name, &scenario.name);
            if let Some(profile) = chosen("the controllers run profile ", feature, rule, scenario) {
                world.profile = profile;
            }
            // A choice that does not parse is left for its step to report.
            if let Some(Ok(tagging)) = chosen("the controllers tag through ", feature, rule, scenario)
                .map(|t| t.parse::<crate::scenario::params::Tagging>())
            {
                world.tagging = tagging.0;
            }
            world.name = scenario.name.clone();
            world.text = scenario_text(feature, scenario);
            world.started_at = Some(tokio::time::Instant::now());
            Box::pin(async {})
        })
        .after(move |feature, _rule, scenario, finished, world| {
            let hooks = after.clone();
            Box::pin(async move {
                if let Some(started) = world.as_ref().and_then(|w| w.started_at) {
                    *hooks.simulated.lock().unwrap_or_else(|e| e.into_inner()) += started.elapsed().as_secs_f64();
                }
                let failure = failure_of(finished);
                if let (Some(dir), None, Some(started)) =
                    (&hooks.options.record, &failure, world.as_deref().and_then(|w| w.world.as_ref()))
                {
                    let record = super::record::of(started, &scenario.name);
                    if let Err(e) = super::record::write(dir, &super::record::file_name(feature, scenario), &record) {
                        eprintln!("latticelab: the record of {:?} could not be written: {e:#}", scenario.name);
                    }
                }
                if let Some(world) = world.as_deref()
                    && (failure.is_some() || hooks.options.keep_bundles)
                {
                    let outcome = failure.as_deref().unwrap_or("passed");
                    match super::bundle::write(&hooks.options.report, &scenario.name, world, outcome).await {
                        Ok(dir) => hooks.bundles.lock().unwrap_or_else(|e| e.into_inner()).push(dir),
                        Err(e) => {
                            eprintln!("latticelab: the bundle of {:?} could not be written: {e:#}", scenario.name)
                        }
                    }
                }
                if let Some(started) = world.and_then(|w| w.world.as_mut())
                    && let Err(e) = started.release().await
                {
                    eprintln!("latticelab: after {:?}: {e:#}", scenario.name);
                }
            })
        });
    let filter = move |feature: &cucumber::gherkin::Feature,
                       _: Option<&cucumber::gherkin::Rule>,
                       _: &cucumber::gherkin::Scenario| {
        // A file with problems runs none of its scenarios: nothing half-checked.
        !feature.path.as_ref().is_some_and(|p| bad.contains(&p.canonicalize().unwrap_or_else(|_| p.clone())))
    };
    match junit {
        Some(file) => {
            let junit = std::fs::File::create(file).map_err(|e| anyhow::anyhow!("--junit {}: {e}", file.display()))?;
            base.with_writer(report.tee::<ScenarioWorld, _>(writer::JUnit::for_tee(junit, 0)).normalized())
                .with_cli(opts(options)?)
                .filter_run(path, filter)
                .await;
        }
        None => {
            base.with_writer(report.normalized()).with_cli(opts(options)?).filter_run(path, filter).await;
        }
    }
    Ok(())
}
