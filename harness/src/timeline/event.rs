//! The event vocabulary shared by the log grammar, live observers, checkers and reporters.

use super::{Attrs, Name, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happened. The names (snake_case) are a stable public vocabulary: scenario files refer to
/// them (`expect: [{log: backend_down}]`) and the JSON output carries them.
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
pub enum EventKind {
    // --- watchdog (pgpool-II / kingbasecluster) ---
    /// A peer announced it is shutting down (graceful stop of the other host).
    PeerShutdown,
    /// The watchdog lost its leader / master / coordinator.
    LeaderLost,
    /// The local watchdog changed state; attrs `from`, `to`.
    WatchdogState,
    /// This node became the watchdog leader (master / coordinator).
    LeaderElected,
    /// The escalation process (which brings up the VIP) started.
    EscalationStarted,
    /// The delegate IP (VIP) was brought up on this node.
    VipAcquired,
    /// The delegate IP was released by this node.
    VipReleased,
    // --- health check and failover ---
    /// A health check of a backend failed.
    HealthCheckFailed,
    /// A health check retry; attr `round`.
    HealthCheckRetry,
    /// A backend was marked down; attr `node_id`.
    BackendDown,
    /// A degenerate (detach) backend request was received; attr `node_id`.
    DegenerateRequest,
    /// The watchdog failover lock changed hands; attr `action`.
    FailoverLock,
    /// pgpool executed the failover command; attr `command`.
    FailoverCommand,
    /// pgpool executed the follow-primary command; attr `command`.
    FollowPrimaryCommand,
    /// find_primary_node found the primary; attr `node_id`.
    PrimaryFound,
    /// pgpool set a new primary; attr `node_id`.
    NewPrimary,
    /// The failover finished.
    FailoverDone,
    // --- failover script phases ---
    /// The failover script pinged the trusted server.
    TrustPing,
    /// The failover script added the VIP.
    VipAdded,
    /// The failover script promoted the standby.
    Promote,
    /// The failover script switched synchronous replication to asynchronous.
    SyncToAsync,
    /// The failover script ran a checkpoint.
    Checkpoint,
    /// The failover script finished.
    FailoverScriptEnd,
    // --- recovery (rejoin of the old primary) ---
    /// Recovery of a failed node started.
    RecoveryStarted,
    /// Recovery checked that the data directory is readable and writable.
    RwCheck,
    /// pg_rewind / sys_rewind started.
    RewindStarted,
    /// pg_rewind / sys_rewind finished.
    RewindDone,
    /// The recovered node was started as a standby.
    StandbyStarted,
    /// The recovered node was re-attached to pgpool (pcp_attach_node).
    NodeAttached,
    // --- PostgreSQL / KingbaseES server ---
    /// The server received a promote request.
    PromoteReceived,
    /// The server switched to a new timeline; attr `tli`.
    NewTimeline,
    /// The server is ready to accept connections.
    ReadyForConnections,
    /// The server shut down.
    Shutdown,
    /// The server hit a read-only filesystem.
    ReadOnlyFilesystem,
    /// Streaming replication started.
    ReplicationStarted,
    // --- harness (live runs) ---
    /// A fault was injected; attrs `fault`, `target`.
    FaultStarted,
    /// A fault was healed; attrs `fault`, `target`.
    FaultHealed,
    /// A role (`primary`, `standby`, ...) was resolved to a node when a step fired; attrs `role`, `node`.
    TargetResolved,
    /// A forbidden pattern (PANIC, segfault, "please report") appeared in a log.
    Forbidden,
    // --- appended later (keep appending: discriminants index `EVENT_NAMES`) ---
    /// The failover script started (its banner or first line); kept apart from
    /// `failover_command` because only the script's own log proves the script really ran.
    FailoverScriptStarted,
    /// A peer watchdog node was lost without saying goodbye (crash, power loss, partition);
    /// attr `peer`. The counterpart of `peer_shutdown` for ungraceful failures.
    PeerLost,
    /// The watchdog said the cluster is (or was) in split brain: two leaders at once.
    SplitBrain,
    /// A degenerate request was turned into a quarantine (no quorum): the backend is kept out
    /// of use on this node but not failed over; attr `node_count`.
    Quarantine,
    /// A degenerate request was cancelled ("canceled by other pgpool"): another pgpool leads.
    RequestCanceled,
    /// A degenerate / failback / promote request was forwarded to the watchdog leader ("will be
    /// handled by watchdog"); attr `request`.
    RequestForwarded,
    /// pgpool-II is exiting on its own (the system lost the network, a FATAL child); attr
    /// `reason`.
    PgpoolExit,
    /// pgpool-II's main process has finished starting ("pgpool-II successfully started.
    /// version ..."; attr `version`): until then it ignores every failover and failback request
    /// ("ignoring the failover request, since we are still starting up") and leaves it queued.
    PgpoolStarted,
    /// The heartbeat life-check declared a watchdog node dead: no heartbeat arrived within
    /// `wd_heartbeat_deadtime` (attr `wd_node_id`, the watchdog id). A node whose heartbeat
    /// receiver cannot hear its peer (pgpool 4.6.0-4.6.2) logs it with no fault at all.
    HeartbeatLost,
    /// pgpool's heartbeat life-check started ("watchdog: lifecheck started"): from here a silent
    /// peer is noticed within the heartbeat deadtime. It starts only once every peer's
    /// heartbeat has arrived, so a receiver that hears nothing never logs it.
    LifecheckStarted,
    /// A recovery whose base backup failed left the node's data directory as it was (the backup
    /// went to a sibling directory, swapped in only once complete); attr `pgdata`. Before that
    /// fix the fallback emptied the directory first, so a source lost mid-recovery left the
    /// node with no data at all.
    DataKept,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [EventKind] = &[
        EventKind::PeerShutdown,
        EventKind::LeaderLost,
        EventKind::WatchdogState,
        EventKind::LeaderElected,
        EventKind::EscalationStarted,
        EventKind::VipAcquired,
        EventKind::VipReleased,
        EventKind::HealthCheckFailed,
        EventKind::HealthCheckRetry,
        EventKind::BackendDown,
        EventKind::DegenerateRequest,
        EventKind::FailoverLock,
        EventKind::FailoverCommand,
        EventKind::FollowPrimaryCommand,
        EventKind::PrimaryFound,
        EventKind::NewPrimary,
        EventKind::FailoverDone,
        EventKind::TrustPing,
        EventKind::VipAdded,
        EventKind::Promote,
        EventKind::SyncToAsync,
        EventKind::Checkpoint,
        EventKind::FailoverScriptEnd,
        EventKind::RecoveryStarted,
        EventKind::RwCheck,
        EventKind::RewindStarted,
        EventKind::RewindDone,
        EventKind::StandbyStarted,
        EventKind::NodeAttached,
        EventKind::PromoteReceived,
        EventKind::NewTimeline,
        EventKind::ReadyForConnections,
        EventKind::Shutdown,
        EventKind::ReadOnlyFilesystem,
        EventKind::ReplicationStarted,
        EventKind::FaultStarted,
        EventKind::FaultHealed,
        EventKind::TargetResolved,
        EventKind::Forbidden,
        EventKind::FailoverScriptStarted,
        EventKind::PeerLost,
        EventKind::SplitBrain,
        EventKind::Quarantine,
        EventKind::RequestCanceled,
        EventKind::RequestForwarded,
        EventKind::PgpoolExit,
        EventKind::PgpoolStarted,
        EventKind::HeartbeatLost,
        EventKind::LifecheckStarted,
        EventKind::DataKept,
    ];

    /// Whether the harness itself records this kind (a fault injected or healed, a role
    /// resolved), as opposed to a line a node logged. Log checkers that read "a later line of
    /// node X" must not take the harness's note about X for one.
    pub fn is_harness(self) -> bool {
        matches!(
            self,
            EventKind::FaultStarted | EventKind::FaultHealed | EventKind::TargetResolved
        )
    }

    /// The stable snake_case name (the same string serde uses).
    pub fn name(self) -> &'static str {
        // Discriminants are the declaration order, which `EVENT_NAMES` follows (unit-tested).
        EVENT_NAMES[self as usize]
    }

    /// Parses a snake_case name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EVENT_NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| EventKind::ALL[i])
    }
}

