//! The fixed set of checkers a run is judged by.

use super::damage::{check_primary_kept_of, check_split_brain_of, check_vip_holders};
use super::durations::{check_durations, durations};
use super::executor::check_single_executor_of;
use super::expectations::Expectations;
use super::failovers::{failovers, Failover};
use super::forbidden::check_forbidden;
use super::ids::check_ids_agree;
use super::sequence::check_sequence_of;
use super::verdict::{Check, Verdict};
use crate::timeline::Timeline;

/// Runs every checker, in a fixed order: sequence, single executor, ids, forbidden patterns,
/// durations, split brain, VIP holders, primary kept.
pub fn run_all(timeline: &Timeline, exp: &Expectations) -> Vec<Check> {
    let all = failovers(timeline);
    run_all_of(timeline, exp, &durations(timeline, exp), &all, false)
}

/// [`run_all`], given what the caller has found already: the [`durations`] and the
/// [`failovers`] of `timeline` (on a year of logs, each is a pass over hundreds of thousands of
/// events). `judged` says `all` came from [`super::judged_failovers`]; the other checks may
/// read those too, since judging only adds each failover's sequence and phases, which they do
/// not look at.
pub(crate) fn run_all_of(
    timeline: &Timeline,
    exp: &Expectations,
    measured: &std::collections::BTreeMap<String, f64>,
    all: &[Failover],
    judged: bool,
) -> Vec<Check> {
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
        check_sequence_of(timeline, exp, judged.then_some(all)),
        check_single_executor_of(timeline, exp, all),
        ids,
        check_forbidden(timeline),
        check_durations(measured, exp),
        check_split_brain_of(timeline, all),
        check_vip_holders(timeline),
        check_primary_kept_of(timeline, all),
    ]
}
