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
