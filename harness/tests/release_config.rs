//! Releases as data: the pgpool template rendered per pgpool version (golden files), and release
//! files checked with errors that name the file, the key and the value.
//!
//! Regenerate the golden files after a deliberate template change with
//! `HACHAOS_UPDATE_GOLDEN=1 cargo test --test release_config`, and read the diff.

use assert_cmd::Command;
use hachaos::image::ImageSource;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/config")
        .join(name)
}

fn rendered_template(release: &str) -> String {
    let files = ImageSource::Embedded.load(release).expect("release loads");
    let t = files
        .get("rootfs/etc/hachaos/templates/pgpool.conf.in")
        .expect("the template is in the build context");
    String::from_utf8(t.contents.clone()).unwrap()
}

fn check_golden(release: &str, file: &str) -> String {
    let text = rendered_template(release);
    let path = golden(file);
    if std::env::var_os("HACHAOS_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        text,
        want,
        "{release}: rendered template differs from {}",
        path.display()
    );
    text
}

#[test]
fn pgpool_4_6_gets_the_template_as_written() {
    let text = check_golden("pg17-pgpool46", "pgpool-4.6.conf.in");
    assert!(text.contains("\ndelegate_ip = '@@HACHAOS_VIP@@'"));
    assert!(text.contains("\nunix_socket_directories = "));
    assert!(text.contains("\ntrusted_server_command = "));
}

#[test]
fn pgpool_4_3_gets_its_own_parameter_names() {
    let text = check_golden("pg15-pgpool43", "pgpool-4.3.conf.in");
    assert!(
        text.contains("\ndelegate_IP = '@@HACHAOS_VIP@@'"),
        "4.3 says delegate_IP"
    );
    assert!(text.contains("\nsocket_dir = "), "4.3 says socket_dir");
    assert!(!text.contains("\ndelegate_ip"));
    assert!(!text.contains("\nunix_socket_directories"));
    assert!(
        text.contains("\n# trusted_server_command = 'ping -q -n -c 1 -W 1 %h' (not in pgpool-II 4.3: since 4.4)"),
        "a parameter 4.3 lacks is commented out with the reason"
    );
}

#[test]
fn each_release_has_its_build_env_and_its_own_tag() {
    let a = ImageSource::Embedded.load("pg15-pgpool43").unwrap();
    let b = ImageSource::Embedded.load("pg17-pgpool46").unwrap();
    let env = |f: &hachaos::image::ReleaseFiles| {
        String::from_utf8(f.get("build.env").unwrap().contents.clone()).unwrap()
    };
    assert_eq!(env(&a), "PG_MAJOR=15\nSUITE=bookworm\n");
    assert_eq!(env(&b), "PG_MAJOR=17\nSUITE=trixie\n");
    assert_ne!(a.tag(), b.tag());
    assert_ne!(a.base_tag(), b.base_tag());
    // The shared recipe is laid under each release: the scripts are the same bytes.
    let script = "rootfs/usr/local/bin/hachaos-failover";
    assert_eq!(
        a.get(script).unwrap().contents,
        b.get(script).unwrap().contents
    );
}

fn hachaos() -> Command {
    Command::cargo_bin("hachaos").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const BYO: &str = r#"name: vendor-v8
description: a vendor build of pgpool, brought as an image
versions: {database: PostgreSQL 15, pgpool: "4.3"}
image: vendor/db:8.3
grammar: pgpool
ports: {database: 5432, pool: 9999}
logs: {dir: /var/log/hachaos, files: [pgpool.log, postgresql.log, failover.log, recovery.log]}
commands:
  failover: /usr/local/bin/hachaos-failover %d %h %m %H %M %P %N
  rejoin: [hachaos-rejoin, "{primary}"]
"#;

#[test]
fn validate_profile_file_accepts_a_good_release_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "release.yaml", BYO);
    hachaos()
        .args(["validate", "--profile-file"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("vendor-v8"))
        .stdout(predicate::str::contains("vendor/db:8.3"));
}

