//! `latticelab replay`, as users run it: the binary, on bundles that `latticelab run` wrote —
//! a deliberately wrong scenario reproduces with an identical journal, a scenario that failed
//! before any call reproduces too, and a tampered journal is told apart.

use std::path::{Path, PathBuf};
use std::process::Command;

use latticelab::scenario::replay::{Replay, replay_blocking};

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

/// Fails at its first step, before the world starts: no Lattice or cluster call is made.
const EARLY: &str = r#"Feature: A scenario that fails before any call

  Scenario: The clusters are declared with a VPC id that is not one
    Given the clusters:
      | cluster   | vpc       |
      | cluster-a | not-a-vpc |
    Then no Lattice service exists
"#;

fn latticelab(args: &[&str], dir: &Path) -> (bool, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_latticelab")).args(args).current_dir(dir).output().expect("latticelab runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs `feature` with the binary, which must fail and leave one bundle; its directory.
fn failing_run(dir: &Path, feature: &str) -> PathBuf {
    std::fs::write(dir.join("case.feature"), feature).unwrap();
    let (ok, text) = latticelab(&["run", "case.feature", "--seed", "7", "--report", "report"], dir);
    assert!(!ok, "the run must fail: {text}");
    let bundles: Vec<PathBuf> = std::fs::read_dir(dir.join("report"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("seed.yaml").exists())
        .collect();
    assert_eq!(bundles.len(), 1, "one bundle: {bundles:?}\n{text}");
    assert!(
        text.contains(&format!(
            "latticelab replay {}",
            Path::new("report").join(bundles[0].file_name().unwrap()).display()
        )),
        "{text}"
    );
    bundles[0].clone()
}

#[test]
fn a_wrong_scenario_leaves_a_bundle_that_the_replay_command_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = failing_run(dir.path(), WRONG);
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
    assert!(failure.contains("80 HTTP HTTP1"), "{failure}");
    let journal = std::fs::read_to_string(bundle.join("journal.yaml")).unwrap();
    assert!(
        journal.contains("CreateTargetGroup")
            && journal.contains("AKIDLATTICELAB-cluster-a")
            && journal.contains("/apis/application-networking.k8s.aws/v1alpha1/namespaces/default/serviceexports")
    );
    let objects = std::fs::read_to_string(bundle.join("objects-cluster-a.yaml")).unwrap();
    assert!(
        objects.contains("serviceexports")
            && !objects.contains("managedFields")
            && !objects.contains("customresourcedefinitions")
    );
    let svg = std::fs::read_to_string(bundle.join("topology.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("10.0.1.1:8090"));

    // The command, with arguments of its own the scenario runner must not read.
    let (ok, text) = latticelab(&["replay", bundle.to_str().unwrap()], dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("reproduced: the same failure, with an identical journal"), "{text}");

    // A replay that meets another journal says so, and fails.
    std::fs::write(bundle.join("journal.yaml"), journal.replacen("CreateTargetGroup", "DeleteTargetGroup", 1)).unwrap();
    let (ok, text) = latticelab(&["replay", bundle.to_str().unwrap()], dir.path());
    assert!(!ok && text.contains("the journal differs"), "{text}");
}

#[test]
fn a_scenario_that_failed_before_any_call_replays_from_its_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = failing_run(dir.path(), EARLY);
    assert!(!bundle.join("journal.yaml").exists(), "no call, so no journal");
    let failure = std::fs::read_to_string(bundle.join("failure.txt")).unwrap();
    assert!(failure.contains("not-a-vpc") && failure.contains("is not a VPC id"), "{failure}");
    let (ok, text) = latticelab(&["replay", bundle.to_str().unwrap()], dir.path());
    assert!(ok && text.contains("reproduced"), "{text}");
}

/// The library call runs inside `cargo test`, whose own arguments (`-q`, filters) the
/// runner never reads; a bundle kept of a passing scenario replays as a pass.
#[test]
fn a_kept_bundle_of_a_passing_scenario_replays_as_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let feature = WRONG.replace("| 8080 | HTTP     | HTTP1   |", "| 80   | HTTP     | HTTP1   |");
    std::fs::write(dir.path().join("case.feature"), feature).unwrap();
    let (ok, text) = latticelab(&["run", "case.feature", "--report", "report", "--keep-bundles"], dir.path());
    assert!(ok, "{text}");
    let bundle = std::fs::read_dir(dir.path().join("report"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("seed.yaml").exists());
    let bundle = bundle.expect("a kept bundle");
    assert_eq!(std::fs::read_to_string(bundle.join("failure.txt")).unwrap(), "passed");
    assert_eq!(replay_blocking(&bundle).unwrap(), Replay::Reproduced);
}
