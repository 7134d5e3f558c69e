//! After the last step: stop the probes, check the ledger, copy the logs out, remove the cluster,
//! rebuild the timeline from the copied logs with the analyser's grammar, and judge.

use super::executor::{check_lost, Live};
use super::record::{
    MeasurementRecord, RolesSummary, RunRecord, ScenarioRef, StepRecord, WritesSummary,
    FORMAT_VERSION,
};
use super::roles::observe;
use crate::analyze::{analyze, AnalyzeOptions, Input, ProfileChoice};
use crate::checks::{worst, Check, Expectations, Verdict};
use crate::cluster::copy_logs;
use crate::docker::exec;
use crate::measure::{derive_budgets, measure, Anchor, MeasurementKind, PgpoolSettings};
use crate::observe::{overlaps, RolePoller};
use crate::scenario::{Damage, Plan};
use crate::timeline::{Event, Timeline};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the node keeps the pgpool.conf it rendered at boot.
pub const RENDERED_PGPOOL_CONF: &str = "/etc/pgpool2/pgpool.conf";

/// What the step loop hands over.
pub(super) struct Finished {
    /// Slot wait, boot, ready wait and steps; `finish` adds evidence and teardown.
    pub(super) timings: super::RunTimings,
    pub(super) started_at: chrono::DateTime<chrono::Utc>,
    pub(super) run_dir: PathBuf,
    pub(super) keep: bool,
    pub(super) reproduce: String,
    pub(super) image: String,
    pub(super) steps: Vec<StepRecord>,
    pub(super) error: Option<String>,
}

