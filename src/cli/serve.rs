//! `latticelab serve`: the Lattice simulator and the simulated clusters on loopback. The
//! Lattice endpoint and credentials go to `STATE_DIR/lattice.env`, one kubeconfig context per
//! cluster (named after it) to `STATE_DIR/kubeconfig`, and `ready` to stdout once everything
//! answers — external controllers with a readiness endpoint included; a controller that exits
//! is reported on stderr at once. Ctrl-C or SIGTERM stops it cleanly.

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
pub use crate::world::external::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use crate::world::external::{ControllerEnv, ExternalProcess, Launch, Ports, READY_WITHIN};

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
    /// Serve cluster i on port BASE+i (0 picks free ports), for example to publish a
    /// container's ports.
    #[arg(long, value_name = "BASE", default_value_t = 0)]
    cluster_port_base: u16,
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
    /// real controller, against the kubeconfig instead); the same as `--controller none`.
    #[arg(long)]
    no_controller: bool,
    /// The controller of each cluster: `reference` (in-process, the default), `none`,
    /// `real:PATH` (the real controller's binary, given its loopback ports as flags) or
    /// `external:CMD ARGS…`, started once per cluster with the real controller's environment.
    #[arg(long, value_name = "reference|none|real:PATH|external:CMD")]
    controller: Option<ControllerChoice>,
    /// Create this service network at start and associate it with every cluster's VPC.
    #[arg(long, value_name = "NAME")]
    service_network: Option<String>,
    /// A topology file (YAML: `clusters`, `serviceNetwork`, `controller`,
    /// `controllerProfile`, `tagging`); flags given as well take precedence.
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// The reference controllers' behaviour profile: `v2.1.3` (default) or `fixed`.
    #[arg(long)]
    controller_profile: Option<String>,
    /// Where every controller reads and writes tags: `resource-groups` (the Resource Groups
    /// Tagging API on the simulator's endpoint; the real controller's default) or `lattice`
    /// (`DISABLE_TAGGING_SERVICE_API=true`).
    #[arg(long, value_name = "resource-groups|lattice")]
    tagging: Option<sim_controller::TaggingApi>,
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

/// Which controller runs in each cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum ControllerChoice {
    Reference,
    None,
    /// A process per cluster.
    External(Launch),
}

impl std::str::FromStr for ControllerChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reference" => Ok(Self::Reference),
            "none" => Ok(Self::None),
            other => Launch::parse(other)
                .unwrap_or_else(|| {
                    Err(format!("unknown controller {other:?}: expected reference, none, real:PATH or external:CMD"))
                })
                .map(Self::External),
        }
    }
}

impl<'de> serde::Deserialize<'de> for ControllerChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A topology file: the flags `--cluster`, `--service-network`, `--controller`,
/// `--controller-profile` and `--tagging` as YAML.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Topology {
    #[serde(default)]
    clusters: Vec<TopologyCluster>,
    service_network: Option<String>,
    controller: Option<ControllerChoice>,
    controller_profile: Option<String>,
    tagging: Option<sim_controller::TaggingApi>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TopologyCluster {
    name: String,
    vpc: Option<String>,
}

impl Topology {
    /// Reads a topology file; a mistake is reported with its file, line and column.
    pub fn read(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_yaml_ng::from_str(&text).map_err(|e| match e.location() {
            Some(at) => anyhow::anyhow!("{}:{}:{}: {e}", path.display(), at.line(), at.column()),
            None => anyhow::anyhow!("{}: {e}", path.display()),
        })
    }

    /// The `--cluster` values it stands for.
    fn cluster_flags(&self) -> Vec<String> {
        self.clusters.iter().map(|c| c.vpc.as_ref().map_or(c.name.clone(), |v| format!("{}:{v}", c.name))).collect()
    }
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
    let topology = match &args.topology {
        Some(path) => Topology::read(path)?,
        None => Topology::default(),
    };
    let cluster_flags = if args.clusters.is_empty() { topology.cluster_flags() } else { args.clusters.clone() };
    let clusters = parse_clusters(&cluster_flags)?;
    let controller = match (args.no_controller, &args.controller) {
        (true, Some(c)) if *c != ControllerChoice::None => anyhow::bail!("--no-controller contradicts --controller"),
        (true, _) => ControllerChoice::None,
        (false, Some(c)) => c.clone(),
        (false, None) => topology.controller.clone().unwrap_or(ControllerChoice::Reference),
    };
    let profile = args.controller_profile.clone().or(topology.controller_profile.clone()).unwrap_or("v2.1.3".into());
    let quirks = sim_controller::Quirks::profile(&profile).map_err(anyhow::Error::msg)?;
    let service_network = args.service_network.clone().or(topology.service_network.clone());
    let tagging = args.tagging.or(topology.tagging).unwrap_or_default();

