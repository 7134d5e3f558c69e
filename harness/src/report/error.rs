//! Why a report could not be read or written.

use std::path::PathBuf;

/// Errors at the reporters' boundary: reading `run.json` back and writing rendered files.
/// Messages are lowercase fragments, joined by the CLI as `a: b: c`.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A path could not be read.
    #[error("cannot read {path}")]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// A `run.json` is not a run record this harness understands.
    #[error("{path} is not a run record")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A run record written by a newer (or older, incompatible) harness.
    #[error(
        "{path} has format_version {found}, this hachaos reads {}",
        versions(*oldest, *expected)
    )]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The oldest version read.
        oldest: u32,
        /// The version written (the newest read).
        expected: u32,
    },
    /// Neither a `run.json`, nor a run directory, nor a directory of runs.
    #[error("no run.json found in {path}")]
    NoRun {
        /// What was given.
        path: PathBuf,
    },
    /// A `suite.json` is not a suite record this harness understands.
    #[error("{path} is not a suite record (suite.json, format_version {expected})")]
    NotSuite {
        /// The file.
        path: PathBuf,
        /// The suite format this harness reads.
        expected: u32,
        /// The JSON error, or the version found.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A rendered file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
}

/// A threshold given on the command line or in a thresholds file that is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    /// Not a percentage or a fraction.
    #[error("threshold {0:?} is not a percentage like 20% or a fraction like 0.2")]
    NotRelative(String),
    /// A pass-rate drop above 100%.
    #[error("pass-rate drop {0:?} is more than 100% (a fraction of runs, e.g. 10% or 0.1)")]
    RateAboveAll(String),
    /// Not a non-negative duration.
    #[error("floor {0:?} is not a non-negative duration like 0.5, 500ms or 1s")]
    NotDuration(String),
}

/// `1`, or `1 to 2`: the format versions read.
fn versions(oldest: u32, newest: u32) -> String {
    if oldest == newest {
        newest.to_string()
    } else {
        format!("{oldest} to {newest}")
    }
}
