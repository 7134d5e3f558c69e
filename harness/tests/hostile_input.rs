//! Regression tests for issue 15's hostile inputs: each file a tester crafted to blow up memory
//! or time, or to slip past validation, now gets a clear error with file:line and exit 2, and
//! no such input of at most 1 MB makes a command use more than 256 MB.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hachaos() -> Command {
    Command::cargo_bin("hachaos").unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const WAIT: &str = "steps:\n  - action: wait\n    duration: 1s\n";

/// 6 settings × 10 values: a 338-byte file whose matrix makes 10^6 cases.
fn million_case_matrix() -> String {
    let mut s = String::from("name: m\nmatrix:\n");
    for k in [
        "health_check_period",
        "health_check_timeout",
        "health_check_max_retries",
        "health_check_retry_delay",
        "wd_interval",
        "wd_heartbeat_deadtime",
    ] {
        s.push_str(&format!("  {k}: [1,2,3,4,5,6,7,8,9,10]\n"));
    }
    s + WAIT
}

/// A 100 KB string repeated 50,000 times through aliases (~5 GB once expanded).
fn alias_bomb() -> String {
    format!(
        "name: &x \"{}\"\ndescription: [{}]\n{WAIT}",
        "y".repeat(100_000),
        "*x, ".repeat(50_000)
    )
}

fn deep_nesting() -> String {
    format!(
        "name: {}{}\n{WAIT}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    )
}

fn steps(n: usize) -> String {
    format!(
        "name: big\nsteps:\n{}",
        "  - action: wait\n    duration: 1s\n".repeat(n)
    )
}

#[test]
fn a_matrix_of_a_million_cases_is_refused_before_it_is_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "m.yaml", million_case_matrix());
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "m.yaml:3: matrix: the matrix makes 1000000 cases: at most 256 are allowed",
        ));
    // `run` and `qualify` load the same way: refused before any Docker call.
    hachaos()
        .args(["run"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1000000 cases"));
}

#[test]
fn aliases_that_expand_to_gigabytes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.yaml", alias_bomb());
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("aliases repeat too much"));
    let r = write(dir.path(), "r.yaml", alias_bomb());
    hachaos()
        .args(["validate", "--profile-file"])
        .arg(&r)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("aliases repeat too much"));
}

#[test]
fn nesting_a_hundred_thousand_levels_deep_is_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "n.yaml", deep_nesting());
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "n.yaml:1: name: nested deeper than 64 levels",
        ));
}

#[test]
fn a_file_over_one_megabyte_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "big.yaml",
        format!("name: x\ndescription: {}\n{WAIT}", "z".repeat(2_000_000)),
    );
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "too large: more than 1048576 bytes",
        ));
}

#[test]
fn four_thousand_steps_validate_and_report_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = steps(4000);
    // The last step is wrong: its line is found by the same single pass.
    text.push_str("  - action: wait\n    duration: 0s\n");
    let f = write(dir.path(), "s.yaml", text);
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "s.yaml:8004: steps[4000].duration: a wait of zero",
        ));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "bom.yaml", format!("\u{feff}name: bom\n{WAIT}"));
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: bom"));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_line_and_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "b.yaml",
        b"name: x\nsteps:\n  - action: wa\xffit\n",
    );
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "b.yaml:3: not UTF-8: invalid byte 0xff at byte offset 29",
        ));
}

#[test]
fn duplicate_keys_in_config_matrix_and_roles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, want) in [
        (
            "c.yaml",
            format!("name: c\nconfig:\n  wd_interval: 1\n  wd_interval: 2\n{WAIT}"),
            "c.yaml:4: config.wd_interval: duplicate key `wd_interval` (first at line 3)",
        ),
        (
            "m.yaml",
            format!("name: m\nmatrix:\n  wd_interval: [1]\n  wd_interval: [2]\n{WAIT}"),
            "m.yaml:4: matrix.wd_interval: duplicate key",
        ),
        (
            "r.yaml",
            "name: r\nsteps:\n  - action: wait\n    duration: 1s\n    expect:\n      - roles: {primary: primary, primary: standby}\n        within: 5s\n".to_string(),
            "r.yaml:6: steps[0].expect[0].roles.primary: duplicate key",
        ),
    ] {
        let f = write(dir.path(), name, text);
        hachaos()
            .arg("validate")
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

#[test]
fn an_unknown_profile_is_refused_by_validate_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "p.yaml",
        format!("name: p\nprofile: nosuchrelease\n{WAIT}"),
    );
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "p.yaml:2: profile: unknown release `nosuchrelease`",
        ));
}

#[test]
fn an_invalid_target_is_reported_at_its_own_line_with_the_path_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "t.yaml",
        "name: t\nsteps:\n  - action: host-crash\n    expect: []\n    target: \"bad target!\"\n",
    );
    hachaos()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "t.yaml:5: steps[0].target: invalid target `bad target!`",
        ))
        .stderr(predicate::str::contains("steps[0]: ").not());
}

#[test]
fn a_huge_offending_value_is_echoed_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "v.yaml",
        format!("name: v\nsteps:\n  - action: \"{}\"\n", "w".repeat(500_000)),
    );
    let out = hachaos().arg("validate").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(500000 bytes in all)"), "{err}");
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
}

