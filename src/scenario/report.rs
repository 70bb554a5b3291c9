//! What a run prints: a line per scenario as it ends (`✔`/`✘`, its file and line), the
//! failing step of a failed scenario with its file, line and message as a sentence, parse
//! errors with their line and what was expected — and the counts the run's one summary is
//! made of, so what is printed and what the run returns cannot disagree.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cucumber::event::{self, Cucumber, StepError};
use cucumber::gherkin;
use cucumber::{Event, World, Writer, parser, writer};

/// A step that did not pass: where it is and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProblem {
    pub file: PathBuf,
    pub line: usize,
    pub text: String,
    pub message: String,
}

/// What the report counted.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub scenarios_passed: usize,
    pub scenarios_failed: usize,
    pub steps_passed: usize,
    pub steps_failed: usize,
    /// Steps that matched no step of the library (the lint catches these before a run).
    pub steps_unmatched: usize,
    pub parse_errors: Vec<String>,
    pub failures: Vec<StepProblem>,
    /// Problems of scenarios still running, by file, line and name.
    pending: std::collections::BTreeMap<(PathBuf, usize, String), Vec<StepProblem>>,
}

/// The panic payload of a failed step, as text.
pub fn payload(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the step failed without a message".into())
}

/// A step error as a sentence.
pub fn step_error(e: &StepError) -> String {
    match e {
        StepError::NotFound => "no step of the library matches it (see `latticelab steps`)".into(),
        StepError::AmbiguousMatch(e) => format!("it matches {} steps of the library", e.possible_matches.len()),
        StepError::Panic(info) => payload(info),
    }
}

/// The writer; clones share one tally.
#[derive(Clone)]
pub struct Report {
    tally: Arc<Mutex<Tally>>,
    /// Files whose problems were already reported (by the lint), whose parse errors are not
    /// repeated.
    reported: Arc<Vec<PathBuf>>,
    quiet: bool,
}

impl Report {
    pub fn new(reported: Vec<PathBuf>, quiet: bool) -> Self {
        Self { tally: Arc::default(), reported: Arc::new(reported), quiet }
    }

    pub fn tally(&self) -> Tally {
        self.tally.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> T {
        f(&mut self.tally.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn say(&self, line: &str) {
        if !self.quiet {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
    }

    fn scenario_event<W>(&self, feature: &gherkin::Feature, scenario: &gherkin::Scenario, ev: &event::Scenario<W>) {
        let file = feature.path.clone().unwrap_or_default();
        let key = (file.clone(), scenario.position.line, scenario.name.clone());
        let problem = |line: usize, text: String, message: String| {
            let p = StepProblem { file: file.clone(), line, text, message };
            self.with(|t| t.pending.entry(key.clone()).or_default().push(p));
        };
        let step = |s: &gherkin::Step, ev: &event::Step<W>| match ev {
            event::Step::Passed(..) => self.with(|t| t.steps_passed += 1),
            event::Step::Skipped => {
                self.with(|t| t.steps_unmatched += 1);
                problem(
                    s.position.line,
                    format!("{}{}", s.keyword, s.value),
                    "no step of the library matches it (see `latticelab steps`)".into(),
                );
            }
            event::Step::Failed(_, _, _, e) => {
                self.with(|t| t.steps_failed += 1);
                problem(s.position.line, format!("{}{}", s.keyword, s.value), step_error(e));
            }
            event::Step::Started => {}
        };
        match ev {
            event::Scenario::Step(s, e) | event::Scenario::Background(s, e) => step(s, e),
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => problem(
                scenario.position.line,
                format!("{}: {}", scenario.keyword, scenario.name),
                format!("the scenario could not start: {}", payload(info)),
            ),
            event::Scenario::Finished => {
                let mine = self.with(|t| t.pending.remove(&key)).unwrap_or_default();
                let at = format!("{}:{}", file.display(), scenario.position.line);
                if mine.is_empty() {
                    self.with(|t| t.scenarios_passed += 1);
                    self.say(&format!("✔ {at} {}", scenario.name));
                } else {
                    self.say(&format!("✘ {at} {}", scenario.name));
                    for p in &mine {
                        self.say(&format!(
                            "    {}:{}: {}\n      {}",
                            p.file.display(),
                            p.line,
                            p.text,
                            indent(&p.message)
                        ));
                    }
                    self.with(|t| {
                        t.scenarios_failed += 1;
                        t.failures.extend(mine);
                    });
                }
            }
            _ => {}
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n      ")
}

/// A Gherkin parse error's line, column and expected tokens (sorted). gherkin keeps them
/// private and only displays them (`Error at 12:5: {"\"Given\"", …}`, from a hash set), so
/// they are read back from that text.
pub fn parse_error_parts(e: &gherkin::ParseError) -> (usize, usize, Vec<String>) {
    let text = e.to_string();
    let rest = text.strip_prefix("Error at ").unwrap_or(&text);
    let (at, expected) = rest.split_once(": ").unwrap_or((rest, ""));
    let (line, col) = at.split_once(':').unwrap_or((at, "0"));
    let mut tokens: Vec<String> = expected
        .trim_matches(|c| c == '{' || c == '}')
        .split("\", \"")
        .map(|t| t.trim_matches(|c: char| c == '"' || c == '\\' || c.is_whitespace()).to_string())
        .filter(|t| !t.is_empty())
        .collect();
    tokens.sort();
    tokens.dedup();
    (line.parse().unwrap_or(0), col.parse().unwrap_or(0), tokens)
}

/// A Gherkin parse error: the file, the line and column, and what the parser expected there.
pub fn parse_error(e: &gherkin::ParseFileError) -> (PathBuf, String) {
    match e {
        gherkin::ParseFileError::Reading { path, source } => {
            (path.clone(), format!("{}: cannot be read: {source}", path.display()))
        }
        gherkin::ParseFileError::Parsing { path, source, error } => {
            let (line, col, expected) = parse_error_parts(source);
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            let mut text = format!("{}:{line}:{col}: not Gherkin here; expected {}", path.display(), one_of(&expected));
            if let Some(env) = error {
                text.push_str(&format!(" ({env})"));
            }
            (path.clone(), text)
        }
    }
}

fn one_of(tokens: &[&str]) -> String {
    match tokens {
        [] => "something else".into(),
        [one] => one.to_string(),
        many => format!("one of {}", many.join(", ")),
    }
}

impl<W: World> Writer<W> for Report {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _cli: &Self::Cli) {
        match event {
            Err(parser::Error::Parsing(e)) => {
                let (path, text) = parse_error(&e);
                if !self.reported.iter().any(|p| same_file(p, &path)) {
                    self.say(&format!("error: {text}"));
                    self.with(|t| t.parse_errors.push(text));
                }
            }
            Err(parser::Error::ExampleExpansion(e)) => {
                let text = format!("error: {e}");
                self.say(&text);
                self.with(|t| t.parse_errors.push(text));
            }
            Ok(ev) => match ev.value {
                Cucumber::Feature(feature, event::Feature::Scenario(scenario, ev)) => {
                    self.scenario_event(&feature, &scenario, &ev.event);
                }
                Cucumber::Feature(feature, event::Feature::Rule(_, event::Rule::Scenario(scenario, ev))) => {
                    self.scenario_event(&feature, &scenario, &ev.event);
                }
                _ => {}
            },
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(x, y)| x == y)
}

impl writer::NonTransforming for Report {}
