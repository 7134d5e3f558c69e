//! The log grammar: profiles (data, under `images/<profile>/profile.yaml`) that turn log lines
//! into typed [`crate::timeline::Event`]s, and the streaming scanner that applies them.

mod error;
mod keywords;
mod profile;
mod redact;
mod scan;
mod spec;
mod time;

pub use error::{ProfileError, ScanError};
pub use profile::{detect, Envelope, Prefix, Profile, Rule, Sequence, SequenceStep, BUILTIN_NAMES};
pub use redact::{Redactor, MASK};
pub use scan::{FileScan, FileStats, Grammar, ReadFailure, MAX_LINE};
pub use spec::{
    AttrType, DetachSpec, EnvelopeSpec, PrefixSpec, ProfileSpec, RuleSpec, SequenceSpec, StepSpec,
};
pub use time::{leading_time, parse_datetime};
