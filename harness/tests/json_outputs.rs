//! Every command that prints results has `--format json`, and each document carries a
//! `format_version` (scripts check it before reading anything else).

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(p)
}

/// Runs hachaos with `args`, parses stdout as one JSON document and returns it.
fn json_of(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("hachaos")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not one JSON document: {e}"))
}

#[test]
fn every_offline_json_output_has_a_format_version() {
    let run = data("report/slower").display().to_string();
    let seed = format!("node102={}", data("analyze/seed.txt").display());
    let scenario = repo("faults/partition.yaml").display().to_string();
    for args in [
        vec!["list-faults", "--format", "json"],
        vec!["validate", "--format", "json", &scenario],
        vec!["analyze", "--format", "json", &seed],
        vec!["report", "--format", "json", &run],
        vec!["compare", "--format", "json", &run, &run],
        vec![
            "qualify-report",
            "--format",
            "json",
            "--baseline",
            &run,
            "--candidate",
            &run,
        ],
        vec!["image", "tag", "--format", "json"],
    ] {
        let doc = json_of(&args);
        assert!(
            doc.get("format_version").and_then(|v| v.as_u64()).is_some(),
            "{args:?}: no format_version in {doc}"
        );
    }
}

#[test]
fn commands_that_talk_to_docker_accept_format_json() {
    // Parsing only (no Docker here): each accepts the flag.
    for args in [
        vec!["clean", "--format", "json", "--help"],
        vec!["down", "--format", "json", "--help"],
        vec!["up", "--format", "json", "--help"],
        vec!["status", "--format", "json", "--help"],
        vec!["image", "build", "--format", "json", "--help"],
        vec!["qualify", "--format", "json", "--help"],
        vec!["run", "--format", "json", "--help"],
    ] {
        Command::cargo_bin("hachaos")
            .unwrap()
            .args(&args)
            .assert()
            .code(0);
    }
}

#[cfg(feature = "chaos")]
#[test]
fn clean_of_one_run_reports_in_json() {
    // One (nonexistent) run only: never sweep other engineers' clusters.
    let doc = json_of(&["clean", "--run", "r00000000", "--format", "json"]);
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["removed"]["containers"], serde_json::json!([]));
}
