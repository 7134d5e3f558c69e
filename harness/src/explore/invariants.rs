//! The invariants an explored schedule must keep, read from the checks its run already made
//! (the same checkers as `hachaos run`: damage beyond what the schedule declares, the settle
//! expectations of every `recover`, final roles, forbidden patterns) plus the leftovers the
//! explorer looks for after the run. Pure: a function of the run's checks and the schedule.
//!
//! Not every failing check is an invariant: the failover sequence and the phase budgets describe
//! one fault on a quiet cluster, which a schedule of several faults need not follow. Those are
//! listed as "other" in the report, and never make a schedule a failure.

use super::schedule::{Move, Schedule};
use crate::checks::{Check, Verdict};
use serde::{Deserialize, Serialize};

/// An invariant of a healthy HA cluster under faults.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// Two writable primaries at once, beyond what the declared faults explain.
    TwoPrimaries,
    /// The VIP on two nodes at once, beyond what the declared faults explain.
    TwoVipHolders,
    /// The logs say split brain (two nodes failed each other over, disagreeing ids), undeclared.
    SplitBrain,
    /// A failover left no primary (new primary -1), undeclared.
    NoPrimary,
    /// An acknowledged write is missing, undeclared.
    LostWrites,
    /// `recover` could not rejoin the other node (no primary to follow, rewind or attach failed).
    RecoverFailed,
    /// After `recover`, the cluster did not show itself healthy within the settle time (rejoined
    /// node streaming as standby of the one primary, a write through the VIP acknowledged).
    NotSettled,
    /// At the end: not exactly one primary that pgpool agrees on and one VIP holder.
    FinalRoles,
    /// A PANIC or another forbidden log pattern, without a storage fault to explain it.
    Forbidden,
    /// A fault could not be healed, or a wait failed (the harness or the node refused).
    StepFailed,
    /// Containers of the run were still there after it ended.
    Leftovers,
}

impl Invariant {
    /// The kebab-case name used in reports and file names.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::TwoPrimaries => "two-primaries",
            Invariant::TwoVipHolders => "two-vip-holders",
            Invariant::SplitBrain => "split-brain",
            Invariant::NoPrimary => "no-primary",
            Invariant::LostWrites => "lost-writes",
            Invariant::RecoverFailed => "recover-failed",
            Invariant::NotSettled => "not-settled",
            Invariant::FinalRoles => "final-roles",
            Invariant::Forbidden => "forbidden",
            Invariant::StepFailed => "step-failed",
            Invariant::Leftovers => "leftovers",
        }
    }
}

/// One broken invariant with the check that showed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Broken {
    /// Which invariant.
    pub invariant: Invariant,
    /// The run's check that showed it (or `leftovers`).
    pub check: String,
    /// Its evidence.
    pub evidence: String,
}

/// What the invariants say about one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Judgement {
    /// Invariants broken, in check order.
    pub broken: Vec<Broken>,
    /// Invariant checks that could not decide (never read as kept).
    pub undecided: Vec<Broken>,
    /// Checks that failed but are no invariant (failover sequence, phase budgets), by name.
    pub other: Vec<String>,
}

