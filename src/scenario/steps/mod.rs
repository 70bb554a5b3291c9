//! The step library, one dialect: cucumber expressions over the parameter types of
//! [`super::params`]; each step is a few lines that call world methods and return a
//! [`StepResult`] whose failure reads as a sentence. Steps act through the protocols the
//! controllers use (kube-rs, the AWS SDK) or the explicit control surface (faults, time);
//! assertions read Lattice through the typed view and wait as their [`Timing`] says.

mod calls;
mod faults;
mod kubernetes;
mod lattice;
mod objects;
mod setup;

use std::future::Future;
use std::time::Duration;

use cucumber::gherkin::Step;

use super::ScenarioWorld;
use super::params::Timing;
use crate::world::World;

/// A step's failure, as a sentence with its causes (`a: b: c`), never a debug dump.
#[derive(Debug)]
pub struct StepFailure(pub String);

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: Into<anyhow::Error>> From<E> for StepFailure {
    fn from(e: E) -> Self {
        Self(format!("{:#}", e.into()))
    }
}

pub type StepResult = Result<(), StepFailure>;

/// Fails the step with `message`.
pub fn fail<T>(message: impl Into<String>) -> Result<T, StepFailure> {
    Err(StepFailure(message.into()))
}

/// A check of the world: `Ok(what was seen)` when it holds, `Err(why not)` when it does not.
pub type Check = Result<String, String>;

/// Waits on `check` as `timing` says (`docs/scenarios.md#settling`):
/// - settled: true at a moment when the world has stood still for the settle window (or,
///   where the world cannot be watched, true throughout it), within the bound;
/// - for a duration: settled as above, then true at every check for that long;
/// - at no point: false at every check for that long.
///
/// Checks run again at every change of the world and at least every few hundred virtual
/// milliseconds.
pub(crate) async fn expect<F, Fut>(w: &ScenarioWorld, timing: Timing, what: &str, mut check: F) -> StepResult
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Check>,
{
    let world = w.started()?;
    match timing {
        Timing::Settled(within) => settled(world, within.unwrap_or(w.within), w.settle(), what, &mut check).await,
        Timing::For(span) => {
            settled(world, w.within, w.settle(), what, &mut check).await?;
            throughout(world, span, what, &mut check, true).await
        }
        Timing::AtNoPoint(span) => throughout(world, span, what, &mut check, false).await,
    }
}

/// The world's settle: waits until it has stood still for the settle window, within the
/// scenario's bound (what counts and reports do before reading).
pub(crate) async fn settle(w: &mut ScenarioWorld) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    settled(world, w.within, w.settle(), "the world to settle", &mut || async { Ok(String::new()) }).await
}

fn poll_interval(span: Duration) -> Duration {
    (span / 100).clamp(Duration::from_millis(100), Duration::from_secs(5))
}

fn exited(world: &World) -> StepResult {
    match world.exited_controller() {
        Some(why) => fail(why),
        None => Ok(()),
    }
}

