//! Exactly one node runs the failover command for one failure: the other pgpool may log the same
//! states but must not run the script too (two promotions = split brain).

use super::expectations::Expectations;
use super::failovers::{failovers, Failover};
use super::verdict::{cite, Check, Verdict};
use crate::timeline::Timeline;
use crate::timeline::{Event, EventKind};
use std::collections::HashMap;

/// Checks that each failover was run by one node only, and that a failover happened when one was
/// expected (or did not when none was).
pub fn check_single_executor(timeline: &Timeline, exp: &Expectations) -> Check {
    check_single_executor_of(timeline, exp, &failovers(timeline))
}

/// [`check_single_executor`], given the [`failovers`] of `timeline` (found once for all the
/// checks).
pub(crate) fn check_single_executor_of(
    timeline: &Timeline,
    exp: &Expectations,
    all: &[Failover],
) -> Check {
    const NAME: &str = "single_executor";
    let events = timeline.events();
    // With a profile's sequences (offline analysis) whether a failover should have happened is
    // the `outcome` check's question (`--expect`), not this one's.
    if all.is_empty() && !exp.variants.is_empty() {
        return Check::new(NAME, Verdict::Pass, "no node ran the failover command");
    }
    if all.is_empty() {
        return if exp.failover_expected {
            Check::new(NAME, Verdict::Fail, "no node ran the failover command")
        } else {
            Check::new(NAME, Verdict::Pass, "no failover, as expected")
        };
    }
    if !exp.failover_expected && exp.variants.is_empty() {
        return Check::new(
            NAME,
            Verdict::Fail,
            format!(
                "a failover ran although none was expected: {}",
                cite(&events[all[0].command_index])
            ),
        );
    }
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let overlapping = a.done_index.is_none_or(|d| b.command_index < d);
        if overlapping && a.executor != b.executor {
            return Check::new(
                NAME,
                Verdict::Fail,
                format!(
                    "two nodes ran the failover command for one failure: {} and {}",
                    cite(&events[a.command_index]),
                    cite(&events[b.command_index])
                ),
            );
        }
    }
    // Two nodes each failing the other over — each promoting itself, or keeping itself primary
    // — is split brain even when the two failovers do not overlap in time, unless the failed
    // node was re-attached in between (then they are separate incidents).
    if let Some((a, b)) = mutual_failovers(all, events) {
        let (a, b) = (&all[a], &all[b]);
        return Check::new(
            NAME,
            Verdict::Fail,
            format!(
                "two nodes failed each other over (split brain): {} detached node {} and {} detached node {} ({}; {})",
                a.executor,
                a.failed_node_id.unwrap_or(-1),
                b.executor,
                b.failed_node_id.unwrap_or(-1),
                cite(&events[a.command_index]),
                cite(&events[b.command_index])
            ),
        );
    }
    let mut executors: Vec<&str> = Vec::new();
    for f in all {
        if !executors.contains(&f.executor.as_str()) {
            executors.push(f.executor.as_str());
        }
    }
    Check::new(
        NAME,
        Verdict::Pass,
        format!(
            "{} failover(s), run by {} ({})",
            all.len(),
            executors.join(", "),
            cite(&events[all[0].command_index])
        ),
    )
}

/// The first pair of failovers (indices into `all`) in which two nodes failed each other over
/// with no re-attach of the failed node in between; linear in the number of failovers.
pub fn mutual_failovers(all: &[Failover], events: &[Event]) -> Option<(usize, usize)> {
    // The latest failover per (executor, failed, new primary), and the attach count before it.
    let attaches_before: Vec<usize> = {
        let mut n = 0usize;
        let mut v = Vec::with_capacity(events.len() + 1);
        for e in events {
            v.push(n);
            if e.kind == EventKind::NodeAttached {
                n += 1;
            }
        }
        v.push(n);
        v
    };
    let mut latest: HashMap<(i64, i64), Vec<(&str, usize)>> = HashMap::new();
    for (k, b) in all.iter().enumerate() {
        let (Some(failed), Some(new)) = (b.failed_node_id, b.new_primary_node_id) else {
            continue;
        };
        if let Some(list) = latest.get(&(new, failed)) {
            for &(exec, a) in list {
                let between =
                    attaches_before[b.command_index] - attaches_before[all[a].command_index];
                if exec != b.executor && between == 0 {
                    return Some((a, k));
                }
            }
        }
        let list = latest.entry((failed, new)).or_default();
        match list.iter_mut().find(|(exec, _)| *exec == b.executor) {
            Some(slot) => slot.1 = k,
            None => list.push((b.executor.as_str(), k)),
        }
    }
    None
}
