//! Damage the logs themselves prove: split brain (the watchdog says so, or two nodes failed
//! each other over), the delegate IP up on two nodes at once, and a failover that left no
//! primary. Each is a pure function of the timeline.

use super::executor::mutual_failovers;
use super::failovers::{failovers, Failover, FailoverKind};
use super::verdict::{cite, Check, Verdict};
use crate::timeline::{Event, EventKind, Timeline};
use std::collections::HashMap;

/// Fails when the watchdog logged split brain or two nodes failed each other over.
pub fn check_split_brain(timeline: &Timeline) -> Check {
    check_split_brain_of(timeline, &failovers(timeline))
}

/// [`check_split_brain`], given the [`failovers`] of `timeline` (found once for all the checks).
pub(crate) fn check_split_brain_of(timeline: &Timeline, all: &[Failover]) -> Check {
    const NAME: &str = "split_brain";
    let events = timeline.events();
    let mut evidence = Vec::new();
    if let Some((a, b)) = mutual_failovers(all, events) {
        evidence.push(format!(
            "{} detached backend {} and {} detached backend {} ({}; {})",
            all[a].executor,
            all[a].failed_node_id.unwrap_or(-1),
            all[b].executor,
            all[b].failed_node_id.unwrap_or(-1),
            cite(&events[all[a].command_index]),
            cite(&events[all[b].command_index])
        ));
    }
    let lines: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::SplitBrain)
        .collect();
    if let Some(first) = lines.first() {
        evidence.push(format!(
            "the watchdog logged split brain {} time(s), first {}: {}",
            lines.len(),
            cite(first),
            first.text
        ));
    }
    if evidence.is_empty() {
        Check::new(
            NAME,
            Verdict::Pass,
            "no split-brain line and no two nodes failing each other over",
        )
    } else {
        Check::new(NAME, Verdict::Fail, evidence.join("; "))
    }
}

/// Periods during which two nodes held the delegate IP, by the nodes' own logs.
///
/// A node holds the VIP from "successfully acquired" until it logs a release, its watchdog
/// leaves the leader state, or it restarts. When another node acquires the VIP, the first is
/// counted as a second holder only if its pgpool log goes on afterwards without a restart: a
/// node that crashed or lost power logs nothing more there, and its address went with it.
pub fn vip_overlaps(timeline: &Timeline) -> Vec<(usize, usize)> {
    let events = timeline.events();
    // Per node: the index of its current acquisition, if it holds the VIP.
    let mut holding: HashMap<&str, usize> = HashMap::new();
    // Pending overlaps: (earlier holder's acquisition, later acquisition, earlier holder).
    let mut pending: Vec<(usize, usize, &str)> = Vec::new();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        // The harness's notes (a fault, a heal) are about a node, not lines it logged.
        if e.kind.is_harness() {
            continue;
        }
        let node = e.node.as_str();
        let restarted = e.kind == EventKind::WatchdogState
            && e.attrs.get("from").and_then(|v| v.as_str()) == Some("DEAD");
        // Any later line of an earlier holder's pgpool (the file it logged the acquisition in)
        // confirms (or, for a restart, refutes) an overlap. Its PostgreSQL or the rejoin script
        // say nothing about it: a crashed host restarted without its VIP (a new network
        // namespace) may start postgres, or be rewound, before its pgpool logs the restart.
        pending.retain(|&(a, b, holder)| {
            if holder != node || events[a].file != e.file {
                return true;
            }
            if !restarted {
                out.push((a, b));
            }
            false
        });
        match e.kind {
            EventKind::VipAcquired => {
                for (&other, &a) in &holding {
                    if other != node {
                        pending.push((a, i, other));
                    }
                }
                holding.insert(node, i);
            }
            EventKind::VipReleased | EventKind::PgpoolExit => {
                holding.remove(node);
            }
            EventKind::WatchdogState => {
                let from = e.attrs.get("from").and_then(|v| v.as_str());
                if restarted || from == Some("LEADER") || from == Some("COORDINATOR") {
                    holding.remove(node);
                }
            }
            _ => {}
        }
    }
    out
}

/// Fails when the logs show the VIP up on two nodes at once (see [`vip_overlaps`]).
pub fn check_vip_holders(timeline: &Timeline) -> Check {
    const NAME: &str = "vip_holders";
    let events = timeline.events();
    let overlaps = vip_overlaps(timeline);
    match overlaps.first() {
        None => {
            let n = events
                .iter()
                .filter(|e| e.kind == EventKind::VipAcquired)
                .count();
            Check::new(
                NAME,
                Verdict::Pass,
                format!("{n} VIP acquisition(s), never two holders at once"),
            )
        }
        Some(&(a, b)) => Check::new(
            NAME,
            Verdict::Fail,
            format!(
                "the VIP was up on two nodes: {} acquired it ({}) while {} still held it ({}){}",
                events[b].node,
                cite(&events[b]),
                events[a].node,
                cite(&events[a]),
                if overlaps.len() > 1 {
                    format!("; {} time(s) in all", overlaps.len())
                } else {
                    String::new()
                }
            ),
        ),
    }
}

/// Fails when a failover left no primary (`set new primary node: -1`).
pub fn check_primary_kept(timeline: &Timeline) -> Check {
    check_primary_kept_of(timeline, &failovers(timeline))
}

/// [`check_primary_kept`], given the [`failovers`] of `timeline` (found once for all the checks).
pub(crate) fn check_primary_kept_of(timeline: &Timeline, all: &[Failover]) -> Check {
    const NAME: &str = "primary_kept";
    let events = timeline.events();
    let lost: Vec<String> = all
        .iter()
        .filter(|f| f.kind == FailoverKind::NoPrimary)
        .map(|f| format!("{} ({})", f.executor, cite(&events[f.command_index])))
        .collect();
    if !lost.is_empty() {
        return Check::new(
            NAME,
            Verdict::Fail,
            format!(
                "failover left no primary (new primary -1): {}",
                super::verdict::list(&lost, ", ", 10)
            ),
        );
    }
    Check::new(
        NAME,
        Verdict::Pass,
        if all.is_empty() {
            "no failover".to_string()
        } else {
            format!("every one of {} failover(s) kept a primary", all.len())
        },
    )
}
