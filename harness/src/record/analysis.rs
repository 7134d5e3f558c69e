//! The finished analysis: everything reporters render, nothing they have to decide.

use crate::checks::{Check, Failover, Verdict};
use crate::timeline::Timeline;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON shape below; bumped on any breaking change.
pub const FORMAT_VERSION: u32 = 1;

/// The result of `hachaos analyze`, serialised as its `--format json` output.
///
/// ```json
/// { "format_version": 1, "profile": "kingbase-v8r3", "verdict": "pass",
///   "inputs": [{"node": "node102", "path": "cluster.log", "lines": 0, "parsed": 0, "unparsed": 0}],
///   "events": [{"node": "node102", "file": "cluster.log", "line": 0, "time": "2022-08-30T15:39:23",
///               "kind": "backend_down", "attrs": {"node_id": 0}, "pid": 17547, "text": "..."}],
///   "steps": [{"number": 5, "title": "...", "node": "node102", "events": [12], "missing": []}],
///   "failover": {"executors": ["node102"], "failed_node_id": 0, "new_primary_node_id": 1},
///   "failovers": [{"executor": "node102", "failed_node_id": 0, "new_primary_node_id": 1,
///                  "started": "...", "done": "..."}],
///   "durations": {"backend_down_to_failover_done": 10.0},
///   "checks": [{"name": "sequence", "verdict": "pass", "evidence": "..."}],
///   "redactions": 1 }
/// ```
/// `time` has the log's own precision and no zone (logs rarely state one); it is `null` when the
/// file had no timestamp at all. `attrs.time_inherited: true` marks a time taken from the nearest
/// earlier timestamped line. `steps[].events` are indices into `events`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AnalysisRecord {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The profile used.
    pub profile: String,
    /// The worst check verdict.
    pub verdict: Verdict,
    /// What happened (`failover`, `no_failover`, `split_brain`, `quarantine`,
    /// `recovery_only`), with evidence and what was expected.
    pub outcome: OutcomeRecord,
    /// One entry per file read.
    pub inputs: Vec<InputSummary>,
    /// Files given but not analysed, with why.
    pub skipped: Vec<SkippedInput>,
    /// The merged timeline.
    #[serde(rename = "events")]
    #[schemars(with = "Vec<crate::timeline::Event>")]
    pub timeline: Timeline,
    /// The expected steps as found on the sequence node.
    pub steps: Vec<StepRecord>,
    /// A summary of `failovers`.
    pub failover: FailoverSummary,
    /// Every failover in time order.
    pub failovers: Vec<Failover>,
    /// Named durations in seconds (see [`crate::checks::durations`]).
    pub durations: BTreeMap<String, f64>,
    /// Every check.
    pub checks: Vec<Check>,
    /// Secrets masked across all inputs.
    pub redactions: u64,
    /// The harness build that analysed (version and git commit).
    pub provenance: crate::provenance::Provenance,
}

/// Counts for one input file.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct InputSummary {
    /// Its node.
    pub node: String,
    /// The path as given.
    pub path: String,
    /// Physical lines.
    pub lines: u64,
    /// Lines recognised.
    pub parsed: u64,
    /// Other lines (prose, command output, blank).
    pub unparsed: u64,
}

/// A file that was not analysed.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SkippedInput {
    /// Its node.
    pub node: String,
    /// The path as given.
    pub path: String,
    /// Why it was skipped.
    pub reason: String,
}

impl SkippedInput {
    /// A file of `node` at `path` that was left out, and why.
    pub fn new(node: &str, path: &std::path::Path, reason: String) -> SkippedInput {
        SkippedInput {
            node: node.to_string(),
            path: path.display().to_string(),
            reason,
        }
    }
}

/// One expected step and the events shown with it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepRecord {
    /// 1-based step number.
    pub number: u32,
    /// What the step is.
    pub title: String,
    /// The node it was looked for on.
    pub node: String,
    /// Indices into `events` of this step's events on that node (required and optional kinds).
    pub events: Vec<usize>,
    /// Required kinds not found.
    pub missing: Vec<String>,
}

/// Who ran failovers and on what.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FailoverSummary {
    /// Every node that ran a failover command, in order of first failover.
    pub executors: Vec<String>,
    /// The first failover's failed backend.
    pub failed_node_id: Option<i64>,
    /// The first failover's new primary.
    pub new_primary_node_id: Option<i64>,
}

/// What the logs show happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one failover ran, and no split brain.
    Failover,
    /// No failover, no quarantine, no recovery: a healthy log, or one that ends before.
    NoFailover,
    /// Two sides acted as primary / leader at once (mutual failover, two VIP holders, or the
    /// watchdog says so).
    SplitBrain,
    /// A failed backend was quarantined (no quorum) instead of failed over.
    Quarantine,
    /// A node was recovered or re-attached, and no failover ran in these logs.
    RecoveryOnly,
}

impl Outcome {
    /// The name shown in text output.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Failover => "failover",
            Outcome::NoFailover => "no failover",
            Outcome::SplitBrain => "split brain",
            Outcome::Quarantine => "quarantine",
            Outcome::RecoveryOnly => "recovery only",
        }
    }
}

/// What the user expects (`--expect`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// A failover (exit 1 when none ran).
    Failover,
    /// No failover (exit 1 when one ran).
    None,
    /// Whatever happened; only damage fails.
    #[default]
    Any,
}

/// The outcome with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OutcomeRecord {
    /// What happened.
    pub result: Outcome,
    /// What was expected.
    pub expected: Expect,
    /// The events (node file:line) that show it.
    pub evidence: Vec<String>,
}
