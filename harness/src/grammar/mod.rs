//! The log grammar: dialects (data, the profile files `images/<grammar>/profile.yaml`) that turn
//! log lines into typed [`crate::timeline::Event`]s, and the streaming scanner ([`Grammar`]) that
//! applies one.

mod dialect;
mod error;
mod redact;
mod scan;
mod spec;
mod time;

pub use dialect::{detect, Dialect, Envelope, Prefix, Rule, Sequence, SequenceStep, BUILTIN_NAMES};
pub use error::{DialectError, ScanError};
pub use redact::{Redactor, MASK};
pub use scan::{FileScan, FileStats, Grammar, ReadFailure, MAX_LINE};
pub use spec::{
    AttrType, DetachSpec, DialectSpec, EnvelopeSpec, PrefixSpec, RuleSpec, SequenceSpec, StepSpec,
};
pub use time::{leading_time, parse_datetime};