pub(super) async fn finish(
    mut live: Live,
    poller: RolePoller,
    plan: &Plan,
    done: Finished,
    progress: &mut (dyn FnMut(&str) + Send),
) -> RunRecord {
    progress("collecting evidence");
    let finish_started = Instant::now();
    let mut teardown_ms = 0;
    // The ledger against the final primary (it may still be finishing promotion: retry briefly).
    let mut writes = WritesSummary::default();
    let mut lost_pinned = None;
    if let Some(p) = live.probe.take() {
        live.ledger = p.stop().await;
    }
    if !live.ledger.acks.is_empty() || !live.ledger.failures.is_empty() {
        writes.probed = true;
        writes.acknowledged = live.ledger.acks.len();
        writes.failed = live.ledger.failures.len();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let observed = observe(&live.cluster).await;
            match check_lost(&live, &observed).await {
                Ok(l) => {
                    writes.lost = Some(l.missing);
                    lost_pinned = Some(l.missing_pinned);
                    writes.checked_on = observed.snapshot().primary.unwrap_or_default();
                    break;
                }
                Err(e) if Instant::now() > deadline => {
                    writes.checked_on = format!("not checked: {e}");
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
    let samples = poller.stop().await;
    let roles = RolesSummary {
        two_primaries: overlaps(&samples, |s| &s.primaries),
        two_vip_holders: overlaps(&samples, |s| &s.vip_holders),
        samples,
    };
    let damage_windows = damage_windows(&live, &writes, &roles, lost_pinned.as_deref());
    let final_observed = observe(&live.cluster).await;

    // The pgpool.conf the nodes really run with, for the record and the budgets.
    let mut settings_text = String::new();
    for n in live.cluster.nodes() {
        if let Ok(out) = exec(
            live.cluster.docker(),
            &n.container,
            &["cat", RENDERED_PGPOOL_CONF],
            Duration::from_secs(5),
        )
        .await
        {
            if out.success() {
                settings_text = out.stdout;
                break;
            }
        }
    }
    let settings = PgpoolSettings::parse(&settings_text);

    // Logs out, then the cluster goes (unless kept).
    let logs_dir = done.run_dir.join("logs");
    let mut error = done.error.clone();
    if done.keep {
        for n in live.cluster.nodes() {
            let _ = copy_logs(
                live.cluster.docker(),
                &n.container,
                &live.cluster.release().logs.dir,
                &logs_dir.join(&n.name),
                &live.cluster.secrets().all(),
            )
            .await;
        }
        progress(&format!("cluster {} left up (--keep)", live.cluster.run()));
    } else {
        progress("tearing down");
        match live.cluster.down().await {
            Ok(t) => {
                teardown_ms = t.elapsed_ms;
                for f in t.log_failures {
                    progress(&format!("logs not copied: {f}"));
                }
            }
            Err(e) => {
                error.get_or_insert(format!("teardown: {}", crate::cli_error_chain(&e)));
            }
        }
    }
    let nodes: Vec<String> = live
        .cluster
        .nodes()
        .iter()
        .map(|n| n.name.clone())
        .collect();
    let secrets = live.cluster.secrets().all();
    let run_id = live.cluster.run().to_string();
    let release = live.cluster.release().clone();
    // Before keep/teardown hands the cluster over: asks the engine about itself and the image.
    let provenance = super::Provenance::collect(live.cluster.docker(), &done.image, &release).await;
    // The faulted node's pgpool backend id, as the cluster assigned it.
    let target_backend = live.fault_anchor.as_ref().and_then(|f| {
        live.cluster
            .nodes()
            .iter()
            .find(|n| n.name == f.target)
            .map(|n| i64::from(n.id))
    });
    if done.keep {
        live.cluster.keep();
    }

    // One timeline: the copied logs through the analyser's grammar, plus the harness's events.
    let failover_expected = live.fault_anchor.as_ref().is_some_and(|a| a.was_primary);
    // A graceful stop announces itself to the peer; every other fault is noticed, not told.
    let announced = plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            crate::scenario::Action::Inject { fault, .. } => Some(fault.kind()),
            _ => None,
        })
        .is_some_and(|k| k.row().announced);
    // A failed primary is failed over (the seed's steps); a failed standby is only detached.
    // Whose pgpool runs the failover decides the expected sequence: the survivor's for a lost
    // primary (the seed's steps), the primary's for a lost standby, and the sick node's own when
    // its pgpool outlives the fault (a read-only disk kills only PostgreSQL).
    let self_detach = live
        .fault_anchor
        .as_ref()
        .is_some_and(|f| f.kind.row().pgpool_survives);
    let mut expectations = if self_detach {
        Expectations::self_detach()
    } else if failover_expected || live.fault_anchor.is_none() {
        Expectations::for_fault(&live.profile.name, announced)
    } else {
        Expectations::standby_detach()
    };
    if let Some(fault) = &live.fault_anchor {
        // Under a network fault the isolated node's pgpool may run a failover of its own
        // (detaching its peer) first: that is damage, not the sequence.
        expectations.sequence_node = if self_detach {
            Some(fault.target.clone())
        } else {
            nodes.iter().find(|n| **n != fault.target).cloned()
        };
    }
    let inputs: Vec<Input> = nodes
        .iter()
        .flat_map(|n| {
            release
                .logs
                .files
                .iter()
                .map(|f| logs_dir.join(n).join(f))
                .filter(|p| p.metadata().is_ok_and(|m| m.len() > 0))
                .map(|p| Input::file(n, p))
                .collect::<Vec<_>>()
        })
        .collect();
    let analysis = analyze(
        &inputs,
        &ProfileChoice::Given(Box::new(live.profile.clone())),
        &AnalyzeOptions {
            expectations: Some(expectations.clone()),
            extra_secrets: secrets.clone(),
            ..AnalyzeOptions::default()
        },
    );
    let (mut log_events, mut checks): (Vec<Event>, Vec<Check>) = match analysis {
        Ok(a) => (a.timeline.events().to_vec(), a.checks),
        Err(e) => (
            Vec::new(),
            vec![Check::new(
                "log_analysis",
                Verdict::Unknown,
                format!(
                    "the copied logs could not be analysed: {}",
                    crate::cli_error_chain(&e)
                ),
            )],
        ),
    };
    log_events.append(&mut live.harness_events);
    let timeline = Timeline::from_unsorted(log_events);
    // A scenario that injects no fault (a known bug that shows on a healthy cluster) has no
    // failover to analyse: the failover checks do not apply, the rest (forbidden patterns,
    // expectations, damage, final state) still do.
    let no_fault = !plan
        .steps
        .iter()
        .any(|s| matches!(s.action, crate::scenario::Action::Inject { .. }));
    if no_fault {
        let before = checks.len();
        checks.retain(|c| {
            !matches!(
                c.name.as_str(),
                "sequence" | "single_executor" | "ids_agree" | "durations"
            )
        });
        if checks.len() < before {
            checks.push(Check::new(
                "failover analysis",
                Verdict::Pass,
                "not applicable: the scenario injects no fault".to_string(),
            ));
        }
    }

    // Expectations of the steps become checks.
    for s in &done.steps {
        if let Some(e) = &s.error {
            checks.push(Check::new(
                &format!("step {} (line {})", s.index + 1, s.line),
                Verdict::Fail,
                format!("{}: {e}", s.action),
            ));
        }
        for x in &s.expectations {
            checks.push(Check::new(
                &format!("expect line {}: {}", x.line, x.awaited),
                x.verdict,
                x.evidence.clone(),
            ));
        }
    }

    // Measurements against budgets.
    let mut measurements = Vec::new();
    if let Some(fault) = &live.fault_anchor {
        let anchor = Anchor {
            fault_time: fault.at,
            fault_offset_ms: fault.offset_ms,
            target: fault.target.clone(),
            target_backend,
            vip_holder_before: fault.vip_holder_before.clone(),
            // Phases of the failover end with the fault's heal: what a restarted node does
            // afterwards (its own escalation, its own health checks) is not the failover.
            healed_time: timeline
                .events()
                .iter()
                .find(|e| {
                    e.kind == crate::timeline::EventKind::FaultHealed
                        && e.node == fault.target
                        && e.time.is_some_and(|t| t.at >= fault.at.at)
                })
                .and_then(|e| e.time),
            old_primary: live.old_primary.clone(),
            recover_time: live.recover_time,
        };
        let overrides = plan_budget_overrides(plan);
        let silent = fault.kind.row().peer_sees != crate::faults::PeerSees::FinRst;
        let budgets = derive_budgets(&settings, &overrides, fault.effect_s, silent);
        if let Err(e) = &budgets {
            checks.push(Check::new(
                "budgets",
                Verdict::Unknown,
                format!("budgets could not be derived from {RENDERED_PGPOOL_CONF}: {e}"),
            ));
        }
        let budgets = budgets.unwrap_or_default();
        let windows = damage_windows.measurements();
        for m in measure(timeline.events(), &live.ledger, &anchor)
            .into_iter()
            .chain(windows)
        {
            let budget = budgets.get(&m.kind);
            let expected = failover_expected
                && match m.kind {
                    MeasurementKind::Promote => writes.probed,
                    MeasurementKind::Recover => live.recover_time.is_some(),
                    // The VIP moves only when the fault takes its holder's pgpool down.
                    MeasurementKind::Vip => !self_detach,
                    k if k.is_window() => false,
                    _ => true,
                };
            let verdict = match (m.seconds, budget) {
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
    }

    // Damage: two primaries, two VIP holders, lost writes — declared or not.
    let split_declared = plan.expected_damage.contains(&Damage::SplitBrain);
    // In a declared split brain both sides fail each other over: two executors and disagreeing
    // ids are that damage, reported with their evidence rather than as a surprise. So is a
    // failover to no primary on the losing side: its pgpool already detached the healthy peer,
    // so when its own backend goes down (the rewind that repairs it) it has none left
    // ("failover: no valid backend node found", new primary -1; seen in a partition run).
    let panic_declared = plan.expected_damage.contains(&Damage::Panic);
    for c in checks.iter_mut() {
        let declared = match c.name.as_str() {
            "single_executor" | "ids_agree" | "split_brain" | "vip_holders" | "primary_kept" => {
                split_declared
            }
            "forbidden_patterns" => panic_declared,
            _ => false,
        };
        if declared && c.verdict == Verdict::Fail {
            *c = damage_check(&c.name, true, true, c.evidence.clone());
        }
    }
    let loss_declared = plan.expected_damage.contains(&Damage::LostWrites);
    let span = |o: &crate::observe::Overlap| {
        format!(
            "{} from {:.1} s to {:.1} s",
            o.nodes.join(" and "),
            o.from_ms as f64 / 1000.0,
            o.to_ms as f64 / 1000.0
        )
    };
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
        let (lost, evidence) = match damage_windows.lost_writes.pinned {
            Some(n) if n > 0 => (
                true,
                format!("{evidence}; {n} acknowledged on the session pinned to the old primary missing too"),
            ),
            _ => (lost, evidence),
        };
        let mut c = damage_check("no acknowledged write lost", lost, loss_declared, evidence);
        if writes.lost.is_none() {
            c.verdict = Verdict::Unknown;
        }
        checks.push(c);
    }
    let final_roles = final_roles_check(&final_observed);
    if final_roles.verdict == Verdict::Fail && split_declared {
        // Two primaries left at the end are the declared split brain, counted as such.
        checks.push(damage_check(
            final_roles.name.as_str(),
            true,
            true,
            final_roles.evidence,
        ));
    } else {
        checks.push(final_roles);
    }

    let verdict = if error.is_some() && worst(&checks) == Verdict::Pass {
        Verdict::Unknown
    } else {
        worst(&checks)
    };
    let mut config: BTreeMap<String, String> = settings.all().clone();
    for (k, v) in &plan.config {
        config.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let mut timings = done.timings;
    timings.teardown_ms = teardown_ms;
    timings.evidence_ms = (finish_started.elapsed().as_millis() as u64).saturating_sub(teardown_ms);
    let record = RunRecord {
        timings: Some(timings),
        format_version: FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id,
        scenario: ScenarioRef {
            file: plan.file.clone(),
            sha256: plan.sha256.clone(),
            name: plan.name.clone(),
            description: plan.description.clone(),
        },
        profile: release.name.clone(),
        image: done.image,
        config,
        started_at: done.started_at.to_rfc3339(),
        duration_ms: (chrono::Utc::now() - done.started_at).num_milliseconds() as u64,
        steps: done.steps,
        events: timeline.events().to_vec(),
        measurements,
        checks,
        writes,
        roles,
        damage_windows: Some(damage_windows),
        expected_damage: plan
            .expected_damage
            .iter()
            .map(|d| match d {
                Damage::SplitBrain => "split-brain".to_string(),
                Damage::LostWrites => "lost-writes".to_string(),
                Damage::Panic => "panic".to_string(),
            })
            .collect(),
        verdict,
        error,
        run_dir: done.run_dir.display().to_string(),
        reproduce: done.reproduce,
        provenance: Some(provenance),
        build: release.build.clone(),
        workarounds: crate::release::workaround_records(
            &release.workarounds,
            plan.known_bug
                .as_ref()
                .map(|b| b.without_workarounds.as_slice())
                .unwrap_or_default(),
        ),
        known_bug: plan.known_bug.as_ref().map(|b| {
            crate::scenario::known_bug::KnownBugRecord::judge(
                b,
                &release.name,
                verdict == crate::checks::Verdict::Pass,
            )
        }),
    };
    write_record(&record, &done.run_dir, &secrets);
    record
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

fn final_roles_check(o: &super::roles::Observed) -> Check {
    let primaries: Vec<&String> = o
        .node_roles
        .iter()
        .filter(|(_, r)| **r == crate::scenario::NodeRole::Primary)
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
        "final roles: one primary, pgpool agrees, one VIP holder",
        if ok { Verdict::Pass } else { Verdict::Fail },
        evidence,
    )
}

fn plan_budget_overrides(plan: &Plan) -> BTreeMap<MeasurementKind, Duration> {
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

/// The damage windows of this run (see [`crate::measure::measure_windows`]), from the ledger,
/// the role samples and the first fault.
fn damage_windows(
    live: &Live,
    writes: &WritesSummary,
    roles: &RolesSummary,
    lost_pinned: Option<&[i64]>,
) -> crate::measure::DamageWindows {
    crate::measure::measure_windows(&crate::measure::WindowInput {
        ledger: &live.ledger,
        probed: writes.probed,
        samples: &roles.samples,
        fault_ms: live.fault_anchor.as_ref().map(|f| f.offset_ms),
        fault_hit_primary: live.fault_anchor.as_ref().is_some_and(|f| f.was_primary),
        fault_effect_ms: live
            .fault_anchor
            .as_ref()
            .map(|f| f.offset_ms + (f.effect_s * 1000.0) as u64),
        probe_period_ms: super::executor::WRITE_INTERVAL.as_millis() as u64,
        sample_period_ms: super::executor::ROUND.as_millis() as u64,
        lost: writes.lost.as_deref(),
        lost_pinned,
    })
}

/// Writes `run.json` (secrets redacted), `junit.xml` and `timeline.html` (rendered from the
/// redacted record, see [`crate::report::write_run_files`]) and points `<scenario>/latest` at
/// this run.
fn write_record(record: &RunRecord, run_dir: &std::path::Path, secrets: &[String]) {
    if let Err(e) = crate::report::write_run_files(record, run_dir, secrets) {
        tracing::warn!("{}", crate::cli_error_chain(&e));
    }
    if let (Some(parent), Some(name)) = (run_dir.parent(), run_dir.file_name()) {
        let latest = parent.join("latest");
        let _ = std::fs::remove_file(&latest);
        let _ = std::os::unix::fs::symlink(name, &latest);
    }
}
