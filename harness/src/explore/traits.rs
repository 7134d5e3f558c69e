//! What exploration reads from each fault kind's catalogue row (`crate::faults::Row`) to draw
//! sensible schedules and to declare the damage a fault is known to cause, so that damage is
//! counted and reported instead of failing every schedule that draws it. Nothing here names a
//! kind: a kind added to the catalogue is explored without an edit.
//!
//! - damage: the row's `may_cause`, minus its `only_on_primary` part when the fault hits the
//!   standby (an isolated standby's pgpool steps down; a partition hits both sides either way);
//! - a fault whose row requires a `peer` acts on both nodes: nothing else is open beside it;
//! - a fault whose node's pgpool survives (a read-only disk) fails over within a second, so it is
//!   never the first of an overlapping pair (the second could not name "the other node" by role);
//! - the row's `not_explored` excludes a kind, with its reason.

use crate::faults::{FaultKind, PeerUse};
use crate::scenario::{Damage, Role};

/// Exploration properties of one fault kind, as its catalogue row gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultTraits {
    /// Damage this fault is known to cause wherever it hits.
    pub may_cause: &'static [Damage],
    /// The part of it that happens only when it hits the primary.
    pub only_on_primary: &'static [Damage],
    /// The fault acts on both nodes (a partition): nothing else may be open at the same time.
    pub both_nodes: bool,
    /// Roles may move within a second of the fault: never the first of an overlapping pair.
    pub moves_roles_at_once: bool,
    /// Why the explorer never draws this kind, if it does not.
    pub excluded: Option<&'static str>,
}

/// The properties of `kind`, from its catalogue row.
pub fn traits(kind: FaultKind) -> FaultTraits {
    let row = kind.row();
    FaultTraits {
        may_cause: row.may_cause,
        only_on_primary: row.only_on_primary,
        both_nodes: row.peer == PeerUse::Required,
        moves_roles_at_once: row.pgpool_survives,
        excluded: row.not_explored,
    }
}

impl FaultTraits {
    /// The damage declared for this fault on `role`.
    pub fn damage(&self, role: Role) -> Vec<Damage> {
        self.may_cause
            .iter()
            .filter(|d| role == Role::Primary || !self.only_on_primary.contains(d))
            .copied()
            .collect()
    }
}

/// Every kind the explorer may draw, in catalogue order, and the excluded ones with why.
pub fn drawable() -> (Vec<FaultKind>, Vec<(FaultKind, &'static str)>) {
    let mut ok = Vec::new();
    let mut excluded = Vec::new();
    for k in FaultKind::ALL {
        match traits(*k).excluded {
            Some(why) => excluded.push((*k, why)),
            None => ok.push(*k),
        }
    }
    (ok, excluded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_kind_is_drawable_or_excluded_with_a_reason() {
        let (ok, excluded) = drawable();
        assert_eq!(ok.len() + excluded.len(), FaultKind::ALL.len());
        assert!(!ok.is_empty());
        for (k, why) in excluded {
            assert!(!why.trim().is_empty(), "{k} excluded without a reason");
        }
        for k in FaultKind::ALL {
            let t = traits(*k);
            for d in t.only_on_primary {
                assert!(
                    t.may_cause.contains(d),
                    "{k}: {d:?} only on primary but not caused"
                );
            }
        }
    }

    #[test]
    fn a_partition_declares_split_brain_and_lost_writes_whichever_side_it_hits() {
        let t = traits(FaultKind::parse("network-partition").unwrap());
        for role in [Role::Primary, Role::Standby] {
            assert!(t.damage(role).contains(&Damage::SplitBrain));
            assert!(t.damage(role).contains(&Damage::LostWrites));
        }
        assert!(t.both_nodes);
    }

    #[test]
    fn isolating_the_standby_is_declared_harmless() {
        for name in ["network-blackhole", "network-drop"] {
            let t = traits(FaultKind::parse(name).unwrap());
            assert!(t.damage(Role::Standby).is_empty(), "{name}");
            assert_eq!(t.damage(Role::Primary), vec![Damage::SplitBrain]);
        }
    }
}
