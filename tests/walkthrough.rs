//! The README walkthrough, executed: `examples/walkthrough/walkthrough.sh` serves two
//! clusters and a service network, applies the ServiceImport reference's YAML with the real
//! `kubectl`, and reads the importing rule back with the real `aws` CLI — once with the
//! in-process reference controllers and once with `latticelab controller` as the external
//! controller of each cluster. The README must carry the script and the YAML verbatim.
//!
//! Needs `kubectl` and the `aws` CLI (found as the kubectl and aws_cli tests find them);
//! without them it prints SKIPPED, unless `LATTICELAB_REQUIRE_KUBECTL=1` or
//! `LATTICELAB_REQUIRE_AWS_CLI=1` (set by `.ci/run`) make that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A PATH on which `kubectl` and `aws` are found, or why not.
fn tools_path() -> Result<String, String> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for var in ["LATTICELAB_KUBECTL", "LATTICELAB_AWS_CLI"] {
        if let Ok(path) = std::env::var(var)
            && let Some(dir) = Path::new(&path).parent()
        {
            dirs.push(dir.to_path_buf());
        }
    }
    let venv = root().join(".venv/bin");
    if venv.join("aws").exists() {
        dirs.push(venv);
    }
    let mut path = std::env::join_paths(&dirs).map_err(|e| e.to_string())?.into_string().unwrap_or_default();
    if let Ok(rest) = std::env::var("PATH") {
        path = if path.is_empty() { rest } else { format!("{path}:{rest}") };
    }
    let on = |program: &str, arg: &str| {
        Command::new(program).arg(arg).env("PATH", &path).output().is_ok_and(|o| o.status.success())
    };
    if !on("kubectl", "--help") {
        return Err("kubectl not found".into());
    }
    if !on("aws", "--version") {
        return Err("no aws CLI".into());
    }
    Ok(path)
}

fn required() -> bool {
    ["LATTICELAB_REQUIRE_KUBECTL", "LATTICELAB_REQUIRE_AWS_CLI"].iter().any(|v| std::env::var(v).as_deref() == Ok("1"))
}

fn walk(controller: &str) {
    let test = format!("the_readme_walkthrough ({controller})");
    let path = match tools_path() {
        Ok(path) => path,
        Err(why) => {
            assert!(!required(), "{test}: {why}, and a tool is required here");
            common::skipped(
                &test,
                &format!("{why} (see tests/kubectl.rs and tests/aws_cli.rs for how they are found)"),
            );
            return;
        }
    };
    let state = tempfile::tempdir().expect("temp dir");
    let latticelab = env!("CARGO_BIN_EXE_latticelab");
    let controller = controller.replace("LATTICELAB", latticelab);
    let out = Command::new("bash")
        .arg(root().join("examples/walkthrough/walkthrough.sh"))
        .env("PATH", path)
        .env("LATTICELAB", latticelab)
        .env("CONTROLLER", &controller)
        .env("STATE", state.path())
        .env("HOME", state.path()) // kubectl's discovery cache stays in the test's own directory
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{test} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("my-route forwards to target group tg-"), "{test}: {stdout}");
    assert!(stdout.contains(" of cluster-a"), "{test}: {stdout}");
    if controller.starts_with("external:") {
        for cluster in ["cluster-a", "cluster-b"] {
            let log =
                std::fs::read_to_string(state.path().join(format!("controller-{cluster}.log"))).unwrap_or_default();
            assert!(log.contains(&format!("controller for cluster {cluster}")), "{cluster}'s controller log: {log}");
            assert!(log.contains("controller stopped"), "{cluster}'s controller was not stopped cleanly: {log}");
        }
    }
}

#[test]
fn the_readme_walkthrough_with_the_reference_controllers() {
    walk("reference");
}

#[test]
fn the_readme_walkthrough_with_external_controllers() {
    walk("external:LATTICELAB controller");
}

#[test]
fn the_readme_carries_the_walkthrough_verbatim() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    for file in ["walkthrough.sh", "cluster-a.yaml", "cluster-b.yaml"] {
        let text = std::fs::read_to_string(root().join("examples/walkthrough").join(file)).expect(file);
        assert!(readme.contains(text.trim()), "README.md does not show examples/walkthrough/{file} as it is");
    }
}