/// The names of [`EventKind::ALL`], for error messages and `list` output.
pub const EVENT_NAMES: &[&str] = &[
    "peer_shutdown",
    "leader_lost",
    "watchdog_state",
    "leader_elected",
    "escalation_started",
    "vip_acquired",
    "vip_released",
    "health_check_failed",
    "health_check_retry",
    "backend_down",
    "degenerate_request",
    "failover_lock",
    "failover_command",
    "follow_primary_command",
    "primary_found",
    "new_primary",
    "failover_done",
    "trust_ping",
    "vip_added",
    "promote",
    "sync_to_async",
    "checkpoint",
    "failover_script_end",
    "recovery_started",
    "rw_check",
    "rewind_started",
    "rewind_done",
    "standby_started",
    "node_attached",
    "promote_received",
    "new_timeline",
    "ready_for_connections",
    "shutdown",
    "read_only_filesystem",
    "replication_started",
    "fault_started",
    "fault_healed",
    "target_resolved",
    "forbidden",
    "failover_script_started",
    "peer_lost",
    "split_brain",
    "quarantine",
    "request_canceled",
    "request_forwarded",
    "pgpool_exit",
    "pgpool_started",
    "heartbeat_lost",
    "lifecheck_started",
    "data_kept",
];

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A wall-clock time as the source wrote it, kept at the source's precision.
///
/// Logs differ: the seed's cluster.log has whole seconds, pgpool with `%m` has milliseconds,
/// PostgreSQL `%m` has milliseconds and a zone. We keep the parsed instant (naive, in the log's own
/// zone) and how many fractional digits the source had, so that output never claims more precision
/// than the log carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime {
    /// The instant, in the source's local zone (logs rarely say which).
    pub at: chrono::NaiveDateTime,
    /// Fractional-second digits the source carried (0 = whole seconds, 3 = milliseconds, ...).
    pub precision: u8,
}

