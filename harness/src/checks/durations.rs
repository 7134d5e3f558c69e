//! Durations are functions of the timeline, never stopwatches: leader lost → backend down →
//! failover command → new primary → failover done on the executor, and recovery start → node
//! attached on whichever node recovered.

use super::expectations::Expectations;
use super::sequence::sequence_node;
use super::verdict::{Check, Verdict};
use crate::timeline::{seconds_between, EventKind, Timeline};
use std::collections::BTreeMap;

/// The failover chain, in order; consecutive pairs are measured (here over the whole timeline,
/// in `failovers` per failover).
pub(super) const CHAIN: &[EventKind] = &[
    EventKind::LeaderLost,
    EventKind::BackendDown,
    EventKind::FailoverCommand,
    EventKind::NewPrimary,
    EventKind::FailoverDone,
];

/// A phase's name: `leader_lost_to_backend_down`.
pub(super) fn name(a: EventKind, b: EventKind) -> String {
    format!("{}_to_{}", a.name(), b.name())
}

/// Named durations in seconds. Keys: `leader_lost_to_backend_down`,
/// `backend_down_to_failover_command`, `failover_command_to_new_primary`,
/// `new_primary_to_failover_done`, `leader_lost_to_failover_done`,
/// `backend_down_to_failover_done`, `recovery_started_to_node_attached`. A key is absent when
/// its events are missing or carry no comparable time.
pub fn durations(timeline: &Timeline, exp: &Expectations) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let events = timeline.events();
    if let Some(node) = sequence_node(timeline, exp) {
        // Walk the chain forward so each event is the first one after its predecessor.
        let mut found: Vec<(EventKind, usize)> = Vec::new();
        let mut from = 0usize;
        for kind in CHAIN {
            if let Some((i, _)) = timeline.first_after(&node, *kind, from) {
                found.push((*kind, i));
                from = i;
            }
        }
        for pair in found.windows(2) {
            let ((ka, ia), (kb, ib)) = (pair[0], pair[1]);
            if let Some(s) = seconds_between(&events[ia], &events[ib]) {
                out.insert(name(ka, kb), s);
            }
        }
        let get = |k: EventKind| found.iter().find(|(x, _)| *x == k).map(|(_, i)| *i);
        for start in [EventKind::LeaderLost, EventKind::BackendDown] {
            if let (Some(a), Some(b)) = (get(start), get(EventKind::FailoverDone)) {
                if let Some(s) = seconds_between(&events[a], &events[b]) {
                    out.insert(name(start, EventKind::FailoverDone), s);
                }
            }
        }
    }
    let recovery = events
        .iter()
        .position(|e| e.kind == EventKind::RecoveryStarted);
    if let Some(r) = recovery {
        if let Some((a, _)) = events
            .iter()
            .enumerate()
            .skip(r)
            .find(|(_, e)| e.kind == EventKind::NodeAttached)
        {
            if let Some(s) = seconds_between(&events[r], &events[a]) {
                out.insert(name(EventKind::RecoveryStarted, EventKind::NodeAttached), s);
            }
        }
    }
    out
}

/// Pass when the failover's duration was measured and every budget holds; Fail over a budget;
/// Unknown when a budgeted or the total duration cannot be measured.
pub fn check_durations(measured: &BTreeMap<String, f64>, exp: &Expectations) -> Check {
    const NAME: &str = "durations";
    let mut over = Vec::new();
    let mut unmeasured = Vec::new();
    for (key, limit) in &exp.budgets {
        match measured.get(key) {
            Some(v) if v > limit => over.push(format!("{key} {v:.3}s > {limit}s")),
            Some(_) => {}
            None => unmeasured.push(key.clone()),
        }
    }
    if !over.is_empty() {
        return Check::new(NAME, Verdict::Fail, over.join("; "));
    }
    let total = "backend_down_to_failover_done";
    if exp.failover_expected && !measured.contains_key(total) {
        unmeasured.push(total.to_string());
    }
    if !unmeasured.is_empty() {
        return Check::new(
            NAME,
            Verdict::Unknown,
            format!("not measurable: {}", unmeasured.join(", ")),
        );
    }
    let list: Vec<String> = measured
        .iter()
        .map(|(k, v)| format!("{k} {v:.3}s"))
        .collect();
    Check::new(
        NAME,
        Verdict::Pass,
        if list.is_empty() {
            "nothing to measure".into()
        } else {
            list.join(", ")
        },
    )
}
