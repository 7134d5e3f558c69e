//! A schedule: the typed moves of one exploration run (faults on roles, their heals, waits,
//! `recover`), before it becomes a scenario file. Generation, shrinking and rendering all work on
//! this value; nothing parses it back from text.

use super::traits::traits;
use crate::faults::FaultKind;
use crate::scenario::{Damage, Role};
use std::time::Duration;

/// One move of a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// Inject `kind` into whoever plays `role` when the step fires.
    Inject {
        /// The fault.
        kind: FaultKind,
        /// Its target, resolved when it fires.
        role: Role,
    },
    /// Heal the open fault that was injected into `role` (the role at injection time).
    Heal {
        /// The fault being healed.
        kind: FaultKind,
        /// The role its fault was injected into.
        role: Role,
    },
    /// Let time pass.
    Wait(Duration),
    /// Rejoin the node pgpool does not report as primary, then let the cluster settle: the
    /// invariants of a healthy cluster are expected within the settle time.
    Recover,
}

/// The moves of one schedule and where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The exploration's seed.
    pub seed: u64,
    /// 1-based number of this schedule within the exploration (its generator stream).
    pub number: u32,
    /// The moves, in order. The write load starts before the first one.
    pub moves: Vec<Move>,
}

/// What a run costs beyond its moves: slot, boot and ready wait, evidence and teardown.
/// Measured here: boot-to-ready ~20 s, evidence and teardown ~10 s (README, suite figures).
pub const RUN_OVERHEAD: Duration = Duration::from_secs(35);
/// A fault's injection and its heal together (a restart of the node for host faults).
pub const FAULT_COST: Duration = Duration::from_secs(6);
/// A `recover` (rewind or basebackup, start, attach) on a small cluster.
pub const RECOVER_COST: Duration = Duration::from_secs(20);

impl Schedule {
    /// Number of fault steps (injections).
    pub fn faults(&self) -> usize {
        self.moves
            .iter()
            .filter(|m| matches!(m, Move::Inject { .. }))
            .count()
    }

    /// Total time spent in waits.
    pub fn waiting(&self) -> Duration {
        self.moves
            .iter()
            .map(|m| match m {
                Move::Wait(d) => *d,
                _ => Duration::ZERO,
            })
            .sum()
    }

    /// A rough estimate of one run's wall time (used to fit schedules into `--duration`).
    pub fn estimate(&self) -> Duration {
        let recovers = self
            .moves
            .iter()
            .filter(|m| matches!(m, Move::Recover))
            .count() as u32;
        RUN_OVERHEAD + self.waiting() + FAULT_COST * self.faults() as u32 + RECOVER_COST * recovers
    }

    /// The damage the schedule's faults are known to cause, each once, in a stable order.
    pub fn declared_damage(&self) -> Vec<Damage> {
        let mut out: Vec<Damage> = self
            .moves
            .iter()
            .filter_map(|m| match m {
                Move::Inject { kind, role } => Some(traits(*kind).damage(*role)),
                _ => None,
            })
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether the moves make sense on a two-node cluster: every fault is healed after it was
    /// injected, at most one fault per role is open, a fault acting on both nodes is alone, and
    /// the schedule ends with a `recover` after the last heal. Shrinking keeps only candidates
    /// for which this holds.
    pub fn is_well_formed(&self) -> bool {
        let mut open: Vec<(FaultKind, Role)> = Vec::new();
        for m in &self.moves {
            match m {
                Move::Inject { kind, role } => {
                    let both = traits(*kind).both_nodes;
                    if open
                        .iter()
                        .any(|(k, r)| r == role || both || traits(*k).both_nodes)
                    {
                        return false;
                    }
                    open.push((*kind, *role));
                }
                Move::Heal { kind, role } => {
                    let Some(i) = open.iter().position(|o| *o == (*kind, *role)) else {
                        return false;
                    };
                    open.remove(i);
                }
                Move::Wait(d) => {
                    if d.is_zero() {
                        return false;
                    }
                }
                Move::Recover => {
                    if !open.is_empty() {
                        return false;
                    }
                }
            }
        }
        open.is_empty() && self.faults() > 0 && self.moves.last() == Some(&Move::Recover)
    }

    /// One line per move, for the report's side-by-side view.
    pub fn lines(&self) -> Vec<String> {
        self.moves
            .iter()
            .map(|m| match m {
                Move::Inject { kind, role } => format!("{kind} on {}", role.name()),
                Move::Heal { kind, role } => {
                    format!("{} ({kind} of {})", kind.inverse().name(), role.name())
                }
                Move::Wait(d) => format!("wait {}", crate::scenario::render_duration(*d)),
                Move::Recover => "recover".to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(moves: Vec<Move>) -> Schedule {
        Schedule {
            seed: 1,
            number: 1,
            moves,
        }
    }

    const CRASH: FaultKind = FaultKind::HostCrash;

    #[test]
    fn a_fault_healed_then_recovered_is_well_formed() {
        let ok = s(vec![
            Move::Inject {
                kind: CRASH,
                role: Role::Primary,
            },
            Move::Wait(Duration::from_secs(5)),
            Move::Heal {
                kind: CRASH,
                role: Role::Primary,
            },
            Move::Recover,
        ]);
        assert!(ok.is_well_formed());
        assert_eq!(ok.faults(), 1);
        assert_eq!(
            ok.estimate(),
            RUN_OVERHEAD + Duration::from_secs(5) + FAULT_COST + RECOVER_COST
        );
    }

    #[test]
    fn unhealed_doubled_or_unrecovered_schedules_are_not_well_formed() {
        let inject = |role| Move::Inject { kind: CRASH, role };
        let heal = |role| Move::Heal { kind: CRASH, role };
        for bad in [
            vec![inject(Role::Primary), Move::Recover],
            vec![inject(Role::Primary), heal(Role::Primary)],
            vec![
                inject(Role::Primary),
                inject(Role::Primary),
                heal(Role::Primary),
                heal(Role::Primary),
                Move::Recover,
            ],
            vec![heal(Role::Primary), Move::Recover],
            vec![Move::Wait(Duration::from_secs(3)), Move::Recover],
        ] {
            assert!(!s(bad.clone()).is_well_formed(), "{bad:?}");
        }
    }

    #[test]
    fn a_partition_is_never_open_with_another_fault() {
        let p = FaultKind::NetworkPartition;
        let bad = s(vec![
            Move::Inject {
                kind: p,
                role: Role::Primary,
            },
            Move::Inject {
                kind: CRASH,
                role: Role::Standby,
            },
            Move::Heal {
                kind: CRASH,
                role: Role::Standby,
            },
            Move::Heal {
                kind: p,
                role: Role::Primary,
            },
            Move::Recover,
        ]);
        assert!(!bad.is_well_formed());
    }

    #[test]
    fn declared_damage_follows_the_role_each_fault_hits() {
        let b = FaultKind::NetworkBlackhole;
        let on = |role| {
            s(vec![
                Move::Inject { kind: b, role },
                Move::Heal { kind: b, role },
                Move::Recover,
            ])
            .declared_damage()
        };
        assert_eq!(on(Role::Primary), vec![Damage::SplitBrain]);
        assert!(on(Role::Standby).is_empty());
    }
}
