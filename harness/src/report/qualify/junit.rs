//! A qualification as JUnit XML (quick-junit), for CI viewers:
//!
//! - suite `qualify.<baseline>` and suite `qualify.<candidate>`: one testcase per scenario,
//!   `<scenario> [<release>]`, failing (`<failure>`) when any of that release's runs failed,
//!   in `<error>` when none failed but one ended early or was unknown, `<skipped>` when the
//!   release did not run the scenario; the message counts the runs, the body lists each
//!   non-passing run with its checks' evidence and its reproduce line;
//! - suite `qualify.regressions`: one testcase per regression rule evaluated,
//!   `<scenario>: <rule>`, failing when the candidate broke it, the numbers in the message.

use super::model::{Qualification, ReleaseRuns};
use crate::checks::Verdict;
use crate::report::junit::{first_line, verdict_name};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// Renders `q` as JUnit XML.
pub fn render_junit(q: &Qualification) -> String {
    let mut report = Report::new("hachaos qualify");
    for (is_baseline, release) in [(true, &q.baseline.release), (false, &q.candidate.release)] {
        let mut suite = TestSuite::new(format!("qualify.{release}"));
        suite.add_property(("role", if is_baseline { "baseline" } else { "candidate" }));
        for s in &q.scenarios {
            let runs = if is_baseline {
                s.baseline.as_ref()
            } else {
                s.candidate.as_ref()
            };
            let mut case = TestCase::new(format!("{} [{release}]", s.scenario), status(runs));
            case.set_classname(format!("qualify.{}", s.scenario));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let mut suite = TestSuite::new("qualify.regressions");
    suite.add_properties([
        ("baseline", q.baseline.release.as_str()),
        ("candidate", q.candidate.release.as_str()),
    ]);
    for r in &q.checks {
        let status = if r.passed {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(first_line(&r.detail))
                .set_type("regression")
                .set_description(r.detail.as_str());
            s
        };
        let mut case = TestCase::new(format!("{}: {}", r.scenario, r.name), status);
        case.set_classname(format!("qualify.{}", r.scenario));
        if r.passed {
            case.set_system_out(r.detail.as_str());
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    // Serialising an in-memory report only fails on a writer error, which a String never has.
    report.to_string().unwrap_or_default()
}

fn status(runs: Option<&ReleaseRuns>) -> TestCaseStatus {
    let Some(r) = runs else {
        let mut s = TestCaseStatus::skipped();
        s.set_message("not run on this release");
        return s;
    };
    if r.failures.is_empty() {
        return TestCaseStatus::success();
    }
    let failed = r.failures.iter().any(|f| f.verdict == Verdict::Fail);
    let kind = if failed {
        NonSuccessKind::Failure
    } else {
        NonSuccessKind::Error
    };
    let mut body = String::new();
    for f in &r.failures {
        body.push_str(&format!("run {}: {}\n", f.run_id, verdict_name(f.verdict)));
        if let Some(e) = &f.error {
            body.push_str(&format!("  ended early: {e}\n"));
        }
        for c in &f.checks {
            body.push_str(&format!("  {c}\n"));
        }
        body.push_str(&format!("  reproduce: {}\n", f.reproduce));
    }
    let first = &r.failures[0];
    let mut s = TestCaseStatus::non_success(kind);
    s.set_message(first_line(&format!(
        "{} of {} run(s) did not pass; {} {}",
        r.failures.len(),
        r.runs,
        first.run_id,
        first
            .checks
            .first()
            .or(first.error.as_ref())
            .map_or("", String::as_str)
    )))
    .set_type(if failed { "fail" } else { "unknown" })
    .set_description(body);
    s
}
