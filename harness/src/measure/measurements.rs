//! What each phase of a failover took, computed from the timeline and the write probe's ledger.

use crate::observe::Ledger;
use crate::timeline::{Event, EventKind, WallTime};

/// The measured phases.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MeasurementKind {
    /// First failed health check (or retry) after the fault.
    Detect,
    /// Backend marked down / degenerate request.
    NodeDown,
    /// Failover command started (and on which node).
    FailoverStart,
    /// VIP brought up by a node after the fault.
    Vip,
    /// First write acknowledged through the VIP by the new primary.
    Promote,
    /// pgpool's failover finished.
    FailoverDone,
    /// The rejoined node attached again (from the recover step).
    Recover,
    // Damage windows (`super::windows`): lengths, not offsets from the fault.
    /// How long the old primary kept acknowledging writes on a session opened before the fault.
    OldPrimaryAcks,
    /// How long two nodes were writable primaries at once (role samples).
    TwoPrimaries,
    /// How long two nodes held the VIP at once (role samples).
    TwoVipHolders,
    /// The longest time a client writing through the VIP waited for an acknowledgement.
    VipOutage,
}

impl MeasurementKind {
    /// All kinds, in phase order.
    pub const ALL: &'static [MeasurementKind] = &[
        MeasurementKind::Detect,
        MeasurementKind::NodeDown,
        MeasurementKind::FailoverStart,
        MeasurementKind::Vip,
        MeasurementKind::Promote,
        MeasurementKind::FailoverDone,
        MeasurementKind::Recover,
        MeasurementKind::OldPrimaryAcks,
        MeasurementKind::TwoPrimaries,
        MeasurementKind::TwoVipHolders,
        MeasurementKind::VipOutage,
    ];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            MeasurementKind::Detect => "detect",
            MeasurementKind::NodeDown => "node_down",
            MeasurementKind::FailoverStart => "failover_start",
            MeasurementKind::Vip => "vip",
            MeasurementKind::Promote => "promote",
            MeasurementKind::FailoverDone => "failover_done",
            MeasurementKind::Recover => "recover",
            MeasurementKind::OldPrimaryAcks => "old_primary_acks",
            MeasurementKind::TwoPrimaries => "two_primaries",
            MeasurementKind::TwoVipHolders => "two_vip_holders",
            MeasurementKind::VipOutage => "vip_outage",
        }
    }

    /// Whether it is a damage window (a length measured from the ledger and the role samples)
    /// rather than a failover phase (an offset from the fault found in the timeline).
    pub fn is_window(self) -> bool {
        matches!(
            self,
            MeasurementKind::OldPrimaryAcks
                | MeasurementKind::TwoPrimaries
                | MeasurementKind::TwoVipHolders
                | MeasurementKind::VipOutage
        )
    }
}

/// One measured phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// Which phase.
    pub kind: MeasurementKind,
    /// Seconds from the anchor; `None` when the phase was not observed.
    pub seconds: Option<f64>,
    /// The node it happened on, when that matters (the failover executor, the VIP holder).
    pub node: Option<String>,
    /// The event or write it was measured to.
    pub evidence: String,
}

/// What durations are measured from.
#[derive(Clone, Debug, PartialEq)]
pub struct Anchor {
    /// When the fault was injected (host wall clock, UTC like the nodes' logs).
    pub fault_time: WallTime,
    /// The same instant as milliseconds since the run started (for the ledger).
    pub fault_offset_ms: u64,
    /// The node the fault hit.
    pub target: String,
    /// Its backend id in pgpool (`node_id` in health-check and degenerate lines), if known.
    pub target_backend: Option<i64>,
    /// Who held the VIP when the fault hit (a late "acquired" from it is not the VIP moving).
    pub vip_holder_before: Option<String>,
    /// The old primary's address and WAL timeline before the fault (for the ledger).
    pub old_primary: Option<(String, i32)>,
    /// When a `recover` step started, if any.
    pub recover_time: Option<WallTime>,
    /// When the fault was healed: failover phases are only looked for before it.
    pub healed_time: Option<WallTime>,
}

