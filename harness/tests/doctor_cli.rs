//! `hachaos doctor` names the missing piece (a tool hidden from PATH, a missing loop device)
//! with its fix and exits 3, and `run` refuses with the same message before starting anything.

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

/// A PATH holding only `docker` (so the engine check still runs as it would).
fn path_without_host_tools() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for p in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        if p.join("docker").is_file() {
            std::os::unix::fs::symlink(p.join("docker"), dir.path().join("docker")).unwrap();
            break;
        }
    }
    dir
}

#[test]
fn doctor_names_a_tool_hidden_from_path_and_the_faults_that_need_it() {
    let bin = path_without_host_tools();
    hachaos()
        .env("PATH", bin.path())
        .arg("doctor")
        .arg(repo("faults/primary-network-blackhole.yaml"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "missing  nsenter         `nsenter` not in PATH — fix: apt-get install util-linux",
        ))
        .stdout(predicate::str::contains(
            "network-blackhole  NOT supported (missing: ",
        ))
        .stdout(predicate::str::contains("nsenter"));
}

#[test]
fn doctor_names_a_missing_loop_device() {
    let out = hachaos()
        .args([
            "doctor",
            "--format",
            "json",
            "--loop-control",
            "/dev/hachaos-no-such-loop",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    let lp = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "loop-devices")
        .unwrap();
    assert_eq!(lp["status"], "missing");
    assert!(lp["fix"].as_str().unwrap().contains("modprobe loop"));
    assert!(doc["faults"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["supported"] == false));
}

#[test]
fn run_refuses_before_starting_when_a_fault_cannot_be_injected() {
    let bin = path_without_host_tools();
    hachaos()
        .env("PATH", bin.path())
        .arg("run")
        .arg(repo("faults/primary-network-blackhole.yaml"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("error: doctor: nsenter"))
        .stderr(predicate::str::contains("see `hachaos doctor`"));
}

#[cfg(feature = "chaos")]
#[test]
fn doctor_passes_on_a_runner_that_runs_the_chaos_tests() {
    hachaos()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ready:"));
}
