//! Which node ran the failover, on which backend, and who became primary: read from the timeline.

use crate::timeline::{Event, EventKind, Timeline, WallTime};
use serde::Serialize;

/// One failover: a failover command on one node, up to that node's next "failover done".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failover {
    /// The node whose pgpool ran the failover command.
    pub executor: String,
    /// The backend that failed (from the nearest earlier backend-down / degenerate request).
    pub failed_node_id: Option<i64>,
    /// The backend that became primary (the next `new_primary` on that node).
    pub new_primary_node_id: Option<i64>,
    /// When the failover command ran.
    pub started: Option<WallTime>,
    /// When the failover was done.
    pub done: Option<WallTime>,
    /// Timeline index of the failover command.
    #[serde(skip)]
    pub command_index: usize,
    /// Timeline index of "failover done", when seen.
    #[serde(skip)]
    pub done_index: Option<usize>,
}

/// The attribute `name` as an integer.
pub fn int_attr(e: &Event, name: &str) -> Option<i64> {
    e.attrs.get(name).and_then(|v| v.as_i64())
}

/// Every failover in time order.
pub fn failovers(timeline: &Timeline) -> Vec<Failover> {
    let events = timeline.events();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.kind != EventKind::FailoverCommand {
            continue;
        }
        let failed_node_id = events[..i]
            .iter()
            .rev()
            .filter(|p| p.node == e.node)
            .filter(|p| {
                matches!(
                    p.kind,
                    EventKind::BackendDown | EventKind::DegenerateRequest
                )
            })
            .find_map(|p| int_attr(p, "node_id"));
        let next_command = events[i + 1..]
            .iter()
            .position(|n| n.node == e.node && n.kind == EventKind::FailoverCommand)
            .map_or(events.len(), |p| i + 1 + p);
        let within = || {
            events[i + 1..next_command]
                .iter()
                .enumerate()
                .map(move |(k, n)| (i + 1 + k, n))
                .filter(|(_, n)| n.node == e.node)
        };
        let new_primary_node_id = within()
            .find(|(_, n)| n.kind == EventKind::NewPrimary)
            .and_then(|(_, n)| int_attr(n, "node_id"));
        let done = within().find(|(_, n)| n.kind == EventKind::FailoverDone);
        out.push(Failover {
            executor: e.node.clone(),
            failed_node_id,
            new_primary_node_id,
            started: e.time,
            done: done.and_then(|(_, n)| n.time),
            command_index: i,
            done_index: done.map(|(k, _)| k),
        });
    }
    out
}
