//! The AWS clients as the real controller configures them (controller.md §5): Lattice with
//! standard retries, 20 attempts, `LATTICE_ENDPOINT` as the base URL; the Resource Groups
//! Tagging API with the SDK's standard retries (3 attempts) and the SDK's own endpoint
//! variables; both in the configured region.

use aws_sdk_vpclattice::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};

use crate::config::ControllerConfig;

/// A client config builder for `config`; the caller adds the HTTP client (in-process or
/// loopback). Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` when set,
/// else dummy static ones (a simulator accepts any signature).
pub fn lattice_config(config: &ControllerConfig) -> aws_sdk_vpclattice::config::Builder {
    let (key, secret) = access_keys();
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

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, else dummy ones.
fn access_keys() -> (String, String) {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "AKIDLATTICELAB".into());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "latticelab-secret-access-key".into());
    (key, secret)
}

/// The Resource Groups Tagging API client config for `config`; the caller adds the HTTP
/// client, as for [`lattice_config`].
pub fn tagging_config(config: &ControllerConfig) -> aws_sdk_resourcegroupstagging::config::Builder {
    use aws_sdk_resourcegroupstagging::config as tagging;
    let (key, secret) = access_keys();
    let mut builder = aws_sdk_resourcegroupstagging::Config::builder()
        .behavior_version(tagging::BehaviorVersion::latest())
        .region(tagging::Region::new(config.region.clone()))
        .credentials_provider(tagging::Credentials::new(key, secret, None, None, "latticelab-controller"))
        .retry_partition(tagging::retry::RetryPartition::new(format!("latticelab-tagging-{}", config.cluster_name)))
        .retry_config(tagging::retry::RetryConfig::standard())
        .stalled_stream_protection(tagging::StalledStreamProtectionConfig::disabled());
    if let Some(endpoint) = &config.tagging_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder
}

/// Both clients of [`crate::AwsClients`] for `config` over one HTTP client (a socket to the
/// configured endpoints).
pub fn clients(
    config: &ControllerConfig,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> crate::AwsClients {
    crate::AwsClients {
        lattice: aws_sdk_vpclattice::Client::from_conf(lattice_config(config).http_client(http.clone()).build()),
        tagging: aws_sdk_resourcegroupstagging::Client::from_conf(tagging_config(config).http_client(http).build()),
    }
}
