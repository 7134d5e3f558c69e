//! `hachaos run` as a suite and `hachaos report --merge`, from the outside, without Docker: bad
//! input exits 2 before anything starts (the engine address is bogus, so anything that tried to
//! reach it would exit 3), and shard suites merge into one report.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hachaos() -> Command {
    let mut c = Command::cargo_bin("hachaos").unwrap();
    c.env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env_remove("HACHAOS_JOBS");
    c
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(p)
}

#[test]
fn a_set_naming_a_missing_file_is_bad_input_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("nightly.txt");
    std::fs::write(&set, "# nightly\nprimary-crash.yaml\nno-such.yaml\n").unwrap();
    std::fs::copy(
        repo("faults/primary-crash.yaml"),
        dir.path().join("primary-crash.yaml"),
    )
    .unwrap();
    hachaos()
        .arg("run")
        .arg(&set)
        .arg(dir.path().join("gone.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nightly.txt:3: no scenario file `no-such.yaml`",
        ))
        .stderr(predicate::str::contains(
            "gone.yaml: no such file or folder",
        ));
}

#[test]
fn an_invalid_scenario_in_a_suite_stops_it_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo("faults/primary-crash.yaml"), dir.path().join("a.yaml")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenario/no-such-node.yaml"),
        dir.path().join("b.yaml"),
    )
    .unwrap();
    hachaos()
        .arg("run")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "b.yaml:4: steps[0].target: no such node",
        ));
}

#[test]
fn jobs_zero_a_bad_shard_and_a_bad_environment_value_are_bad_input() {
    hachaos()
        .args(["run", "--jobs", "0"])
        .arg(repo("faults"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--jobs"));
    hachaos()
        .args(["run", "--shard", "3/2"])
        .arg(repo("faults"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected k/n with 1 <= k <= n"));
    hachaos()
        .env("HACHAOS_JOBS", "many")
        .arg("run")
        .arg(repo("faults"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("HACHAOS_JOBS=many"));
    hachaos().args(["up", "--jobs", "0"]).assert().code(2);
}

#[test]
fn keep_is_refused_for_a_suite() {
    hachaos()
        .args(["run", "--keep"])
        .arg(repo("faults/sets/qualify.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--keep leaves one cluster up"));
}

#[test]
fn a_valid_suite_gets_as_far_as_the_engine() {
    // Everything validated; the bogus engine address is the first thing that fails: exit 3.
    hachaos()
        .arg("run")
        .arg(repo("faults/sets/qualify.txt"))
        .args(["--shard", "1/2", "--jobs", "2"])
        .assert()
        .code(3);
}

fn write_suite(dir: &Path, id: &str, cases: &[(&str, &str)]) {
    let cases: Vec<serde_json::Value> = cases
        .iter()
        .map(|(scenario, outcome)| {
            serde_json::json!({
                "case": {"scenario": scenario, "release": "pg17-pgpool46", "repeat": 1},
                "name": format!("pg17-pgpool46/{scenario}#1"),
                "file": format!("faults/{scenario}.yaml"),
                "outcome": outcome,
                "run_id": null, "run_dir": null, "duration_ms": 1000,
                "timings": {"slot_wait_ms": 0, "boot_ms": 1000, "ready_wait_ms": 0, "steps_ms": 0, "evidence_ms": 0, "teardown_ms": 0},
                "measurements": {"promote": 12.5}, "failed_checks": [], "error": null,
                "reproduce": format!("hachaos run faults/{scenario}.yaml")
            })
        })
        .collect();
    let suite = serde_json::json!({
        "format_version": 1, "harness_version": "0", "suite_id": id,
        "started_at": "2026-01-01T00:00:00Z", "duration_ms": 5000, "jobs": 3,
        "shard": null, "images": [], "cases": cases,
        "totals": {"slot_wait_ms": 0, "boot_ms": 0, "ready_wait_ms": 0, "steps_ms": 0, "evidence_ms": 0, "teardown_ms": 0},
        "counts": {}, "command": "hachaos run"
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("suite.json"), suite.to_string()).unwrap();
}

#[test]
fn shards_merge_into_one_suite_report_that_exits_like_its_worst_case() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("merged"),
    );
    write_suite(&a, "ra", &[("primary-crash", "pass")]);
    write_suite(
        &b,
        "rb",
        &[("standby-shutdown", "fail"), ("partition", "pass")],
    );
    hachaos()
        .args(["report", "--merge"])
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("3 case(s): 1 fail, 2 pass"));
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("suite.json")).unwrap()).unwrap();
    assert_eq!(merged["merged_from"], serde_json::json!(["ra", "rb"]));
    assert_eq!(merged["cases"].as_array().unwrap().len(), 3);
    assert_eq!(merged["totals"]["boot_ms"], 3000);
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<testsuite name="pg17-pgpool46/standby-shutdown#1""#));
    assert!(std::fs::read_to_string(out.join("index.html"))
        .unwrap()
        .contains("standby-shutdown"));

    // Not a suite folder: bad input.
    hachaos()
        .args(["report", "--merge"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}
