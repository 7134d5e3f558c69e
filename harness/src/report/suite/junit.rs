//! One JUnit file for a whole suite: one testsuite per case, named after the case
//! (`<release>/<scenario>#<repeat>`), each holding its run's testcases (checks and phases, as in
//! the run's own `junit.xml`) with names CI can follow across runs: the release is in the
//! classname (`hachaos.<release>.<scenario>`), and line numbers of the scenario file are taken
//! out of the names (`expect line 18: X` → `expect: X`), so editing a file above an expectation
//! does not make its history start over.

use crate::report::read_run;
use crate::report::tail::LogTails;
use crate::suite::{CaseRecord, Outcome, SuiteRecord};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;
use std::time::Duration;

/// A check's name without the scenario file's line number (`expect line 18: X` → `expect: X`).
pub fn stable_check_name(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("expect line ") {
        if let Some((num, what)) = rest.split_once(": ") {
            if num.chars().all(|c| c.is_ascii_digit()) {
                return format!("expect: {what}");
            }
        }
    }
    name.to_string()
}

/// Renders `suite` as JUnit XML; each case's run is read from its run directory (relative to
/// `dir`, the suite folder) when there is one.
pub fn render_junit(suite: &SuiteRecord, dir: &Path) -> String {
    let mut report = Report::new(format!("hachaos suite {}", suite.suite_id));
    for case in &suite.cases {
        report.add_test_suite(case_suite(case, dir));
    }
    report.to_string().unwrap_or_default()
}

fn case_suite(case: &CaseRecord, dir: &Path) -> TestSuite {
    let class = format!("hachaos.{}.{}", case.case.release, case.case.scenario);
    let record = case
        .run_dir
        .as_ref()
        .and_then(|d| read_run(&dir.join(d)).ok());
    let mut suite = match &record {
        Some(r) => {
            let run_dir = dir.join(case.run_dir.as_deref().unwrap_or_default());
            let mut tails = LogTails::from_logs_dir(&run_dir.join("logs"));
            if tails.is_empty() {
                tails = LogTails::from_record(r);
            }
            crate::report::junit::suite(r, &tails)
        }
        None => TestSuite::new(case.name.as_str()),
    };
    suite.name = case.name.as_str().into();
    let mut seen: Vec<String> = Vec::new();
    for tc in suite.test_cases.iter_mut() {
        let mut name = stable_check_name(tc.name.as_str());
        let base = name.clone();
        let mut n = 1;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base} ({n})");
        }
        seen.push(name.clone());
        tc.name = name.as_str().into();
        tc.classname = Some(class.as_str().into());
    }
    if record.is_none() {
        let why = case.error.clone().unwrap_or_default();
        let status = match case.outcome {
            Outcome::NotRun => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(why.as_str());
                s
            }
            _ => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(why.lines().next().unwrap_or_default())
                    .set_type(case.outcome.name())
                    .set_description(format!("{why}\n\nreproduce: {}", case.reproduce));
                s
            }
        };
        let mut tc = TestCase::new("run", status);
        tc.set_classname(class.as_str());
        tc.set_time(Duration::from_millis(case.duration_ms));
        suite.add_test_case(tc);
    }
    suite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Case;

    #[test]
    fn check_names_lose_line_numbers_only() {
        assert_eq!(
            stable_check_name("expect line 18: log event peer_shutdown on node2"),
            "expect: log event peer_shutdown on node2"
        );
        assert_eq!(stable_check_name("budget: promote"), "budget: promote");
        assert_eq!(stable_check_name("expect line x: y"), "expect line x: y");
    }

    #[test]
    fn a_recorded_run_becomes_a_testsuite_named_after_its_case_with_the_release_in_classnames() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs");
        let record = read_run(&data.join("primary-shutdown-first")).unwrap();
        let case = Case {
            scenario: record.scenario.name.clone(),
            release: "pg17-pgpool46".into(),
            repeat: 2,
        };
        let mut c = CaseRecord::from_run(case, &record, false, &data);
        c.run_dir = Some("primary-shutdown-first".into());
        let never = CaseRecord::without_run(
            Case {
                scenario: "standby-shutdown".into(),
                release: "pg17-pgpool46".into(),
                repeat: 1,
            },
            "faults/standby-shutdown.yaml".into(),
            Outcome::Environment,
            Some("cluster setup failed: no free subnet".into()),
            "hachaos run faults/standby-shutdown.yaml".into(),
        );
        let suite = SuiteRecord {
            format_version: 1,
            harness_version: "0".into(),
            suite_id: "s1".into(),
            started_at: String::new(),
            duration_ms: 0,
            jobs: 3,
            shard: None,
            merged_from: vec![],
            images: vec![],
            cases: vec![c, never],
            totals: Default::default(),
            counts: Default::default(),
            command: String::new(),
        };
        let xml = render_junit(&suite, &data);
        assert!(
            xml.contains(r#"<testsuite name="pg17-pgpool46/primary-shutdown#2""#),
            "{xml}"
        );
        assert!(xml.contains(r#"name="expect: log event peer_shutdown on node2" classname="hachaos.pg17-pgpool46.primary-shutdown""#), "{xml}");
        assert!(!xml.contains("expect line"), "line numbers in names");
        assert!(xml.contains(r#"<testsuite name="pg17-pgpool46/standby-shutdown#1""#));
        assert!(xml.contains(r#"type="environment""#));
    }
}
