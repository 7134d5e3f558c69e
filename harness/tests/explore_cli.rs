//! `hachaos explore` without a cluster: `--plan-only` is deterministic per seed and every printed
//! schedule is a scenario `hachaos validate` accepts; bad input exits 2 before anything starts and
//! leaves nothing behind.

use assert_cmd::Command;
use predicates::prelude::*;

fn hachaos() -> Command {
    let mut c = Command::cargo_bin("hachaos").expect("binary");
    // Nothing may reach an engine: a bad input must be refused before one is contacted.
    c.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    c
}

fn plan(args: &[&str]) -> String {
    let out = hachaos()
        .args(["explore", "--plan-only"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn the_same_seed_prints_the_same_schedules_and_another_seed_others() {
    let a = plan(&["--seed", "42", "--schedules", "8"]);
    let b = plan(&["--seed", "42", "--schedules", "8"]);
    let c = plan(&["--seed", "43", "--schedules", "8"]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.matches("\n---\n").count(), 7, "{a}");
}

#[test]
fn a_schedule_does_not_depend_on_how_many_are_drawn() {
    let three = plan(&["--seed", "9", "--schedules", "3"]);
    let ten = plan(&["--seed", "9", "--schedules", "10"]);
    assert!(ten.starts_with(&three), "{three}\n---\n{ten}");
}

#[test]
fn every_printed_schedule_passes_validate() {
    let dir = tempfile::tempdir().unwrap();
    let text = plan(&[
        "--seed",
        "42",
        "--schedules",
        "12",
        "--set",
        "trusted_servers=none",
        "--set",
        "health_check_max_retries=3",
    ]);
    let mut files = Vec::new();
    for (i, doc) in text.split("\n---\n").enumerate() {
        let f = dir.path().join(format!("s{i}.yaml"));
        std::fs::write(&f, doc).unwrap();
        files.push(f);
    }
    assert_eq!(files.len(), 12);
    hachaos()
        .arg("validate")
        .args(&files)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
}

#[test]
fn a_duration_prints_as_many_schedules_as_fit() {
    let short = plan(&["--seed", "1", "--duration", "5m"]);
    let long = plan(&["--seed", "1", "--duration", "30m"]);
    assert!(long.starts_with(&short));
    assert!(long.matches("\n---\n").count() > short.matches("\n---\n").count());
}

#[test]
fn only_the_named_faults_are_drawn() {
    let text = plan(&[
        "--seed",
        "3",
        "--schedules",
        "20",
        "--faults",
        "host-hang,network-drop",
    ]);
    for line in text.lines().filter(|l| l.starts_with("- action: ")) {
        let action = &line["- action: ".len()..];
        assert!(
            [
                "write-load-start",
                "host-hang",
                "host-resume",
                "network-drop",
                "network-restore",
                "wait",
                "recover"
            ]
            .contains(&action),
            "{action}"
        );
    }
}

fn refused(args: &[&str], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    hachaos()
        .current_dir(dir.path())
        .arg("explore")
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "bad input left something behind"
    );
}

#[test]
fn an_unknown_fault_is_bad_input_and_names_the_known_ones() {
    refused(
        &["--seed", "1", "--faults", "host-crash,host-crahs"],
        "unknown fault kind `host-crahs` (known: host-shutdown",
    );
}

#[test]
fn zero_schedules_is_bad_input() {
    refused(&["--seed", "1", "--schedules", "0"], "--schedules");
}

#[test]
fn a_duration_that_cannot_fit_one_schedule_is_bad_input() {
    refused(
        &["--seed", "1", "--duration", "30s"],
        "--duration 30s: cannot fit one schedule",
    );
}

#[test]
fn an_unknown_setting_or_a_bad_value_is_bad_input() {
    refused(
        &["--seed", "1", "--set", "health_check_perod=1"],
        "unknown pgpool setting `health_check_perod`",
    );
    refused(&["--seed", "1", "--set", "nonsense"], "expected KEY=VALUE");
    refused(
        &["--seed", "1", "--set", "health_check_period=soon"],
        "--set: ",
    );
}

#[test]
fn an_unknown_release_is_bad_input() {
    refused(
        &["--seed", "1", "--release", "pg99-pgpool99"],
        "pg99-pgpool99",
    );
}
