//! The raw, serde-shaped form of a profile file (`images/<profile>/profile.yaml`).
//!
//! Nothing here is validated beyond its shape; [`super::Profile::from_spec`] compiles and checks it.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A profile file as written: what a cluster's logs look like and which files hold them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
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
