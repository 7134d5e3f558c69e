//! Shrinking a failing schedule: try smaller schedules, biggest cuts first (a whole episode, one
//! fault of an overlapping pair, a wait, half a wait), keep the first that still breaks the same
//! invariant, and start over from it; stop when no candidate reproduces or the run budget is
//! spent. Greedy, as QuickCheck-style shrinkers are: the result is a local minimum, and every
//! candidate costs one run on a fresh cluster, so the order of candidates matters more than
//! completeness.

use super::schedule::{Move, Schedule};
use std::future::Future;
use std::time::Duration;

/// Smaller well-formed schedules than `s`, biggest cuts first, each different from `s`.
pub fn candidates(s: &Schedule) -> Vec<Schedule> {
    let with = |moves: Vec<Move>| Schedule {
        seed: s.seed,
        number: s.number,
        moves,
    };
    let mut out: Vec<Schedule> = Vec::new();
    // Episodes end with a `recover`; drop one at a time (the last one keeps its recover).
    let ends: Vec<usize> = s
        .moves
        .iter()
        .enumerate()
        .filter(|(_, m)| **m == Move::Recover)
        .map(|(i, _)| i)
        .collect();
    let mut start = 0;
    for end in &ends {
        let mut moves = s.moves[..start].to_vec();
        moves.extend_from_slice(&s.moves[end + 1..]);
        out.push(with(moves));
        start = end + 1;
    }
    // One fault of a pair (its injection and its heal), keeping the other.
    for (i, m) in s.moves.iter().enumerate() {
        if let Move::Inject { kind, role } = m {
            let heal = Move::Heal {
                kind: *kind,
                role: *role,
            };
            let moves: Vec<Move> = s
                .moves
                .iter()
                .enumerate()
                .filter(|(j, x)| *j != i && **x != heal)
                .map(|(_, x)| x.clone())
                .collect();
            out.push(with(moves));
        }
    }
    // A wait, then half a wait (whole seconds, at least one).
    for (i, m) in s.moves.iter().enumerate() {
        if let Move::Wait(_) = m {
            let mut moves = s.moves.clone();
            moves.remove(i);
            out.push(with(moves));
        }
    }
    for (i, m) in s.moves.iter().enumerate() {
        if let Move::Wait(d) = m {
            if d.as_secs() >= 2 {
                let mut moves = s.moves.clone();
                moves[i] = Move::Wait(Duration::from_secs(d.as_secs() / 2));
                out.push(with(moves));
            }
        }
    }
    out.retain(|c| c.is_well_formed() && c.moves != s.moves);
    let mut seen: Vec<Vec<Move>> = Vec::new();
    out.retain(|c| {
        if seen.contains(&c.moves) {
            false
        } else {
            seen.push(c.moves.clone());
            true
        }
    });
    out
}

/// One candidate tried.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt<T> {
    /// The candidate.
    pub schedule: Schedule,
    /// Whether it broke the same invariant.
    pub reproduced: bool,
    /// What the trial returned about it (its run, for the report).
    pub detail: T,
}

/// The outcome of a shrink.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk<T> {
    /// The smallest schedule that still broke the invariant (the original if none did).
    pub minimal: Schedule,
    /// Every candidate tried, in order.
    pub attempts: Vec<Attempt<T>>,
    /// Whether the budget ran out before a local minimum was reached.
    pub budget_spent: bool,
    /// Whether it was stopped (Ctrl-C / SIGTERM) before a local minimum was reached.
    pub stopped: bool,
}

