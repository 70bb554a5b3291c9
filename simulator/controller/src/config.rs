//! Configuration as the real controller reads it (controller.md §6), and its behaviour
//! profile.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::quirks::Quirks;

/// Where the controller reads the time of day (rule names, event and condition times): the
/// system clock, or a world's virtual clock so that its outcome depends on the seed alone.
#[derive(Clone)]
pub struct WallClock(pub Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl WallClock {
    pub fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    pub fn unix_seconds(&self) -> u64 {
        self.now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    pub fn timestamp(&self) -> k8s_openapi::jiff::Timestamp {
        k8s_openapi::jiff::Timestamp::try_from(self.now()).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)
    }
}

impl std::fmt::Debug for WallClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WallClock({:?})", self.now())
    }
}

/// The API the controller's tag reads and writes go to (controller.md §2.6 and §6.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaggingApi {
    /// The Resource Groups Tagging API: `GetResources` (by tag filters, or by ARN list),
    /// `TagResources`, `UntagResources`. The real controller's default.
    #[default]
    ResourceGroups,
    /// Lattice's own: `ListTargetGroups(vpcIdentifier)` + `ListTagsForResource`,
    /// `TagResource`, `UntagResource` (`DISABLE_TAGGING_SERVICE_API=true`).
    Lattice,
}

impl std::str::FromStr for TaggingApi {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "resource-groups" => Ok(TaggingApi::ResourceGroups),
            "lattice" => Ok(TaggingApi::Lattice),
            other => Err(format!("unknown tagging API {other:?}: expected resource-groups or lattice")),
        }
    }
}

impl std::fmt::Display for TaggingApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TaggingApi::ResourceGroups => "resource-groups",
            TaggingApi::Lattice => "lattice",
        })
    }
}

impl TaggingApi {
    /// The value the real controller reads from `DISABLE_TAGGING_SERVICE_API`.
    pub fn disable_tagging_service_api(self) -> bool {
        self == TaggingApi::Lattice
    }
}

#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// `CLUSTER_NAME`: the `ClusterName` tag, ManagedBy, the GC scope.
    pub cluster_name: String,
    /// `CLUSTER_VPC_ID`: target groups' VPC, ManagedBy, the GC scope.
    pub cluster_vpc_id: String,
    /// `AWS_ACCOUNT_ID`: ManagedBy; the "is this service network local" check.
    pub account_id: String,
    /// `REGION`.
    pub region: String,
    /// `LATTICE_ENDPOINT`: the Lattice client's base URL.
    pub lattice_endpoint: Option<String>,
    /// The Tagging API client's endpoint: the SDK's own `AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API`,
    /// else `AWS_ENDPOINT_URL` (the real controller sets none of its own).
    pub tagging_endpoint: Option<String>,
    /// `DEFAULT_SERVICE_NETWORK`.
    pub default_service_network: String,
    /// `ENABLE_SERVICE_NETWORK_OVERRIDE`.
    pub enable_service_network_override: bool,
    /// Where tags are read and written: `DISABLE_TAGGING_SERVICE_API=true` (any case) is
    /// [`TaggingApi::Lattice`]; unset, the real controller's default, the Resource Groups
    /// Tagging API.
    pub tagging: TaggingApi,
    /// `LATTICE_RETRY`: the requeue of a "retry needed" error (10 s).
    pub lattice_retry: Duration,
    /// The target-group garbage collector's period (30 s).
    pub gc_interval: Duration,
    /// `RECONCILE_DEFAULT_RESYNC_SECONDS` (0 = off).
    pub resync: Option<Duration>,
    /// Seed for random name suffixes; `None` draws from the OS.
    pub seed: Option<u64>,
    pub quirks: Quirks,
    pub clock: WallClock,
    /// Tag keys the controller leaves alone although it did not set them. Not a setting of
    /// the real controller: a harness that marks everything of a run with its own tag (real
    /// AWS runs) lists it here, so that user-tag reconciliation does not strip it.
    pub kept_tags: Vec<String>,
}

impl ControllerConfig {
    pub fn new(cluster_name: &str, cluster_vpc_id: &str, account_id: &str, region: &str) -> Self {
        Self {
            cluster_name: cluster_name.into(),
            cluster_vpc_id: cluster_vpc_id.into(),
            account_id: account_id.into(),
            region: region.into(),
            lattice_endpoint: None,
            tagging_endpoint: None,
            default_service_network: String::new(),
            enable_service_network_override: false,
            // The real controller's default (the variable unset).
            tagging: TaggingApi::ResourceGroups,
            lattice_retry: Duration::from_secs(10),
            gc_interval: Duration::from_secs(30),
            resync: None,
            seed: None,
            quirks: Quirks::profile("v2.1.3").expect("a known profile"),
            clock: WallClock::system(),
            kept_tags: Vec::new(),
        }
    }

    /// Reads the environment the real controller reads; the cluster name, VPC id, account and
    /// region are required (there is no IMDS to fall back on).
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let required =
            |k: &str| var(k).ok_or_else(|| format!("{k} must be set (no instance metadata to fall back on)"));
        let mut config = Self::new(
            &required("CLUSTER_NAME")?,
            &required("CLUSTER_VPC_ID")?,
            &required("AWS_ACCOUNT_ID")?,
            &required("REGION")?,
        );
        config.lattice_endpoint = var("LATTICE_ENDPOINT");
        config.tagging_endpoint =
            var("AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API").or_else(|| var("AWS_ENDPOINT_URL"));
        config.default_service_network = var("DEFAULT_SERVICE_NETWORK").unwrap_or_default();
        // The real controller lower-cases both before comparing (`pkg/config`).
        let truthy = |k: &str| var(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        config.enable_service_network_override = truthy("ENABLE_SERVICE_NETWORK_OVERRIDE");
        config.tagging =
            if truthy("DISABLE_TAGGING_SERVICE_API") { TaggingApi::Lattice } else { TaggingApi::ResourceGroups };
        if let Some(retry) = var("LATTICE_RETRY") {
            let seconds: u64 = retry
                .trim_end_matches('s')
                .parse()
                .map_err(|_| format!("LATTICE_RETRY: not a number of seconds: {retry}"))?;
            config.lattice_retry = Duration::from_secs(seconds);
        }
        if let Some(resync) = var("RECONCILE_DEFAULT_RESYNC_SECONDS") {
            let seconds: u64 =
                resync.parse().map_err(|_| format!("RECONCILE_DEFAULT_RESYNC_SECONDS: not a number: {resync}"))?;
            config.resync = (seconds > 0).then(|| Duration::from_secs(seconds.max(60)));
        }
        if let Some(profile) = var("LATTICELAB_CONTROLLER_PROFILE") {
            config.quirks = Quirks::profile(&profile)?;
        }
        Ok(config)
    }

    /// `<AWS_ACCOUNT_ID>/<CLUSTER_NAME>/<CLUSTER_VPC_ID>` (controller.md §1.3).
    pub fn managed_by(&self) -> String {
        format!("{}/{}/{}", self.account_id, self.cluster_name, self.cluster_vpc_id)
    }

    /// Service-network override mode.
    pub fn override_network(&self) -> Option<&str> {
        (self.enable_service_network_override && !self.default_service_network.is_empty())
            .then_some(self.default_service_network.as_str())
    }
}
