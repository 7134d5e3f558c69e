//! `hachaos report`: re-renders a run's outputs from its `run.json` (exit 0 when rendered,
//! 2 when the input is not a readable run record).

use super::output::outln;
use super::report_error;
use crate::exit_code::ExitCode;
use crate::report::{self, LogTails};
use std::path::PathBuf;

/// What to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The run record (as read back, pretty-printed).
    Json,
    /// JUnit XML.
    Junit,
    /// The self-contained HTML timeline.
    Html,
    /// The console summary.
    Text,
}

/// Arguments of `hachaos report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos report reports/primary-shutdown/latest\n  hachaos report reports/primary-shutdown/latest/run.json --format junit > junit.xml"
)]
pub struct ReportArgs {
    /// A run directory or its `run.json`.
    pub run: PathBuf,
    /// Print one format on stdout instead of (re)writing `junit.xml` and `timeline.html` beside
    /// `run.json`.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

pub(crate) fn run(args: ReportArgs) -> ExitCode {
    let record = match report::read_run(&args.run) {
        Ok(r) => r,
        Err(e) => {
            report_error(&e);
            return ExitCode::BadInput;
        }
    };
    let json_path = report::run_json_path(&args.run);
    let run_dir = json_path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let Some(format) = args.format else {
        // run.json is already redacted: nothing more to scrub.
        return match report::write_rendered(&record, &run_dir, &[]) {
            Ok(()) => {
                outln!(
                    "wrote {} and {}",
                    run_dir.join(report::JUNIT_XML).display(),
                    run_dir.join(report::TIMELINE_HTML).display()
                );
                ExitCode::Pass
            }
            Err(e) => {
                report_error(&e);
                ExitCode::Environment
            }
        };
    };
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(&record).unwrap_or_default() + "\n",
        ReportFormat::Junit => {
            let mut tails = LogTails::from_logs_dir(&run_dir.join("logs"));
            if tails.is_empty() {
                tails = LogTails::from_record(&record);
            }
            report::junit_with_tails(&record, &tails)
        }
        ReportFormat::Html => report::html(&record),
        ReportFormat::Text => report::summary(&record, colour_stdout()),
    };
    // A closed or full stdout is recorded and decides the exit code (see `output`).
    super::output::emit_bytes(super::output::Stream::Out, text.as_bytes());
    ExitCode::Pass
}

/// Whether stdout gets colour (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, a terminal).
pub(crate) fn colour_stdout() -> bool {
    super::output::colour_stdout()
}
