//! Mistakes in feature files are errors that name the file and the line, before anything
//! runs — a typo never makes a green scenario that checked nothing — and a scenario that
//! fails says why in a sentence.

use std::path::{Path, PathBuf};

use latticelab::scenario::lint;
use latticelab::scenario::runner::{RunOptions, run_blocking};

const BACKGROUND: &str = r#"Feature: A feature with one mistake

  Background:
    Given a service network "my-hotel" associated with every cluster
"#;

const EXPORT: &str = r#"    When "cluster-a" applies:
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
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// The problems of a feature made of the Background and `scenario`.
fn problems(scenario: &str) -> (PathBuf, Vec<lint::Problem>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mistake.feature", &format!("{BACKGROUND}\n{scenario}"));
    let found = lint::check_file(&file);
    (file, found, dir)
}

/// The one problem of `scenario`: its line and message.
fn the_problem(scenario: &str) -> (usize, String) {
    let (file, found, _dir) = problems(scenario);
    assert_eq!(found.len(), 1, "one problem expected: {found:#?}");
    assert_eq!(found[0].file, file);
    (found[0].line, found[0].message.clone())
}

/// The line of the feature on which `needle` stands.
fn line_of(scenario: &str, needle: &str) -> usize {
    let text = format!("{BACKGROUND}\n{scenario}");
    text.lines().position(|l| l.contains(needle)).expect("the needle is in the text") + 1
}

#[test]
fn an_operation_that_does_not_exist_in_a_call_count_is_named_with_the_closest() {
    let scenario = "  Scenario: counts\n    Then Lattice received exactly 1 ListTargetGroup calls\n";
    let (line, message) = the_problem(scenario);
    assert_eq!(line, line_of(scenario, "ListTargetGroup calls"));
    assert!(
        message.contains("ListTargetGroup is not a Lattice operation (did you mean ListTargetGroups?)"),
        "{message}"
    );
}

#[test]
fn all_is_not_an_operation_where_one_operation_is_counted() {
    let (_, message) = the_problem("  Scenario: counts\n    Then Lattice received exactly 1 all calls\n");
    assert!(message.contains("all is not a Lattice operation"), "{message}");
}

#[test]
fn a_fault_plan_on_an_operation_that_does_not_exist_is_an_error() {
    let scenario = "  Scenario: faults\n    Given Lattice throttles the next 3 calls of ListTargetGroup\n";
    let (line, message) = the_problem(scenario);
    assert_eq!(line, line_of(scenario, "throttles"));
    assert!(message.contains("did you mean ListTargetGroups?") && message.contains("(or `all`)"), "{message}");
}

#[test]
fn a_table_whose_header_is_not_the_steps_columns_is_an_error() {
    let scenario = "  Scenario: targets\n    Then the targets of export default/inventory of \"cluster-a\" are:\n      | ip       | prot |\n      | 10.0.1.1 | 8090 |\n";
    let (line, message) = the_problem(scenario);
    assert_eq!(line, line_of(scenario, "the targets of export"));
    assert!(message.contains(r#"a column "prot""#) && message.contains("| ip | port | [status] |"), "{message}");
}

#[test]
fn a_misspelled_keyword_is_an_error_with_the_keyword_it_resembles() {
    let scenario = "  Scenaro: a typo\n    Then nothing is orphaned in Lattice\n";
    let (file, found, _dir) = problems(scenario);
    let typo = found.iter().find(|p| p.line == line_of(scenario, "Scenaro")).unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(typo.file, file);
    assert!(typo.message.contains("`Scenaro:` is not a Gherkin keyword (did you mean Scenario?)"), "{}", typo.message);
}

#[test]
fn a_line_without_a_keyword_in_a_scenario_is_an_error() {
    let scenario = "  Scenario: no keyword\n    nothing is orphaned in Lattice\n";
    let (file, found, _dir) = problems(scenario);
    let stray =
        found.iter().find(|p| p.line == line_of(scenario, "    nothing")).unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(stray.file, file);
    assert!(stray.message.contains("neither a step nor a keyword"), "{}", stray.message);
    assert!(found.iter().any(|p| p.message.contains("has no steps")), "and the scenario has no step: {found:#?}");
}

#[test]
fn a_scenario_without_steps_is_an_error() {
    let scenario = "  Scenario: empty\n\n  Scenario: full\n    Then nothing is orphaned in Lattice\n";
    let (line, message) = the_problem(scenario);
    assert_eq!(line, line_of(scenario, "Scenario: empty"));
    assert!(message.contains(r#"the scenario "empty" has no steps"#), "{message}");
}

#[test]
fn an_unknown_step_names_the_closest_steps_of_the_catalogue() {
    let (_, message) = the_problem(
        "  Scenario: unknown\n    Then export default/inventory of \"cluster-a\" has target groups galore\n",
    );
    assert!(message.contains("no step of the library matches it; the closest are"), "{message}");
    assert!(message.contains("`{timing}export {object} of {cluster} has"), "{message}");
}

#[test]
fn a_parameter_of_the_wrong_type_is_named() {
    let (_, message) =
        the_problem("  Scenario: words\n    Then export default/inventory of \"cluster-a\" has one target group\n");
    assert!(message.contains("one is not a whole number"), "{message}");
}

#[test]
fn a_cluster_the_scenario_does_not_declare_is_an_error() {
    let (_, message) =
        the_problem("  Scenario: nowhere\n    Then export default/inventory of \"cluster-c\" has 1 target group\n");
    assert!(message.contains(r#"no cluster "cluster-c" (its clusters: cluster-a, cluster-b)"#), "{message}");
}

#[test]
fn a_step_used_with_the_wrong_keyword_is_an_error() {
    let (_, message) = the_problem("  Scenario: keyword\n    When nothing is orphaned in Lattice\n");
    assert!(message.contains("this step is a Given/Then step, not a When one"), "{message}");
}

#[test]
fn a_step_that_needs_a_docstring_without_one_is_an_error() {
    let (_, message) = the_problem("  Scenario: no docstring\n    When \"cluster-a\" applies:\n");
    assert!(message.contains("this step needs a docstring"), "{message}");
}

#[test]
fn gherkin_that_does_not_parse_names_its_line_and_the_other_files_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(
        dir.path(),
        "a-broken.feature",
        "Feature: broken\n  Scenario: x\n    When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n",
    );
    let good = format!("{BACKGROUND}\n  Scenario: fine\n    Then no Lattice service exists\n");
    write(dir.path(), "b-good.feature", &good);
    let found = lint::check_file(&broken);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].line > 0 && found[0].message.contains("not Gherkin here") && found[0].message.contains("expected"),
        "{found:#?}"
    );
    let outcome = run_blocking(RunOptions {
        paths: vec![dir.path().to_path_buf()],
        report: dir.path().join("report"),
        quiet: true,
        ..RunOptions::default()
    })
    .unwrap();
    assert_eq!((outcome.scenarios_passed, outcome.scenarios_failed), (1, 0), "the good file ran");
    assert!(!outcome.passed(), "a file that does not parse fails the run");
    assert!(outcome.problems.iter().any(|p| p.contains("a-broken.feature")), "{:?}", outcome.problems);
}

/// A file with a problem runs none of its scenarios, and the run fails; the counts the run
/// returns are the ones its summary prints.
#[test]
fn a_file_with_a_problem_fails_the_run_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{BACKGROUND}\n  Scenario: fine\n    Then no Lattice service exists\n\n  Scenario: typo\n    Then Lattice received exactly 1 ListTargetGroup calls\n"
    );
    write(dir.path(), "typo.feature", &text);
    let outcome = run_blocking(RunOptions {
        paths: vec![dir.path().to_path_buf()],
        report: dir.path().join("report"),
        quiet: true,
        ..RunOptions::default()
    })
    .unwrap();
    assert_eq!((outcome.scenarios_passed, outcome.scenarios_failed, outcome.steps_passed), (0, 0, 0));
    assert!(!outcome.passed());
    assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
    assert!(outcome.summary().contains("1 problems in the feature files"), "{}", outcome.summary());
}

#[test]
fn a_run_whose_filter_selects_no_scenario_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "one.feature", &format!("{BACKGROUND}\n  Scenario: fine\n    Then no Lattice service exists\n"));
    let err = run_blocking(RunOptions {
        paths: vec![dir.path().to_path_buf()],
        name: Some("no such scenario".into()),
        report: dir.path().join("report"),
        quiet: true,
        ..RunOptions::default()
    })
    .unwrap_err();
    assert!(format!("{err:#}").contains("no scenario is selected"), "{err:#}");
}

