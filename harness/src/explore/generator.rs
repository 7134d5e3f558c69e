//! Drawing schedules from a seed.
//!
//! Schedule `n` of seed `s` comes from ChaCha8 seeded with `s` on stream `n` (rand_chacha
//! documents its output as stable across versions), and every draw is taken from raw `u64`s
//! here rather than from a distribution whose algorithm a dependency may change: the same seed,
//! options and harness version give byte-identical schedules, and schedule 7 is the same whether
//! 3 or 300 are drawn.
//!
//! Shape: 1 to `max_episodes` episodes, each: one fault on a role (or, when allowed, two
//! overlapping faults on the two roles, the second at most 2 s after the first, before a
//! failover is likely to have moved the roles), a hold, the heals in a random order with short gaps, a
//! short pause, and `recover` (after which the cluster must be healthy again).

use super::schedule::{Move, Schedule};
use super::traits::traits;
use crate::faults::FaultKind;
use crate::scenario::Role;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// What schedules may contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    /// The fault kinds to draw from (catalogue order; never empty).
    pub kinds: Vec<FaultKind>,
    /// At most this many fault episodes per schedule.
    pub max_episodes: u32,
    /// Whether two faults may be open at once (on the two nodes).
    pub overlap: bool,
    /// Hold of a fault before its heal: from `hold.0` to `hold.1` seconds.
    pub hold: (u64, u64),
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            kinds: super::traits::drawable().0,
            max_episodes: 3,
            overlap: true,
            hold: (5, 45),
        }
    }
}

/// The draws, kept to raw `u64`s so their meaning never depends on a dependency's algorithm.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `lo..=hi` (the modulo bias over 2^64 is immaterial here).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.0.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

/// Schedule `number` (1-based) of `seed`.
pub fn generate(seed: u64, number: u32, opts: &GenOptions) -> Schedule {
    assert!(!opts.kinds.is_empty(), "no fault kinds to draw from");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(number));
    let mut d = Draw(rng);
    let mut moves = Vec::new();
    let episodes = d.range(1, u64::from(opts.max_episodes.max(1)));
    for _ in 0..episodes {
        let first = d.pick(&opts.kinds);
        let role = d.pick(&[Role::Primary, Role::Standby]);
        let mut open = vec![(first, role)];
        moves.push(Move::Inject { kind: first, role });
        let t = traits(first);
        let seconds: Vec<FaultKind> = opts
            .kinds
            .iter()
            .copied()
            .filter(|k| !traits(*k).both_nodes)
            .collect();
        if opts.overlap
            && !t.both_nodes
            && !t.moves_roles_at_once
            && !seconds.is_empty()
            && d.chance(30)
        {
            let other = if role == Role::Primary {
                Role::Standby
            } else {
                Role::Primary
            };
            // As soon as possible: a failover moves the roles within ~6 s of a crash.
            let gap = d.range(0, 2);
            if gap > 0 {
                moves.push(Move::Wait(Duration::from_secs(gap)));
            }
            let second = d.pick(&seconds);
            moves.push(Move::Inject {
                kind: second,
                role: other,
            });
            open.push((second, other));
        }
        moves.push(Move::Wait(Duration::from_secs(
            d.range(opts.hold.0, opts.hold.1),
        )));
        if open.len() == 2 && d.chance(50) {
            open.swap(0, 1);
        }
        for (i, (kind, role)) in open.iter().enumerate() {
            if i > 0 {
                let gap = d.range(0, 5);
                if gap > 0 {
                    moves.push(Move::Wait(Duration::from_secs(gap)));
                }
            }
            moves.push(Move::Heal {
                kind: *kind,
                role: *role,
            });
        }
        let pause = d.range(0, 10);
        if pause > 0 {
            moves.push(Move::Wait(Duration::from_secs(pause)));
        }
        moves.push(Move::Recover);
    }
    Schedule {
        seed,
        number,
        moves,
    }
}

/// The smallest schedule the options can draw, for "does `--duration` fit one schedule".
pub fn smallest(opts: &GenOptions) -> Schedule {
    let kind = opts.kinds[0];
    Schedule {
        seed: 0,
        number: 0,
        moves: vec![
            Move::Inject {
                kind,
                role: Role::Primary,
            },
            Move::Wait(Duration::from_secs(opts.hold.0.max(1))),
            Move::Heal {
                kind,
                role: Role::Primary,
            },
            Move::Recover,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_number_give_the_same_schedule() {
        let o = GenOptions::default();
        for n in 1..20 {
            assert_eq!(generate(42, n, &o), generate(42, n, &o));
        }
    }

    #[test]
    fn another_seed_gives_other_schedules() {
        let o = GenOptions::default();
        let a: Vec<_> = (1..10).map(|n| generate(42, n, &o).moves).collect();
        let b: Vec<_> = (1..10).map(|n| generate(43, n, &o).moves).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn every_drawn_schedule_is_well_formed_and_uses_only_the_given_kinds() {
        let mut o = GenOptions::default();
        for seed in 0..50 {
            for n in 1..20 {
                let s = generate(seed, n, &o);
                assert!(s.is_well_formed(), "seed {seed} #{n}: {:?}", s.lines());
            }
        }
        o.kinds = vec![FaultKind::NetworkBlackhole, FaultKind::HostHang];
        for n in 1..50 {
            for m in generate(7, n, &o).moves {
                if let Move::Inject { kind, .. } = m {
                    assert!(o.kinds.contains(&kind), "{kind}");
                }
            }
        }
    }

    #[test]
    fn every_drawable_kind_is_drawn_and_overlaps_happen() {
        let o = GenOptions::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut overlapped = false;
        for n in 1..300 {
            let s = generate(1, n, &o);
            let mut open = 0;
            for m in &s.moves {
                match m {
                    Move::Inject { kind, .. } => {
                        seen.insert(*kind);
                        open += 1;
                        overlapped |= open == 2;
                    }
                    Move::Heal { .. } => open -= 1,
                    _ => {}
                }
            }
        }
        assert_eq!(seen.len(), o.kinds.len());
        assert!(overlapped);
    }

    #[test]
    fn the_smallest_schedule_is_well_formed_and_no_drawn_one_is_cheaper() {
        let o = GenOptions::default();
        let min = smallest(&o);
        assert!(min.is_well_formed());
        for n in 1..100 {
            assert!(generate(3, n, &o).estimate() >= min.estimate());
        }
    }
}
