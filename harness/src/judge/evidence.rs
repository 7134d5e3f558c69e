//! What a run observed, as plain data: everything the judge reads and nothing it decides.
//!
//! The executor gathers it (probes stopped, logs copied and read through the grammar, the
//! cluster's final state asked for) and writes it beside `run.json` as `evidence.json`, so a
//! run can be judged again, by a newer judge, without the cluster that produced it.

use crate::observe::{Ledger, RoleSample};
use crate::provenance::Provenance;
use crate::record::analysis::{InputSummary, SkippedInput};
use crate::record::{RunTimings, StepRecord, WritesSummary};
use crate::release::{Build, WorkaroundRecord};
use crate::scenario::NodeRole;
use crate::timeline::{Event, WallTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of `evidence.json`; bumped when a field changes meaning or disappears.
pub const EVIDENCE_FORMAT_VERSION: u32 = 1;

/// The file name of the evidence in a run directory.
pub const EVIDENCE_JSON: &str = "evidence.json";

/// Everything one run observed.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// See [`EVIDENCE_FORMAT_VERSION`].
    pub format_version: u32,
    /// Which run, where and on what: facts that go into the record unjudged.
    pub run: RunFacts,
    /// Each step as it ran, with its expectations as they were settled live (an expectation is
    /// a deadline on what was seen while the step ran; it cannot be re-observed afterwards).
    pub steps: Vec<StepRecord>,
    /// An error that ended the run early (setup, injection, heal, interruption, teardown).
    pub error: Option<String>,
    /// The harness's own events: faults started and healed, roles resolved when steps fired.
    pub harness_events: Vec<Event>,
    /// The copied node logs read through the release's grammar.
    pub logs: LogEvidence,
    /// The first fault injected: what every measurement counts from (none: no fault fired).
    pub fault: Option<FaultEvidence>,
    /// The old primary's address and WAL timeline at its last acknowledged write before the
    /// fault (what tells the new primary's first write apart).
    pub old_primary: Option<(String, i32)>,
    /// When a `recover` step fired, if one did.
    pub recover_time: Option<WallTime>,
    /// Every write the probe sent, acknowledged or failed.
    pub ledger: Ledger,
    /// The probe's counts and the final check for acknowledged writes missing on the primary.
    pub writes: WritesSummary,
    /// Writes the session pinned to the old primary got acknowledged that are missing on the
    /// final primary (none: not checked, or evidence recorded before the pinned session).
    #[serde(default)]
    pub lost_pinned: Option<Vec<i64>>,
    /// The write probe's period, ms: the resolution of the windows read off the ledger.
    #[serde(default = "default_probe_period_ms")]
    pub probe_period_ms: u64,
    /// The role poller's nominal period, ms: the resolution of the windows read off the samples.
    #[serde(default = "default_sample_period_ms")]
    pub sample_period_ms: u64,
    /// Role and VIP samples taken all through the run.
    pub role_samples: Vec<RoleSample>,
    /// Who was what after the last step (none: the cluster could not be asked).
    pub final_roles: Option<FinalRoles>,
    /// The pgpool settings the nodes really ran with (the rendered `pgpool.conf`).
    pub settings: BTreeMap<String, String>,
}

/// The write probe's period when evidence did not record it yet (100 ms, the executor's pace
/// then): evidence written since records it.
fn default_probe_period_ms() -> u64 {
    100
}

/// The role poller's period when evidence did not record it yet (500 ms, the executor's pace
/// then): evidence written since records it.
fn default_sample_period_ms() -> u64 {
    500
}

/// Facts about a run that the record carries as they are.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunFacts {
    /// The run id.
    pub run_id: String,
    /// The release run against.
    pub release: String,
    /// The log grammar's name (picks the default expected sequence).
    pub grammar: String,
    /// The node image tag.
    pub image: String,
    /// The cluster's node names.
    pub nodes: Vec<String>,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// Milliseconds from the start until the evidence was complete.
    pub duration_ms: u64,
    /// Where the run's files are.
    pub run_dir: String,
    /// The command that reproduces the run.
    pub reproduce: String,
    /// Where the run ran.
    pub provenance: Option<Provenance>,
    /// Where the run's wall time went.
    pub timings: Option<RunTimings>,
    /// How the release's image was built here.
    pub build: Option<Build>,
    /// The release's workarounds and whether this run applied each.
    pub workarounds: Vec<WorkaroundRecord>,
}

/// The node logs through the grammar.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogEvidence {
    /// Every event the grammar recognised, from every node's files.
    pub events: Vec<Event>,
    /// Each file read.
    pub inputs: Vec<InputSummary>,
    /// Files left out, with the reason.
    pub skipped: Vec<SkippedInput>,
    /// Secrets masked while reading.
    pub redactions: u64,
    /// Why the logs could not be read at all, if they could not (the log checkers are then
    /// Unknown).
    pub error: Option<String>,
}

/// The first fault of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultEvidence {
    /// Its kind (`host-crash`, ...).
    pub kind: String,
    /// The node it hit.
    pub target: String,
    /// That node's pgpool backend id, as the cluster assigned it.
    pub target_backend: Option<i64>,
    /// When it was injected (host clock, UTC).
    pub at: WallTime,
    /// The same, in ms since the run started (the ledger's clock).
    pub offset_ms: u64,
    /// Whether the node was the primary when it hit (a failover is expected).
    pub was_primary: bool,
    /// Who held the VIP when it hit.
    pub vip_holder_before: Option<String>,
    /// Seconds from injection until it really took effect (a graceful stop takes as long as the
    /// node needs to shut down; nothing can detect it earlier).
    pub effect_s: f64,
    /// The node tells its peer it is leaving (a graceful stop): the failover sequence starts
    /// with that announcement instead of failed health checks.
    pub announced: bool,
    /// Peers see no FIN or RST on open connections: only timeouts tell, which the budgets
    /// allow for.
    pub silent: bool,
    /// The node's own pgpool outlives the fault (a read-only disk kills only PostgreSQL), so it
    /// runs the failover of its own backend, and the VIP need not move.
    pub pgpool_survives: bool,
    /// The fault only degrades its node (a stalled or full disk, lost packets): no failover is
    /// assumed, and the phases are reported, not judged against the failover budgets.
    #[serde(default)]
    pub degrades: bool,
    /// The fault spares PostgreSQL (only pgpool dies or hangs): no database failover is due.
    #[serde(default)]
    pub postgres_survives: bool,
}

/// One round of role probes after the last step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FinalRoles {
    /// What each server says about itself (`down` when it did not answer).
    pub node_roles: BTreeMap<String, NodeRole>,
    /// Nodes holding the VIP.
    pub vip_holders: Vec<String>,
    /// The watchdog leader, if any node reported one.
    pub leader: Option<String>,
    /// pgpool's primary through the VIP, if the VIP answered.
    pub pgpool_primary: Option<String>,
}
