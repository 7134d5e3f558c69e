//! `hachaos report` re-renders every format from run.json; `hachaos analyze --html` writes the
//! same timeline page; the console summary is stable.

use assert_cmd::Command;
use std::path::Path;

const REAL_RUN: &str = "tests/data/runs/primary-shutdown-first";

fn bin() -> Command {
    Command::cargo_bin("hachaos").unwrap()
}

#[test]
fn report_writes_junit_and_html_beside_run_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(REAL_RUN).join("run.json"),
        dir.path().join("run.json"),
    )
    .unwrap();
    bin().arg("report").arg(dir.path()).assert().code(0);
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"primary-shutdown\""));
    let page = std::fs::read_to_string(dir.path().join("timeline.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
}

#[test]
fn report_prints_each_format_on_request() {
    for (format, needle) in [
        // A format 1 record is printed as read: upgraded to format 2 (docs/reports.md).
        ("json", "\"format_version\": 2"),
        ("junit", "<testsuites name=\"hachaos\""),
        ("html", "<!DOCTYPE html>"),
        ("text", "verdict: fail"),
    ] {
        let out = bin()
            .args(["report", REAL_RUN, "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{format}"
        );
    }
}

#[test]
fn the_console_summary_matches_its_snapshot_and_has_no_colour_when_piped() {
    let out = bin()
        .args(["report", REAL_RUN, "--format", "text"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'));
    insta::assert_snapshot!("summary_primary_shutdown_first", text);
}

#[test]
fn report_on_something_that_is_not_a_run_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.json"), "{\"format_version\": 1}").unwrap();
    bin()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a run record"));
    bin().args(["report", "no/such/dir"]).assert().code(2);
}

#[test]
fn analyze_writes_the_same_html_timeline_for_offline_logs() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("t.html");
    let out = bin()
        .args(["analyze", "--profile", "pgpool", "--html"])
        .arg(&page)
        .arg(format!("node1={REAL_RUN}/logs/node1/pgpool.log"))
        .arg(format!("node2={REAL_RUN}/logs/node2/pgpool.log"))
        .output()
        .unwrap();
    // The verdict decides the exit code (0, 1 or 4); bad input (2) would mean no page.
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("offline analysis"));
    assert!(html.contains("<svg class=\"timeline\""));
    assert!(html.contains("sequence"));
}
