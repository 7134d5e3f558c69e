//! The command line without a cluster: help, bad arguments, and a missing Docker daemon, each with
//! its documented exit code (see `src/exit_code.rs`).

use assert_cmd::Command;
use predicates::prelude::*;

fn hachaos() -> Command {
    Command::cargo_bin("hachaos").expect("binary")
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    hachaos()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("up"))
        .stdout(predicate::str::contains("clean"))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn up_help_shows_examples() {
    hachaos()
        .args(["up", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
}

#[test]
fn an_unknown_command_is_bad_input() {
    hachaos().arg("explode").assert().code(2);
}

#[test]
fn a_malformed_setting_is_bad_input_before_anything_starts() {
    hachaos()
        .args(["up", "--set", "nonsense"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected KEY=VALUE"));
}

#[test]
fn a_malformed_run_id_is_bad_input() {
    hachaos()
        .args(["status", "--run", "Not A Run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a run id"));
}

#[test]
fn a_missing_docker_daemon_is_an_environment_error_that_says_where() {
    for cmd in [&["up"][..], &["status"], &["down"], &["clean"]] {
        hachaos()
            .args(cmd)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .assert()
            .code(3)
            .stderr(predicate::str::contains(
                "cannot reach the docker daemon at unix:///nonexistent/docker.sock",
            ));
    }
}
