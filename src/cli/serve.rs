//! `latticelab serve`: the simulator on a loopback port, its endpoint and credentials in
//! `STATE_DIR/lattice.env`, `ready` on stdout once it answers, a clean stop on Ctrl-C or
//! SIGTERM.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sim_core::Clock;
use sim_lattice::server::Server;
use sim_lattice::sim::Credential;
use sim_lattice::state::{DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use sim_lattice::{Simulator, SimulatorOptions};

/// The dummy credentials written to `lattice.env`; the simulator accepts any signature
/// unless `--verify-signatures` is given.
pub const ACCESS_KEY_ID: &str = "AKIDLATTICELAB";
pub const SECRET_ACCESS_KEY: &str = "latticelab-secret-access-key";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write lattice.env (created if missing).
    #[arg(long)]
    state_dir: PathBuf,
    /// Loopback port for the Lattice endpoint (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Seed for ids and fault probabilities.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value = DEFAULT_ACCOUNT_ID)]
    account_id: String,
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,
    /// Check SigV4 signatures against the credentials in lattice.env (403 otherwise).
    #[arg(long)]
    verify_signatures: bool,
}

pub async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    let mut options = SimulatorOptions {
        seed: args.seed,
        clock: Clock::wall(),
        default_account: args.account_id.clone(),
        default_region: args.region.clone(),
        verify_signatures: args.verify_signatures,
        ..SimulatorOptions::default()
    };
    options.credentials.insert(
        ACCESS_KEY_ID.into(),
        Credential { secret_access_key: SECRET_ACCESS_KEY.into(), account_id: args.account_id.clone() },
    );
    let server = Server::bind(SocketAddr::new(args.bind, args.port), Simulator::new(options))
        .await
        .with_context(|| format!("cannot bind {}:{}", args.bind, args.port))?;
    let addr = server.local_addr()?;

    std::fs::create_dir_all(&args.state_dir).with_context(|| format!("cannot create {}", args.state_dir.display()))?;
    let env_file = args.state_dir.join("lattice.env");
    let env = format!(
        "LATTICE_ENDPOINT=http://{addr}\nREGION={region}\nAWS_REGION={region}\nAWS_ACCOUNT_ID={account}\n\
         AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}\n",
        region = args.region,
        account = args.account_id,
    );
    std::fs::write(&env_file, env).with_context(|| format!("cannot write {}", env_file.display()))?;

    let running = tokio::spawn(server.run(shutdown_signal()));
    println!("ready");
    eprintln!("latticelab: Lattice endpoint http://{addr} (environment in {})", env_file.display());
    running.await.context("server task failed")?.context("server failed")?;
    eprintln!("latticelab: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
