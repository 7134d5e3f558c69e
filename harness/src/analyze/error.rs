//! Errors of offline analysis; all of them are bad input (exit 2).

use crate::grammar::{GrammarError, ScanError};
use std::path::PathBuf;

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// No log files were given (or a directory held none).
    #[error("no log files to analyse")]
    NoInputs,
    /// An argument is not `NODE=PATH` or a directory.
    #[error("bad input `{arg}`: {reason}")]
    BadArgument {
        /// The argument.
        arg: String,
        /// What is wrong.
        reason: String,
    },
    /// The profile is unusable.
    #[error(transparent)]
    Grammar(#[from] GrammarError),
    /// A file could not be read or is binary.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// `--profile auto` found no known wording.
    #[error("cannot tell the log format of {}: pass --profile", list(.0))]
    UnknownFormat(Vec<PathBuf>),
    /// Every input was skipped.
    #[error("no input holds an event the {profile} profile recognises{}", if .skipped.is_empty() { String::new() } else { format!(" (skipped: {})", .skipped.join("; ")) })]
    NothingUsable {
        /// The profile used.
        profile: String,
        /// Each skipped input with its reason.
        skipped: Vec<String>,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
