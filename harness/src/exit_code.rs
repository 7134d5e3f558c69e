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

/// An error at a command's boundary that knows which exit code it means, so the commands do not
/// decide codes one by one. Implemented next to this trait for each boundary error type.
pub trait ExitStatus: std::error::Error {
    /// The exit code a command that fails with this error returns.
    fn exit_code(&self) -> ExitCode;
}

/// The engine is the environment.
impl ExitStatus for crate::docker::DockerError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Environment
    }
}

/// Naming no cluster, or an ambiguous one, is the caller's mistake; everything else is the
/// environment (engine, image, subnet, readiness).
impl ExitStatus for crate::cluster::ClusterError {
    fn exit_code(&self) -> ExitCode {
        use crate::cluster::ClusterError;
        match self {
            ClusterError::NotFound { .. } | ClusterError::Ambiguous(_) => ExitCode::BadInput,
            _ => ExitCode::Environment,
        }
    }
}

/// A run that could not run failed on its environment (an interruption is the caller's to
/// tell: it knows whether Ctrl-C came).
impl ExitStatus for crate::run::RunError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Environment
    }
}

/// A run record, suite or qualification that cannot be read was named by the caller; one that
/// cannot be written is the environment (disk, permissions).
impl ExitStatus for crate::report::ReportError {
    fn exit_code(&self) -> ExitCode {
        match self {
            crate::report::ReportError::Write { .. } => ExitCode::Environment,
            _ => ExitCode::BadInput,
        }
    }
}

/// Logs that cannot be analysed (no input, an unknown format, a bad grammar file, an unreadable
/// file) are bad input: nothing was started.
impl ExitStatus for crate::analyze::AnalyzeError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// A scenario that does not validate.
impl ExitStatus for crate::scenario::PlanErrors {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// Settings from which a budget cannot be derived (`explore --set`).
impl ExitStatus for crate::measure::BudgetError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// A release that does not exist, is malformed, lacks a file or has nothing to build is the
/// caller's; a build that fails (engine, tools, a step, the disk, the build lock) is the
/// environment.
impl ExitStatus for crate::image::ImageError {
    fn exit_code(&self) -> ExitCode {
        use crate::image::ImageError;
        match self {
            ImageError::Source(_)
            | ImageError::MissingFile { .. }
            | ImageError::NotBuilt { .. } => ExitCode::BadInput,
            _ => ExitCode::Environment,
        }
    }
}

/// A release file or name that does not load.
impl ExitStatus for crate::release::ReleaseError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// An unknown release, a bad release file, or an image folder (`HACHAOS_IMAGES`) that cannot be
/// read: the caller named it.
impl ExitStatus for crate::release::SourceError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// A grammar (profile file) that does not load.
impl ExitStatus for crate::grammar::GrammarError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// A comparison or qualification threshold that does not parse.
impl ExitStatus for crate::report::ThresholdError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// The network-delay delayer (`hachaos __net-delayer`) could not hold the queue: the host.
impl ExitStatus for crate::faults::delayer::DelayerError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Environment
    }
}

/// A judged run or analysis exits with its verdict.
impl From<crate::checks::Verdict> for ExitCode {
    fn from(v: crate::checks::Verdict) -> ExitCode {
        use crate::checks::Verdict;
        match v {
            Verdict::Pass => ExitCode::Pass,
            Verdict::Fail => ExitCode::ScenarioFailed,
            Verdict::Unknown => ExitCode::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_no_cluster_is_bad_input_and_a_cluster_that_is_not_ready_is_the_environment() {
        use crate::cluster::ClusterError;
        assert_eq!(
            ClusterError::NotFound { run: None }.exit_code(),
            ExitCode::BadInput
        );
        assert_eq!(
            ClusterError::Ambiguous("a, b".into()).exit_code(),
            ExitCode::BadInput
        );
        assert_eq!(
            ClusterError::NoFreeSubnet.exit_code(),
            ExitCode::Environment
        );
    }

    #[test]
    fn a_record_that_cannot_be_read_is_bad_input_and_one_that_cannot_be_written_the_environment() {
        use crate::report::ReportError;
        let io = || std::io::Error::other("x");
        assert_eq!(
            ReportError::Read {
                path: "r".into(),
                source: io()
            }
            .exit_code(),
            ExitCode::BadInput
        );
        assert_eq!(
            ReportError::NoRun { path: "r".into() }.exit_code(),
            ExitCode::BadInput
        );
        assert_eq!(
            ReportError::Write {
                path: "r".into(),
                source: io()
            }
            .exit_code(),
            ExitCode::Environment
        );
    }

    #[test]
    fn a_release_with_nothing_to_build_is_bad_input_and_a_failed_build_step_the_environment() {
        use crate::image::ImageError;
        let not_built = ImageError::NotBuilt {
            release: "r".into(),
            image: "i".into(),
        };
        assert_eq!(not_built.exit_code(), ExitCode::BadInput);
        let missing = ImageError::ImageMissing {
            release: "r".into(),
            image: "i".into(),
        };
        assert_eq!(missing.exit_code(), ExitCode::Environment);
    }

    #[test]
    fn a_verdict_is_its_exit_code() {
        use crate::checks::Verdict;
        assert_eq!(ExitCode::from(Verdict::Pass), ExitCode::Pass);
        assert_eq!(ExitCode::from(Verdict::Fail), ExitCode::ScenarioFailed);
        assert_eq!(ExitCode::from(Verdict::Unknown), ExitCode::Unknown);
    }
}
