//! `hachaos analyze` as a user runs it: outputs, exit codes and error messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

const SEED: &str = "tests/data/analyze/seed.txt";

fn hachaos() -> Command {
    let mut cmd = Command::cargo_bin("hachaos").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn snapshot(name: &str, value: &str) {
    let filters = vec![(
        r#""harness_commit": "[^"]*""#,
        r#""harness_commit": "[commit]""#,
    )];
    insta::with_settings!({snapshot_path => "data/analyze/snapshots", prepend_module_to_snapshot => false, filters => filters}, {
        insta::assert_snapshot!(name, value);
    });
}

#[test]
fn the_seed_analyses_to_a_passing_text_report() {
    let out = hachaos()
        .args(["analyze", &format!("node102={SEED}")])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    snapshot("seed_text", &String::from_utf8(out).unwrap());
}

#[test]
fn the_seed_analyses_to_versioned_json() {
    let out = hachaos()
        .args(["analyze", "--format", "json", "--profile", "kingbase-v8r3"])
        .arg(format!("node102={SEED}"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["failover"]["executors"][0], "node102");
    assert_eq!(
        v["provenance"]["harness_version"],
        env!("CARGO_PKG_VERSION")
    );
    assert!(!v["provenance"]["harness_commit"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(!text.contains("MTIzNDU2"));
    snapshot("seed_json", &text);
}

#[test]
fn a_run_directory_with_one_folder_per_node_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node102");
    std::fs::create_dir(&node).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED),
        node.join("cluster.log"),
    )
    .unwrap();
    std::fs::write(node.join("notes.txt"), "not a log, not picked\n").unwrap();
    hachaos()
        .args(["analyze", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\"executors\": [\n      \"node102\"",
        ))
        .stdout(predicate::str::contains("notes.txt").not());
}

#[test]
fn a_missing_file_is_bad_input_naming_the_file() {
    hachaos()
        .args(["analyze", "node1=/nonexistent/cluster.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/cluster.log"));
}

#[test]
fn a_binary_file_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("core.bin");
    std::fs::write(
        &bin,
        b"\x7fELF\x00\x00\x01health checking retry count 1\x00",
    )
    .unwrap();
    hachaos()
        .args(["analyze", "--profile", "kingbase-v8r3"])
        .arg(format!("node1={}", bin.display()))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("core.bin").and(predicate::str::contains("binary")));
}

#[test]
fn an_unknown_profile_is_bad_input() {
    hachaos()
        .args(["analyze", "--profile", "mysql", &format!("node102={SEED}")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown profile `mysql`"));
}

#[test]
fn a_log_in_an_unknown_format_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("app.log");
    std::fs::write(&f, "hello\nworld\n").unwrap();
    hachaos()
        .args(["analyze"])
        .arg(format!("n1={}", f.display()))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("app.log").and(predicate::str::contains("--profile")));
}

#[test]
fn a_file_without_a_parsable_line_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.log");
    std::fs::write(&f, "just prose\nmore prose\n").unwrap();
    hachaos()
        .args(["analyze", "--profile", "pgpool"])
        .arg(format!("n1={}", f.display()))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("empty.log").and(predicate::str::contains(
                "no line the pgpool profile recognises",
            )),
        );
}

#[test]
fn an_argument_without_a_node_is_bad_input() {
    hachaos()
        .args(["analyze", "cluster.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NODE=PATH"));
}

#[test]
fn a_custom_profile_file_is_used_and_its_errors_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mine.yaml");
    std::fs::write(
        &p,
        "name: mine\nprefixes: []\nrules:\n  - kind: nope\n    keywords: [x]\n    regex: x\n",
    )
    .unwrap();
    hachaos()
        .args(["analyze", "--profile-file"])
        .arg(&p)
        .arg(format!("node102={SEED}"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`nope`"));
}

#[test]
fn a_failover_missing_its_steps_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cluster.log");
    std::fs::write(
        &f,
        "2022-08-30 15:39:23: pid 1: LOG: setting backend node 0 status to NODE DOWN\n\
         2022-08-30 15:39:23: pid 1: LOG: execute command: /x/failover_stream.sh 0 1\n",
    )
    .unwrap();
    hachaos()
        .args(["analyze", "--profile", "kingbase-v8r3"])
        .arg(format!("n1={}", f.display()))
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("FAIL")
                .and(predicate::str::contains("follows no known sequence"))
                .and(predicate::str::contains("missing health_check_retry")),
        );
}

/// `--format` is the same list as `run` and `report`: JUnit has one testcase per check, failing
/// checks as `<failure>`; HTML is the timeline page.
#[test]
fn an_analysis_renders_as_junit_and_html_like_a_run() {
    let junit = hachaos()
        .args(["analyze", "--format", "junit", "--profile", "kingbase-v8r3"])
        .arg(format!("node102={SEED}"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let junit = String::from_utf8(junit).unwrap();
    assert!(
        junit.contains(r#"<testsuite name="analyze (kingbase-v8r3)""#),
        "{junit}"
    );
    assert!(junit.contains(r#"<testcase name="sequence""#), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(!junit.contains("MTIzNDU2"), "a secret leaked: {junit}");
    let html = hachaos()
        .args(["analyze", "--format", "html", "--profile", "kingbase-v8r3"])
        .arg(format!("node102={SEED}"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") || html.contains("<html"),
        "{html}"
    );
    assert!(!html.contains("MTIzNDU2"));
}