/// Shrinks `original` with at most `budget` trials. `trial` runs one candidate and says whether it
/// broke the same invariant (and what to keep about the run); `stop` is asked before each trial
/// (Ctrl-C).
pub async fn shrink<T, F, Fut>(
    original: &Schedule,
    budget: u32,
    mut trial: F,
    stop: impl Fn() -> bool,
) -> Shrunk<T>
where
    F: FnMut(Schedule) -> Fut,
    Fut: Future<Output = (bool, T)>,
{
    let mut current = original.clone();
    let mut attempts = Vec::new();
    'outer: loop {
        for candidate in candidates(&current) {
            let stopped = stop();
            if attempts.len() as u32 >= budget || stopped {
                return Shrunk {
                    minimal: current,
                    attempts,
                    budget_spent: !stopped,
                    stopped,
                };
            }
            let (reproduced, detail) = trial(candidate.clone()).await;
            attempts.push(Attempt {
                schedule: candidate.clone(),
                reproduced,
                detail,
            });
            if reproduced {
                current = candidate;
                continue 'outer;
            }
        }
        return Shrunk {
            minimal: current,
            attempts,
            budget_spent: false,
            stopped: false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::generator::{generate, GenOptions};
    use crate::faults::FaultKind;
    use crate::scenario::Role;

    fn has_standby_blackhole(s: &Schedule) -> bool {
        s.moves.iter().any(|m| {
            *m == Move::Inject {
                kind: FaultKind::NetworkBlackhole,
                role: Role::Standby,
            }
        })
    }

    /// A schedule with a blackholed standby among other faults.
    fn failing() -> Schedule {
        let o = GenOptions::default();
        (1..)
            .map(|n| generate(5, n, &o))
            .find(|s| has_standby_blackhole(s) && s.faults() >= 3)
            .unwrap()
    }

    #[tokio::test]
    async fn a_deterministic_failure_shrinks_to_its_one_fault_and_no_wait_left_to_halve() {
        let original = failing();
        let shrunk = shrink(
            &original,
            1000,
            |c| async move { (has_standby_blackhole(&c), ()) },
            || false,
        )
        .await;
        assert!(!shrunk.budget_spent);
        let m = &shrunk.minimal;
        assert_eq!(m.faults(), 1, "{:?}", m.lines());
        assert!(has_standby_blackhole(m));
        assert!(m.is_well_formed());
        // Every wait of the minimal schedule was removed (removing one is always tried).
        assert_eq!(m.waiting(), Duration::ZERO, "{:?}", m.lines());
        // A local minimum: no candidate of it still fails.
        assert!(candidates(m).iter().all(|c| !has_standby_blackhole(c)));
    }

    #[tokio::test]
    async fn the_budget_bounds_the_trials_and_keeps_the_best_so_far() {
        let original = failing();
        let shrunk = shrink(
            &original,
            2,
            |c| async move { (has_standby_blackhole(&c), ()) },
            || false,
        )
        .await;
        assert_eq!(shrunk.attempts.len(), 2);
        assert!(shrunk.budget_spent);
        assert!(has_standby_blackhole(&shrunk.minimal));
        assert!(shrunk.minimal.moves.len() <= original.moves.len());
    }

    #[tokio::test]
    async fn a_failure_that_never_reproduces_keeps_the_original() {
        let original = failing();
        let shrunk = shrink(&original, 1000, |_| async { (false, ()) }, || false).await;
        assert_eq!(shrunk.minimal, original);
        assert_eq!(shrunk.attempts.len(), candidates(&original).len());
        assert!(!shrunk.stopped && !shrunk.budget_spent);
    }

    #[tokio::test]
    async fn a_stop_ends_the_shrink_at_once_and_says_so() {
        let original = failing();
        let shrunk = shrink(&original, 1000, |_| async { (true, ()) }, || true).await;
        assert!(shrunk.attempts.is_empty());
        assert!(shrunk.stopped && !shrunk.budget_spent);
        assert_eq!(shrunk.minimal, original);
    }

    #[test]
    fn candidates_are_well_formed_smaller_and_distinct() {
        let o = GenOptions::default();
        for n in 1..40 {
            let s = generate(9, n, &o);
            let c = candidates(&s);
            for x in &c {
                assert!(x.is_well_formed());
                assert!(
                    x.moves.len() < s.moves.len() || x.waiting() < s.waiting(),
                    "{:?} from {:?}",
                    x.lines(),
                    s.lines()
                );
            }
            for (i, a) in c.iter().enumerate() {
                assert!(c[i + 1..].iter().all(|b| b.moves != a.moves));
            }
        }
    }
}
