//! `features/README.md` carries the step catalogue exactly as `latticelab steps` prints it.

#[test]
fn the_features_readme_holds_the_step_catalogue() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/features/README.md")).unwrap();
    let catalogue = latticelab::scenario::catalogue::render();
    assert!(
        readme.contains(&catalogue),
        "features/README.md is out of date: paste the output of `latticelab steps` between the ```text fences"
    );
}

/// A scenario whose steps need an embedded-only power carries that power's tag, so that a
/// real backend reports it as skipped instead of failing it.
#[test]
fn scenarios_that_need_embedded_powers_are_tagged() {
    let features = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/features"));
    let scenarios = latticelab::scenario::powers::scenarios(&[features]).unwrap();
    assert!(scenarios.len() >= 60, "only {} scenarios found", scenarios.len());
    let needing = scenarios.iter().filter(|s| !s.needs.is_empty()).count();
    assert!(needing > 0, "no scenario needs a power: the step patterns no longer match the steps");
    let untagged: Vec<String> = scenarios
        .iter()
        .filter(|s| !s.untagged().is_empty())
        .map(|s| format!("{}:{} {:?} lacks {:?}", s.file.display(), s.line, s.name, s.untagged()))
        .collect();
    assert!(untagged.is_empty(), "untagged scenarios:\n{}", untagged.join("\n"));
}
