//! The stored form of each resource. Views in the model's member names are built from
//! these; anything that can be derived (a target group's `serviceArns`, a network's
//! association counts, a target's status) is derived, never stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Lifecycle status plus the virtual time at which it settles (`ACTIVE`, or gone).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settles_at_ms: Option<u64>,
}

impl Phase {
    /// `CREATE_IN_PROGRESS` until `now + delay`, or `ACTIVE` at once when the delay is zero.
    pub fn created(now_ms: u64, delay_ms: u64) -> Self {
        if delay_ms == 0 {
            Self { status: "ACTIVE".into(), settles_at_ms: None }
        } else {
            Self { status: "CREATE_IN_PROGRESS".into(), settles_at_ms: Some(now_ms + delay_ms) }
        }
    }

    pub fn deleting(now_ms: u64, delay_ms: u64) -> Self {
        Self { status: "DELETE_IN_PROGRESS".into(), settles_at_ms: Some(now_ms + delay_ms) }
    }

    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }

    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    pub id: String,
    pub arn: String,
    pub created_at_ms: u64,
    pub last_updated_at_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNetwork {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub auth_type: String,
    pub sharing_config: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub phase: Phase,
    pub auth_type: String,
    pub dns_entry: Value,
    pub custom_domain_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub idle_timeout_seconds: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNetworkServiceAssociation {
    #[serde(flatten)]
    pub common: Common,
    pub phase: Phase,
    pub service_id: String,
    pub service_network_id: String,
    pub created_by: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNetworkVpcAssociation {
    #[serde(flatten)]
    pub common: Common,
    pub phase: Phase,
    pub service_network_id: String,
    pub vpc_id: String,
    pub security_group_ids: Vec<String>,
    pub private_dns_enabled: Option<bool>,
    pub dns_options: Option<Value>,
    pub created_by: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub service_id: String,
    pub protocol: String,
    pub port: i64,
    pub default_action: Value,
    pub default_rule_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub service_id: String,
    pub listener_id: String,
    pub is_default: bool,
    pub priority: Option<i64>,
    #[serde(rename = "match")]
    pub match_: Option<Value>,
    /// `None` for the default rule, whose action is its listener's default action.
    pub action: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroup {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub phase: Phase,
    /// The config with the service's defaults filled in, as Get returns it.
    pub config: Map<String, Value>,
    /// Since when a listener or rule forwards to this group (drives target health).
    pub used_since_ms: Option<u64>,
    pub targets: Vec<Target>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    pub port: i64,
    pub registered_at_ms: u64,
    /// Set while draining: when the target leaves.
    pub draining_until_ms: Option<u64>,
}

/// A resource of the operations beyond what the controller uses (access-log subscriptions,
/// resource gateways and configurations, their associations, domain verifications): the
/// request's members plus identity, kept as the model names them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Generic {
    #[serde(flatten)]
    pub common: Common,
    pub phase: Option<Phase>,
    pub fields: Map<String, Value>,
}

/// An auth policy or a resource policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub policy: String,
    pub created_at_ms: u64,
    pub last_updated_at_ms: u64,
}
