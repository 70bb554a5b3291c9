//! What is checked before any scenario runs, so that a mistake in a feature file is an error
//! naming its file and line rather than a green scenario that checked nothing:
//! - Gherkin that does not parse (the line, and what the parser expected there);
//! - a line that is neither a keyword, a step, a table row, a tag, a comment nor part of a
//!   docstring (a misspelled `Scenaro:`, a step without `Given`), outside the free text
//!   allowed under `Feature:` and `Rule:`;
//! - a scenario without steps;
//! - a step that matches no step of the library — with the closest ones, or the parameter
//!   that is wrong (`ListTargetGroup` is not an operation) — or several;
//! - a table whose header is not the step's columns, a missing or unexpected docstring or
//!   table;
//! - a cluster the scenario does not declare.

use std::path::{Path, PathBuf};

use cucumber::gherkin::{self, GherkinEnv, StepType};
use cucumber_expressions::{Alternative, Expression, SingleExpression};

use super::catalogue::{self, Compiled, Input};
use super::params;
use super::powers::feature_files;
use super::steps::check_header;

/// One mistake in a feature file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Every problem of the feature files under `paths`, in file and line order.
pub fn check(paths: &[PathBuf]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for file in paths.iter().flat_map(|p| feature_files(p)) {
        problems.extend(check_file(&file));
    }
    problems.sort();
    problems.dedup();
    problems
}

/// The problems of one feature file.
pub fn check_file(file: &Path) -> Vec<Problem> {
    let at = |line: usize, message: String| Problem { file: file.to_path_buf(), line, message };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return vec![at(0, format!("cannot be read: {e}"))],
    };
    let mut problems: Vec<Problem> = lines(&text).into_iter().map(|(line, m)| at(line, m)).collect();
    let feature = match gherkin::Feature::parse(&text, GherkinEnv::default()) {
        Ok(f) => f,
        Err(e) => {
            let (line, col, expected) = super::report::parse_error_parts(&e);
            problems.push(at(line, format!("not Gherkin here (column {col}); expected {}", expected.join(" or "))));
            return problems;
        }
    };
    let background: Vec<&gherkin::Step> = feature.background.iter().flat_map(|b| &b.steps).collect();
    let mut scenario = |s: &gherkin::Scenario, rule_background: &[&gherkin::Step]| {
        if s.steps.is_empty() {
            problems.push(at(s.position.line, format!("the scenario {:?} has no steps", s.name)));
        }
        let mut steps: Vec<&gherkin::Step> = background.clone();
        steps.extend(rule_background);
        steps.extend(&s.steps);
        for values in examples(s) {
            let clusters = declared_clusters(&steps, &values);
            for step in &steps {
                let text = fill(&step.value, &values);
                if let Err(message) = check_step(step, &text, &clusters) {
                    problems.push(at(step.position.line, format!("`{} {text}`: {message}", step.keyword.trim())));
                }
            }
        }
    };
    for s in &feature.scenarios {
        scenario(s, &[]);
    }
    for rule in &feature.rules {
        let bg: Vec<&gherkin::Step> = rule.background.iter().flat_map(|b| &b.steps).collect();
        for s in &rule.scenarios {
            scenario(s, &bg);
        }
    }
    problems
}

