//! Clients for the tests: the real `aws-sdk-vpclattice`, in-process or over loopback.

use std::time::Duration;

use aws_sdk_vpclattice::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_vpclattice::{Client, Config};
use sim_lattice::client::InProcessHttpClient;
use sim_lattice::{Simulator, server, wire};

pub const ACCESS_KEY: &str = "AKIDLATTICELAB";
pub const SECRET_KEY: &str = "latticelab-secret";

pub fn config(secret: &str, partition: &str) -> aws_sdk_vpclattice::config::Builder {
    Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(ACCESS_KEY, secret, None, None, "static"))
        // Each client its own retry partition: the retry token bucket is process-wide
        // per partition (rust-crates.md G5).
        .retry_partition(RetryPartition::new(partition.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1)))
}

pub fn in_process(sim: &Simulator, partition: &str) -> Client {
    in_process_with_secret(sim, partition, SECRET_KEY)
}

pub fn in_process_with_secret(sim: &Simulator, partition: &str, secret: &str) -> Client {
    let conf = config(secret, partition)
        .endpoint_url("http://lattice.in-process.invalid")
        .http_client(InProcessHttpClient::new(wire::router(sim.clone())))
        .build();
    Client::from_conf(conf)
}

pub async fn loopback(sim: &Simulator, partition: &str) -> Client {
    let addr = server::spawn_loopback(sim.clone()).await.expect("bind loopback");
    let conf = config(SECRET_KEY, partition)
        .endpoint_url(format!("http://{addr}"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(conf)
}