    let mut options = SimulatorOptions {
        seed: args.seed,
        clock: Clock::wall(),
        default_account: args.account_id.clone(),
        default_region: args.region.clone(),
        verify_signatures: args.verify_signatures,
        ..SimulatorOptions::default()
    };
    // The key of lattice.env, and the key each cluster's controller and the harness sign with.
    let keys = clusters.iter().map(|c| crate::world::access_key_of(&c.name));
    for key in [ACCESS_KEY_ID.to_string(), crate::world::HARNESS_ACCESS_KEY.to_string()].into_iter().chain(keys) {
        options.credentials.insert(
            key,
            Credential { secret_access_key: SECRET_ACCESS_KEY.into(), account_id: args.account_id.clone() },
        );
    }
    let sim = Simulator::new(options);
    let server = Server::bind(SocketAddr::new(args.bind, args.port), sim.clone())
        .await
        .with_context(|| format!("cannot bind {}:{}", args.bind, args.port))?;
    let addr = server.local_addr()?;
    let lattice_endpoint = format!("http://{addr}");

    std::fs::create_dir_all(&args.state_dir).with_context(|| format!("cannot create {}", args.state_dir.display()))?;
    let env_file = args.state_dir.join("lattice.env");
    let env = format!(
        "LATTICE_ENDPOINT={lattice_endpoint}\nAWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API={lattice_endpoint}\nREGION={region}\nAWS_REGION={region}\nAWS_DEFAULT_REGION={region}\nAWS_ACCOUNT_ID={account}\n\
         AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}\n",
        region = args.region,
        account = args.account_id,
    );
    std::fs::write(&env_file, env).with_context(|| format!("cannot write {}", env_file.display()))?;

    if let Some(name) = &service_network {
        let mut vpcs: Vec<&str> = clusters.iter().map(|c| c.vpc_id.as_str()).collect();
        vpcs.sort();
        vpcs.dedup();
        create_service_network(&sim, &args.account_id, &args.region, name, &vpcs).await?;
        eprintln!("latticelab: service network {name} associated with {}", vpcs.join(", "));
    }

