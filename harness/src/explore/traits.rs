//! What exploration must know about each fault kind to draw sensible schedules and to declare
//! the damage a fault is known to cause, so that damage is counted and reported instead of
//! failing every schedule that draws it.
//!
//! The damage rows are the shipped scenarios' measured behaviour (`faults/README.md`): an isolated
//! or frozen primary keeps running as a primary while the standby is promoted (split brain until
//! it is rewound); a partition gives each side a leader, a primary and the VIP, and the writes the
//! loser accepted are lost at the rewind; a read-only disk makes PostgreSQL PANIC.

use crate::faults::FaultKind;
use crate::scenario::{Damage, Role};

/// Exploration properties of one fault kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultTraits {
    /// Damage this fault is known to cause when it hits the primary.
    pub damage_on_primary: &'static [Damage],
    /// Damage this fault is known to cause when it hits the standby.
    pub damage_on_standby: &'static [Damage],
    /// The fault acts on both nodes (a partition): nothing else may be open at the same time.
    pub both_nodes: bool,
    /// Roles may move within a second of the fault (the sick node's own pgpool fails over at
    /// once), so a second fault fired a few seconds later could not name "the other node" by
    /// role: such a fault is never the first of an overlapping pair.
    pub moves_roles_at_once: bool,
    /// Why the explorer never draws this kind, if it does not.
    pub excluded: Option<&'static str>,
}

/// The properties of `kind`.
///
/// A kind added to the catalogue after this table is drawn with the cautious defaults (no
/// damage declared, so whatever it causes is reported; never overlapped), so the explorer picks
/// it up without an edit here.
pub fn traits(kind: FaultKind) -> FaultTraits {
    const NONE: &[Damage] = &[];
    const SPLIT: &[Damage] = &[Damage::SplitBrain];
    let base = FaultTraits {
        damage_on_primary: NONE,
        damage_on_standby: NONE,
        both_nodes: false,
        moves_roles_at_once: false,
        excluded: None,
    };
    match kind.name() {
        // Death announced or not, the dead primary serves nobody: no damage beyond the failover.
        "host-shutdown" | "host-crash" | "host-poweroff" => base,
        // A frozen primary resumes as a primary after the standby was promoted.
        "host-hang" => FaultTraits {
            damage_on_primary: SPLIT,
            ..base
        },
        // The isolated pgpool exits, its postgres stays primary (faults/primary-network-*.yaml).
        "network-drop" | "network-blackhole" => FaultTraits {
            damage_on_primary: SPLIT,
            ..base
        },
        // Both sides lead, promote and take the VIP; the loser's writes go at the rewind.
        "network-partition" => FaultTraits {
            damage_on_primary: &[Damage::SplitBrain, Damage::LostWrites],
            damage_on_standby: &[Damage::SplitBrain, Damage::LostWrites],
            both_nodes: true,
            ..base
        },
        // PostgreSQL PANICs on the read-only WAL write; the VIP may briefly be on both nodes
        // (faults/primary-disk-readonly-recover.yaml).
        "disk-readonly" => FaultTraits {
            damage_on_primary: &[Damage::SplitBrain, Damage::Panic],
            damage_on_standby: &[Damage::Panic],
            moves_roles_at_once: true,
            ..base
        },
        _ => FaultTraits {
            moves_roles_at_once: true,
            ..base
        },
    }
}

impl FaultTraits {
    /// The damage declared for this fault on `role`.
    pub fn damage(&self, role: Role) -> &'static [Damage] {
        match role {
            Role::Primary => self.damage_on_primary,
            _ => self.damage_on_standby,
        }
    }
}

/// Every kind the explorer may draw, in catalogue order, with the excluded ones and why.
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
        for (k, why) in excluded {
            assert!(!why.trim().is_empty(), "{k} excluded without a reason");
        }
    }

    #[test]
    fn a_partition_declares_split_brain_and_lost_writes_whichever_side_it_hits() {
        let t = traits(FaultKind::NetworkPartition);
        for role in [Role::Primary, Role::Standby] {
            assert!(t.damage(role).contains(&Damage::SplitBrain));
            assert!(t.damage(role).contains(&Damage::LostWrites));
        }
        assert!(t.both_nodes);
    }

    #[test]
    fn isolating_the_standby_is_declared_harmless() {
        for k in [FaultKind::NetworkBlackhole, FaultKind::NetworkDrop] {
            assert!(traits(k).damage(Role::Standby).is_empty(), "{k}");
            assert_eq!(traits(k).damage(Role::Primary), &[Damage::SplitBrain]);
        }
    }
}
