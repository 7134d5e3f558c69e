//! JUnit XML for CI viewers: one testsuite per scenario, one testcase per check and per measured
//! phase, through `quick-junit` as cargo-nextest does.
//!
//! Mapping (documented in `docs/reports.md`):
//! - a check → a testcase named after it; `pass` → success, `fail` → `<failure>`, `unknown` →
//!   `<error>` (Unknown is never a pass, and CI viewers show errors apart from failures);
//! - a `budget: <phase>` check also carries its measured seconds as the testcase `time`;
//! - a measured phase without a budget check → a `measurement: <phase>` testcase, `<skipped>`
//!   (measured or absent, but nothing judged it);
//! - a run that ended early with an error → an extra `run` testcase in `<error>`.
//!
//! Every non-passing testcase carries the evidence, the last log lines and the reproduce line.

use super::tail::LogTails;
use crate::checks::{Check, Verdict};
use crate::record::{MeasurementRecord, RunRecord};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The `<failure message>` is one line; the whole evidence goes in the body.
const MESSAGE_CHARS: usize = 200;

/// Renders `record` as JUnit XML, with the last lines of each node taken from the record's own
/// events (use [`junit_with_tails`] when the run's `logs/` folder is at hand).
pub fn junit(record: &RunRecord) -> String {
    junit_with_tails(record, &LogTails::from_record(record))
}

/// Renders `record` as JUnit XML, attaching `tails` to every testcase that did not pass.
pub fn junit_with_tails(record: &RunRecord, tails: &LogTails) -> String {
    let mut report = Report::new("hachaos");
    report.add_test_suite(suite(record, tails));
    // Serialising an in-memory report only fails on a writer error, which a String never has.
    report.to_string().unwrap_or_default()
}

/// One run's testsuite (also a suite report's building block, `report::suite`).
pub(crate) fn suite(record: &RunRecord, tails: &LogTails) -> TestSuite {
    let class = format!("hachaos.{}", record.scenario.name);
    let mut suite = TestSuite::new(record.scenario.name.as_str());
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&record.started_at) {
        suite.set_timestamp(t);
    }
    suite.set_time(Duration::from_millis(record.duration_ms));
    suite.add_properties([
        ("run_id", record.run_id.as_str()),
        ("scenario_file", record.scenario.file.as_str()),
        ("scenario_sha256", record.scenario.sha256.as_str()),
        ("release", record.release.as_str()),
        ("image", record.image.as_str()),
        ("harness_version", record.harness_version.as_str()),
        ("verdict", verdict_name(record.verdict)),
        ("reproduce", record.reproduce.as_str()),
    ]);
    // The damage windows as properties too, so a CI dashboard can chart them without parsing
    // run.json (each window is also a measurement case below).
    if let Some(d) = &record.damage_windows {
        let value = |w: &crate::measure::Window| {
            w.seconds
                .map_or_else(|| "not measured".to_string(), |s| format!("{s:.3}"))
        };
        let count =
            |n: Option<usize>| n.map_or_else(|| "not checked".to_string(), |n| n.to_string());
        let props = [
            ("damage.old_primary_acks_s", value(&d.old_primary_acks)),
            ("damage.two_primaries_s", value(&d.two_primaries)),
            ("damage.two_vip_holders_s", value(&d.two_vip_holders)),
            ("damage.vip_outage_s", value(&d.vip_outage)),
            ("damage.lost_through_vip", count(d.lost_writes.through_vip)),
            ("damage.lost_pinned", count(d.lost_writes.pinned)),
            ("damage.summary", super::text::windows_line(d)),
        ];
        suite.add_properties(props.iter().map(|(k, v)| (*k, v.as_str())));
    }
    let ctx = Context {
        record,
        tails,
        class: &class,
    };
    for check in &record.checks {
        let measured = record
            .measurements
            .iter()
            .find(|m| check.name == format!("budget: {}", m.kind.name()));
        suite.add_test_case(ctx.check_case(check, measured));
    }
    for m in &record.measurements {
        let judged = record
            .checks
            .iter()
            .any(|c| c.name == format!("budget: {}", m.kind.name()));
        if !judged {
            suite.add_test_case(ctx.measurement_case(m));
        }
    }
    if let Some(error) = &record.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(first_line(error))
            .set_type("run error")
            .set_description(ctx.details(error));
        let mut case = TestCase::new("run", status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
    }
    suite
}

struct Context<'a> {
    record: &'a RunRecord,
    tails: &'a LogTails,
    class: &'a str,
}

impl Context<'_> {
    fn check_case(&self, check: &Check, measured: Option<&MeasurementRecord>) -> TestCase {
        let status = match check.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail | Verdict::Unknown => {
                let kind = if check.verdict == Verdict::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(first_line(&check.evidence))
                    .set_type(verdict_name(check.verdict))
                    .set_description(self.details(&check.evidence));
                s
            }
        };
        let mut case = TestCase::new(check.name.as_str(), status);
        case.set_classname(self.class);
        if let Some(secs) = measured.and_then(|m| m.seconds) {
            case.set_time(Duration::from_secs_f64(secs.max(0.0)));
        }
        if check.verdict == Verdict::Pass {
            case.set_system_out(check.evidence.as_str());
        } else if !self.tails.is_empty() {
            case.set_system_err(self.tails.render());
        }
        case
    }

    fn measurement_case(&self, m: &MeasurementRecord) -> TestCase {
        let mut status = TestCaseStatus::skipped();
        status.set_message(match m.seconds {
            Some(s) => format!("measured {s:.2} s; no budget check judged it"),
            None => "not observed; nothing expected it".to_string(),
        });
        let mut case = TestCase::new(format!("measurement: {}", m.kind.name()), status);
        case.set_classname(self.class);
        if let Some(secs) = m.seconds {
            case.set_time(Duration::from_secs_f64(secs.max(0.0)));
        }
        case.set_system_out(m.evidence.as_str());
        case
    }

    /// The failure body: evidence, then how to reproduce. The log tails go in `system-err`.
    fn details(&self, evidence: &str) -> String {
        let r = self.record;
        format!(
            "{evidence}\n\nreproduce: {}\n  scenario {} sha256 {}, image {}, hachaos {}, run {} ({})\n",
            r.reproduce,
            r.scenario.file,
            r.scenario.sha256,
            r.image,
            r.harness_version,
            r.run_id,
            r.run_dir
        )
    }
}

pub(super) fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Unknown => "unknown",
        Verdict::Fail => "fail",
    }
}

pub(super) fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > MESSAGE_CHARS {
        let cut: String = line.chars().take(MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}
