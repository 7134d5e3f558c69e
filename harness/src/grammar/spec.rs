//! The raw, serde-shaped form of a profile file (`images/<profile>/profile.yaml`).
//!
//! Nothing here is validated beyond its shape; [`super::GrammarDef::from_spec`] compiles and checks it.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A profile file as written: what a cluster's logs look like and which files hold them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrammarSpec {
    /// The name used by `--profile` and shown in reports.
    pub name: String,
    /// One line saying what the profile covers.
    #[serde(default)]
    pub description: String,
    /// Literal strings whose occurrences vote for this profile in `--profile auto`.
    #[serde(default)]
    pub detect: Vec<String>,
    /// File name patterns (`*` wildcards) picked from a node's directory.
    #[serde(default)]
    pub files: Vec<String>,
    /// Line prefixes carrying time, pid and level, tried in order.
    pub prefixes: Vec<PrefixSpec>,
    /// A prefix found in the middle of an unprefixed line (a line glued to a copy of itself).
    #[serde(default)]
    pub glued: Option<String>,
    /// Patterns turning messages into events; the first matching rule wins.
    pub rules: Vec<RuleSpec>,
    /// Wrappers another tool put in front of the log's own lines (syslog, journald, quotes of a
    /// pasted excerpt), removed before the prefixes are tried.
    #[serde(default)]
    pub envelopes: Vec<EnvelopeSpec>,
    /// The ways a failover really unfolds in this product's logs, as ordered steps; the sequence
    /// check accepts a failover that follows any of them.
    #[serde(default)]
    pub sequences: Vec<SequenceSpec>,
}

/// A line wrapper written by another tool (syslog, `journalctl`, a quote in a bug report).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSpec {
    /// A name for messages.
    pub name: String,
    /// Anchored regex matched at the start of a line; the log line proper follows it. Optional
    /// named groups: `time` (a full date and time), or `month` (`Jan`..`Dec`), `day` and `tod`
    /// (a syslog stamp without a year), and `pid`.
    pub regex: String,
}

/// One expected way a failover unfolds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    /// Short name shown as how the failover started (`announced_shutdown`, `lost_peer`, ...).
    pub name: String,
    /// What it is, for humans.
    #[serde(default)]
    pub description: String,
    /// What the failover does: `primary` (a new primary is chosen) or `standby` (a standby is
    /// detached and the primary stays).
    pub detach: DetachSpec,
    /// Steps in order; each step's required kinds occur after the previous step's.
    pub steps: Vec<StepSpec>,
    /// Kinds that must occur after the first step began, in no order relative to later steps.
    #[serde(default)]
    pub unordered: Vec<String>,
}

/// Which backend a sequence detaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetachSpec {
    /// The primary: a standby is promoted.
    Primary,
    /// A standby: the primary stays.
    Standby,
    /// Either (the sequence looks the same for both).
    Any,
}

/// One step of a sequence.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// What the step is.
    pub title: String,
    /// Kinds that must all occur.
    #[serde(default)]
    pub required: Vec<String>,
    /// Kinds shown with this step when they occur.
    #[serde(default)]
    pub optional: Vec<String>,
}

/// One line-prefix format.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixSpec {
    /// A name for messages.
    pub name: String,
    /// Anchored regex with optional named groups `time`, `pid`, `level`; the message follows it.
    pub regex: String,
    /// Whether a following line without any prefix is the rest of this line (a broken line).
    #[serde(default)]
    pub continuation: bool,
}

/// One pattern → event rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The event kind's snake_case name.
    pub kind: String,
    /// Literal strings, at least one, that a line must contain before `regex` is tried.
    pub keywords: Vec<String>,
    /// Regex over the message; named groups become attributes.
    pub regex: String,
    /// Types of attributes (`int` or `string`, the default).
    #[serde(default)]
    pub attrs: BTreeMap<String, AttrType>,
    /// Constant attributes added to every event of this rule.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

/// How a captured attribute is typed in the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    /// A JSON integer (a capture that does not parse is kept as a string).
    Int,
    /// A JSON string.
    String,
}
