//! After the last step: gather the evidence. Stop the probes, check the ledger against the final
//! primary, sample the final roles, read the rendered settings, copy the logs out, remove the
//! cluster, and read the copied logs through the grammar. Judging is not done here: the judge
//! (`crate::judge`) reads what this returns.

use super::live::{check_lost, Live};
use crate::analyze::{read_logs, GrammarChoice, Input};
use crate::cluster::copy_logs;
use crate::cluster::roles::{observe, Leader, RoleObservation};
use crate::docker::exec;
use crate::faults::{FaultKind, PeerSees};
use crate::judge::{
    Evidence, FaultEvidence, FinalRoles, LogEvidence, RunFacts, EVIDENCE_FORMAT_VERSION,
    RENDERED_PGPOOL_CONF,
};
use crate::measure::PgpoolSettings;
use crate::observe::RolePoller;
use crate::record::{StepRecord, WritesSummary};
use crate::scenario::Plan;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the step loop hands over.
pub(super) struct Finished {
    /// Slot wait, boot, ready wait and steps; gathering adds evidence and teardown.
    pub(super) timings: crate::record::RunTimings,
    pub(super) started_at: chrono::DateTime<chrono::Utc>,
    pub(super) run_dir: PathBuf,
    pub(super) keep: bool,
    pub(super) reproduce: String,
    pub(super) image: String,
    pub(super) steps: Vec<StepRecord>,
    pub(super) error: Option<String>,
}

/// The evidence of a finished run, and the secrets its files must not show.
pub(super) async fn gather(
    mut live: Live,
    poller: RolePoller,
    plan: &Plan,
    done: Finished,
    progress: &mut (dyn FnMut(&str) + Send),
) -> (Evidence, Vec<String>) {
    progress("collecting evidence");
    let gather_started = Instant::now();
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
            let observed = observe(&live.cluster, Leader::Leave).await;
            match check_lost(&live, &observed).await {
                Ok(l) => {
                    writes.lost = Some(l.missing);
                    lost_pinned = Some(l.missing_pinned);
                    writes.checked_on = observed.snapshot().primary.unwrap_or_default();
                    break;
                }
                Err(e) if Instant::now() > deadline => {
                    writes.checked_on = format!("not checked: {}", crate::ErrorChain(&e));
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
    let role_samples = poller.stop().await;
    let final_roles = final_roles(&observe(&live.cluster, Leader::Ask).await);

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
    let settings = PgpoolSettings::parse(&settings_text).all().clone();

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
                error.get_or_insert(format!("teardown: {}", crate::ErrorChain(&e)));
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
    let fault = live.fault_anchor.as_ref().map(|f| {
        let (announced, silent, pgpool_survives) = traits(f.kind);
        let degrades = f.kind.row().degrades;
        let postgres_survives = f.kind.row().postgres_survives;
        FaultEvidence {
            kind: f.kind.name().to_string(),
            target: f.target.clone(),
            // The faulted node's pgpool backend id, as the cluster assigned it.
            target_backend: live
                .cluster
                .nodes()
                .iter()
                .find(|n| n.name == f.target)
                .map(|n| i64::from(n.id)),
            at: f.at,
            offset_ms: f.offset_ms,
            was_primary: f.was_primary,
            vip_holder_before: f.vip_holder_before.clone(),
            effect_s: f.effect_s,
            announced,
            silent,
            pgpool_survives,
            degrades,
            postgres_survives,
        }
    });
    if done.keep {
        if let Err(e) = live.cluster.keep().await {
            // The cluster is removed (its handle was dropped unmarked): say so in the record.
            error.get_or_insert(format!(
                "--keep: could not mark the cluster kept, so it was removed: {}",
                crate::ErrorChain(&e)
            ));
        }
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
    let logs = read_copied_logs(&inputs, &live.profile, &secrets);

    let mut timings = done.timings;
    timings.teardown_ms = teardown_ms;
    timings.evidence_ms = (gather_started.elapsed().as_millis() as u64).saturating_sub(teardown_ms);
    let evidence = Evidence {
        format_version: EVIDENCE_FORMAT_VERSION,
        run: RunFacts {
            run_id,
            release: release.name.clone(),
            grammar: live.profile.name.clone(),
            image: done.image,
            nodes,
            started_at: done.started_at.to_rfc3339(),
            duration_ms: (chrono::Utc::now() - done.started_at).num_milliseconds() as u64,
            run_dir: done.run_dir.display().to_string(),
            reproduce: done.reproduce,
            provenance: Some(provenance),
            timings: Some(timings),
            build: release.build.clone(),
            workarounds: crate::release::workaround_records(
                &release.workarounds,
                plan.known_bug
                    .as_ref()
                    .map(|b| b.without_workarounds.as_slice())
                    .unwrap_or_default(),
            ),
        },
        steps: done.steps,
        error,
        harness_events: std::mem::take(&mut live.harness_events),
        logs,
        fault,
        old_primary: live.old_primary.clone(),
        recover_time: live.recover_time,
        ledger: std::mem::take(&mut live.ledger),
        writes,
        lost_pinned,
        probe_period_ms: super::executor::WRITE_INTERVAL.as_millis() as u64,
        sample_period_ms: super::executor::ROUND.as_millis() as u64,
        role_samples,
        final_roles: Some(final_roles),
        settings,
    };
    (evidence, secrets)
}

/// The copied logs through the release's grammar.
pub fn read_copied_logs(
    inputs: &[Input],
    grammar: &crate::grammar::GrammarDef,
    secrets: &[String],
) -> LogEvidence {
    match read_logs(
        inputs,
        &GrammarChoice::Given(Box::new(grammar.clone())),
        secrets,
    ) {
        Ok(scan) => LogEvidence {
            events: scan.events,
            inputs: scan.inputs,
            skipped: scan.skipped,
            redactions: scan.redactions,
            error: None,
        },
        Err(e) => LogEvidence {
            error: Some(crate::ErrorChain(&e).to_string()),
            ..LogEvidence::default()
        },
    }
}

/// What the judge needs to know about a fault kind, from its catalogue row: whether it tells the
/// peer the node is leaving (`announced`), whether peers see nothing on open connections, no FIN
/// and no RST (`silent`: only timeouts tell), and whether the node's own pgpool outlives it
/// (`pgpool_survives`). Returns (announced, silent, pgpool_survives).
pub fn traits(kind: FaultKind) -> (bool, bool, bool) {
    let row = kind.row();
    (
        row.announced,
        row.peer_sees != PeerSees::FinRst,
        row.pgpool_survives,
    )
}

fn final_roles(o: &RoleObservation) -> FinalRoles {
    FinalRoles {
        // An unreadable answer is no role the record's vocabulary has: such a node is left out
        // (it is no primary, which is all the final-roles check counts).
        node_roles: o
            .node_roles
            .iter()
            .filter_map(|(n, r)| Some((n.to_string(), r.as_node_role()?)))
            .collect(),
        vip_holders: o.vip_holders.iter().map(|n| n.to_string()).collect(),
        leader: o.leader.as_ref().map(|n| n.to_string()),
        pgpool_primary: o.pgpool_primary.as_ref().map(|n| n.to_string()),
    }
}