impl Judgement {
    /// The distinct invariants broken, sorted.
    pub fn invariants(&self) -> Vec<Invariant> {
        let mut v: Vec<Invariant> = self.broken.iter().map(|b| b.invariant).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The failure's identity: the first (most severe, by [`Invariant`] order) broken invariant.
    /// Schedules with the same one are one distinct failure; a shrunk candidate reproduces the
    /// failure when it breaks that invariant again.
    pub fn signature(&self) -> Option<Invariant> {
        self.invariants().first().copied()
    }
}

/// Which invariant a check of the run stands for, given the schedule (step `n` of the run is
/// the `write-load-start` when `n` = 1, else move `n - 2`).
fn invariant_of(check: &str, schedule: &Schedule) -> Option<Invariant> {
    Some(match check {
        "never two writable primaries" => Invariant::TwoPrimaries,
        "never two VIP holders" | "vip_holders" => Invariant::TwoVipHolders,
        "split_brain" | "single_executor" | "ids_agree" => Invariant::SplitBrain,
        "primary_kept" => Invariant::NoPrimary,
        "no acknowledged write lost" => Invariant::LostWrites,
        "forbidden_patterns" => Invariant::Forbidden,
        c if c.starts_with("final roles") => Invariant::FinalRoles,
        // Every expectation of an explored scenario belongs to a `recover`.
        c if c.starts_with("expect line ") => Invariant::NotSettled,
        c if c.starts_with("step ") => {
            let n: usize = c.strip_prefix("step ")?.split(' ').next()?.parse().ok()?;
            match n.checked_sub(2).and_then(|i| schedule.moves.get(i)) {
                Some(Move::Recover) => Invariant::RecoverFailed,
                // Roles are resolved when a step fires: a fault meant for "the other node" of an
                // overlapping pair lands on the first fault's node when a failover moved the
                // roles in between (a crash fails over in ~6 s when the survivor already leads),
                // and a dead node cannot be faulted again. The schedule could not be applied
                // there; that is no broken invariant (it is listed with the other checks).
                Some(Move::Inject { .. }) => return None,
                _ => Invariant::StepFailed,
            }
        }
        _ => return None,
    })
}

/// Judges one run: its checks, the schedule it ran, and the containers of its run id still
/// present afterwards.
pub fn judge(checks: &[Check], schedule: &Schedule, leftovers: &[String]) -> Judgement {
    let mut j = Judgement::default();
    for c in checks {
        if c.verdict == Verdict::Pass {
            continue;
        }
        match invariant_of(&c.name, schedule) {
            Some(invariant) => {
                let b = Broken {
                    invariant,
                    check: c.name.clone(),
                    evidence: c.evidence.clone(),
                };
                if c.verdict == Verdict::Fail {
                    j.broken.push(b);
                } else {
                    j.undecided.push(b);
                }
            }
            None => j.other.push(c.name.clone()),
        }
    }
    if !leftovers.is_empty() {
        j.broken.push(Broken {
            invariant: Invariant::Leftovers,
            check: "leftovers".into(),
            evidence: format!("still there after the run: {}", leftovers.join(", ")),
        });
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultKind;
    use crate::scenario::Role;
    use std::time::Duration;

    fn schedule() -> Schedule {
        let k = FaultKind::NetworkBlackhole;
        Schedule {
            seed: 1,
            number: 1,
            moves: vec![
                Move::Inject {
                    kind: k,
                    role: Role::Standby,
                },
                Move::Wait(Duration::from_secs(30)),
                Move::Heal {
                    kind: k,
                    role: Role::Standby,
                },
                Move::Recover,
            ],
        }
    }

    fn check(name: &str, v: Verdict) -> Check {
        Check::new(name, v, format!("evidence of {name}"))
    }

    #[test]
    fn passing_checks_break_nothing() {
        let j = judge(
            &[
                check("never two writable primaries", Verdict::Pass),
                check("sequence", Verdict::Pass),
            ],
            &schedule(),
            &[],
        );
        assert_eq!(j, Judgement::default());
        assert_eq!(j.signature(), None);
    }

    #[test]
    fn damage_and_settle_checks_are_invariants_and_the_sequence_is_not() {
        let j = judge(
            &[
                check("sequence", Verdict::Fail),
                check("budget: promote", Verdict::Fail),
                check("never two VIP holders", Verdict::Fail),
                check("never two writable primaries", Verdict::Fail),
                check("expect line 20: writes accepted", Verdict::Fail),
                check("no acknowledged write lost", Verdict::Unknown),
            ],
            &schedule(),
            &[],
        );
        assert_eq!(
            j.invariants(),
            vec![
                Invariant::TwoPrimaries,
                Invariant::TwoVipHolders,
                Invariant::NotSettled
            ]
        );
        assert_eq!(j.signature(), Some(Invariant::TwoPrimaries));
        assert_eq!(j.other, vec!["sequence", "budget: promote"]);
        assert_eq!(j.undecided[0].invariant, Invariant::LostWrites);
    }

    #[test]
    fn a_failed_step_is_told_apart_from_a_failed_recover() {
        // Step 1 is write-load-start; step 4 the heal; step 5 the recover.
        let j = judge(
            &[
                check("step 4 (line 10)", Verdict::Fail),
                check("step 5 (line 14)", Verdict::Fail),
            ],
            &schedule(),
            &[],
        );
        assert_eq!(
            j.invariants(),
            vec![Invariant::RecoverFailed, Invariant::StepFailed]
        );
    }

    #[test]
    fn a_fault_that_could_not_be_injected_is_no_broken_invariant() {
        // Step 2 is the blackhole's injection.
        let j = judge(&[check("step 2 (line 7)", Verdict::Fail)], &schedule(), &[]);
        assert!(j.broken.is_empty());
        assert_eq!(j.other, vec!["step 2 (line 7)"]);
    }

    #[test]
    fn leftovers_break_their_invariant() {
        let j = judge(&[], &schedule(), &["hachaos-x-node1".into()]);
        assert_eq!(j.signature(), Some(Invariant::Leftovers));
        assert!(j.broken[0].evidence.contains("hachaos-x-node1"));
    }
}
