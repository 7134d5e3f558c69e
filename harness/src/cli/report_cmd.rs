//! `hachaos report`: re-renders a run's outputs from its `run.json` (exit 0 when rendered,
//! 2 when the input is not a readable run record).

use super::output::outln;
use super::report_error;
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::{self, LogTails};
use std::path::PathBuf;

/// Arguments of `hachaos report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos report reports/primary-shutdown/latest\n  hachaos report reports/primary-shutdown/latest/run.json --format junit > junit.xml\n  hachaos report --merge shard1/reports/suite/r1 shard2/reports/suite/r2 --out reports/suite/nightly"
)]
pub struct ReportArgs {
    /// A run directory or its `run.json`.
    #[arg(required_unless_present = "merge")]
    pub run: Option<PathBuf>,
    /// Merge suite folders (each with a suite.json, e.g. the shards of `run --shard k/n`) into
    /// one suite report; exits like the merged suite (0 pass, 1 a case failed, ...).
    #[arg(long, num_args = 1.., value_name = "SUITE_DIR", conflicts_with_all = ["run", "format"])]
    pub merge: Vec<PathBuf>,
    /// Where the merged suite goes (default: reports/suite/<new id>).
    #[arg(long, requires = "merge")]
    pub out: Option<PathBuf>,
    /// Print one format on stdout instead of (re)writing `junit.xml` and `timeline.html` beside
    /// `run.json`.
    #[arg(long, value_enum)]
    pub format: Option<report::Format>,
}

pub(crate) fn run(args: ReportArgs) -> ExitCode {
    let Some(run) = args.run else {
        return merge(&args.merge, args.out);
    };
    let record = match report::read_run(&run) {
        Ok(r) => r,
        Err(e) => {
            report_error(&e);
            return e.exit_code();
        }
    };
    let json_path = report::run_json_path(&run);
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
                e.exit_code()
            }
        };
    };
    let mut tails = LogTails::from_logs_dir(&run_dir.join("logs"));
    if tails.is_empty() {
        tails = LogTails::from_record(&record);
    }
    let text = report::Render::render(
        &record,
        format,
        &report::RenderOptions {
            colour: colour_stdout(),
            tails: Some(&tails),
        },
    );
    // A closed or full stdout is recorded and decides the exit code (see `output`).
    super::output::emit_bytes(super::output::Stream::Out, text.as_bytes());
    ExitCode::Pass
}

/// `--merge`: shard suites into one suite report.
fn merge(dirs: &[PathBuf], out: Option<PathBuf>) -> ExitCode {
    let mut shards = Vec::new();
    for d in dirs {
        match report::suite::read_suite(d) {
            Ok(s) => shards.push((d.clone(), s)),
            Err(e) => {
                report_error(&e);
                return e.exit_code();
            }
        }
    }
    let id = crate::docker::RunId::generate();
    let out = out.unwrap_or_else(|| PathBuf::from("reports/suite").join(id.as_str()));
    let merged = crate::suite::SuiteRecord::merge(id.as_str(), &shards, &out);
    super::suite_cmd::finish(&merged, &out, report::Format::Text)
}

/// Whether stdout gets colour (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, a terminal).
pub(crate) fn colour_stdout() -> bool {
    super::output::colour_stdout()
}