/// `(placeholder, value)` pairs of every examples row of an outline (one empty set for a
/// plain scenario).
fn examples(s: &gherkin::Scenario) -> Vec<Vec<(String, String)>> {
    if s.examples.is_empty() {
        return vec![vec![]];
    }
    s.examples
        .iter()
        .filter_map(|ex| ex.table.as_ref())
        .flat_map(|t| {
            let header = t.rows.first().cloned().unwrap_or_default();
            t.rows
                .iter()
                .skip(1)
                .map(move |r| header.iter().cloned().zip(r.iter().cloned()).collect())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn fill(text: &str, values: &[(String, String)]) -> String {
    values.iter().fold(text.to_string(), |t, (k, v)| t.replace(&format!("<{k}>"), v))
}

/// The clusters a scenario's world has: its `the clusters:` table, else the default two.
fn declared_clusters(steps: &[&gherkin::Step], values: &[(String, String)]) -> Vec<String> {
    for s in steps {
        if s.value.trim() == "the clusters:"
            && let Some(t) = &s.table
        {
            return t.rows.iter().skip(1).filter_map(|r| r.first()).map(|c| fill(c, values)).collect();
        }
    }
    super::default_clusters().into_iter().map(|c| c.name).collect()
}

/// Whether one step (placeholders filled in) is a step of the library, used as it takes.
fn check_step(step: &gherkin::Step, text: &str, clusters: &[String]) -> Result<(), String> {
    let matched: Vec<&Compiled> = catalogue::matching(text);
    let entry = match matched.as_slice() {
        [] => return Err(unmatched(text)),
        [one] => one.doc,
        many => {
            let names: Vec<&str> = many.iter().map(|c| c.doc.expression).collect();
            return Err(format!("it matches several steps: {}", names.join("; ")));
        }
    };
    if !entry.keywords.allows(step.ty) {
        let ty = match step.ty {
            StepType::Given => "Given",
            StepType::When => "When",
            StepType::Then => "Then",
        };
        return Err(format!("this step is a {} step, not a {ty} one", entry.keywords.label()));
    }
    for (name, value) in parameters(entry.expression, text) {
        if name == "cluster" {
            let cluster = value.trim_matches('"');
            if !clusters.iter().any(|c| c == cluster) {
                return Err(format!("the scenario has no cluster {cluster:?} (its clusters: {})", clusters.join(", ")));
            }
        }
    }
    match (entry.input, &step.table, &step.docstring) {
        (Input::Nothing, None, None) | (Input::Docstring(_), None, Some(_)) => Ok(()),
        (Input::Table { required, optional }, Some(t), None) => {
            let header = t.rows.first().cloned().unwrap_or_default();
            check_header(&header, required, optional)
        }
        (Input::Table { required, .. }, None, _) => {
            Err(format!("this step needs a table with the columns | {} |", required.join(" | ")))
        }
        (Input::Docstring(what), _, None) => Err(format!("this step needs a docstring ({what})")),
        (_, Some(_), _) => Err("this step takes no table".into()),
        (_, _, Some(_)) => Err("this step takes no docstring".into()),
    }
}

/// Why no step matched: the parameter that is wrong, if a step matches loosely, else the
/// closest steps of the catalogue.
fn unmatched(text: &str) -> String {
    for c in catalogue::compiled() {
        let Some(values) = loose_parameters(c.doc.expression, text) else { continue };
        for (name, value) in values {
            if let Err(why) = params::check(&name, &value) {
                return format!("{why} — in `{}`", c.doc.expression);
            }
        }
    }
    let mut scored: Vec<(f64, &str)> = catalogue::STEPS
        .iter()
        .map(|s| {
            let example = s.example.lines().next().unwrap_or_default();
            let example = example.split_once(' ').map_or(example, |(_, rest)| rest);
            (strsim::normalized_levenshtein(&text.to_lowercase(), &example.to_lowercase()), s.expression)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let closest: Vec<String> = scored.iter().take(3).map(|(_, e)| format!("`{e}`")).collect();
    format!("no step of the library matches it; the closest are {}", closest.join(", "))
}

/// The `(parameter type, value)` pairs of `text` under `expression`, matched strictly.
fn parameters(expression: &str, text: &str) -> Vec<(String, String)> {
    captures(expression, text, false).unwrap_or_default()
}

/// The same, with every parameter matched loosely (a mistyped value still matches).
fn loose_parameters(expression: &str, text: &str) -> Option<Vec<(String, String)>> {
    captures(expression, text, true)
}

/// Matches `text` against `expression` with one named group per parameter.
fn captures(expression: &str, text: &str, loose: bool) -> Option<Vec<(String, String)>> {
    let parsed = Expression::parse(expression).ok()?;
    let strict: std::collections::HashMap<&str, &str> = params::regexes().into_iter().collect();
    let builtin = |name: &str| match name {
        "int" => Some(r"-?\d+"),
        "float" => Some(r"-?\d*\.?\d+"),
        "word" => Some(r"[^\s]+"),
        "string" => Some(r#""[^"]*""#),
        _ => None,
    };
    let mut pattern = String::from("^");
    let mut names = Vec::new();
    for item in parsed.0 {
        match item {
            SingleExpression::Text(t) | SingleExpression::Whitespaces(t) => pattern.push_str(&regex::escape(&t)),
            SingleExpression::Optional(o) => pattern.push_str(&format!("(?:{})?", regex::escape(&o.0))),
            SingleExpression::Alternation(alts) => {
                let options: Vec<String> = alts
                    .0
                    .iter()
                    .map(|single| {
                        single
                            .iter()
                            .map(|a| match a {
                                Alternative::Text(t) => regex::escape(t),
                                Alternative::Optional(o) => format!("(?:{})?", regex::escape(&o.0)),
                            })
                            .collect::<String>()
                    })
                    .collect();
                pattern.push_str(&format!("(?:{})", options.join("|")));
            }
            SingleExpression::Parameter(p) => {
                let name = p.input.to_string();
                let re = if loose {
                    params::LOOSE.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
                } else {
                    strict.get(name.as_str()).copied().or_else(|| builtin(&name))
                }
                .unwrap_or(r"\S+");
                pattern.push_str(&format!("(?P<p{}>{re})", names.len()));
                names.push(name);
            }
        }
    }
    pattern.push('$');
    let re = regex::Regex::new(&pattern).ok()?;
    let caps = re.captures(text)?;
    Some(names.into_iter().enumerate().map(|(i, n)| (n, caps[format!("p{i}").as_str()].to_string())).collect())
}

/// What a line may be outside docstrings.
const HEADERS: &[&str] = &[
    "Feature:",
    "Rule:",
    "Background:",
    "Scenario:",
    "Scenario Outline:",
    "Scenario Template:",
    "Example:",
    "Examples:",
    "Scenarios:",
];
const STEP_KEYWORDS: &[&str] = &["Given ", "When ", "Then ", "And ", "But ", "* "];

/// Lines that are neither Gherkin nor allowed free text, with why.
fn lines(text: &str) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let mut fence: Option<&str> = None;
    // Free text is allowed under `Feature:` and `Rule:` until the first keyword line.
    let mut description = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i + 1;
        if let Some(f) = fence {
            if line.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if line.starts_with("\"\"\"") || line.starts_with("```") {
            fence = Some(if line.starts_with("\"\"\"") { "\"\"\"" } else { "```" });
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') || line.starts_with('|') {
            continue;
        }
        if let Some(h) = HEADERS.iter().find(|h| line.starts_with(**h)) {
            description = matches!(*h, "Feature:" | "Rule:");
            continue;
        }
        if STEP_KEYWORDS.iter().any(|k| line.starts_with(k)) {
            description = false;
            continue;
        }
        if let Some((word, _)) = line.split_once(':')
            && !word.is_empty()
            && word.len() <= 20
            && word.chars().all(|c| c.is_alphabetic() || c == ' ')
        {
            let known: Vec<&str> = HEADERS.iter().map(|h| h.trim_end_matches(':')).collect();
            let near = params::did_you_mean(word, &known);
            if !near.is_empty() {
                problems.push((n, format!("`{word}:` is not a Gherkin keyword{near}")));
                continue;
            }
        }
        if !description {
            let first = line.split_whitespace().next().unwrap_or_default();
            let words: Vec<&str> = STEP_KEYWORDS.iter().map(|k| k.trim()).collect();
            problems.push((
                n,
                format!(
                    "`{line}` is neither a step nor a keyword: a step starts with Given, When, Then, And, But or *{}",
                    params::did_you_mean(first, &words)
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_loosely_and_strictly() {
        let e = "Lattice received {comparison} {int} {operation} call(s)";
        let got = loose_parameters(e, "Lattice received exactly 1 ListTargetGroup calls").unwrap();
        assert_eq!(got[2], ("operation".into(), "ListTargetGroup".into()));
        assert!(parameters(e, "Lattice received exactly 1 ListTargetGroups calls").len() == 3);
        assert!(
            unmatched("Lattice received exactly 1 ListTargetGroup calls").contains("did you mean ListTargetGroups?")
        );
    }

    #[test]
    fn stray_lines_are_named() {
        let text = "Feature: f\n  free text\n\n  Scenaro: x\n    Given a\n  Scenario: y\n    the clusters:\n";
        let got = lines(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 4);
        assert!(got[0].1.contains("did you mean Scenario?"));
        assert_eq!(got[1].0, 7);
    }
}