#[test]
fn a_release_file_is_given_with_release_file_and_the_old_flag_warns() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "release.yaml", BYO);
    hachaos()
        .args(["validate", "--release-file"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("vendor-v8"))
        .stderr(predicate::str::contains("deprecated").not());
    hachaos()
        .args(["validate", "--profile-file"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("vendor-v8"))
        .stderr(predicate::str::contains(
            "warning: `--profile-file` is deprecated: use `--release-file`",
        ));
}

#[test]
fn validate_profile_file_names_file_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            BYO.replace("pgpool: \"4.3\"", "pgpool: \"4.x\""),
            "versions.pgpool",
            "4.x",
        ),
        (
            BYO.replace("pool: 9999", "pool: 70000"),
            "ports.pool",
            "70000",
        ),
        (
            BYO.replace("grammar: pgpool", "grammar: nosuch.yaml"),
            "grammar",
            "nosuch.yaml",
        ),
        (
            BYO.replace("files: [pgpool.log,", "files: [/abs/pgpool.log,"),
            "logs.files[0]",
            "/abs/pgpool.log",
        ),
        (
            BYO.replace("commands:", "comands:"),
            "comands",
            "unknown field",
        ),
    ];
    for (text, key, value) in cases {
        let f = write(dir.path(), "bad.yaml", &text);
        hachaos()
            .args(["validate", "--profile-file"])
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(f.display().to_string()))
            .stderr(predicate::str::contains(key))
            .stderr(predicate::str::contains(value));
    }
}

#[test]
fn a_missing_profile_file_is_bad_input() {
    hachaos()
        .args(["validate", "--profile-file", "/nonexistent/release.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/release.yaml"));
}

#[test]
fn a_run_on_a_profile_file_without_a_daemon_is_an_environment_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "release.yaml",
        &BYO.replace("vendor/db:8.3", "hachaos-test/none:0"),
    );
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults/primary-crash.yaml");
    // No daemon here: the run stops at connecting, with exit 3 and nothing created.
    hachaos()
        .args(["run", "--profile-file"])
        .arg(&f)
        .arg(&scenario)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(3);
}

#[test]
fn qualify_refuses_bad_input_before_contacting_docker() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults/primary-crash.yaml");
    let cases: [(&[&str], &str); 2] = [
        (
            &["--baseline", "pg99-nothing", "--candidate", "pg17-pgpool46"],
            "unknown image release `pg99-nothing`",
        ),
        (
            &[
                "--baseline",
                "pg15-pgpool43",
                "--candidate",
                "pg17-pgpool46",
                "--threshold",
                "lots",
            ],
            "--threshold",
        ),
    ];
    for (args, message) in cases {
        hachaos()
            .arg("qualify")
            .args(args)
            .arg(&scenario)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    hachaos()
        .args([
            "qualify",
            "--baseline",
            "pg15-pgpool43",
            "--candidate",
            "pg17-pgpool46",
        ])
        .arg("/nonexistent/scenario.yaml")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/scenario.yaml"));
}

#[test]
fn a_release_against_itself_is_a_valid_qualification() {
    // Accepted as input: it gets as far as the engine (exit 3 here, no daemon), not refused (2).
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults/primary-crash.yaml");
    hachaos()
        .args([
            "qualify",
            "--baseline",
            "pg17-pgpool46",
            "--candidate",
            "pg17-pgpool46",
        ])
        .arg(&scenario)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("engine"));
}

#[test]
fn every_candidate_of_a_qualification_is_checked_before_anything_starts() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults/primary-crash.yaml");
    hachaos()
        .args([
            "qualify",
            "--baseline",
            "pg17-pgpool46",
            "--candidate",
            "pg15-pgpool43",
            "--candidate",
            "pg99-pgpool99",
        ])
        .arg(&scenario)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pg99-pgpool99"));
}