/// The failures of a one-scenario run of `scenario`, which must fail.
fn failures_of(scenario: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "run.feature", &format!("{BACKGROUND}\n{scenario}"));
    let outcome = run_blocking(RunOptions {
        paths: vec![dir.path().to_path_buf()],
        report: dir.path().join("report"),
        quiet: true,
        ..RunOptions::default()
    })
    .unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(outcome.scenarios_failed, 1, "the scenario must fail: {outcome:?}");
    outcome.failures
}

/// Right after the apply that creates a target group, "0 target groups" is what the world
/// shows for an instant — an assertion waits for the world to settle, so it does not pass.
#[test]
fn zero_target_groups_right_after_the_apply_that_creates_one_does_not_pass() {
    let failures = failures_of(&format!(
        "  Scenario: too early\n{EXPORT}    Then export default/inventory of \"cluster-a\" has 0 target groups\n"
    ));
    assert!(failures.iter().any(|f| f.contains("it has 1")), "{failures:?}");
}

/// A state that holds for a moment does not pass a step that says it holds for a while:
/// the controllers make the export's group at once, so "at no point" fails.
#[test]
fn at_no_point_fails_on_a_state_that_holds_for_a_moment() {
    let failures = failures_of(&format!(
        "  Scenario: held\n{EXPORT}    Then at no point within 60 seconds, export default/inventory of \"cluster-a\" has 1 target group\n"
    ));
    assert!(failures.iter().any(|f| f.contains("true after")), "{failures:?}");
}

#[test]
fn a_docstring_that_is_not_yaml_names_its_line_in_the_feature_file() {
    let scenario = "  Scenario: bad yaml\n    When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n      kind: Service\n      metadata: {name: x}\n      @spec: {}\n      \"\"\"\n";
    let failures = failures_of(scenario);
    let wanted = format!("line {}:", line_of(scenario, "@spec"));
    assert!(failures.iter().any(|f| f.contains("is not valid YAML") && f.contains(&wanted)), "{wanted}: {failures:?}");
}

/// What a failing step says reads as a sentence: no debug dump of a Kubernetes Status, no
/// "Step panicked", no source path of the harness.
#[test]
fn a_refusal_by_the_api_server_reads_as_a_sentence() {
    let scenario = "  Scenario: refused\n    When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: application-networking.k8s.aws/v1alpha1\n      kind: ServiceImport\n      metadata: {name: bad}\n      spec: {}\n      \"\"\"\n";
    let failures = failures_of(scenario);
    let text = failures.join("\n");
    assert!(text.contains("422 Invalid") && text.contains("spec.ports"), "{text}");
    for noise in ["Status {", "Step panicked", "src/", "ErrorResponse"] {
        assert!(!text.contains(noise), "{noise:?} in {text}");
    }
}
