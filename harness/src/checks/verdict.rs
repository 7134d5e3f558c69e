//! The result type every checker returns.

use serde::{Deserialize, Serialize};

/// A checker's decision. Ordered from best to worst so the run's verdict is the maximum.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// What was expected happened.
    Pass,
    /// The logs do not allow a decision (missing events, no times); never read as a pass.
    Unknown,
    /// Something expected did not happen, or something forbidden did.
    Fail,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Unknown => "unknown",
            Verdict::Fail => "fail",
        })
    }
}

/// One checker's named verdict with the evidence a human needs to trust it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Check {
    /// Stable name (`sequence`, `single_executor`, ...), for filtering and JUnit.
    pub name: String,
    /// The decision.
    pub verdict: Verdict,
    /// Why: the events (node, file:line) or what was missing.
    pub evidence: String,
}

impl Check {
    /// Shorthand constructor.
    pub fn new(name: &str, verdict: Verdict, evidence: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            verdict,
            evidence: evidence.into(),
        }
    }
}

/// The worst verdict of `checks` (Pass when there are none: nothing was asked).
pub fn worst(checks: &[Check]) -> Verdict {
    checks
        .iter()
        .map(|c| c.verdict)
        .max()
        .unwrap_or(Verdict::Pass)
}

/// `node file:line` of an event, the form evidence cites.
pub fn cite(e: &crate::timeline::Event) -> String {
    format!("{} {}:{}", e.node, e.file, e.line)
}

/// Joins the first `max` items with `sep` and says how many more there were: evidence stays
/// readable when a year of logs holds thousands of failovers.
pub fn list<S: AsRef<str>>(items: &[S], sep: &str, max: usize) -> String {
    let mut out = items
        .iter()
        .take(max)
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > max {
        out.push_str(&format!("{sep}... and {} more", items.len() - max));
    }
    out
}
