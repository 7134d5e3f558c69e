//! Release qualification: the same scenarios run against a baseline release and a candidate
//! release (each possibly repeated), read as one comparison.
//!
//! - [`Side`]: a release name and its run records; [`load_side`] collects them from a directory.
//! - [`Qualification::new`]: per scenario and phase p50/p95/max on each side and the
//!   candidate − baseline deltas, pass rates, check verdict changes, acknowledged writes lost,
//!   event-sequence differences ([`sequence`]), runs that ended in errors, scenarios on one side
//!   only; and every regression rule of [`QualifyThresholds`] evaluated as a [`RegressionCheck`].
//! - Renderers: [`render_text`], JSON (the structure serialised, `format_version: 1`),
//!   [`render_junit`], [`render_html`]; [`write_qualification`] writes all four.
//!
//! Like every reporter it decides nothing about the runs themselves: verdicts and measurements
//! come from the run records; only the comparison rules are applied here. `docs/reports.md`
//! documents the report shape.

mod html;
mod junit;
pub mod known_bugs;
mod load;
mod model;
pub mod sequence;
mod text;
mod thresholds;
pub mod timing;
mod write;

pub use html::render_html;
pub use junit::render_junit;
pub use load::{load_side, load_side_skipping};
pub use model::{
    representative, LostWrites, MeasurementRow, Qualification, RegressionCheck, ReleaseRuns,
    RunFailure, ScenarioQualification, Side, SideSummary, QUALIFY_FORMAT_VERSION,
};
pub use sequence::SequenceDiff;
pub use text::render_text;
pub use thresholds::{parse_rate, parse_seconds, QualifyThresholds};
pub use timing::{TimingJudgement, TimingVerdict};
pub use write::{
    render_json, write_qualification, QUALIFICATION_HTML, QUALIFICATION_JSON, QUALIFICATION_TXT,
    QUALIFICATION_XML,
};
