//! The failed backend id and the new primary id must agree across nodes and sources: a pgpool
//! that detached node 0 while the script promoted node 0 is a broken failover.

use super::failovers::int_attr;
use super::verdict::{cite, Check, Verdict};
use crate::timeline::{Event, EventKind, Timeline};
use std::collections::BTreeMap;

fn failed_id(e: &Event) -> Option<i64> {
    match e.kind {
        EventKind::BackendDown | EventKind::DegenerateRequest => int_attr(e, "node_id"),
        EventKind::FailoverScriptStarted => int_attr(e, "failed_node_id"),
        _ => None,
    }
}

fn new_primary_id(e: &Event) -> Option<i64> {
    match e.kind {
        EventKind::NewPrimary => int_attr(e, "node_id"),
        EventKind::FailoverScriptStarted => int_attr(e, "new_primary_node_id"),
        _ => None,
    }
}

/// The check's name.
const NAME: &str = "ids_agree";

/// Ids seen in one incident, with the first event naming each.
type IdsSeen<'a> = BTreeMap<i64, &'a Event>;

/// Checks agreement within each failover incident. Incidents are separated by a "failover done"
/// (so a run with several failovers compares each with itself). Each is judged as it closes:
/// only the open incident's ids are kept (a year of logs holds thousands of incidents).
pub fn check_ids_agree(timeline: &Timeline) -> Check {
    let mut window: (IdsSeen, IdsSeen) = Default::default();
    let mut seen = Vec::new();
    for e in timeline.events() {
        if let Some(id) = failed_id(e) {
            window.0.entry(id).or_insert(e);
        }
        if let Some(id) = new_primary_id(e) {
            window.1.entry(id).or_insert(e);
        }
        if e.kind == EventKind::FailoverDone {
            if let Some(fail) = judge_incident(&std::mem::take(&mut window), &mut seen) {
                return fail;
            }
        }
    }
    if let Some(fail) = judge_incident(&window, &mut seen) {
        return fail;
    }
    if seen.is_empty() {
        Check::new(
            NAME,
            Verdict::Unknown,
            "no event names a failed backend or a new primary",
        )
    } else {
        Check::new(NAME, Verdict::Pass, super::verdict::list(&seen, "; ", 10))
    }
}

/// One incident: the failing check when its ids disagree, else its ids added to `seen` (when
/// it named any).
fn judge_incident(
    (failed, promoted): &(IdsSeen, IdsSeen),
    seen: &mut Vec<String>,
) -> Option<Check> {
    for (what, ids) in [("failed backend", failed), ("new primary", promoted)] {
        if ids.len() > 1 {
            let list: Vec<String> = ids
                .iter()
                .map(|(id, e)| format!("{id} ({})", cite(e)))
                .collect();
            return Some(Check::new(
                NAME,
                Verdict::Fail,
                format!("{what} ids disagree: {}", list.join(", ")),
            ));
        }
    }
    if let (Some(f), Some(p)) = (failed.keys().next(), promoted.keys().next()) {
        if f == p {
            return Some(Check::new(
                NAME,
                Verdict::Fail,
                format!("backend {f} both failed and became primary"),
            ));
        }
    }
    if !failed.is_empty() || !promoted.is_empty() {
        seen.push(format!(
            "failed {} / new primary {}",
            failed.keys().next().map_or("?".into(), |i| i.to_string()),
            promoted.keys().next().map_or("?".into(), |i| i.to_string())
        ));
    }
    None
}
