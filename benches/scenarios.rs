//! The whole scenario suite as `latticelab run` runs it: scenarios per wall second, and
//! virtual seconds simulated per wall second: `cargo bench --bench scenarios`.

use std::path::PathBuf;
use std::time::Instant;

use latticelab::scenario::runner::{RunOptions, run_blocking};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let report = std::env::temp_dir().join("latticelab-bench-report");
    for concurrency in [1, 8] {
        let started = Instant::now();
        let outcome = run_blocking(RunOptions {
            paths: vec![root.join("features")],
            report: report.clone(),
            concurrency,
            ..RunOptions::default()
        })
        .expect("the suite runs");
        let wall = started.elapsed().as_secs_f64();
        let scenarios = outcome.scenarios_passed + outcome.scenarios_failed;
        println!(
            "concurrency {concurrency}: {scenarios} scenarios ({} failed) in {wall:.2} s wall: {:.1} scenarios/s; {:.0} virtual s simulated, {:.0} virtual s per wall s",
            outcome.scenarios_failed,
            scenarios as f64 / wall,
            outcome.virtual_seconds,
            outcome.virtual_seconds / wall
        );
    }
}
