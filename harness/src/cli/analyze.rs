//! `hachaos analyze` (under construction).

use super::Outcome;
use crate::exit_code::ExitCode;

/// Arguments of `hachaos analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// `NODE=PATH` log files (or a run's `logs/` directory).
    pub inputs: Vec<String>,
}

pub(crate) fn run(_args: AnalyzeArgs) -> Outcome {
    ExitCode::Unknown
}
