//! `latticelab serve`: the Lattice simulator and the simulated clusters on loopback. The
//! Lattice endpoint and credentials go to `STATE_DIR/lattice.env`, one kubeconfig context per
//! cluster (named after it) to `STATE_DIR/kubeconfig`, and `ready` to stdout once everything
//! answers; Ctrl-C or SIGTERM stops it cleanly.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sim_core::Clock;
use sim_kube::kubeconfig::Endpoint;
use sim_kube::server::serve_https;
use sim_kube::{Cluster, ClusterConfig};
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
    /// A simulated cluster, `NAME` or `NAME:VPC_ID`; repeat for more. Default: `cluster-a`
    /// and `cluster-b`, each in its own VPC.
    #[arg(long = "cluster", value_name = "NAME[:VPC_ID]")]
    clusters: Vec<String>,
    /// Do not run the reference controller in each cluster (run `latticelab controller`, or the
    /// real controller, against the kubeconfig instead).
    #[arg(long)]
    no_controller: bool,
    /// The reference controllers' behaviour profile: `v2.1.3` or `fixed`.
    #[arg(long, default_value = "v2.1.3")]
    controller_profile: String,
    /// Which Gateway API CRDs the clusters serve: `standard` or `experimental` (adds the
    /// experimental fields, TCPRoute, UDPRoute, and TLSRoute v1alpha2/v1alpha3).
    #[arg(long, default_value = "standard")]
    gateway_api_channel: latticelab_crds::Channel,
}

/// A cluster as `--cluster` names it.
#[derive(Clone, Debug, PartialEq)]
struct ClusterSpec {
    name: String,
    vpc_id: String,
}

fn parse_clusters(specs: &[String]) -> anyhow::Result<Vec<ClusterSpec>> {
    let specs: Vec<String> =
        if specs.is_empty() { vec!["cluster-a".into(), "cluster-b".into()] } else { specs.to_vec() };
    let mut out: Vec<ClusterSpec> = Vec::new();
    for spec in specs {
        let (name, vpc_id) = match spec.split_once(':') {
            Some((name, vpc)) => (name.to_string(), vpc.to_string()),
            None => (spec.clone(), default_vpc_id(&spec)),
        };
        if !sim_kube::meta::dns_label_errors(&name).is_empty() {
            anyhow::bail!("--cluster {spec}: the name must be a DNS label (lowercase letters, digits and '-')");
        }
        if !vpc_id.starts_with("vpc-") || vpc_id.len() < 8 {
            anyhow::bail!("--cluster {spec}: the VPC id must look like vpc-0123456789abcdef0");
        }
        if out.iter().any(|c| c.name == name) {
            anyhow::bail!("--cluster {name} is given twice");
        }
        out.push(ClusterSpec { name, vpc_id });
    }
    Ok(out)
}

/// A stable, well-formed VPC id for a cluster name (`vpc-` and 17 hex digits).
pub fn default_vpc_id(cluster: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(cluster.as_bytes());
    format!("vpc-0{}", &hex::encode(digest)[..16])
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
    let quirks = sim_controller::Quirks::profile(&args.controller_profile).map_err(anyhow::Error::msg)?;
    let sim = Simulator::new(options);
    let server = Server::bind(SocketAddr::new(args.bind, args.port), sim.clone())
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

    let clusters = parse_clusters(&args.clusters)?;
    let mut listeners = Vec::new();
    let mut endpoints = Vec::new();
    for (index, spec) in clusters.iter().enumerate() {
        let mut config = ClusterConfig::new(&spec.name, &spec.vpc_id, index as u8);
        config.clock = Clock::wall();
        config.seed = args.seed.wrapping_add(index as u64 + 1);
        config.gateway_api_channel = args.gateway_api_channel;
        let cluster =
            Cluster::new(config).map_err(anyhow::Error::msg).with_context(|| format!("cluster {}", spec.name))?;
        let listener = serve_https(&cluster, SocketAddr::new(args.bind, 0))
            .await
            .with_context(|| format!("cannot serve cluster {}", spec.name))?;
        endpoints.push(Endpoint {
            name: spec.name.clone(),
            server: listener.url(),
            ca_pem: Some(cluster.ca_pem().map_err(anyhow::Error::msg)?),
            token: cluster.token().to_string(),
            namespace: "default".into(),
        });
        eprintln!("latticelab: cluster {} ({}) at {}", spec.name, spec.vpc_id, listener.url());
        let controller = if args.no_controller {
            None
        } else {
            let mut cc =
                sim_controller::ControllerConfig::new(&spec.name, &spec.vpc_id, &args.account_id, &args.region);
            cc.quirks = quirks.clone();
            cc.seed = Some(args.seed.wrapping_add(1000 + index as u64));
            let lattice = crate::world::lattice_client(&sim, &cc);
            Some(sim_controller::start(cluster.client(), lattice, cc).await)
        };
        listeners.push((cluster, listener, controller));
    }
    let kubeconfig = args.state_dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim_kube::kubeconfig::render(&endpoints))
        .with_context(|| format!("cannot write {}", kubeconfig.display()))?;

    let running = tokio::spawn(server.run(shutdown_signal()));
    println!("ready");
    eprintln!("latticelab: Lattice endpoint http://{addr} (environment in {})", env_file.display());
    eprintln!(
        "latticelab: kubeconfig {} (contexts: {})",
        kubeconfig.display(),
        clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    running.await.context("server task failed")?.context("server failed")?;
    drop(listeners);
    eprintln!("latticelab: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_flags() {
        let default = parse_clusters(&[]).unwrap();
        assert_eq!(default.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["cluster-a", "cluster-b"]);
        assert_ne!(default[0].vpc_id, default[1].vpc_id);
        assert_eq!(default[0].vpc_id.len(), 21);
        let given = parse_clusters(&["east:vpc-0123456789abcdef0".into()]).unwrap();
        assert_eq!(given, [ClusterSpec { name: "east".into(), vpc_id: "vpc-0123456789abcdef0".into() }]);
        assert!(parse_clusters(&["Bad_Name".into()]).is_err());
        assert!(parse_clusters(&["a:subnet-1".into()]).is_err());
        assert!(parse_clusters(&["a".into(), "a".into()]).is_err());
    }
}
