//! Errors at the grammar boundary: bad profiles and unreadable or unparsable log files.

use std::path::PathBuf;

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GrammarError {
    /// The YAML did not have the profile's shape.
    #[error("invalid profile {0}")]
    Yaml(#[from] crate::loader::YamlError),
    /// A regex in the profile does not compile.
    #[error("profile {profile}: {what} has an invalid regex")]
    Regex {
        /// The profile name.
        profile: String,
        /// Which prefix or rule.
        what: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// A rule names an event kind that does not exist.
    #[error("profile {profile}: rule {index} has unknown event kind `{kind}`")]
    UnknownKind {
        /// The profile name.
        profile: String,
        /// 0-based rule index.
        index: usize,
        /// The offending name.
        kind: String,
    },
    /// A rule without keywords would force a regex on every line.
    #[error("profile {profile}: rule {index} (`{kind}`) has no keywords")]
    NoKeywords {
        /// The profile name.
        profile: String,
        /// 0-based rule index.
        index: usize,
        /// The rule's kind.
        kind: String,
    },
    /// A sequence names an event kind that does not exist.
    #[error("profile {profile}: {what} has unknown event kind `{kind}`")]
    UnknownSequenceKind {
        /// The profile name.
        profile: String,
        /// Where (`sequences.NAME.steps[i]`).
        what: String,
        /// The offending name.
        kind: String,
    },
    /// A sequence step requires nothing, so it could never be checked.
    #[error("profile {profile}: {what} requires no event kind")]
    EmptyStep {
        /// The profile name.
        profile: String,
        /// Where.
        what: String,
    },
    /// `--profile` named no built-in profile.
    #[error("unknown profile `{0}` (built in: pgpool, kingbase-v8r3)")]
    Unknown(String),
    /// The keyword automaton could not be built.
    #[error("cannot build the keyword matcher")]
    Keywords(#[source] aho_corasick::BuildError),
}

/// A log file that cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading failed.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has NUL bytes near its start: not a text log.
    #[error("{path} looks binary, not a text log")]
    Binary {
        /// The file.
        path: PathBuf,
    },
}
