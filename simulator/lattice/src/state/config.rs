//! What a simulator may be told: its account and region, lifecycle delays, target health
//! timing and quotas. Behaviour as data: tests change values, not code paths.

use serde::{Deserialize, Serialize};

/// Default account of callers the access-key map does not know.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
pub const DEFAULT_REGION: &str = "us-west-2";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    pub lifecycle: Lifecycle,
    pub target_health: TargetHealth,
    pub quotas: Quotas,
    /// Page size of List operations called without `maxResults` (not in the model; moto uses 50).
    pub default_page_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lifecycle: Lifecycle::default(),
            target_health: TargetHealth::default(),
            quotas: Quotas::default(),
            default_page_size: 50,
        }
    }
}

/// How long resources stay `CREATE_IN_PROGRESS` and `DELETE_IN_PROGRESS` (lattice-api.md §8).
/// Zero (the default) makes the transition immediate: creates answer `ACTIVE` and deletes
/// are gone at once.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Lifecycle {
    pub create_delay_ms: u64,
    pub delete_delay_ms: u64,
    /// Target groups' own delays, when they differ from every other kind's.
    pub target_group_create_delay_ms: Option<u64>,
    pub target_group_delete_delay_ms: Option<u64>,
}

impl Lifecycle {
    pub fn target_group_create_ms(&self) -> u64 {
        self.target_group_create_delay_ms.unwrap_or(self.create_delay_ms)
    }

    pub fn target_group_delete_ms(&self) -> u64 {
        self.target_group_delete_delay_ms.unwrap_or(self.delete_delay_ms)
    }
}

/// Target status timing (lattice-api.md §8).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetHealth {
    /// How long a target in use stays `INITIAL`. `None`: the health check's interval times
    /// its healthy threshold, as the real service would need.
    pub initial_ms: Option<u64>,
    /// How long a deregistered target of a target group in use stays `DRAINING`
    /// (the model's documented default: one minute).
    pub draining_ms: u64,
    /// Target ids that fail their health checks (`UNHEALTHY`).
    pub unhealthy_ids: Vec<String>,
}

impl Default for TargetHealth {
    fn default() -> Self {
        Self { initial_ms: None, draining_ms: 60_000, unhealthy_ids: Vec::new() }
    }
}

/// Quotas per account and region (lattice-api.md §10).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Quotas {
    pub service_networks: usize,
    pub services: usize,
    pub target_groups: usize,
    pub targets_per_target_group: usize,
    pub target_groups_per_service: usize,
    pub listeners_per_service: usize,
    pub rules_per_listener: usize,
    pub service_associations_per_network: usize,
    pub vpc_associations_per_network: usize,
    pub tags_per_resource: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            service_networks: 50,
            services: 2000,
            target_groups: 500,
            targets_per_target_group: 1000,
            target_groups_per_service: 10,
            listeners_per_service: 2,
            rules_per_listener: 10,
            service_associations_per_network: 500,
            vpc_associations_per_network: 500,
            tags_per_resource: 50,
        }
    }
}

/// Service quota codes (lattice-api.md §10).
pub mod quota_code {
    pub const SERVICE_NETWORKS: &str = "L-9CAD07FB";
    pub const SERVICES: &str = "L-620C821E";
    pub const TARGET_GROUPS: &str = "L-BB11C6B9";
    pub const TARGETS_PER_TARGET_GROUP: &str = "L-D71303F3";
    pub const TARGET_GROUPS_PER_SERVICE: &str = "L-3DEC3B9F";
    pub const LISTENERS_PER_SERVICE: &str = "L-D64E952E";
    pub const RULES_PER_LISTENER: &str = "L-CF78395E";
    pub const SERVICE_ASSOCIATIONS_PER_NETWORK: &str = "L-75D4A19E";
    pub const VPC_ASSOCIATIONS_PER_NETWORK: &str = "L-EF6E2D62";
}
