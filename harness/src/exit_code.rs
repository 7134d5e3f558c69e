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
    /// The command passed but stdout or stderr was closed before all was written (a broken
    /// pipe, e.g. `| head`); the same status a shell reports for a process killed by SIGPIPE.
    /// A command that failed keeps its own code.
    BrokenPipe = 141,
    /// The command passed but its output could not be written (a full device, an I/O error);
    /// `EX_IOERR` of sysexits.h. A command that failed keeps its own code.
    OutputFailed = 74,
}

impl ExitCode {
    /// The numeric process exit status.
    pub fn code(self) -> i32 {
        self as i32
    }
}
