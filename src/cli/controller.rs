//! `latticelab controller`: the reference controller as a process, interchangeable with the
//! real one — a kubeconfig for the cluster, the real controller's environment for the rest,
//! and its two listeners on request (`/metrics`; `/healthz` and `/readyz`).

use std::net::SocketAddr;
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
    /// Serve `/metrics` on this address, as the real controller's flag of the same name does
    /// (default: no metrics listener).
    #[arg(long, value_name = "ADDR")]
    metrics_bind_address: Option<SocketAddr>,
    /// Serve `/healthz` and `/readyz` (200 once every reconciler runs) on this address, as
    /// the real controller's flag of the same name does (default: no probe listener).
    #[arg(long, value_name = "ADDR")]
    health_probe_bind_address: Option<SocketAddr>,
}

/// Binds both listeners first, so that a taken address fails the start, as it does the real
/// controller's manager.
async fn listeners(args: &Args) -> anyhow::Result<Vec<(&'static str, tokio::net::TcpListener)>> {
    let mut bound = Vec::new();
    for (what, addr) in [("metrics", args.metrics_bind_address), ("health probe", args.health_probe_bind_address)] {
        if let Some(addr) = addr {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot bind the {what} address {addr}"))?;
            eprintln!("latticelab: {what} listener on {addr}");
            bound.push((what, listener));
        }
    }
    Ok(bound)
}

/// Serves the probes and a metrics page; `/readyz` answers 503 until `ready` is set.
fn serve_probes(listener: tokio::net::TcpListener, ready: tokio::sync::watch::Receiver<bool>) {
    use axum::http::StatusCode;
    let readyz = move || {
        let ready = *ready.borrow();
        async move { if ready { (StatusCode::OK, "ok") } else { (StatusCode::SERVICE_UNAVAILABLE, "starting") } }
    };
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .route(
            "/metrics",
            axum::routing::get(|| async { "# latticelab reference controller\nlatticelab_controller_up 1\n" }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
}

pub async fn controller(args: Args) -> anyhow::Result<ExitCode> {
    let (ready, ready_rx) = tokio::sync::watch::channel(false);
    for (_, listener) in listeners(&args).await? {
        serve_probes(listener, ready_rx.clone());
    }
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
    let clients = sim_controller::sdk::clients(&config, aws_smithy_http_client::Builder::new().build_http());
    eprintln!(
        "latticelab: controller for cluster {} ({}) → Lattice {}, tags through {}",
        config.cluster_name,
        config.cluster_vpc_id,
        config.lattice_endpoint.as_deref().unwrap_or("(default endpoint)"),
        match config.tagging {
            sim_controller::TaggingApi::ResourceGroups =>
                format!("the Tagging API at {}", config.tagging_endpoint.as_deref().unwrap_or("(default endpoint)")),
            sim_controller::TaggingApi::Lattice => "Lattice".to_string(),
        }
    );
    let running = sim_controller::start(kube, clients, config).await;
    let shutdown = super::serve::shutdown_signal();
    ready.send_replace(true);
    println!("ready");
    shutdown.await;
    drop(running);
    eprintln!("latticelab: controller stopped");
    Ok(ExitCode::SUCCESS)
}
