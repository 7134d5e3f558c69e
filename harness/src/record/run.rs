//! The run record: everything one scenario run produced, the single input of every reporter.
//!
//! `run.json` is this structure serialised. Its `format_version` changes whenever a field changes
//! meaning or disappears; adding a field does not bump it. Records of every version from
//! [`OLDEST_READABLE`] on are read (and upgraded in memory to [`FORMAT_VERSION`]).
//!
//! Versions: 1, the first; 2, `profile` renamed `release` (it always named the release).

use crate::checks::{Check, Verdict};
use crate::measure::MeasurementKind;
use crate::observe::{Overlap, RoleSample};
use crate::timeline::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the `run.json` format this harness writes.
pub const FORMAT_VERSION: u32 = 2;

/// The oldest `run.json` format this harness still reads: version 1 differs only in calling
/// `release` `profile`.
pub const OLDEST_READABLE: u32 = 1;

/// One finished (or aborted) scenario run.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunRecord {
    /// See [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The harness's version.
    pub harness_version: String,
    /// The run id (also in every Docker label).
    pub run_id: String,
    /// The scenario file, its sha256 and name.
    pub scenario: ScenarioRef,
    /// The release the cluster ran (`profile` in format 1, still read).
    #[serde(alias = "profile")]
    pub release: String,
    /// The node image tag.
    pub image: String,
    /// The pgpool settings in force (template defaults with the scenario's overrides).
    pub config: BTreeMap<String, String>,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    /// Each step as it ran.
    pub steps: Vec<StepRecord>,
    /// Every event of the run, in time order.
    pub events: Vec<Event>,
    /// Each measured phase with its budget.
    pub measurements: Vec<MeasurementRecord>,
    /// Every check with its verdict and evidence.
    pub checks: Vec<Check>,
    /// What the write probe saw.
    pub writes: WritesSummary,
    /// Role and VIP samples with the spans where two nodes overlapped.
    pub roles: RolesSummary,
    /// How much damage the fault did while it lasted, from the ledger and the role samples
    /// (absent in records written before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage_windows: Option<crate::measure::DamageWindows>,
    /// Damage the scenario declared as expected (`split-brain`, `lost-writes`).
    pub expected_damage: Vec<String>,
    /// The worst verdict of all checks.
    pub verdict: Verdict,
    /// An error that ended the run early (setup, injection, interruption), if any.
    pub error: Option<String>,
    /// Where the run's files are.
    pub run_dir: String,
    /// The command that reproduces this run.
    pub reproduce: String,
    /// Where the run ran (harness build, engine, kernel, machine, image, release file); absent
    /// in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::provenance::Provenance>,
    /// Where the run's wall time went (absent in records written before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<super::RunTimings>,
    /// How the release's image was built here (Debian suite, PostgreSQL major, apt options such
    /// as an unchecked Valid-Until); absent for an image built elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<crate::release::Build>,
    /// The release's workarounds of known bugs, and whether this run applied each (absent:
    /// none declared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workarounds: Vec<crate::release::WorkaroundRecord>,
    /// The known upstream bug the scenario shows: expected and observed state on this release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_bug: Option<crate::scenario::known_bug::KnownBugRecord>,
}

/// Which scenario ran.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioRef {
    /// The file as given.
    pub file: String,
    /// sha256 of its text.
    pub sha256: String,
    /// Its `name`.
    pub name: String,
    /// Its `description`.
    pub description: String,
}

/// One step as it ran.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepRecord {
    /// 0-based index in the plan.
    pub index: usize,
    /// Line in the scenario file.
    pub line: usize,
    /// What it did, in words (`host-crash on node1`).
    pub action: String,
    /// Roles resolved when it fired (`primary` → `node1`).
    pub resolved: BTreeMap<String, String>,
    /// Milliseconds since the run started when it fired.
    pub fired_ms: u64,
    /// ... and when it and its expectations finished.
    pub finished_ms: u64,
    /// Why the action failed, if it did.
    pub error: Option<String>,
    /// Its expectations.
    pub expectations: Vec<ExpectationRecord>,
}

/// One expectation's outcome.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExpectationRecord {
    /// Line in the scenario file.
    pub line: usize,
    /// What was awaited, in words, with roles resolved.
    pub awaited: String,
    /// The deadline in seconds from the step.
    pub within_s: f64,
    /// Whether it had to stay absent.
    pub absent: bool,
    /// Pass, Fail or Unknown.
    pub verdict: Verdict,
    /// When it was met, seconds after the step fired.
    pub met_after_s: Option<f64>,
    /// What was last seen (on failure: plus the nodes' last log lines).
    pub evidence: String,
}

/// One measured phase against its budget.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeasurementRecord {
    /// Which phase.
    pub kind: MeasurementKind,
    /// Seconds from the fault (or recover step); for a damage window (`old_primary_acks`,
    /// `two_primaries`, `two_vip_holders`, `vip_outage`) its length. `None` when not observed.
    pub seconds: Option<f64>,
    /// The budget in seconds.
    pub budget_s: Option<f64>,
    /// How the budget was derived.
    pub budget_derivation: String,
    /// The node it happened on.
    pub node: Option<String>,
    /// The event or write it was measured to.
    pub evidence: String,
}

/// What the write probe saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WritesSummary {
    /// Whether a write probe ran.
    pub probed: bool,
    /// Acknowledged writes.
    pub acknowledged: usize,
    /// Failed attempts.
    pub failed: usize,
    /// Acknowledged writes missing at the end (sequence numbers), when it could be checked.
    pub lost: Option<Vec<i64>>,
    /// Where the final check looked, or why it could not.
    pub checked_on: String,
}

/// Role and VIP samples.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RolesSummary {
    /// Every sample.
    pub samples: Vec<RoleSample>,
    /// Spans with two writable primaries.
    pub two_primaries: Vec<Overlap>,
    /// Spans with two VIP holders.
    pub two_vip_holders: Vec<Overlap>,
}
