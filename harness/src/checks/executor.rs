//! Exactly one node runs the failover command for one failure: the other pgpool may log the same
//! states but must not run the script too (two promotions = split brain).

use super::expectations::Expectations;
use super::failovers::failovers;
use super::verdict::{cite, Check, Verdict};
use crate::timeline::Timeline;

/// Checks that each failover was run by one node only, and that a failover happened when one was
/// expected (or did not when none was).
pub fn check_single_executor(timeline: &Timeline, exp: &Expectations) -> Check {
    const NAME: &str = "single_executor";
    let all = failovers(timeline);
    let events = timeline.events();
    if all.is_empty() {
        return if exp.failover_expected {
            Check::new(NAME, Verdict::Fail, "no node ran the failover command")
        } else {
            Check::new(NAME, Verdict::Pass, "no failover, as expected")
        };
    }
    if !exp.failover_expected {
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
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let mutual = a.executor != b.executor
                && a.failed_node_id.is_some()
                && a.failed_node_id == b.new_primary_node_id
                && b.failed_node_id == a.new_primary_node_id;
            let reattached_between = events[a.command_index..b.command_index]
                .iter()
                .any(|e| e.kind == crate::timeline::EventKind::NodeAttached);
            if mutual && !reattached_between {
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
        }
    }
    let mut executors: Vec<&str> = all.iter().map(|f| f.executor.as_str()).collect();
    executors.dedup();
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
