//! Clusters and clients for the conformance tests.
#![allow(dead_code)] // each test binary uses part of this module

use std::time::Duration;

use sim_kube::{Cluster, ClusterConfig};

pub fn cluster(name: &str) -> Cluster {
    Cluster::new(ClusterConfig::new(name, "vpc-0aaaaaaaaaaaaaaa1", 0)).expect("a cluster starts")
}

/// Real-time waits in these tests are bounded by this.
pub const WITHIN: Duration = Duration::from_secs(10);
