//! The fixed set of checkers a run is judged by.

use super::damage::{check_primary_kept, check_split_brain, check_vip_holders};
use super::durations::{check_durations, durations};
use super::executor::check_single_executor;
use super::expectations::Expectations;
use super::forbidden::check_forbidden;
use super::ids::check_ids_agree;
use super::sequence::check_sequence;
use super::verdict::{Check, Verdict};
use crate::timeline::Timeline;

/// Runs every checker, in a fixed order: sequence, single executor, ids, forbidden patterns,
/// durations, split brain, VIP holders, primary kept.
pub fn run_all(timeline: &Timeline, exp: &Expectations) -> Vec<Check> {
    let measured = durations(timeline, exp);
    // With a profile's sequences nobody required a failover (`--expect` judges that), and a fault
    // that only degrades its node expects none: when none ran there are no ids to compare, which
    // is not a doubt about one.
    let no_failover = (!exp.variants.is_empty() || !exp.failover_expected)
        && !timeline
            .events()
            .iter()
            .any(|e| e.kind == crate::timeline::EventKind::FailoverCommand);
    let ids = if no_failover {
        Check::new("ids_agree", Verdict::Pass, "no failover, no ids to compare")
    } else {
        check_ids_agree(timeline)
    };
    vec![
        check_sequence(timeline, exp),
        check_single_executor(timeline, exp),
        ids,
        check_forbidden(timeline),
        check_durations(&measured, exp),
        check_split_brain(timeline),
        check_vip_holders(timeline),
        check_primary_kept(timeline),
    ]
}