fn since(from: &WallTime, e: &Event) -> Option<f64> {
    let t = e.time.as_ref()?;
    Some((t.at - from.at).num_milliseconds() as f64 / 1000.0)
}

fn first_between<'a>(
    events: &'a [Event],
    from: &WallTime,
    until: Option<&WallTime>,
    kinds: &[EventKind],
    filter: impl Fn(&Event) -> bool,
) -> Option<&'a Event> {
    events.iter().find(|e| {
        kinds.contains(&e.kind)
            && filter(e)
            && e.time
                .as_ref()
                .is_some_and(|t| t.at >= from.at && until.is_none_or(|u| t.at < u.at))
    })
}

/// The VIP acquired by a node other than the faulted one. An escalation that started before the
/// heal counts even when its success is logged after it: pgpool logs "successfully acquired the
/// delegate IP" only once the address is up and its arping has ended (3.1 s after `if_up_cmd` in
/// run r6c060ed1), and a scenario whose expectations saw the address on the survivor may heal the
/// fault within those seconds. Without escalation lines (another grammar), only acquisitions
/// before the heal count.
fn vip_moved<'a>(
    events: &'a [Event],
    t0: &WallTime,
    until: Option<&WallTime>,
    anchor: &Anchor,
) -> Option<&'a Event> {
    let elsewhere = |e: &Event| e.node != anchor.target;
    first_between(events, t0, until, &[EventKind::VipAcquired], elsewhere).or_else(|| {
        let escalated: Vec<&str> = events
            .iter()
            .filter(|e| {
                e.kind == EventKind::EscalationStarted
                    && elsewhere(e)
                    && e.time
                        .as_ref()
                        .is_some_and(|t| t.at >= t0.at && until.is_none_or(|u| t.at < u.at))
            })
            .map(|e| e.node.as_str())
            .collect();
        first_between(events, t0, None, &[EventKind::VipAcquired], |e| {
            escalated.contains(&e.node.as_str())
        })
    })
}

fn from_event(kind: MeasurementKind, anchor: &WallTime, e: Option<&Event>) -> Measurement {
    match e {
        Some(e) => Measurement {
            kind,
            seconds: since(anchor, e),
            node: Some(e.node.to_string()),
            evidence: format!("{} {}:{}: {}", e.node, e.file, e.line, e.text),
        },
        None => Measurement {
            kind,
            seconds: None,
            node: None,
            evidence: "not observed".into(),
        },
    }
}

/// Whether `e` is about the faulted node, as far as its attributes tell: a line naming another
/// backend (by `host` or `node_id`) is some other failover, e.g. an isolated pgpool detaching
/// the healthy peer, which is damage, not the failover being measured.
fn about_target(e: &Event, anchor: &Anchor) -> bool {
    if let Some(host) = e.attrs.get("host").and_then(|v| v.as_str()) {
        return host.trim() == anchor.target;
    }
    if let (Some(id), Some(target)) = (
        e.attrs.get("node_id").and_then(|v| v.as_i64()),
        anchor.target_backend,
    ) {
        return id == target;
    }
    true
}

