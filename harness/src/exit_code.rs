//! The process exit codes of every `hachaos` command, documented in one place.
//!
//! Scripts and CI read these; changing a value is a breaking change.

/// Exit codes of the `hachaos` binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ExitCode {
    /// Everything passed (or the command did what it was asked).
    Pass = 0,
    /// The scenario ran (or the logs were analysed) and at least one check failed.
    ScenarioFailed = 1,
    /// Bad input: command-line usage, a malformed scenario or profile, an unknown fault kind,
    /// a log in an unknown format. Nothing was started.
    BadInput = 2,
    /// The environment is not usable: no Docker daemon, an image that cannot be built or found,
    /// a subnet clash, a node that never became ready.
    Environment = 3,
    /// A check could not decide (Unknown verdict) or the harness hit an internal error.
    Unknown = 4,
    /// Interrupted by Ctrl-C / SIGTERM; everything created was cleaned up.
    Interrupted = 130,
}

impl ExitCode {
    /// The numeric process exit status.
    pub fn code(self) -> i32 {
        self as i32
    }
}
