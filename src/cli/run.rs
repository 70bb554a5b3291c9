//! `latticelab run`: every scenario under `features/` (or the given paths) on embedded
//! clusters and the simulator, on virtual time — or on kind, k3s or kubeconfig clusters on
//! wall-clock time; progress and a summary on the terminal, JUnit XML on request, a failure
//! bundle per failing scenario, non-zero exit on any failed or skipped step. Scenarios that
//! need what only embedded clusters can do are listed as skipped, with the reason, on the
//! other backends.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::backend::{BackendKind, BackendOptions};
use crate::scenario::runner::{AwsOptions, RunOptions, run_blocking};
use crate::world::external::Launch;

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
    /// Where the controllers read and write tags, unless a scenario chooses:
    /// `resource-groups` (the Resource Groups Tagging API, the real controller's default) or
    /// `lattice` (`DISABLE_TAGGING_SERVICE_API=true`).
    #[arg(long, default_value = "resource-groups", value_name = "resource-groups|lattice")]
    tagging: sim_controller::TaggingApi,
    /// Write each passed scenario's conformance record (canonical final Lattice state and
    /// each controller's mutating calls) into this folder, one YAML file per scenario.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Where failure bundles go.
    #[arg(long, default_value = "target/latticelab-report")]
    report: PathBuf,
    /// Keep a bundle of every scenario, passed ones too.
    #[arg(long)]
    keep_bundles: bool,
    /// Seconds the world must stand still before an assertion believes what it reads
    /// (default: 15 on virtual time, 3 on wall-clock time).
    #[arg(long, value_name = "SECONDS")]
    settle: Option<u64>,
    /// Scenarios run at once (always 1 on real backends).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Where the clusters come from.
    #[arg(long, value_enum, default_value_t = BackendKind::Embedded)]
    backend: BackendKind,
    /// kubeconfig backend: the kubeconfig (default: KUBECONFIG, else ~/.kube/config).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// kubeconfig backend: `CLUSTER=CONTEXT`; a cluster without one uses the context named after it.
    #[arg(long = "context", value_parser = cluster_context)]
    contexts: Vec<(String, String)>,
    /// kind backend: a kind configuration with one Cluster document per world cluster
    /// (default: kind-configs/three-clusters.yaml).
    #[arg(long)]
    kind_config: Option<PathBuf>,
    /// Real backends: where kubeconfigs, kind configurations and logs go.
    #[arg(long, default_value = "target/latticelab-backend")]
    backend_state_dir: PathBuf,
    /// Leave kind clusters and k3s containers running afterwards.
    #[arg(long)]
    keep_clusters: bool,
    /// `reference` (in process, the default), `real:PATH` (the real controller's binary, given
    /// its loopback ports as flags) or `external:CMD ARGS…`: a process per cluster with the
    /// real controller's environment, on wall-clock time, its log in the bundle.
    #[arg(long, value_name = "reference|real:PATH|external:CMD", value_parser = controller_choice, default_value = "reference")]
    controller: Controller,
    /// `simulator` (the default) or `aws`: real VPC Lattice through the standard credential
    /// chain and region; needs --allow-aws-writes and AWS_ACCOUNT_ID.
    #[arg(long, value_enum, default_value_t = LatticeChoice::Simulator)]
    lattice: LatticeChoice,
    /// Consent to `--lattice aws` creating resources (tagged latticelab-run-id) and deleting them.
    #[arg(long)]
    allow_aws_writes: bool,
    /// `--lattice aws`: `SCENARIO_VPC=REAL_VPC`, a real VPC for a VPC id the scenarios use.
    #[arg(long = "vpc", value_parser = vpc_mapping)]
    vpcs: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LatticeChoice {
    Simulator,
    Aws,
}

fn vpc_mapping(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, b)) if a.starts_with("vpc-") && b.starts_with("vpc-") => Ok((a.into(), b.into())),
        _ => Err(format!("{s:?} is not SCENARIO_VPC=REAL_VPC (two vpc- ids)")),
    }
}

/// The run's controller: an external one, or none for the reference controller.
#[derive(Clone, Debug)]
struct Controller(Option<Launch>);

fn controller_choice(s: &str) -> Result<Controller, String> {
    match s.trim() {
        "reference" => Ok(Controller(None)),
        other => Launch::parse(other)
            .unwrap_or_else(|| {
                Err(format!("unknown controller {other:?}: expected reference, real:PATH or external:CMD"))
            })
            .map(|launch| Controller(Some(launch))),
    }
}

fn cluster_context(s: &str) -> Result<(String, String), String> {
    let (cluster, context) = s.split_once('=').ok_or_else(|| format!("{s:?} is not CLUSTER=CONTEXT"))?;
    if cluster.is_empty() || context.is_empty() {
        return Err(format!("{s:?} is not CLUSTER=CONTEXT"));
    }
    Ok((cluster.into(), context.into()))
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
        tagging: args.tagging,
        record: args.record,
        junit: args.junit,
        report: args.report,
        keep_bundles: args.keep_bundles,
        settle: args.settle.map(std::time::Duration::from_secs),
        quiet: false,
        concurrency: args.concurrency.max(1),
        backend: args.backend,
        backend_options: BackendOptions {
            kubeconfig: args.kubeconfig,
            contexts: args.contexts,
            kind_config: args.kind_config,
            state_dir: args.backend_state_dir,
            keep: args.keep_clusters,
            serve_embedded: false,
        },
        external_controller: args.controller.0,
        aws: (args.lattice == LatticeChoice::Aws)
            .then(|| AwsOptions { allow_writes: args.allow_aws_writes, vpcs: args.vpcs.into_iter().collect() }),
    };
    let outcome = tokio::task::spawn_blocking(move || run_blocking(options)).await??;
    println!("{}", outcome.summary());
    for b in &outcome.bundles {
        println!("latticelab: bundle {} (replay with `latticelab replay {}`)", b.display(), b.display());
    }
    Ok(if outcome.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
