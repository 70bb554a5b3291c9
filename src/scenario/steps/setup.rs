//! Declaring the world: clusters, VPCs, service networks, the controllers' profile.

use cucumber::gherkin::Step;
use cucumber::given;

use crate::scenario::ScenarioWorld;
use crate::scenario::params::Cluster;
use crate::world::ClusterSpec;

#[given(expr = "the clusters:")]
fn clusters(w: &mut ScenarioWorld, step: &Step) {
    let table = step.table.as_ref().expect("a table: | cluster | vpc |");
    w.clusters = table.rows.iter().skip(1).map(|r| ClusterSpec::new(&r[0], &r[1])).collect();
}

#[given(expr = "the controllers run profile {word}")]
fn controllers_profile(w: &mut ScenarioWorld, name: String) {
    assert!(w.world.is_none(), "the profile must be chosen before the world starts");
    w.profile = name;
}

#[given(expr = "a service network {string} associated with every cluster")]
fn network_everywhere(w: &mut ScenarioWorld, name: String) {
    if w.clusters.is_empty() {
        w.clusters = vec![
            ClusterSpec::new("cluster-a", "vpc-0aaaaaaaaaaaaaaa1"),
            ClusterSpec::new("cluster-b", "vpc-0bbbbbbbbbbbbbbb2"),
        ];
    }
    let members = w.clusters.iter().map(|c| c.name.clone()).collect();
    w.networks.push((name, members));
}

#[given(expr = "a service network {string} associated with {cluster}")]
fn network_with(w: &mut ScenarioWorld, name: String, cluster: Cluster) {
    w.networks.push((name, vec![cluster.0]));
}

#[given(expr = "assertions wait up to {int} seconds")]
fn within(w: &mut ScenarioWorld, seconds: u64) {
    w.within = std::time::Duration::from_secs(seconds);
}