    let mut ports = match &controller {
        ControllerChoice::External(_) => Ports::free(clusters.len())?,
        _ => Vec::new(),
    }
    .into_iter();
    let mut listeners = Vec::new();
    let mut endpoints = Vec::new();
    for (index, spec) in clusters.iter().enumerate() {
        let mut config = ClusterConfig::new(&spec.name, &spec.vpc_id, index as u8);
        config.clock = Clock::wall();
        config.seed = args.seed.wrapping_add(index as u64 + 1);
        config.gateway_api_channel = args.gateway_api_channel;
        let cluster =
            Cluster::new(config).map_err(anyhow::Error::msg).with_context(|| format!("cluster {}", spec.name))?;
        let port = if args.cluster_port_base == 0 {
            0
        } else {
            args.cluster_port_base.checked_add(index as u16).context("--cluster-port-base: past port 65535")?
        };
        let listener = serve_https(&cluster, SocketAddr::new(args.bind, port))
            .await
            .with_context(|| format!("cannot serve cluster {}", spec.name))?;
        let endpoint = Endpoint::served(&spec.name, &cluster, &listener).map_err(anyhow::Error::msg)?;
        // One kubeconfig per cluster too, its context current: what a controller reads.
        let own = args.state_dir.join(format!("kubeconfig-{}", spec.name));
        std::fs::write(&own, sim_kube::kubeconfig::render(std::slice::from_ref(&endpoint)))
            .with_context(|| format!("cannot write {}", own.display()))?;
        endpoints.push(endpoint);
        eprintln!("latticelab: cluster {} ({}) at {}", spec.name, spec.vpc_id, listener.url());
        let (mut reference, mut external) = (None, None);
        match &controller {
            ControllerChoice::None => {}
            ControllerChoice::Reference => {
                let mut cc =
                    sim_controller::ControllerConfig::new(&spec.name, &spec.vpc_id, &args.account_id, &args.region);
                cc.quirks = quirks.clone();
                cc.tagging = tagging;
                cc.seed = Some(args.seed.wrapping_add(1000 + index as u64));
                let clients = crate::world::aws_clients(&sim, &cc, &crate::world::access_key_of(&spec.name));
                reference = Some(sim_controller::start(cluster.client(), clients, cc).await);
            }
            ControllerChoice::External(launch) => {
                let env = ControllerEnv {
                    kubeconfig: own.clone(),
                    cluster_name: spec.name.clone(),
                    vpc_id: spec.vpc_id.clone(),
                    account_id: args.account_id.clone(),
                    region: args.region.clone(),
                    lattice_endpoint: lattice_endpoint.clone(),
                    tagging,
                    ports: ports.next().context("a pair of ports per cluster")?,
                    home: args.state_dir.join(format!("home-{}", spec.name)),
                };
                let log = args.state_dir.join(format!("controller-{}.log", spec.name));
                let process = ExternalProcess::spawn(launch, &env, &log)?;
                eprintln!(
                    "latticelab: controller of {}: {launch}, metrics {}, health {}, log {}",
                    spec.name,
                    env.ports.metrics,
                    env.ports.health,
                    log.display()
                );
                external = Some(process);
            }
        }
        listeners.push((cluster, listener, reference, external));
    }
    let kubeconfig = args.state_dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim_kube::kubeconfig::render(&endpoints))
        .with_context(|| format!("cannot write {}", kubeconfig.display()))?;

    let processes: Vec<&ExternalProcess> = listeners.iter().filter_map(|l| l.3.as_ref()).collect();
    // Not ready while any controller is not; the first that exits (or times out) ends it.
    if let Err(problem) = futures::future::try_join_all(processes.iter().map(|p| p.ready(READY_WITHIN))).await {
        eprintln!("latticelab: {problem:#}");
        for process in &processes {
            process.stop().await;
        }
        return Ok(ExitCode::FAILURE);
    }

    let mut running = tokio::spawn(server.run(shutdown_signal()));
    println!("ready");
    eprintln!("latticelab: Lattice endpoint {lattice_endpoint} (environment in {})", env_file.display());
    eprintln!(
        "latticelab: kubeconfig {} (contexts: {})",
        kubeconfig.display(),
        clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    // A controller that exits while serving is reported at once; serving goes on.
    let mut exits: futures::stream::FuturesUnordered<_> = processes.iter().map(|p| p.exit()).collect();
    let served = loop {
        tokio::select! {
            served = &mut running => break served,
            Some(report) = futures::StreamExt::next(&mut exits) => eprintln!("latticelab: {report}"),
        }
    };
    drop(exits);
    served.context("server task failed")?.context("server failed")?;
    for process in &processes {
        process.stop().await;
    }
    drop(processes);
    drop(listeners);
    eprintln!("latticelab: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Creates service network `name` and associates it with `vpcs`, through the SDK in-process.
async fn create_service_network(
    sim: &Simulator,
    account: &str,
    region: &str,
    name: &str,
    vpcs: &[&str],
) -> anyhow::Result<()> {
    let cc = sim_controller::ControllerConfig::new("latticelab-serve", "vpc-0000000000000000", account, region);
    let lattice = crate::world::lattice_client(sim, &cc, crate::world::HARNESS_ACCESS_KEY);
    let sn = lattice.create_service_network().name(name).send().await.context("CreateServiceNetwork")?;
    for vpc in vpcs {
        lattice
            .create_service_network_vpc_association()
            .service_network_identifier(sn.id().unwrap_or_default())
            .vpc_identifier(*vpc)
            .send()
            .await
            .with_context(|| format!("CreateServiceNetworkVpcAssociation for {vpc}"))?;
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: a SIGTERM right after `ready` must stop the process cleanly,
/// not kill it.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
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
