//! One output format for `run`, `report` and `analyze`, and one reporter interface: every
//! record renders itself in each format from the record alone (reporters never decide).

use super::tail::LogTails;
use crate::checks::Verdict;
use crate::record::{AnalysisRecord, RunRecord};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// How a record is written on stdout (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The readable summary (a run's console summary, an analysis's steps and timeline).
    #[default]
    Text,
    /// The versioned JSON record (`format_version: 1`, see `docs/schemas/`).
    Json,
    /// JUnit XML: one testcase per check.
    Junit,
    /// The self-contained HTML timeline.
    Html,
}

/// What a reporter may use besides the record.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    /// ANSI colours in text (only on a terminal without `NO_COLOR`).
    pub colour: bool,
    /// The nodes' last log lines, for JUnit testcases that did not pass (a run's `logs/`).
    pub tails: Option<&'a LogTails>,
}

/// A record every reporter can render.
pub trait Render {
    /// The record in `format`, ready to print.
    fn render(&self, format: Format, opts: &RenderOptions<'_>) -> String;
}

impl Render for RunRecord {
    fn render(&self, format: Format, opts: &RenderOptions<'_>) -> String {
        match format {
            Format::Text => super::summary(self, opts.colour),
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Format::Junit => match opts.tails {
                Some(t) => super::junit_with_tails(self, t),
                None => super::junit(self),
            },
            Format::Html => super::html(self),
        }
    }
}

impl Render for AnalysisRecord {
    fn render(&self, format: Format, _: &RenderOptions<'_>) -> String {
        match format {
            Format::Text => super::render_text(self),
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Format::Junit => analysis_junit(self),
            Format::Html => super::analysis_html(self),
        }
    }
}

/// An analysis as JUnit XML: one testsuite `analyze (<profile>)`, one testcase per check, with
/// the same mapping as a run (`fail` → `<failure>`, `unknown` → `<error>`).
fn analysis_junit(record: &AnalysisRecord) -> String {
    let name = format!("analyze ({})", record.profile);
    let mut suite = TestSuite::new(name.as_str());
    suite.add_property(("outcome", record.outcome.result.label()));
    for c in &record.checks {
        let status = match c.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail | Verdict::Unknown => {
                let kind = if c.verdict == Verdict::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(c.evidence.lines().next().unwrap_or_default())
                    .set_description(c.evidence.as_str());
                s
            }
        };
        let mut case = TestCase::new(c.name.as_str(), status);
        case.set_classname("hachaos.analyze");
        suite.add_test_case(case);
    }
    let mut report = Report::new("hachaos");
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
