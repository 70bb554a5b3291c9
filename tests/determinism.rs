//! A world with several controllers, run again with the same seed, makes the same calls in
//! the same order with the same answers: its whole journal (Lattice and every cluster) is
//! identical, which is what `latticelab replay` relies on. The default repeats a few times;
//! `LATTICELAB_REPEAT=200` is the long check.

use std::path::Path;

use latticelab::scenario::runner::{RunOptions, run_blocking};

/// Two exporting clusters, one importing route over both with a local Service, a fault plan
/// drawn by probability, and endpoint churn: every controller busy at once.
const BUSY: &str = r#"Feature: A busy world

  Background:
    Given the clusters:
      | cluster | vpc                   |
      | east    | vpc-0eeeeeeeeeeeeeee1 |
      | west    | vpc-0fffffffffffffff2 |
      | front   | vpc-0ccccccccccccccc3 |
    And a service network "shop" associated with every cluster

  Scenario: Exports, imports, churn and faults
    Given Lattice fails all with probability 0.2
    When "east" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: checkout-1, labels: {kubernetes.io/service-name: checkout}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.1.0.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "west" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: checkout-1, labels: {kubernetes.io/service-name: checkout}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.2.0.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout-west
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: checkout}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "front" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: amazon-vpc-lattice}
      spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: shop}
      spec:
        gatewayClassName: amazon-vpc-lattice
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/aws-eks-cluster-name: east}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: checkout-west}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: checkout}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs:
          - {kind: ServiceImport, name: checkout, port: 80, weight: 40}
          - {kind: ServiceImport, name: checkout-west, port: 80, weight: 40}
          - {name: local, port: 80, weight: 20}
      """
    And 60 seconds pass
    And service default/checkout in "east" has the endpoints "10.1.0.2, 10.1.0.3"
    And 120 seconds pass
    And the faults stop
    Then within 1200 seconds, HTTPRoute default/checkout in "front" forwards to:
      | group                        | cluster | weight |
      | export default/checkout      | east    | 40     |
      | export default/checkout-west | west    | 40     |
      | service default/local        | front   | 20     |
"#;

fn journal_of(dir: &Path, seed: u64) -> String {
    let report = dir.join(format!("report-{seed}"));
    let outcome = run_blocking(RunOptions {
        paths: vec![dir.join("busy.feature")],
        report: report.clone(),
        keep_bundles: true,
        quiet: true,
        seed,
        ..RunOptions::default()
    })
    .unwrap();
    assert!(outcome.passed(), "{:?}", outcome.failures);
    let bundle = outcome.bundles.first().expect("a kept bundle");
    let journal = std::fs::read_to_string(bundle.join("journal.yaml")).unwrap();
    std::fs::remove_dir_all(&report).unwrap();
    journal
}

#[test]
fn the_same_seed_makes_the_same_journal_every_time() {
    let runs: usize = std::env::var("LATTICELAB_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("busy.feature"), BUSY).unwrap();
    let first = journal_of(dir.path(), 11);
    assert!(first.contains("CreateRule") && first.contains("DeregisterTargets"), "the world did its work");
    for run in 1..runs {
        let again = journal_of(dir.path(), 11);
        if again != first {
            let line = first.lines().zip(again.lines()).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "run {run} of {runs} made another journal; first difference at line {}:\n  {}\n  {}",
                line + 1,
                first.lines().nth(line).unwrap_or_default(),
                again.lines().nth(line).unwrap_or_default()
            );
        }
    }
    assert_ne!(first, journal_of(dir.path(), 12), "another seed, another journal");
}
