//! `hachaos compare`: exit 0 when nothing regressed, 1 when something did, 2 on bad input.

use super::output::{errln, out, outln};
use super::report_error;
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::compare::{compare, parse_relative, render_comparison, Threshold};
use crate::report::read_runs;
use std::path::PathBuf;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// A table of phases and the checks that changed.
    Text,
    /// The comparison as versioned JSON (`format_version: 1`).
    Json,
}

/// Arguments of `hachaos compare`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A side is a run.json, a run directory, or a scenario directory holding several runs\n(reports/<scenario>/): then p50/p95/max per phase and pass rates are compared.\n\nExit codes: 0 no regression, 1 regression, 2 bad input.\n\nExamples:\n  hachaos compare baseline/primary-shutdown reports/primary-shutdown\n  hachaos compare old/run.json new/run.json --threshold 10% --floor 0.2"
)]
pub struct CompareArgs {
    /// The baseline: run.json, run directory or directory of runs.
    pub old: PathBuf,
    /// The candidate, in the same forms.
    pub new: PathBuf,
    /// How much slower (relative) a phase may get: `20%` or `0.2`.
    #[arg(long, default_value = "20%")]
    pub threshold: String,
    /// ... and by at least this much (ignores noise on short phases): seconds (`0.5`) or a
    /// duration (`500ms`), as for `qualify --floor`.
    #[arg(long, default_value = "0.5", value_parser = crate::report::qualify::parse_seconds)]
    pub floor: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

pub(crate) fn run(args: CompareArgs) -> ExitCode {
    let relative = match parse_relative(&args.threshold) {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e}");
            return e.exit_code();
        }
    };
    let mut sides = Vec::new();
    for path in [&args.old, &args.new] {
        match read_runs(path) {
            Ok(runs) => sides.push(runs),
            Err(e) => {
                report_error(&e);
                return e.exit_code();
            }
        }
    }
    let c = compare(
        &sides[0],
        &sides[1],
        Threshold {
            relative,
            floor_s: args.floor,
        },
    );
    match args.format {
        CompareFormat::Text => out!("{}", render_comparison(&c)),
        CompareFormat::Json => outln!("{}", serde_json::to_string_pretty(&c).unwrap_or_default()),
    }
    if c.regressed {
        ExitCode::ScenarioFailed
    } else {
        ExitCode::Pass
    }
}