/// Measures every phase after `anchor` from `events` (in timeline order) and `ledger`.
///
/// The failover phases count only events about the faulted node's backend; the failover command
/// counts when the node running it had set that backend down first.
pub fn measure(events: &[Event], ledger: &Ledger, anchor: &Anchor) -> Vec<Measurement> {
    let any = |_: &Event| true;
    let t0 = &anchor.fault_time;
    let until = anchor.healed_time.as_ref();
    let about = |e: &Event| about_target(e, anchor);
    // Nodes that set the target's backend down, and when.
    let downs: Vec<(&str, &WallTime)> = events
        .iter()
        .filter(|e| e.kind == EventKind::BackendDown && about(e))
        .filter_map(|e| e.time.as_ref().map(|t| (e.node.as_str(), t)))
        .collect();
    let failover_command = first_between(events, t0, until, &[EventKind::FailoverCommand], |e| {
        about(e)
            // A grammar without backend-down lines: any failover command counts.
            && (downs.is_empty()
                || downs.iter().any(|(n, d)| {
                    *n == e.node && e.time.as_ref().is_some_and(|t| d.at <= t.at)
                }))
    });
    let mut out = vec![
        from_event(
            MeasurementKind::Detect,
            t0,
            first_between(
                events,
                t0,
                until,
                // A failed health check, or a client's failed query (failover_on_backend_error
                // sends a degenerate request without any health check failing first).
                &[
                    EventKind::HealthCheckFailed,
                    EventKind::HealthCheckRetry,
                    EventKind::DegenerateRequest,
                ],
                about,
            ),
        ),
        from_event(
            MeasurementKind::NodeDown,
            t0,
            first_between(
                events,
                t0,
                until,
                &[EventKind::BackendDown, EventKind::DegenerateRequest],
                about,
            ),
        ),
        from_event(MeasurementKind::FailoverStart, t0, failover_command),
        // The VIP on its new holder: the faulty node, or the holder finishing its own escalation
        // late (its arping can end just after the fault), is not the VIP moving.
        from_event(
            MeasurementKind::Vip,
            t0,
            vip_moved(events, t0, until, anchor),
        ),
    ];

    out.push(match &anchor.old_primary {
        Some((addr, tli)) => {
            match ledger.first_ack_by_new_primary(anchor.fault_offset_ms, addr, *tli) {
                Some(ack) => {
                    let gap = ledger
                        .last_ack_before(anchor.fault_offset_ms + 1)
                        .map(|last| {
                            format!("; last write on the old primary at {}", last.server_time)
                        })
                        .unwrap_or_default();
                    Measurement {
                        kind: MeasurementKind::Promote,
                        seconds: Some(
                            (ack.acked_ms as f64 - anchor.fault_offset_ms as f64) / 1000.0,
                        ),
                        node: Some(ack.server_addr.clone()),
                        evidence: format!(
                            "write #{} acknowledged by {} on timeline {} at {}{gap}",
                            ack.seq, ack.server_addr, ack.timeline, ack.server_time
                        ),
                    }
                }
                None => Measurement {
                    kind: MeasurementKind::Promote,
                    seconds: None,
                    node: None,
                    evidence: format!(
                        "no write acknowledged by a new primary ({} acknowledged, {} failed)",
                        ledger.acks.len(),
                        ledger.failures.len()
                    ),
                },
            }
        }
        None => Measurement {
            kind: MeasurementKind::Promote,
            seconds: None,
            node: None,
            evidence: "no write probe ran before the fault".into(),
        },
    });

    out.push(from_event(
        MeasurementKind::FailoverDone,
        t0,
        first_between(events, t0, until, &[EventKind::FailoverDone], about),
    ));
    if let Some(r) = &anchor.recover_time {
        out.push(from_event(
            MeasurementKind::Recover,
            r,
            // The recovery may rejoin either node (whichever pgpool did not keep as primary).
            first_between(events, r, None, &[EventKind::NodeAttached], any),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Ack;
    use std::collections::BTreeMap;

    fn at(s: &str) -> WallTime {
        WallTime {
            at: chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap(),
            precision: 3,
        }
    }

    /// A fault on node1 (backend 0) at 12:00:10, nothing else known.
    fn node1_fault() -> Anchor {
        Anchor {
            fault_time: at("2026-11-25 12:00:10.000"),
            fault_offset_ms: 10_000,
            target: "node1".into(),
            target_backend: Some(0),
            vip_holder_before: None,
            old_primary: None,
            recover_time: None,
            healed_time: None,
        }
    }

    fn ev(node: &str, kind: EventKind, time: &str) -> Event {
        Event {
            node: node.into(),
            file: "pgpool.log".into(),
            line: 1,
            time: Some(at(time)),
            offset_ms: None,
            kind,
            attrs: crate::timeline::Attrs::new(),
            pid: None,
            text: kind.name().into(),
        }
    }

    #[test]
    fn phases_are_measured_from_the_fault_to_the_first_matching_event() {
        let events = vec![
            ev(
                "node2",
                EventKind::HealthCheckFailed,
                "2026-11-25 12:00:00.500",
            ),
            ev(
                "node2",
                EventKind::HealthCheckFailed,
                "2026-11-25 12:00:10.500",
            ),
            ev(
                "node2",
                EventKind::HealthCheckRetry,
                "2026-11-25 12:00:11.000",
            ),
            ev("node2", EventKind::VipAcquired, "2026-11-25 12:00:14.000"),
            ev("node2", EventKind::BackendDown, "2026-11-25 12:00:18.250"),
            ev(
                "node2",
                EventKind::FailoverCommand,
                "2026-11-25 12:00:18.300",
            ),
            ev("node2", EventKind::FailoverDone, "2026-11-25 12:00:20.000"),
        ];
        let ledger = Ledger {
            acks: vec![
                Ack {
                    seq: 1,
                    sent_ms: 9_900,
                    acked_ms: 9_905,
                    server_time: "12:00:09.9".into(),
                    server_addr: "10.77.1.11".into(),
                    timeline: 1,
                    lsn: None,
                },
                Ack {
                    seq: 50,
                    sent_ms: 19_000,
                    acked_ms: 19_500,
                    server_time: "12:00:19.5".into(),
                    server_addr: "10.77.1.12".into(),
                    timeline: 2,
                    lsn: None,
                },
            ],
            failures: vec![],
            pinned: None,
        };
        let anchor = Anchor {
            vip_holder_before: Some("node1".into()),
            old_primary: Some(("10.77.1.11".into(), 1)),
            ..node1_fault()
        };
        let m: BTreeMap<_, _> = measure(&events, &ledger, &anchor)
            .into_iter()
            .map(|m| (m.kind, m))
            .collect();
        assert_eq!(m[&MeasurementKind::Detect].seconds, Some(0.5));
        assert_eq!(m[&MeasurementKind::NodeDown].seconds, Some(8.25));
        assert_eq!(m[&MeasurementKind::FailoverStart].seconds, Some(8.3));
        assert_eq!(
            m[&MeasurementKind::FailoverStart].node.as_deref(),
            Some("node2")
        );
        assert_eq!(m[&MeasurementKind::Vip].seconds, Some(4.0));
        assert_eq!(m[&MeasurementKind::Promote].seconds, Some(9.5));
        assert_eq!(m[&MeasurementKind::FailoverDone].seconds, Some(10.0));
        assert!(!m.contains_key(&MeasurementKind::Recover));
    }

    #[test]
    fn an_unobserved_phase_has_no_value_rather_than_zero() {
        let anchor = node1_fault();
        for m in measure(&[], &Ledger::default(), &anchor) {
            assert_eq!(m.seconds, None, "{m:?}");
        }
    }

    fn with(mut e: Event, key: &str, value: serde_json::Value) -> Event {
        e.attrs.insert(key.into(), value);
        e
    }

    #[test]
    fn an_isolated_node_detaching_its_healthy_peer_is_not_the_failover_measured() {
        // pgpool 4.3 on a silent network loss: the isolated node1 gives up on node2 first and
        // runs its own failover of backend 1 (its trust ping fails, so nothing is promoted);
        // the failover of node1 comes from node2 a health-check cycle later.
        let events = vec![
            with(
                ev(
                    "node1",
                    EventKind::HealthCheckRetry,
                    "2026-11-25 12:00:11.000",
                ),
                "node_id",
                1.into(),
            ),
            with(
                ev(
                    "node2",
                    EventKind::HealthCheckRetry,
                    "2026-11-25 12:00:11.100",
                ),
                "node_id",
                0.into(),
            ),
            with(
                ev("node1", EventKind::BackendDown, "2026-11-25 12:00:21.000"),
                "host",
                "node2".into(),
            ),
            ev(
                "node1",
                EventKind::FailoverCommand,
                "2026-11-25 12:00:21.010",
            ),
            with(
                ev("node1", EventKind::FailoverDone, "2026-11-25 12:00:22.000"),
                "host",
                "node2".into(),
            ),
            with(
                ev("node2", EventKind::BackendDown, "2026-11-25 12:00:33.000"),
                "host",
                "node1".into(),
            ),
            ev(
                "node2",
                EventKind::FailoverCommand,
                "2026-11-25 12:00:33.010",
            ),
            with(
                ev("node2", EventKind::FailoverDone, "2026-11-25 12:00:33.500"),
                "host",
                "node1 ".into(),
            ),
        ];
        let anchor = node1_fault();
        let m: BTreeMap<_, _> = measure(&events, &Ledger::default(), &anchor)
            .into_iter()
            .map(|m| (m.kind, m))
            .collect();
        assert_eq!(m[&MeasurementKind::Detect].seconds, Some(1.1));
        assert_eq!(m[&MeasurementKind::NodeDown].seconds, Some(23.0));
        assert_eq!(m[&MeasurementKind::FailoverStart].seconds, Some(23.01));
        assert_eq!(
            m[&MeasurementKind::FailoverStart].node.as_deref(),
            Some("node2")
        );
        assert_eq!(m[&MeasurementKind::FailoverDone].seconds, Some(23.5));
    }

    #[test]
    fn an_escalation_begun_before_the_heal_is_the_vip_moving_even_if_it_ends_after() {
        // Run r6c060ed1 (primary-crash): node2's escalation started 10.1 s after the fault, the
        // address was up at 10.2 s, the expectations passed and the fault was healed at 11.8 s,
        // and pgpool logged the acquisition at 13.3 s.
        let anchor = Anchor {
            healed_time: Some(at("2026-11-25 12:00:21.800")),
            ..node1_fault()
        };
        let vip = |events: &[Event]| {
            measure(events, &Ledger::default(), &anchor)
                .into_iter()
                .find(|m| m.kind == MeasurementKind::Vip)
                .unwrap()
                .seconds
        };
        let escalation = ev(
            "node2",
            EventKind::EscalationStarted,
            "2026-11-25 12:00:20.100",
        );
        let acquired = ev("node2", EventKind::VipAcquired, "2026-11-25 12:00:23.300");
        assert_eq!(vip(&[escalation.clone(), acquired.clone()]), Some(13.3));
        // An escalation that starts only after the heal is not this fault's doing.
        let late = ev(
            "node2",
            EventKind::EscalationStarted,
            "2026-11-25 12:00:22.000",
        );
        assert_eq!(vip(&[late, acquired.clone()]), None);
        // Nor is the faulted node taking the VIP back.
        let back = ev(
            "node1",
            EventKind::EscalationStarted,
            "2026-11-25 12:00:20.100",
        );
        let back_acquired = ev("node1", EventKind::VipAcquired, "2026-11-25 12:00:23.300");
        assert_eq!(vip(&[back, back_acquired]), None);
        // Without escalation lines, an acquisition after the heal does not count.
        assert_eq!(vip(&[acquired]), None);
    }

    #[test]
    fn the_recovery_counts_whichever_node_is_rejoined() {
        // A partition of node1: pgpool keeps node1 as primary and rewinds node2.
        let anchor = Anchor {
            recover_time: Some(at("2026-11-25 12:01:00.000")),
            healed_time: Some(at("2026-11-25 12:00:50.000")),
            ..node1_fault()
        };
        let events = vec![with(
            ev("node2", EventKind::NodeAttached, "2026-11-25 12:01:01.500"),
            "node_id",
            1.into(),
        )];
        let m: BTreeMap<_, _> = measure(&events, &Ledger::default(), &anchor)
            .into_iter()
            .map(|m| (m.kind, m))
            .collect();
        assert_eq!(m[&MeasurementKind::Recover].seconds, Some(1.5));
    }
}
