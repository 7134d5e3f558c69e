//! The fixed set of checkers a run is judged by.

use super::damage::{check_primary_kept, check_split_brain, check_vip_holders};
use super::durations::{check_durations, durations};
use super::executor::check_single_executor;
use super::expectations::Expectations;
use super::forbidden::check_forbidden;
use super::ids::check_ids_agree;
use super::sequence::check_sequence;
use super::verdict::Check;
use crate::timeline::Timeline;

/// Runs every checker, in a fixed order: sequence, single executor, ids, forbidden patterns,
/// durations, split brain, VIP holders, primary kept.
pub fn run_all(timeline: &Timeline, exp: &Expectations) -> Vec<Check> {
    let measured = durations(timeline, exp);
    vec![
        check_sequence(timeline, exp),
        check_single_executor(timeline, exp),
        check_ids_agree(timeline),
        check_forbidden(timeline),
        check_durations(&measured, exp),
        check_split_brain(timeline),
        check_vip_holders(timeline),
        check_primary_kept(timeline),
    ]
}
