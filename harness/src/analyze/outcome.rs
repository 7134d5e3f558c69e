//! What happened, in one word, with its evidence, and whether that is what the user expected
//! (`--expect`). Derived from the timeline and the failovers; decides nothing else.

use crate::checks::{cite, mutual_failovers, vip_overlaps, Check, Failover, Verdict};
pub use crate::record::analysis::{Expect, Outcome, OutcomeRecord};
use crate::timeline::{EventKind, Timeline};

/// Classifies the timeline: split brain, then failover, quarantine, recovery only, no failover.
pub fn classify(timeline: &Timeline, failovers: &[Failover], expected: Expect) -> OutcomeRecord {
    let events = timeline.events();
    let mut evidence = Vec::new();
    let mut split = false;
    if let Some((a, b)) = mutual_failovers(failovers, events) {
        split = true;
        evidence.push(format!(
            "{} and {} failed each other over ({}; {})",
            failovers[a].executor,
            failovers[b].executor,
            cite(&events[failovers[a].command_index]),
            cite(&events[failovers[b].command_index])
        ));
    }
    if let Some(&(a, b)) = vip_overlaps(timeline).first() {
        split = true;
        evidence.push(format!(
            "VIP up on {} ({}) and {} ({})",
            events[a].node,
            cite(&events[a]),
            events[b].node,
            cite(&events[b])
        ));
    }
    if let Some(e) = events.iter().find(|e| e.kind == EventKind::SplitBrain) {
        split = true;
        evidence.push(format!("watchdog: split brain ({})", cite(e)));
    }
    let result = if split {
        Outcome::SplitBrain
    } else if !failovers.is_empty() {
        if failovers.len() > 10 {
            evidence.push(format!(
                "{} failovers (the first 10 follow)",
                failovers.len()
            ));
        }
        for f in failovers.iter().take(10) {
            evidence.push(format!(
                "{} ran the failover command ({}): backend {} -> new primary {}",
                f.executor,
                cite(&events[f.command_index]),
                f.failed_node_id.map_or("?".into(), |v| v.to_string()),
                f.new_primary_node_id.map_or("?".into(), |v| v.to_string()),
            ));
        }
        Outcome::Failover
    } else if let Some(e) = events.iter().find(|e| e.kind == EventKind::Quarantine) {
        evidence.push(format!("quarantine instead of failover ({})", cite(e)));
        Outcome::Quarantine
    } else if let Some(e) = events.iter().find(|e| {
        matches!(
            e.kind,
            EventKind::RecoveryStarted | EventKind::NodeAttached | EventKind::StandbyStarted
        )
    }) {
        evidence.push(format!("{} ({}), no failover command", e.kind, cite(e)));
        Outcome::RecoveryOnly
    } else {
        evidence.push("no node ran the failover command".into());
        Outcome::NoFailover
    };
    OutcomeRecord {
        result,
        expected,
        evidence,
    }
}

/// The `outcome` check: Pass when what happened is what `--expect` asked for. Split brain is
/// damage and never passes; `--expect any` accepts every other outcome.
pub fn check_outcome(o: &OutcomeRecord) -> Check {
    const NAME: &str = "outcome";
    let ok = match (o.expected, o.result) {
        (_, Outcome::SplitBrain) => false,
        (Expect::Any, _) => true,
        (Expect::Failover, r) => r == Outcome::Failover,
        (Expect::None, r) => r != Outcome::Failover,
    };
    let expected = match o.expected {
        Expect::Failover => "a failover",
        Expect::None => "no failover",
        Expect::Any => "anything without damage",
    };
    Check::new(
        NAME,
        if ok { Verdict::Pass } else { Verdict::Fail },
        format!(
            "{} (expected {expected}): {}",
            o.result.label(),
            o.evidence.join("; ")
        ),
    )
}