#[test]
fn a_grammar_that_is_not_a_grammar_is_not_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let grammar = write(
        dir.path(),
        "passwd",
        "root:x:0:0:root:/root:/bin/bash\n".repeat(1_000),
    );
    let release = write(
        dir.path(),
        "r.yaml",
        format!(
            "name: r1\nversions: {{database: PostgreSQL 15, pgpool: \"4.3\"}}\nimage: vendor/db:1\ngrammar: {}\nports: {{database: 5432, pool: 9999}}\nlogs: {{dir: /var/log/hachaos, files: [pgpool.log]}}\ncommands:\n  failover: /f %d\n  rejoin: [/r, \"{{primary}}\"]\n",
            grammar.display()
        ),
    );
    let out = hachaos()
        .args(["validate", "--profile-file"])
        .arg(&release)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 2_000, "{} bytes of stderr: {err}", err.len());
}

#[test]
fn a_pgpool_version_that_never_existed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let release = write(
        dir.path(),
        "r.yaml",
        "name: r1\nversions: {database: PostgreSQL 15, pgpool: \"99.99.99\"}\nimage: vendor/db:1\ngrammar: pgpool\nports: {database: 5432, pool: 9999}\nlogs: {dir: /var/log/hachaos, files: [pgpool.log]}\ncommands:\n  failover: /f %d\n  rejoin: [/r, \"{primary}\"]\n",
    );
    hachaos()
        .args(["validate", "--profile-file"])
        .arg(&release)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("versions.pgpool").and(predicate::str::contains("3.x or 4.x")),
        );
}

#[test]
fn a_pass_rate_drop_over_100_percent_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    hachaos()
        .args(["qualify-report", "--pass-rate-drop", "200%", "--baseline"])
        .arg(dir.path())
        .arg("--candidate")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--pass-rate-drop")
                .and(predicate::str::contains("more than 100%")),
        );
}

#[test]
fn compare_takes_its_floor_in_the_same_forms_as_qualify() {
    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/report");
    let any_run = std::fs::read_dir(&run)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.join("run.json").is_file() || p.extension().is_some_and(|e| e == "json"));
    let Some(any_run) = any_run else {
        panic!("no recorded run under {}", run.display());
    };
    for floor in ["0.5", "500ms", "1s"] {
        hachaos()
            .args(["compare", "--floor", floor])
            .arg(&any_run)
            .arg(&any_run)
            .assert()
            .code(0);
    }
    hachaos()
        .args(["compare", "--floor", "-1"])
        .arg(&any_run)
        .arg(&any_run)
        .assert()
        .code(2);
}

/// The largest resident set of any child this test process has waited for, in bytes.
fn children_max_rss() -> u64 {
    // SAFETY: getrusage only writes the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn no_hostile_file_of_at_most_one_megabyte_makes_a_command_use_256_mb() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        ("matrix.yaml", million_case_matrix()),
        ("alias.yaml", alias_bomb()),
        ("nest.yaml", deep_nesting()),
        ("steps.yaml", steps(20_000)),
    ];
    let one_mb_log =
        "2024-01-01 00:00:00: pid 1: LOG:  failover: set new primary node: 1 ".repeat(15_000);
    let inputs = inputs.into_iter().chain([
        (
            "deep.json",
            format!(
                "{{\"format_version\": 1, \"x\": {}{}}}",
                "[".repeat(400_000),
                "]".repeat(400_000)
            ),
        ),
        (
            "wide.json",
            format!(
                "{{\"format_version\": 1, \"events\": [{}{{}}]}}",
                "{}, ".repeat(250_000)
            ),
        ),
        ("one-line.log", one_mb_log),
    ]);
    for (name, text) in inputs {
        assert!(text.len() <= 1024 * 1024, "{name} is {} bytes", text.len());
        let f = write(dir.path(), name, &text);
        let node = format!("node1={}", f.display());
        for args in [
            vec!["validate"],
            vec!["validate", "--profile-file"],
            vec!["qualify-report", "--thresholds"],
            vec!["report", "--format", "text"],
            vec!["compare", "--format", "json", "--threshold", "10%"],
            vec!["analyze", "--format", "json", &node],
        ] {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("hachaos"));
            cmd.current_dir(dir.path()).args(&args);
            match args[0] {
                "analyze" => {}
                "qualify-report" => {
                    cmd.arg(&f).args(["--baseline", ".", "--candidate", "."]);
                }
                "compare" => {
                    cmd.arg(&f).arg(&f);
                }
                _ => {
                    cmd.arg(&f);
                }
            }
            let out = cmd.output().unwrap();
            assert!(
                matches!(out.status.code(), Some(0..=4)),
                "{args:?} {name}: {:?}",
                out.status
            );
            let rss = children_max_rss();
            assert!(
                rss <= 256 * 1024 * 1024,
                "{args:?} {name}: max RSS {} MB",
                rss >> 20
            );
        }
    }
}

#[test]
fn an_unreadable_directory_does_not_abort_qualify_report() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs");
    for side in ["base", "cand"] {
        let run = dir.path().join(side).join("primary-crash/r1");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::copy(
            data.join("pg15-pgpool43-primary-crash/run.json"),
            run.join("run.json"),
        )
        .unwrap();
        let locked = dir.path().join(side).join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("hachaos"));
    cmd.arg("qualify-report")
        .arg("--baseline")
        .arg(dir.path().join("base"))
        .arg("--candidate")
        .arg(dir.path().join("cand"));
    // root reads any directory: drop to `nobody` so that 000 means unreadable.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: skipped:") && err.contains("locked"),
        "{err}"
    );
}
