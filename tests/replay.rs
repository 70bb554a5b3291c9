//! A deliberately wrong scenario fails, leaves a failure bundle, and `latticelab replay`
//! reproduces the same failure with an identical journal.

use std::path::PathBuf;

use latticelab::scenario::replay::{Replay, replay_blocking};
use latticelab::scenario::runner::{RunOptions, run_blocking};

const WRONG: &str = r#"@wrong
Feature: A deliberately wrong expectation

  Background:
    Given a service network "my-hotel" associated with every cluster

  Scenario: The export is expected on the wrong port
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: inventory}
      spec: {ports: [{name: http, port: 80, targetPort: 8090}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: inventory-1, labels: {kubernetes.io/service-name: inventory}}
      addressType: IPv4
      ports: [{name: http, port: 8090}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then within 60 seconds, export default/inventory of "cluster-a" has the target groups:
      | port | protocol | version |
      | 8080 | HTTP     | HTTP1   |
"#;

#[test]
fn a_wrong_scenario_leaves_a_bundle_that_replays_identically() {
    let dir = tempfile::tempdir().unwrap();
    let feature = dir.path().join("wrong.feature");
    std::fs::write(&feature, WRONG).unwrap();
    let report = dir.path().join("report");
    let outcome =
        run_blocking(RunOptions { paths: vec![feature], report: report.clone(), seed: 7, ..RunOptions::default() })
            .unwrap();
    assert!(!outcome.passed());
    assert_eq!((outcome.scenarios_failed, outcome.scenarios_passed), (1, 0));
    let bundle: PathBuf = outcome.bundles.first().cloned().expect("a bundle");
    for file in [
        "seed.yaml",
        "scenario.feature",
        "failure.txt",
        "journal.yaml",
        "objects-cluster-a.yaml",
        "objects-cluster-b.yaml",
        "lattice.yaml",
        "topology.svg",
        "topology.mmd",
    ] {
        assert!(bundle.join(file).exists(), "{file} missing from {}", bundle.display());
    }
    let failure = std::fs::read_to_string(bundle.join("failure.txt")).unwrap();
    assert!(failure.contains("(80, \"HTTP\", \"HTTP1\")"), "{failure}");
    let journal = std::fs::read_to_string(bundle.join("journal.yaml")).unwrap();
    assert!(
        journal.contains("CreateTargetGroup")
            && journal.contains("/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceexports")
    );
    let svg = std::fs::read_to_string(bundle.join("topology.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("10.0.1.1:8090"));
    assert_eq!(replay_blocking(&bundle).unwrap(), Replay::Reproduced);

    // A replay that meets another journal says so.
    let mut tampered = journal.clone();
    tampered = tampered.replacen("CreateTargetGroup", "DeleteTargetGroup", 1);
    std::fs::write(bundle.join("journal.yaml"), tampered).unwrap();
    assert!(matches!(replay_blocking(&bundle).unwrap(), Replay::DifferentJournal { .. }));
}
