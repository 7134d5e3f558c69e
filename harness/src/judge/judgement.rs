//! The judge: plan + evidence → checks, measurements, verdict. Pure: no Docker, no clock, no
//! files; the same evidence always gives the same judgement.

use super::budgets::measurements;
use super::damage::{damage_checks, declared_damage, final_roles_check, roles_summary};
use super::evidence::Evidence;
use super::logs::{expectations, log_checks, step_checks};
use crate::checks::{worst, Check, Verdict};
use crate::measure::{measure_windows, DamageWindows, WindowInput};
use crate::record::run::{RunRecord, ScenarioRef, FORMAT_VERSION};
use crate::record::{MeasurementRecord, RolesSummary};
use crate::scenario::Plan;
use crate::timeline::{Event, Timeline};
use std::collections::BTreeMap;

/// What the judge decided, and the one timeline it decided on.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// The one timeline: the logs' events and the harness's own, merged before any checker ran.
    pub events: Vec<Event>,
    /// Every check, in order: log checkers, steps and their expectations, budgets, damage, the
    /// final state.
    pub checks: Vec<Check>,
    /// Each measured phase with its budget.
    pub measurements: Vec<MeasurementRecord>,
    /// Role and VIP samples with the spans where two nodes overlapped.
    pub roles: RolesSummary,
    /// How much damage the fault did while it lasted (from the ledger and the role samples).
    pub damage_windows: DamageWindows,
    /// The worst verdict of all checks; Unknown rather than Pass when the run ended in an error.
    pub verdict: Verdict,
}

/// Judges one run.
///
/// The harness's events (faults started and healed, roles resolved) join the logs' events in
/// one timeline first; every checker then reads that timeline. A new measurement or checker is
/// one more line below that pushes its checks.
pub fn judge(plan: &Plan, ev: &Evidence) -> Judgement {
    let timeline = Timeline::from_unsorted(
        ev.logs
            .events
            .iter()
            .chain(&ev.harness_events)
            .cloned()
            .collect(),
    );
    let exp = expectations(plan, ev);
    let mut checks = log_checks(plan, ev, &timeline, &exp);
    checks.extend(step_checks(plan, ev));
    let damage_windows = damage_windows(ev);
    let (measurements, budget_checks) = measurements(plan, ev, &timeline, &damage_windows);
    checks.extend(budget_checks);
    declared_damage(plan, &mut checks);
    let roles = roles_summary(ev);
    checks.extend(damage_checks(plan, ev, &roles));
    checks.push(final_roles_check(plan, ev));
    let verdict = if ev.error.is_some() && worst(&checks) == Verdict::Pass {
        Verdict::Unknown
    } else {
        worst(&checks)
    };
    Judgement {
        events: timeline.events().to_vec(),
        checks,
        measurements,
        roles,
        damage_windows,
        verdict,
    }
}

/// The damage windows of the run (see [`crate::measure::measure_windows`]), from the ledger, the
/// role samples and the first fault.
fn damage_windows(ev: &Evidence) -> DamageWindows {
    let fault = ev.fault.as_ref();
    measure_windows(&WindowInput {
        ledger: &ev.ledger,
        probed: ev.writes.probed,
        samples: &ev.role_samples,
        fault_ms: fault.map(|f| f.offset_ms),
        fault_hit_primary: fault.is_some_and(|f| f.was_primary),
        fault_effect_ms: fault.map(|f| f.offset_ms + (f.effect_s * 1000.0) as u64),
        probe_period_ms: ev.probe_period_ms,
        sample_period_ms: ev.sample_period_ms,
        lost: ev.writes.lost.as_deref(),
        lost_pinned: ev.lost_pinned.as_deref(),
    })
}

/// The run record: the evidence's facts with the judgement.
pub fn record(plan: &Plan, ev: &Evidence, judgement: Judgement) -> RunRecord {
    let facts = &ev.run;
    // The settings in force: the rendered file's, and the scenario's where the file is silent.
    let mut config: BTreeMap<String, String> = ev.settings.clone();
    for (k, v) in &plan.config {
        config.entry(k.clone()).or_insert_with(|| v.clone());
    }
    RunRecord {
        timings: facts.timings.clone(),
        format_version: FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: facts.run_id.clone(),
        scenario: ScenarioRef {
            file: plan.file.clone(),
            sha256: plan.sha256.clone(),
            name: plan.name.clone(),
            description: plan.description.clone(),
        },
        release: facts.release.clone(),
        image: facts.image.clone(),
        config,
        started_at: facts.started_at.clone(),
        duration_ms: facts.duration_ms,
        steps: ev.steps.clone(),
        events: judgement.events,
        measurements: judgement.measurements,
        checks: judgement.checks,
        writes: ev.writes.clone(),
        roles: judgement.roles,
        damage_windows: Some(judgement.damage_windows),
        expected_damage: plan
            .expected_damage
            .iter()
            .map(|d| d.name().to_string())
            .collect(),
        verdict: judgement.verdict,
        error: ev.error.clone(),
        run_dir: facts.run_dir.clone(),
        reproduce: facts.reproduce.clone(),
        provenance: facts.provenance.clone(),
        build: facts.build.clone(),
        workarounds: facts.workarounds.clone(),
        known_bug: plan.known_bug.as_ref().map(|b| {
            crate::scenario::known_bug::KnownBugRecord::judge(
                b,
                &facts.release,
                // A step whose action failed (a fault that did not take effect) or a run that
                // ended early never exercised the bug.
                if ev.error.is_some() || ev.steps.iter().any(|s| s.error.is_some()) {
                    None
                } else {
                    Some(judgement.verdict == Verdict::Pass)
                },
                plan.steps
                    .iter()
                    .flat_map(|s| &s.expect)
                    .filter(|e| e.when_bug.is_some())
                    .map(|e| e.line)
                    .collect(),
            )
        }),
    }
}
