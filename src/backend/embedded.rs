//! In-process sim-kube clusters: a fresh one per world, on the world's clock, with every
//! power (virtual time, cluster faults).

use anyhow::Context as _;
use sim_core::Clock;
use sim_kube::{Cluster, ClusterConfig};

use super::{BackendCluster, BackendKind, ClusterBackend, Power};
use crate::world::ClusterSpec;

pub struct Embedded;

#[async_trait::async_trait]
impl ClusterBackend for Embedded {
    fn kind(&self) -> BackendKind {
        BackendKind::Embedded
    }

    fn powers(&self) -> Vec<Power> {
        Power::ALL.to_vec()
    }

    async fn cluster(&self, spec: &ClusterSpec, index: usize, seed: u64) -> anyhow::Result<BackendCluster> {
        let mut cc = ClusterConfig::new(&spec.name, &spec.vpc_id, index as u8);
        cc.clock = Clock::tokio();
        cc.seed = seed.wrapping_mul(31).wrapping_add(index as u64 + 1);
        let cluster = Cluster::new(cc).map_err(anyhow::Error::msg).with_context(|| format!("cluster {}", spec.name))?;
        Ok(BackendCluster { client: cluster.client(), embedded: Some(cluster), kubeconfig: None })
    }
}
