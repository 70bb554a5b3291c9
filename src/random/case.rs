//! A random case: 2–5 clusters (several may share a VPC), a fault plan, and up to 23
//! operations on two services — their Services and endpoints, exports, one importing route
//! per cluster, watch drops, time passing. The convergence property draws cases through
//! proptest (and shrinks them); `latticelab diff` draws case `n` of a seed with the same
//! strategy (docs/differential.md).

use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

/// The two services every case works on.
pub const SERVICES: [&str; 2] = ["svc-0", "svc-1"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "op")]
pub enum Op {
    /// Create or change a Service and its one EndpointSlice (endpoint churn).
    PutService {
        cluster: usize,
        service: usize,
        endpoints: Vec<u8>,
    },
    DeleteService {
        cluster: usize,
        service: usize,
    },
    PutExport {
        cluster: usize,
        service: usize,
    },
    DeleteExport {
        cluster: usize,
        service: usize,
    },
    /// The cluster's route imports `service`, optionally from one cluster only.
    PutRoute {
        cluster: usize,
        service: usize,
        from: Option<usize>,
        weight: i32,
    },
    DeleteRoute {
        cluster: usize,
    },
    DropWatches {
        cluster: usize,
    },
    Pass {
        secs: u64,
    },
}

/// Fault rates on both APIs while the operations run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    pub throttling: f64,
    pub internal_errors: f64,
    /// Lists hide resources younger than this many seconds.
    pub eventual_consistency: Option<u64>,
    pub kube_conflicts: f64,
    pub kube_errors: f64,
}

impl Faults {
    pub const NONE: Faults = Faults {
        throttling: 0.0,
        internal_errors: 0.0,
        eventual_consistency: None,
        kube_conflicts: 0.0,
        kube_errors: 0.0,
    };
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    pub seed: u64,
    /// VPC index per cluster (clusters may share a VPC).
    pub vpcs: Vec<usize>,
    pub faults: Faults,
    pub ops: Vec<Op>,
}

pub fn cluster_name(i: usize) -> String {
    format!("c{i}")
}

pub fn route_name(cluster: usize) -> String {
    format!("route-c{cluster}")
}

pub fn op(clusters: usize) -> impl Strategy<Value = Op> {
    let c = 0..clusters;
    let s = 0..SERVICES.len();
    prop_oneof![
        4 => (c.clone(), s.clone(), prop::collection::vec(1..6u8, 0..3))
            .prop_map(|(cluster, service, endpoints)| Op::PutService { cluster, service, endpoints }),
        1 => (c.clone(), s.clone()).prop_map(|(cluster, service)| Op::DeleteService { cluster, service }),
        4 => (c.clone(), s.clone()).prop_map(|(cluster, service)| Op::PutExport { cluster, service }),
        1 => (c.clone(), s.clone()).prop_map(|(cluster, service)| Op::DeleteExport { cluster, service }),
        3 => (c.clone(), s, proptest::option::of(0..clusters), 1..100i32)
            .prop_map(|(cluster, service, from, weight)| Op::PutRoute { cluster, service, from, weight }),
        1 => c.clone().prop_map(|cluster| Op::DeleteRoute { cluster }),
        1 => c.prop_map(|cluster| Op::DropWatches { cluster }),
        2 => (1..40u64).prop_map(|secs| Op::Pass { secs }),
    ]
}

pub fn faults() -> impl Strategy<Value = Faults> {
    let rate = prop_oneof![Just(0.0), Just(0.05), Just(0.2)];
    (rate.clone(), rate.clone(), proptest::option::of(prop_oneof![Just(5u64), Just(20)]), rate.clone(), rate).prop_map(
        |(throttling, internal_errors, eventual_consistency, kube_conflicts, kube_errors)| Faults {
            throttling,
            internal_errors,
            eventual_consistency,
            kube_conflicts,
            kube_errors,
        },
    )
}

pub fn case() -> impl Strategy<Value = Case> {
    (2..=5usize).prop_flat_map(|n| {
        (any::<u64>(), prop::collection::vec(0..n, n), faults(), prop::collection::vec(op(n), 1..24))
            .prop_map(|(seed, vpcs, faults, ops)| Case { seed, vpcs, faults, ops })
    })
}

impl Case {
    /// Case `index` of `seed`: the strategy's value from a ChaCha stream seeded by both alone,
    /// so the same pair draws the same case on every machine and release of latticelab that
    /// keeps the strategy.
    pub fn draw(seed: u64, index: u64) -> Case {
        let mut bytes = [0u8; 32];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let word = sim_core::rng::fork_seed(seed, &format!("case/{index}/{i}"));
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        // The strategy has no filter, so drawing a value cannot be rejected.
        case().new_tree(&mut runner).expect("the case strategy draws without rejection").current()
    }

    pub fn cluster_names(&self) -> Vec<String> {
        (0..self.vpcs.len()).map(cluster_name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_and_an_index_draw_one_case() {
        assert_eq!(Case::draw(7, 3), Case::draw(7, 3));
        assert_ne!(Case::draw(7, 3), Case::draw(7, 4));
        assert_ne!(Case::draw(7, 3), Case::draw(8, 3));
    }

    #[test]
    fn a_drawn_case_stays_in_its_world() {
        for index in 0..50 {
            let case = Case::draw(0, index);
            let n = case.vpcs.len();
            assert!((2..=5).contains(&n), "{n} clusters");
            assert!(case.vpcs.iter().all(|v| *v < n));
            assert!((1..24).contains(&case.ops.len()));
            for op in &case.ops {
                let cluster = match op {
                    Op::PutService { cluster, .. }
                    | Op::DeleteService { cluster, .. }
                    | Op::PutExport { cluster, .. }
                    | Op::DeleteExport { cluster, .. }
                    | Op::PutRoute { cluster, .. }
                    | Op::DeleteRoute { cluster }
                    | Op::DropWatches { cluster } => *cluster,
                    Op::Pass { .. } => 0,
                };
                assert!(cluster < n, "{op:?} in a world of {n}");
            }
        }
    }

    #[test]
    fn a_case_reads_back_from_yaml() {
        let case = Case::draw(1, 1);
        let text = serde_yaml_ng::to_string(&case).unwrap();
        assert_eq!(serde_yaml_ng::from_str::<Case>(&text).unwrap(), case);
    }
}
