//! The step catalogue is the library: every step the library defines is in it with the same
//! expression and keywords, every entry is a step the library defines, every step the shipped
//! features use matches exactly one entry, and `features/README.md` carries it as
//! `latticelab steps` prints it.

use std::collections::BTreeSet;

use cucumber::codegen::{StepConstructor as _, WorldInventory};
use latticelab::scenario::ScenarioWorld;
use latticelab::scenario::catalogue::{self, Keywords};

type Given = <ScenarioWorld as WorldInventory>::Given;
type When = <ScenarioWorld as WorldInventory>::When;
type Then = <ScenarioWorld as WorldInventory>::Then;

/// `(keyword, regex)` of every step the library defines (cucumber's own registry).
fn defined() -> BTreeSet<(&'static str, String)> {
    let mut out = BTreeSet::new();
    for g in cucumber::codegen::inventory::iter::<Given> {
        out.insert(("Given", (g.inner().1)().as_str().to_string()));
    }
    for w in cucumber::codegen::inventory::iter::<When> {
        out.insert(("When", (w.inner().1)().as_str().to_string()));
    }
    for t in cucumber::codegen::inventory::iter::<Then> {
        out.insert(("Then", (t.inner().1)().as_str().to_string()));
    }
    out
}

/// `(keyword, regex)` of every catalogue entry, compiled as cucumber compiles expressions.
fn catalogued() -> BTreeSet<(&'static str, String)> {
    let mut out = BTreeSet::new();
    for c in catalogue::compiled() {
        let keywords: &[&str] = match c.doc.keywords {
            Keywords::Given => &["Given"],
            Keywords::When => &["When"],
            Keywords::GivenWhen => &["Given", "When"],
            Keywords::GivenThen => &["Given", "Then"],
            Keywords::WhenThen => &["When", "Then"],
        };
        for k in keywords {
            out.insert((*k, c.regex.as_str().to_string()));
        }
    }
    out
}

#[test]
fn the_catalogue_lists_exactly_the_steps_the_library_defines() {
    let (defined, catalogued) = (defined(), catalogued());
    let missing: Vec<_> = defined.difference(&catalogued).collect();
    let extra: Vec<_> = catalogued.difference(&defined).collect();
    assert!(missing.is_empty(), "steps the catalogue lacks: {missing:#?}");
    assert!(extra.is_empty(), "catalogue entries no step defines: {extra:#?}");
    assert!(defined.len() >= 80, "only {} step definitions found", defined.len());
}

#[test]
fn every_example_of_the_catalogue_is_its_own_step() {
    for doc in catalogue::STEPS {
        let first = doc.example.lines().next().unwrap();
        let text = first.split_once(' ').map_or(first, |(_, rest)| rest);
        let matched: Vec<&str> = catalogue::matching(text).iter().map(|c| c.doc.expression).collect();
        assert_eq!(matched, [doc.expression], "the example {text:?}");
    }
}

#[test]
fn the_shipped_features_have_no_problem() {
    let features = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/features"));
    let problems = latticelab::scenario::lint::check(&[features]);
    assert!(problems.is_empty(), "{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
}

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
    assert!(needing > 0, "no scenario needs a power: the catalogue no longer matches the steps");
    let untagged: Vec<String> = scenarios
        .iter()
        .filter(|s| !s.untagged().is_empty())
        .map(|s| format!("{}:{} {:?} lacks {:?}", s.file.display(), s.line, s.name, s.untagged()))
        .collect();
    assert!(untagged.is_empty(), "untagged scenarios:\n{}", untagged.join("\n"));
}
