//! The Lattice client as the real controller configures it (controller.md §5): standard
//! retries, 20 attempts, `LATTICE_ENDPOINT` as the base URL, the configured region.

use aws_sdk_vpclattice::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};

use crate::config::ControllerConfig;

/// A client config builder for `config`; the caller adds the HTTP client (in-process or
/// loopback). Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` when set,
/// else dummy static ones (a simulator accepts any signature).
pub fn lattice_config(config: &ControllerConfig) -> aws_sdk_vpclattice::config::Builder {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "AKIDLATTICELAB".into());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "latticelab-secret-access-key".into());
    let mut builder = aws_sdk_vpclattice::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .credentials_provider(Credentials::new(key, secret, None, None, "latticelab-controller"))
        // The retry token bucket is per partition; each controller instance gets its own so
        // one cluster's throttling cannot starve another's retries (rust-crates.md G5).
        .retry_partition(RetryPartition::new(format!("latticelab-controller-{}", config.cluster_name)))
        .retry_config(RetryConfig::standard().with_max_attempts(20))
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(endpoint) = &config.lattice_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder
}
