//! Damage (two primaries, two VIP holders, lost writes), declared by the scenario or not, and
//! the cluster's final state.

use super::evidence::{Evidence, FinalRoles};
use crate::checks::{Check, Verdict};
use crate::observe::{overlaps, Overlap};
use crate::record::RolesSummary;
use crate::scenario::{Damage, NodeRole, Plan};

/// The role samples with the spans where two nodes overlapped.
pub fn roles_summary(ev: &Evidence) -> RolesSummary {
    RolesSummary {
        two_primaries: overlaps(&ev.role_samples, |s| &s.primaries),
        two_vip_holders: overlaps(&ev.role_samples, |s| &s.vip_holders),
        samples: ev.role_samples.clone(),
    }
}

/// Turns a failed log check that is the scenario's declared damage into a passing damage check.
///
/// In a declared split brain both sides fail each other over: two executors and disagreeing ids
/// are that damage, reported with their evidence rather than as a surprise. So is a failover to
/// no primary on the losing side: its pgpool already detached the healthy peer, so when its own
/// backend goes down (the rewind that repairs it) it has none left ("failover: no valid backend
/// node found", new primary -1; seen in a partition run). A scenario that takes both servers down
/// at once (`no-primary`) declares that failover to no primary alone.
pub fn declared_damage(plan: &Plan, checks: &mut [Check]) {
    let split_declared = plan.expected_damage.contains(&Damage::SplitBrain);
    let panic_declared = plan.expected_damage.contains(&Damage::Panic);
    let no_primary_declared = plan.expected_damage.contains(&Damage::NoPrimary);
    for c in checks.iter_mut() {
        let declared = match c.name.as_str() {
            "single_executor" | "ids_agree" | "split_brain" | "vip_holders" => split_declared,
            "primary_kept" => split_declared || no_primary_declared,
            "forbidden_patterns" => panic_declared,
            _ => false,
        };
        if declared && c.verdict == Verdict::Fail {
            *c = damage_check(&c.name, true, true, c.evidence.clone());
        }
    }
}

/// Never two writable primaries, never two VIP holders (from the samples), no acknowledged
/// write lost (from the ledger's final check: through the VIP, and on the session pinned to the
/// old primary).
pub fn damage_checks(plan: &Plan, ev: &Evidence, roles: &RolesSummary) -> Vec<Check> {
    let split_declared = plan.expected_damage.contains(&Damage::SplitBrain);
    let loss_declared = plan.expected_damage.contains(&Damage::LostWrites);
    let span = |o: &Overlap| {
        format!(
            "{} from {:.1} s to {:.1} s",
            o.nodes.join(" and "),
            o.from_ms as f64 / 1000.0,
            o.to_ms as f64 / 1000.0
        )
    };
    let mut checks = Vec::new();
    for (name, spans) in [
        ("never two writable primaries", &roles.two_primaries),
        ("never two VIP holders", &roles.two_vip_holders),
    ] {
        let evidence = if spans.is_empty() {
            format!("{} samples, never two at once", roles.samples.len())
        } else {
            spans.iter().map(span).collect::<Vec<_>>().join("; ")
        };
        checks.push(damage_check(
            name,
            !spans.is_empty(),
            split_declared,
            evidence,
        ));
    }
    let writes = &ev.writes;
    if writes.probed {
        let (lost, evidence) = match &writes.lost {
            Some(l) if l.is_empty() => (
                false,
                format!(
                    "all {} acknowledged writes present on {}",
                    writes.acknowledged, writes.checked_on
                ),
            ),
            Some(l) => (
                true,
                format!(
                    "{} of {} acknowledged writes missing on {}: seq {:?}",
                    l.len(),
                    writes.acknowledged,
                    writes.checked_on,
                    &l[..l.len().min(50)]
                ),
            ),
            None => (false, writes.checked_on.clone()),
        };
        // The old primary's own session (see the damage windows) lost acknowledged writes too.
        let (lost, evidence) = match ev.lost_pinned.as_deref() {
            Some(p) if !p.is_empty() => (
                true,
                format!(
                    "{evidence}; {} acknowledged on the session pinned to the old primary \
                     missing too",
                    p.len()
                ),
            ),
            _ => (lost, evidence),
        };
        let mut c = damage_check("no acknowledged write lost", lost, loss_declared, evidence);
        if writes.lost.is_none() {
            c.verdict = Verdict::Unknown;
        }
        checks.push(c);
    }
    checks
}

/// The name of the final-state check.
pub const FINAL_ROLES: &str = "final roles: one primary, pgpool agrees, one VIP holder";

/// One primary at the end, the one pgpool routes to, and one VIP holder; two primaries left at
/// the end are the declared split brain, counted as such.
pub fn final_roles_check(plan: &Plan, ev: &Evidence) -> Check {
    let Some(o) = &ev.final_roles else {
        return Check::new(
            FINAL_ROLES,
            Verdict::Unknown,
            "the cluster's final roles were not observed",
        );
    };
    let c = final_roles(o);
    if c.verdict == Verdict::Fail && plan.expected_damage.contains(&Damage::SplitBrain) {
        damage_check(FINAL_ROLES, true, true, c.evidence)
    } else {
        c
    }
}

fn final_roles(o: &FinalRoles) -> Check {
    let primaries: Vec<&String> = o
        .node_roles
        .iter()
        .filter(|(_, r)| **r == NodeRole::Primary)
        .map(|(n, _)| n)
        .collect();
    let roles = o
        .node_roles
        .iter()
        .map(|(n, r)| format!("{n} {r:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    let evidence = format!(
        "{roles}; pgpool primary {}; VIP on {}",
        o.pgpool_primary.as_deref().unwrap_or("unknown"),
        if o.vip_holders.is_empty() {
            "nobody".to_string()
        } else {
            o.vip_holders.join(" and ")
        }
    );
    let ok = primaries.len() == 1
        && o.pgpool_primary.as_ref() == Some(primaries[0])
        && o.vip_holders.len() == 1;
    Check::new(
        FINAL_ROLES,
        if ok { Verdict::Pass } else { Verdict::Fail },
        evidence,
    )
}

/// A damage check: Fail when damage happened that the scenario did not declare; Pass otherwise,
/// saying whether declared damage really happened (its extent is the evidence).
fn damage_check(name: &str, happened: bool, declared: bool, evidence: String) -> Check {
    match (happened, declared) {
        (true, false) => Check::new(name, Verdict::Fail, evidence),
        (true, true) => Check::new(
            name,
            Verdict::Pass,
            format!("expected damage happened: {evidence}"),
        ),
        (false, true) => Check::new(
            name,
            Verdict::Pass,
            format!("expected damage did not happen this time: {evidence}"),
        ),
        (false, false) => Check::new(name, Verdict::Pass, evidence),
    }
}
