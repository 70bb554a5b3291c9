//! `latticelab controller`: the reference controller as a process, interchangeable with the
//! real one — a kubeconfig for the cluster, the real controller's environment for the rest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kube::config::{KubeConfigOptions, Kubeconfig};
use sim_controller::{ControllerConfig, Quirks};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The kubeconfig (default: `KUBECONFIG`, else `~/.kube/config`).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// The context to use (default: the kubeconfig's current context).
    #[arg(long)]
    context: Option<String>,
    /// Behaviour profile: `v2.1.3` (default) or `fixed`; overrides LATTICELAB_CONTROLLER_PROFILE.
    #[arg(long)]
    profile: Option<String>,
}

pub async fn controller(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = ControllerConfig::from_env().map_err(anyhow::Error::msg)?;
    if let Some(profile) = &args.profile {
        config.quirks = Quirks::profile(profile).map_err(anyhow::Error::msg)?;
    }
    let options = KubeConfigOptions { context: args.context.clone(), ..KubeConfigOptions::default() };
    let kube_config = match &args.kubeconfig {
        Some(path) => {
            let kubeconfig =
                Kubeconfig::read_from(path).with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options).await.context("kubeconfig")?
        }
        None => kube::Config::from_kubeconfig(&options).await.context("kubeconfig (KUBECONFIG or ~/.kube/config)")?,
    };
    let kube = kube::Client::try_from(kube_config).context("kube client")?;
    let lattice = aws_sdk_vpclattice::Client::from_conf(
        sim_controller::sdk::lattice_config(&config)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    eprintln!(
        "latticelab: controller for cluster {} ({}) → Lattice {}",
        config.cluster_name,
        config.cluster_vpc_id,
        config.lattice_endpoint.as_deref().unwrap_or("(default endpoint)")
    );
    let running = sim_controller::start(kube, lattice, config).await;
    println!("ready");
    super::serve::shutdown_signal().await;
    drop(running);
    eprintln!("latticelab: controller stopped");
    Ok(ExitCode::SUCCESS)
}
