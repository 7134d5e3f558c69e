//! Checkers: pure functions of [`Expectations`] and a [`crate::timeline::Timeline`] returning
//! [`Check`]s (Pass / Fail / Unknown with evidence). Offline analysis and live scenario runs call
//! the same [`run_all`].

mod damage;
mod durations;
mod executor;
mod expectations;
mod failovers;
mod forbidden;
mod ids;
mod run;
mod sequence;
mod variants;
mod verdict;

pub use damage::{check_primary_kept, check_split_brain, check_vip_holders, vip_overlaps};
pub use durations::{check_durations, durations};
pub use executor::{check_single_executor, mutual_failovers};
pub use expectations::{Expectations, StepExpectation};
pub use failovers::{failovers, int_attr, judged_failovers, Failover, FailoverKind, Phases};
pub use forbidden::check_forbidden;
pub use ids::check_ids_agree;
pub use run::run_all;
pub(crate) use run::run_all_of;
pub use sequence::{check_sequence, match_steps, sequence_node, StepMatch};
pub use variants::{match_variant, NodeIndex, VariantMatch};
pub use verdict::{cite, list, worst, Check, Verdict};
