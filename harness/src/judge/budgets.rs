//! Each failover phase measured from the one timeline and the ledger, against budgets derived
//! from the settings the nodes ran with; the damage windows beside them, against the scenario's
//! own budgets.

use super::evidence::Evidence;
use crate::checks::{Check, Verdict};
use crate::measure::{
    derive_budgets, measure, Anchor, DamageWindows, MeasurementKind, PgpoolSettings,
};
use crate::record::MeasurementRecord;
use crate::scenario::Plan;
use crate::timeline::{EventKind, Timeline};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the settings come from, as budget evidence names it.
pub const RENDERED_PGPOOL_CONF: &str = "/etc/pgpool2/pgpool.conf";

/// The measurements and their budget checks; nothing without a fault to count from. The damage
/// windows (`windows`) follow the phases: they are never required, and a window the scenario
/// bounds but the run could not measure is Unknown.
pub fn measurements(
    plan: &Plan,
    ev: &Evidence,
    timeline: &Timeline,
    windows: &DamageWindows,
) -> (Vec<MeasurementRecord>, Vec<Check>) {
    let mut measurements = Vec::new();
    let mut checks = Vec::new();
    let Some(fault) = &ev.fault else {
        return (measurements, checks);
    };
    let no_failover_due = super::logs::no_failover_due(plan, ev);
    let anchor = Anchor {
        fault_time: fault.at,
        fault_offset_ms: fault.offset_ms,
        target: fault.target.clone(),
        target_backend: fault.target_backend,
        vip_holder_before: fault.vip_holder_before.clone(),
        // Phases of the failover end with the fault's heal: what a restarted node does
        // afterwards (its own escalation, its own health checks) is not the failover.
        healed_time: timeline
            .events()
            .iter()
            .find(|e| {
                e.kind == EventKind::FaultHealed
                    && e.node == fault.target
                    && e.time.is_some_and(|t| t.at >= fault.at.at)
            })
            .and_then(|e| e.time),
        old_primary: ev.old_primary.clone(),
        recover_time: ev.recover_time,
    };
    let settings = PgpoolSettings::from_values(ev.settings.clone());
    let budgets = derive_budgets(
        &settings,
        &budget_overrides(plan),
        fault.effect_s,
        fault.silent,
    );
    if let Err(e) = &budgets {
        checks.push(Check::new(
            "budgets",
            Verdict::Unknown,
            format!("budgets could not be derived from {RENDERED_PGPOOL_CONF}: {e}"),
        ));
    }
    let budgets = budgets.unwrap_or_default();
    for m in measure(timeline.events(), &ev.ledger, &anchor)
        .into_iter()
        .chain(windows.measurements())
    {
        let budget = budgets.get(&m.kind);
        // No phase is owed where no database failover is due (only pgpool died or hung, or the
        // scenario's known bug keeps pgpool from noticing); one that is measured is still judged.
        let expected = fault.was_primary
            && !no_failover_due
            && match m.kind {
                MeasurementKind::Promote => ev.writes.probed,
                MeasurementKind::Recover => ev.recover_time.is_some(),
                // The VIP moves only when the fault takes its holder's pgpool down.
                MeasurementKind::Vip => !fault.pgpool_survives,
                k if k.is_window() => false,
                _ => true,
            };
        // The budgets model a failover after a node is lost. Under a fault that only degrades
        // its node (a first health-check retry at a random lost packet, a VIP handed over by a
        // watchdog that lost its trusted server) the phases are reported, not judged.
        let verdict = match (m.seconds, budget) {
            _ if fault.degrades => None,
            (Some(s), Some(b)) if s <= b.seconds => Some(Verdict::Pass),
            (Some(_), Some(_)) => Some(Verdict::Fail),
            // A window the scenario bounds but this run could not measure.
            (None, Some(_)) if m.kind.is_window() => Some(Verdict::Unknown),
            (None, _) if expected => Some(Verdict::Fail),
            _ => None,
        };
        if let Some(v) = verdict {
            checks.push(Check::new(
                &format!("budget: {}", m.kind.name()),
                v,
                format!(
                    "{} (budget {}: {}); {}",
                    m.seconds
                        .map(|s| format!("{s:.2} s"))
                        .unwrap_or_else(|| "not observed".into()),
                    budget
                        .map(|b| format!("{:.1} s", b.seconds))
                        .unwrap_or_else(|| "none".into()),
                    budget.map(|b| b.derivation.as_str()).unwrap_or(""),
                    m.evidence
                ),
            ));
        }
        measurements.push(MeasurementRecord {
            kind: m.kind,
            seconds: m.seconds,
            budget_s: budget.map(|b| b.seconds),
            budget_derivation: budget.map(|b| b.derivation.clone()).unwrap_or_default(),
            node: m.node,
            evidence: m.evidence,
        });
    }
    (measurements, checks)
}

/// The scenario's own budgets, which win over derived ones.
fn budget_overrides(plan: &Plan) -> BTreeMap<MeasurementKind, Duration> {
    let b = &plan.budgets;
    [
        (MeasurementKind::Detect, b.detect),
        (MeasurementKind::NodeDown, b.node_down),
        (MeasurementKind::FailoverStart, b.failover_start),
        (MeasurementKind::Vip, b.vip),
        (MeasurementKind::Promote, b.promote),
        (MeasurementKind::FailoverDone, b.failover_done),
        (MeasurementKind::Recover, b.recover),
        (MeasurementKind::OldPrimaryAcks, b.old_primary_acks),
        (MeasurementKind::TwoPrimaries, b.two_primaries),
        (MeasurementKind::TwoVipHolders, b.two_vip_holders),
        (MeasurementKind::VipOutage, b.vip_outage),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}
