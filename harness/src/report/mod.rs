//! Reporters: every output format rendered from one finished [`RunRecord`] (or, for the HTML
//! timeline, an offline [`crate::record::AnalysisRecord`]). Reporters never decide a verdict;
//! they show the one in the record.
//!
//! - [`junit`]: JUnit XML for CI viewers (quick-junit), one testcase per check and phase.
//! - [`html`]: the self-contained timeline page, drawn from a [`TimelineView`].
//! - [`summary`]: the console summary.
//! - [`compare`]: old runs against new runs, with regressions and exit code.
//! - [`qualify`]: a candidate release against a baseline release over many scenarios and
//!   repeats, as text, JSON, JUnit and HTML.
//! - [`suite`]: a suite (many cases, releases, repeats) as JSON, JUnit and an HTML matrix.
//! - [`read_run`] / [`read_runs`]: `run.json` back from disk; [`store_run`]: what every run
//!   writes in its directory.
//!
//! `docs/reports.md` documents the run directory, the JSON fields and each mapping.

mod analysis_text;
pub mod compare;
mod error;
mod escape;
mod format;
mod html;
mod junit;
mod load;
pub mod qualify;
mod repeat;
pub mod schema;
pub mod suite;
mod svg;
mod tail;
mod text;
mod view;
mod write;

pub use analysis_text::{escape_control, render_text};
pub use error::{ReportError, ThresholdError};
pub use escape::escape;
pub use format::{Format, Render, RenderOptions};
pub use html::{analysis_html, html, render_html};
pub use junit::{junit, junit_with_tails};
pub use load::{parse_run, read_run, read_runs, run_json_path, RUN_JSON};
pub use repeat::{render_repeat, repeat_summary, RepeatSummary};
pub use tail::{LogTails, TAIL_LINES};
pub use text::summary;
pub use view::{RoleStrip, Span, TimelineView, ViewEvent, Window, WindowKind};
pub use write::{scrub, store_run, write_rendered, write_run_files, JUNIT_XML, TIMELINE_HTML};

#[cfg(doc)]
use crate::record::RunRecord;
