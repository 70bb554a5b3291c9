//! In-process sim-kube clusters: a fresh one per world, on the world's clock, with every
//! power (virtual time, cluster faults). For an external controller each is also served on
//! a loopback HTTPS port with a kubeconfig of its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use sim_kube::kubeconfig::Endpoint;
use sim_kube::{Cluster, ClusterConfig};

use super::{BackendCluster, BackendKind, ClusterBackend, Power};
use crate::world::ClusterSpec;

#[derive(Clone, Debug, Default)]
pub struct Embedded {
    /// Serve every cluster on loopback and write its kubeconfig under this directory.
    pub serve_in: Option<PathBuf>,
}

#[async_trait::async_trait]
impl ClusterBackend for Embedded {
    fn kind(&self) -> BackendKind {
        BackendKind::Embedded
    }

    fn powers(&self) -> Vec<Power> {
        Power::ALL.to_vec()
    }

    async fn cluster(
        &self,
        spec: &ClusterSpec,
        index: usize,
        seed: u64,
        clock: &sim_core::Clock,
    ) -> anyhow::Result<BackendCluster> {
        let mut cc = ClusterConfig::new(&spec.name, &spec.vpc_id, index as u8);
        // The world's own clock, so that the times the cluster records compare with
        // Lattice's (`World::still_for`).
        cc.clock = clock.clone();
        cc.seed = seed;
        let cluster = Cluster::new(cc).map_err(anyhow::Error::msg).with_context(|| format!("cluster {}", spec.name))?;
        let (mut kubeconfig, mut keep_alive) = (None, None);
        if let Some(dir) = &self.serve_in {
            let listener = sim_kube::server::serve_https(&cluster, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .with_context(|| format!("serving cluster {}", spec.name))?;
            let endpoint = Endpoint::served(&spec.name, &cluster, &listener).map_err(anyhow::Error::msg)?;
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            // One file per served cluster: worlds of concurrent scenarios do not share one.
            let file = dir.join(format!("kubeconfig-{}-{}", spec.name, listener.addr.port()));
            std::fs::write(&file, sim_kube::kubeconfig::render(std::slice::from_ref(&endpoint)))
                .with_context(|| format!("writing {}", file.display()))?;
            kubeconfig = Some(file);
            keep_alive = Some(Box::new(listener) as Box<dyn std::any::Any + Send + Sync>);
        }
        Ok(BackendCluster { client: cluster.client(), embedded: Some(cluster), kubeconfig, keep_alive })
    }
}
