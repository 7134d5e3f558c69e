//! `--jobs N`: how many clusters may be up at once on this machine, for every command that boots
//! one (see [`crate::slots`]).

use crate::exit_code::ExitCode;

/// The flag every cluster-booting command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobsArgs {
    /// Clusters at once on this machine, counted across every hachaos process (default:
    /// HACHAOS_JOBS, else 3). A boot waits for a free slot and says who holds them.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: Option<u32>,
}

impl JobsArgs {
    /// Makes `--jobs` this process's slot count; checks `HACHAOS_JOBS` otherwise. A bad value is
    /// bad input (exit 2) before anything starts.
    pub(crate) fn apply(&self) -> Result<u32, ExitCode> {
        if let Some(j) = self.jobs {
            crate::slots::set_jobs(j);
        }
        crate::slots::jobs().map_err(|e| {
            super::report_error(&e);
            ExitCode::BadInput
        })
    }
}
