//! JUnit XML from the recorded run: one testcase per check and phase, failures with evidence,
//! log tails and the reproduce line, and a document that validates against a JUnit schema.

use hachaos::report::{junit, junit_with_tails, read_run, LogTails};
use std::path::Path;

#[path = "support/xmllint.rs"]
mod xmllint;

const REAL_RUN: &str = "tests/data/runs/primary-shutdown-first";

fn rendered() -> String {
    let record = read_run(Path::new(REAL_RUN)).unwrap();
    junit_with_tails(
        &record,
        &LogTails::from_logs_dir(&Path::new(REAL_RUN).join("logs")),
    )
}

#[test]
fn junit_of_the_recorded_run_matches_its_snapshot() {
    insta::assert_snapshot!("junit_primary_shutdown_first", rendered());
}

#[test]
fn every_check_becomes_one_testcase_and_budgets_carry_their_seconds() {
    let record = read_run(Path::new(REAL_RUN)).unwrap();
    let xml = junit(&record);
    assert_eq!(xml.matches("<testcase ").count(), record.checks.len());
    assert!(xml.contains(
        r#"<testcase name="budget: vip" classname="hachaos.primary-shutdown" time="13.940">"#
    ));
    assert_eq!(xml.matches("<failure ").count(), 4);
    assert!(xml.contains(r#"tests="21" skipped="0" errors="0" failures="4""#));
}

#[test]
fn a_failure_carries_its_evidence_the_last_log_lines_and_the_reproduce_line() {
    let xml = rendered();
    let start = xml.find(r#"<testcase name="budget: vip""#).unwrap();
    let case = &xml[start..start + xml[start..].find("</testcase>").unwrap()];
    assert!(case.contains("13.94 s (budget 6.0 s"), "{case}");
    assert!(case.contains(
        "reproduce: hachaos run faults/primary-shutdown.yaml --image hachaos-node:pg17-pgpool46-manual"
    ));
    assert!(case.contains("==&gt; node2/pgpool.log &lt;=="), "{case}");
}

#[test]
fn unjudged_measurements_and_run_errors_are_not_passes() {
    let mut record = read_run(Path::new(REAL_RUN)).unwrap();
    record.checks.retain(|c| c.name != "budget: promote");
    record.checks[1].verdict = hachaos::checks::Verdict::Unknown;
    record.error = Some("interrupted: healing faults".into());
    let xml = junit(&record);
    assert!(xml.contains(r#"<testcase name="measurement: promote""#));
    assert!(xml.contains("<skipped message=\"measured 13.18 s; no budget check judged it\""));
    assert!(xml.contains(r#"<error message="1 failover(s), run by node2"#));
    assert!(xml.contains(r#"<testcase name="run""#));
    assert!(xml.contains(r#"type="run error""#));
}

/// Validates with `xmllint --schema` against `tests/data/report/junit.xsd`; skipped (loudly)
/// where Debian's libxml2-utils is not installed.
#[test]
fn junit_validates_against_the_junit_schema() {
    if !xmllint::available("junit_validates_against_the_junit_schema") {
        return;
    }
    let mut record = read_run(Path::new(REAL_RUN)).unwrap();
    let mut docs = vec![rendered()];
    record.error = Some("setup failed <before> & after".into());
    record.checks.retain(|c| !c.name.starts_with("budget: "));
    docs.push(junit(&record));
    for xml in &docs {
        if let Err(e) = xmllint::validate(xml) {
            panic!("{e}");
        }
    }
}

#[test]
fn the_schema_check_really_rejects_a_malformed_report() {
    if !xmllint::available("the_schema_check_really_rejects_a_malformed_report") {
        return;
    }
    let bad = rendered().replacen("<testcase name=", "<testcase nom=", 1);
    assert!(xmllint::validate(&bad).is_err());
}