async fn settled<F, Fut>(world: &World, within: Duration, settle: Duration, what: &str, check: &mut F) -> StepResult
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Check>,
{
    // A bound shorter than the window asks about that moment: it is the window.
    let settle = settle.min(within);
    let start = tokio::time::Instant::now();
    let deadline = start + within;
    let mut passing_since: Option<tokio::time::Instant> = None;
    let mut last = String::from("not checked yet");
    loop {
        exited(world)?;
        let next = world.next_change(poll_interval(within));
        let now = tokio::time::Instant::now();
        let result = check().await;
        match &result {
            Ok(_) => {
                passing_since.get_or_insert(now);
            }
            Err(why) => {
                passing_since = None;
                last = why.clone();
            }
        }
        let still_for = match world.still_for() {
            Some(quiet) => quiet,
            None => passing_since.map_or(Duration::ZERO, |since| now - since),
        };
        if result.is_ok() && still_for >= settle {
            return Ok(());
        }
        if now >= deadline {
            return fail(match result {
                Ok(seen) => format!(
                    "{what}: true ({seen}), but the world never stood still for {} within {}",
                    secs(settle),
                    secs(within)
                ),
                Err(_) => format!("{what}: not true within {}: {last}", secs(within)),
            });
        }
        // A passing check waits out the rest of the window; a failing one the next change
        // (or the next poll, for what time alone changes).
        let wait = match result {
            Ok(_) => settle.saturating_sub(still_for).max(Duration::from_millis(1)),
            Err(_) => poll_interval(within),
        }
        .min(deadline - now);
        tokio::select! {
            biased;
            _ = next => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// `check` must keep (`holding`) or keep failing (`!holding`) for `span`.
async fn throughout<F, Fut>(world: &World, span: Duration, what: &str, check: &mut F, holding: bool) -> StepResult
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Check>,
{
    let start = tokio::time::Instant::now();
    let end = start + span;
    loop {
        exited(world)?;
        let next = world.next_change(poll_interval(span));
        let now = tokio::time::Instant::now();
        match (check().await, holding) {
            (Err(why), true) => {
                return fail(format!("{what}: stopped being true after {}: {why}", secs(now - start)));
            }
            (Ok(seen), false) => return fail(format!("{what}: true after {}: {seen}", secs(now - start))),
            _ => {}
        }
        if now >= end {
            return Ok(());
        }
        tokio::select! {
            biased;
            _ = next => {}
            _ = tokio::time::sleep(end - now) => {}
        }
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s:.1} s") }
}

/// A table's rows by column name, after checking its header: every `required` column and
/// only `required` or `optional` ones, each once.
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn of(step: &Step, required: &[&str], optional: &[&str]) -> Result<Self, StepFailure> {
        let Some(table) = step.table.as_ref() else {
            return fail(format!("this step needs a table with the columns | {} |", required.join(" | ")));
        };
        let columns = table.rows.first().cloned().unwrap_or_default();
        if let Err(why) = check_header(&columns, required, optional) {
            return fail(why);
        }
        Ok(Self { rows: table.rows.iter().skip(1).cloned().collect(), columns })
    }

    /// The cell of `column` in `row`, if the table has that column.
    pub fn get<'r>(&self, row: &'r [String], column: &str) -> Option<&'r str> {
        let i = self.columns.iter().position(|c| c == column)?;
        row.get(i).map(String::as_str)
    }

    /// The cell of a required column.
    pub fn cell<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.get(row, column).unwrap_or_default()
    }

    /// A numeric cell, or a failure naming it.
    pub fn number(&self, row: &[String], column: &str) -> Result<i64, StepFailure> {
        let text = self.cell(row, column);
        text.parse().or_else(|_| fail(format!("{column} {text:?} is not a whole number")))
    }
}

/// Whether a header has every required column, nothing unknown, and no column twice.
pub fn check_header(columns: &[String], required: &[&str], optional: &[&str]) -> Result<(), String> {
    let expected = || {
        let opt: Vec<String> = optional.iter().map(|o| format!("[{o}]")).collect();
        format!("| {} |", required.iter().map(|r| r.to_string()).chain(opt).collect::<Vec<_>>().join(" | "))
    };
    for c in columns {
        if !required.contains(&c.as_str()) && !optional.contains(&c.as_str()) {
            return Err(format!(
                "the table has a column {c:?} this step does not know; its columns are {}",
                expected()
            ));
        }
        if columns.iter().filter(|x| *x == c).count() > 1 {
            return Err(format!("the table has the column {c:?} twice"));
        }
    }
    if let Some(missing) = required.iter().find(|r| !columns.iter().any(|c| c == *r)) {
        return Err(format!("the table lacks the column {missing:?}; its columns are {}", expected()));
    }
    Ok(())
}

/// The docstring of a step that needs one.
pub(crate) fn docstring(step: &Step) -> Result<&str, StepFailure> {
    match step.docstring.as_deref() {
        Some(d) => Ok(d),
        None => fail("this step needs a docstring (\"\"\" … \"\"\") below it"),
    }
}