impl WallTime {
    /// Now, on the host's clock in UTC at millisecond precision. Node logs are written in UTC
    /// too (the image sets no zone), so harness and log events compare directly.
    pub fn now() -> WallTime {
        use chrono::Timelike;
        let now = chrono::Utc::now().naive_utc();
        // Kept at the precision it claims, so a time read back from JSON is the same instant
        // (a judge re-run on stored evidence measures exactly what the live judge did).
        let at = now
            .with_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(now);
        WallTime { at, precision: 3 }
    }

    /// Renders as RFC 3339-like text without a zone, with exactly the source's precision.
    pub fn render(&self) -> String {
        match self.precision {
            0 => self.at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            1..=3 => self.at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
            _ => self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        }
    }
}

impl Serialize for WallTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.render())
    }
}

/// A wall time is written as a naive ISO 8601 string in the log's own zone.
impl schemars::JsonSchema for WallTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WallTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?$",
            "description": "naive local time of the log line (no zone), as precise as the log was"
        })
    }
}

/// Reads back what [`WallTime::render`] wrote (so `run.json` can be re-rendered); the precision is
/// the number of fractional digits present.
impl<'de> Deserialize<'de> for WallTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let at = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|e| serde::de::Error::custom(format!("wall time {text:?}: {e}")))?;
        let precision = text
            .split_once('.')
            .map_or(0, |(_, frac)| frac.len().min(9) as u8);
        Ok(WallTime { at, precision })
    }
}

/// One thing that happened on one node, with where it was seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// The node it happened on (`node1`, `node102`, ...), or `harness` for harness actions.
    #[schemars(with = "String")]
    pub node: Name,
    /// The file (or source: `docker`, `probe`) it was read from.
    #[schemars(with = "String")]
    pub file: Name,
    /// 1-based line in `file` (0 for non-file sources).
    pub line: u64,
    /// The source's wall clock, at the source's precision, when it had one.
    pub time: Option<WallTime>,
    /// Milliseconds since the run started (live runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<u64>,
    /// What happened.
    pub kind: EventKind,
    /// Typed details (`node_id`, `round`, `from`/`to`, `command`, ...).
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub attrs: Attrs,
    /// The process id the log line names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The raw text, with secrets redacted.
    // Held, or (scanned from a log file) where in that file to read it again: see `Text`.
    #[schemars(with = "String")]
    pub text: Text,
}

impl Event {
    /// A forbidden line (PANIC, segfault, "please report"): a `forbidden` event, or an event of
    /// another kind whose rule also marked it forbidden (a PANIC on the read-only filesystem is
    /// both that filesystem event and a PANIC).
    pub fn is_forbidden(&self) -> bool {
        self.kind == EventKind::Forbidden || self.attrs.contains_key("forbidden")
    }

    /// What made it forbidden (`PANIC`, `segfault`, ...), when it is.
    pub fn forbidden_pattern(&self) -> Option<&str> {
        let key = if self.kind == EventKind::Forbidden {
            "pattern"
        } else {
            "forbidden"
        };
        self.attrs.get(key).and_then(|v| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_round_trips() {
        assert_eq!(EventKind::ALL.len(), EVENT_NAMES.len());
        for kind in EventKind::ALL {
            let name = kind.name();
            assert_ne!(name, "unknown", "{kind:?}");
            assert_eq!(EventKind::from_name(name), Some(*kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(name));
        }
    }

    #[test]
    fn an_event_stays_compact() {
        // An event-dense log holds hundreds of thousands: see `Name`, `Attrs` and `Text`.
        assert_eq!(std::mem::size_of::<Event>(), 128);
    }

    #[test]
    fn wall_time_reads_back_what_it_wrote_at_the_same_precision() {
        for text in [
            "2026-11-25T12:01:05",
            "2026-11-25T12:01:05.860",
            "2026-11-25T12:01:05.860123",
        ] {
            let t: WallTime = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(t.render(), text);
        }
    }
}
