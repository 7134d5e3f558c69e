//! The log grammar: definitions (data, the profile files `images/<grammar>/profile.yaml`) that
//! turn log lines into typed [`crate::timeline::Event`]s, and the streaming scanner ([`Grammar`]) that
//! applies one.

mod definition;
mod error;
mod keywords;
mod redact;
mod scan;
mod spec;
mod time;

pub use definition::{
    detect, Envelope, GrammarDef, Prefix, Rule, Sequence, SequenceStep, BUILTIN_NAMES,
};
pub use error::{GrammarError, ScanError};
pub use redact::{Redactor, MASK};
pub(crate) use scan::lossy;
pub use scan::{FileScan, FileStats, Grammar, ReadFailure, MAX_LINE};
pub use spec::{
    AttrType, DetachSpec, EnvelopeSpec, GrammarSpec, PrefixSpec, RuleSpec, SequenceSpec, StepSpec,
};
pub use time::{leading_time, parse_datetime};
