//! `hachaos validate` and `hachaos list-faults` from the outside: output and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hachaos() -> Command {
    Command::cargo_bin("hachaos").unwrap()
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(p)
}

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scenario")
        .join(p)
}

#[test]
fn validate_prints_one_line_per_valid_file_and_exits_0() {
    hachaos()
        .arg("validate")
        .arg(repo("faults/primary-shutdown.yaml"))
        .arg(repo("faults/partition.yaml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "primary-shutdown.yaml: ok: primary-shutdown",
        ))
        .stdout(predicate::str::contains("partition.yaml: ok: partition"));
}

#[test]
fn validate_reports_file_line_and_path_and_exits_2_on_bad_input() {
    hachaos()
        .arg("validate")
        .arg(repo("faults/primary-crash.yaml"))
        .arg(data("no-such-node.yaml"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("primary-crash.yaml: ok"))
        .stderr(predicate::str::contains(
            "no-such-node.yaml:4: steps[0].target: no such node `node3`",
        ));
}

#[test]
fn validate_refuses_a_background_recover_that_is_never_awaited_with_file_line_and_key() {
    hachaos()
        .arg("validate")
        .arg(data("background-recover-never-awaited.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "background-recover-never-awaited.yaml:7: steps[2].background: the background \
             `recover` of line 6 is never awaited",
        ));
}

#[test]
fn validate_warns_about_an_unhealed_fault_but_passes() {
    hachaos()
        .arg("validate")
        .arg(data("unhealed.yaml"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning:").and(predicate::str::contains("never healed")));
}

#[test]
fn validate_json_lists_errors_with_line_and_path() {
    let out = hachaos()
        .args(["validate", "--format", "json"])
        .arg(data("unknown-fault.yaml"))
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["valid"], false);
    let err = &doc["files"][0]["errors"][0];
    assert_eq!(err["line"], 4);
    assert_eq!(err["path"], "steps[1].action");
    assert_eq!(err["value"], "host-crahs");
}

#[test]
fn validate_of_a_missing_file_is_bad_input() {
    hachaos()
        .args(["validate", "no/such/file.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn validate_without_files_is_a_usage_error() {
    hachaos().arg("validate").assert().code(2);
}

#[test]
fn list_faults_names_every_kind_with_its_inverse() {
    hachaos()
        .arg("list-faults")
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("host-poweroff")
                .and(predicate::str::contains("healed by host-start")),
        )
        .stdout(
            predicate::str::contains("network-partition")
                .and(predicate::str::contains("network-repair")),
        )
        .stdout(predicate::str::contains("silence"));
}

#[test]
fn list_faults_json_lists_every_kind_of_the_catalogue() {
    let out = hachaos()
        .args(["list-faults", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let faults = doc["faults"].as_array().unwrap();
    assert_eq!(faults.len(), hachaos::faults::FaultKind::ALL.len());
    assert!(
        faults.len() >= 16,
        "the host, network, disk and process faults"
    );
    let kinds: Vec<&str> = faults.iter().filter_map(|f| f["kind"].as_str()).collect();
    for k in [
        "postgres-crash",
        "postgres-hang",
        "pgpool-crash",
        "pgpool-hang",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert_eq!(doc["faults"][1]["kind"], "host-crash");
    assert_eq!(doc["faults"][1]["peer_sees"], "fin-rst");
    let loss = faults.iter().find(|f| f["kind"] == "network-loss").unwrap();
    assert_eq!(loss["heal"], "network-unloss");
    assert_eq!(loss["peer_sees"], "lossy");
}
