//! The executor: runs a validated plan against a real cluster, step by step, and assembles the
//! run record.
//!
//! Each step fires, resolves its roles from one role observation (recording each resolution),
//! acts, then watches its expectations until each is settled or its deadline passes. Every fault
//! injected is healed — on success, on a failed step, and on Ctrl-C — before the cluster's logs
//! are copied out and it is removed. The copied logs then go through the same grammar and
//! checkers as `hachaos analyze`, so a live run and an offline analysis judge the same timeline.

use super::background::{recovery_tail, wait_until, Background};
use super::error::{PinError, StepError};
use super::expect::{resolve, Pending, Round};
use super::gather::{gather, Finished};
use super::live::{check_lost, FaultAnchor, Live};
use crate::checks::Verdict;
use crate::cluster::roles::{observe, Leader, RoleObservation};
use crate::cluster::{Cluster, ClusterError, ClusterSpec};
use crate::docker::{exec, RunId};
use crate::faults::inject_verified;
use crate::grammar::{Grammar, GrammarDef};
use crate::observe::{Ledger, LogTailer, RolePoller, WriteProbe};
use crate::record::run::{ExpectationRecord, RunRecord, StepRecord};
use crate::release::Release;
use crate::scenario::{
    resolution_event, Action, Plan, RecoverOutcome, ResolveError, Resolved, Role, Target,
    RECOVER_TIMEOUT,
};
use crate::timeline::WallTime;
use bollard::Docker;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often expectations are re-judged (and the role poller's pace).
pub(super) const ROUND: Duration = Duration::from_millis(500);
/// The write probe's pace.
pub(super) const WRITE_INTERVAL: Duration = Duration::from_millis(100);
/// Upper bound of any run (the probes stop by themselves after it).
const MAX_RUN: Duration = Duration::from_secs(30 * 60);

/// What the executor needs besides the plan.
pub struct RunOptions {
    /// The node image.
    pub image: String,
    /// The release the image is of: ports, log files, commands, role query.
    pub release: Release,
    /// The log grammar (the release's).
    pub grammar: GrammarDef,
    /// The root of all run directories (`reports/`).
    pub reports_dir: PathBuf,
    /// Leave the cluster up afterwards.
    pub keep: bool,
    /// The command line that reproduces the run.
    pub reproduce: String,
    /// Becomes `true` on Ctrl-C / SIGTERM.
    pub cancel: watch::Receiver<bool>,
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The cluster did not come up.
    #[error("cluster setup failed")]
    Setup(#[from] ClusterError),
    /// The release's grammar does not compile.
    #[error("grammar `{grammar}` of release `{release}`")]
    Grammar {
        /// The grammar's name.
        grammar: String,
        /// The release's name.
        release: String,
        /// Why.
        #[source]
        source: crate::grammar::GrammarError,
    },
    /// The run directory could not be written.
    #[error("cannot write the run directory {path}")]
    RunDir {
        /// Where.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A finished run: its record, the evidence it was judged on, and the secrets (configured
/// passwords) that the files written from them must not show. The caller stores and renders it
/// (the reporters' `store_run`); the executor writes nothing but the copied logs.
pub struct Executed {
    /// The judged record.
    pub record: RunRecord,
    /// What the judge read.
    pub evidence: crate::judge::Evidence,
    /// The run's secrets, to redact from anything written.
    pub secrets: Vec<String>,
}

/// Never prints the secrets themselves.
impl std::fmt::Debug for Executed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executed")
            .field("record", &self.record)
            .field("evidence", &self.evidence)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .finish()
    }
}

/// Runs `plan` on a fresh cluster, gathers the evidence, judges it and returns the result. Only a
/// cluster that never came up is an error; everything after that — failed steps, failed heals,
/// interruption — is in the record.
pub async fn execute(
    docker: &Docker,
    plan: &Plan,
    opts: RunOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Executed, RunError> {
    let epoch = Instant::now();
    let started_at = chrono::Utc::now();
    let run = RunId::generate();
    let run_dir = opts.reports_dir.join(&plan.name).join(run.as_str());
    std::fs::create_dir_all(&run_dir).map_err(|source| RunError::RunDir {
        path: run_dir.display().to_string(),
        source,
    })?;

    // Expectations that hold only where the scenario's known bug is (or is not) present.
    let plan = &plan.for_release(&opts.release.name);
    let mut spec = ClusterSpec::two_nodes(run.clone(), opts.image.clone(), run_dir.join("logs"));
    spec.release = opts.release.clone();
    if let Some(bug) = &plan.known_bug {
        spec.withheld_workarounds = bug.without_workarounds.clone();
        spec.await_lifecheck = !bug.start_when_serving;
    }
    spec.keep = opts.keep;
    spec.cancel = Some(opts.cancel.clone());
    for (k, v) in &plan.config {
        match (k.as_str(), v.as_str()) {
            ("trusted_servers", "gateway") => spec.trusted_gateway = true,
            ("trusted_servers", "") => spec.trusted_gateway = false,
            _ => spec.pgpool_overrides.push((k.clone(), v.clone())),
        }
    }
    progress(&format!(
        "run {run}: booting the cluster ({})",
        opts.release.name
    ));
    let cluster = Cluster::up(docker, spec, &mut |p| progress(p)).await?;
    progress(&format!(
        "cluster ready in {} ms",
        cluster.timings().total_ms
    ));
    let boot = cluster.timings();
    let steps_started = Instant::now();
    let mut timings = crate::record::RunTimings {
        slot_wait_ms: boot.slot_wait_ms,
        boot_ms: boot.network_ms + boot.containers_ms,
        ready_wait_ms: boot.ready_ms,
        ..Default::default()
    };

    let grammar =
        Grammar::new(opts.grammar.clone(), &cluster.secrets().all()).map_err(|source| {
            RunError::Grammar {
                grammar: opts.grammar.name.clone(),
                release: opts.release.name.clone(),
                source,
            }
        })?;
    let tailer_files = opts.release.logs.files.clone();
    let tailer_dir = opts.release.logs.dir.clone();
    let tailer = LogTailer::new(
        docker.clone(),
        cluster
            .nodes()
            .iter()
            .map(|n| (n.name.clone(), n.container.clone()))
            .collect(),
        tailer_dir,
        tailer_files,
    );
    let poller = RolePoller::start(
        docker.clone(),
        crate::cluster::roles::ProbeTarget::of(&cluster),
        cluster.nodes().to_vec(),
        epoch,
        ROUND,
        MAX_RUN,
    );
    let mut live = Live {
        cluster,
        epoch,
        grammar,
        profile: opts.grammar.clone(),
        tailer,
        harness_events: Vec::new(),
        probe: None,
        ledger: Ledger::default(),
        old_primary: None,
        fault_anchor: None,
        recover_time: None,
        injected: BTreeMap::new(),
        background: None,
        cancel: opts.cancel.clone(),
    };

    let mut steps = Vec::new();
    let mut error = None;
    for (i, step) in plan.steps.iter().enumerate() {
        if live.cancelled() {
            error = Some("interrupted (Ctrl-C / SIGTERM)".to_string());
            break;
        }
        let after = i.checked_sub(1).and_then(|p| waited_until(&plan.steps[p]));
        let record = run_step(&mut live, step, after, progress).await;
        let failed = record.error.clone();
        steps.push(record);
        if let Some(e) = failed {
            error = Some(format!("step {} (line {}): {e}", step.index + 1, step.line));
            break;
        }
    }

    // A background recover left running by a failed step ends before anything is healed (its
    // node is being rewound from the other one): waited for like `await-recover`, shorter when
    // the run was interrupted.
    if let Some(b) = live.background.take() {
        let (node, step) = (b.node.clone(), b.step);
        let timeout = if live.cancelled() {
            Duration::from_secs(10)
        } else {
            RECOVER_TIMEOUT
        };
        progress(&format!(
            "waiting for the background recover of step {} on {node}",
            step + 1
        ));
        let ended = b.collect(timeout).await;
        progress(&ended.summary);
        if ended.outcome.is_none() {
            let msg = format!(
                "the background recover of step {}: {}; last lines of recovery.log:\n{}",
                step + 1,
                ended.summary,
                recovery_tail(&live, &node, 10).await
            );
            error.get_or_insert(msg);
        }
    }

    // Always heal what is still injected, last first.
    let open: Vec<usize> = live.injected.keys().rev().copied().collect();
    for idx in open {
        if let Some((injected, ctx)) = live.injected.remove(&idx) {
            let kind = injected.kind();
            match injected.heal(&ctx).await {
                Ok(ev) => live.harness_events.push(ev),
                Err(e) => {
                    let msg = format!("healing {kind} of step {} failed: {e}", idx + 1);
                    progress(&msg);
                    error.get_or_insert(msg);
                }
            }
        }
    }

    timings.steps_ms = steps_started.elapsed().as_millis() as u64;
    let finished = Finished {
        timings,
        started_at,
        run_dir: run_dir.clone(),
        keep: opts.keep,
        reproduce: opts.reproduce.clone(),
        image: opts.image.clone(),
        steps,
        error,
    };
    let (evidence, secrets) = gather(live, poller, plan, finished, progress).await;
    let judgement = crate::judge::judge(plan, &evidence);
    let record = crate::judge::record(plan, &evidence, judgement);
    Ok(Executed {
        record,
        evidence,
        secrets,
    })
}

fn describe_action(action: &Action, resolved: &BTreeMap<String, String>) -> String {
    let on = |t: &Target| {
        resolved
            .get(&t.to_string())
            .cloned()
            .unwrap_or_else(|| t.to_string())
    };
    match action {
        Action::Inject {
            fault,
            target,
            peer,
        } => match peer {
            Some(p) => format!("{} {} <-> {}", fault.kind(), on(target), on(p)),
            None => format!("{} on {}", fault.kind(), on(target)),
        },
        Action::Heal { verb, kind, .. } => format!("{} (heals {kind})", verb.name()),
        Action::Recover { target, background } => format!(
            "recover {}{}",
            target
                .as_ref()
                .map(on)
                .unwrap_or_else(|| "the old primary".into()),
            if *background { " (background)" } else { "" }
        ),
        Action::AwaitRecover {
            recover_step,
            timeout,
            outcome,
        } => format!(
            "await-recover of step {} (at most {:.0} s{})",
            recover_step + 1,
            timeout.as_secs_f64(),
            outcome
                .map(|o| format!(", must have {}", o.name()))
                .unwrap_or_default()
        ),
        Action::Wait {
            duration,
            until: None,
        } => format!("wait {:.1} s", duration.as_secs_f64()),
        Action::Wait {
            duration,
            until: Some((step, kind)),
        } => format!(
            "wait until {kind} of the recover of step {} (at most {:.0} s)",
            step + 1,
            duration.as_secs_f64()
        ),
        Action::WriteLoadStart => "write-load start".into(),
        Action::WriteLoadStop => "write-load stop".into(),
        Action::Sql {
            statement, target, ..
        } => format!("sql on {}: {statement}", on(target)),
    }
}

/// The event a `wait until` step waited for, if `step` is one: the step after it is meant to
/// land inside the phase that event began.
fn waited_until(step: &crate::scenario::Step) -> Option<crate::timeline::EventKind> {
    match step.action {
        Action::Wait {
            until: Some((_, kind)),
            ..
        } => Some(kind),
        _ => None,
    }
}

/// Runs one step. `after_until` is the event the step before waited for (`wait until`), if it
/// did: this step then fires at once, not at a phase of the health check.
async fn run_step(
    live: &mut Live,
    step: &crate::scenario::Step,
    after_until: Option<crate::timeline::EventKind>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> StepRecord {
    let fired_ms = live.now_ms();
    let fired_at = WallTime::now();
    // The role probes take seconds on a loaded machine (one docker exec per node each); a step
    // that resolves no role skips them, so that a step after `wait until` lands at once.
    let observed = if needs_roles(live, step) {
        observe(&live.cluster, needs_leader(step)).await
    } else {
        RoleObservation::default()
    };
    let snapshot = observed.snapshot();

    // The node this step acts on (for `target` in expectations).
    let step_node: Option<String> = match &step.action {
        Action::Inject { target, .. } => match target.resolve(&snapshot, None) {
            Ok(Resolved::Node(n)) => Some(n),
            _ => None,
        },
        Action::Heal { fault_step, .. } => live
            .injected
            .get(fault_step)
            .map(|(i, _)| i.target().to_string()),
        Action::Recover {
            target: Some(t), ..
        } => match t.resolve(&snapshot, None) {
            Ok(Resolved::Node(n)) => Some(n),
            _ => None,
        },
        Action::AwaitRecover { .. } => live.background.as_ref().map(|b| b.node.clone()),
        Action::Recover { target: None, .. } => {
            // Ask pgpool who the primary is; the other node is rejoined.
            let primary = observed
                .pgpool_primary
                .as_ref()
                .map(|p| p.to_string())
                .or(snapshot.primary.clone());
            primary.and_then(|p| {
                live.cluster
                    .nodes()
                    .iter()
                    .find(|n| n.name != p)
                    .map(|n| n.name.clone())
            })
        }
        _ => None,
    };

    let mut resolved = BTreeMap::new();
    let mut resolve_error = None;
    for t in step.targets() {
        match t.resolve(&snapshot, step_node.as_deref()) {
            Ok(Resolved::Node(n)) => {
                if let Target::Role(role) = t {
                    if !resolved.contains_key(&t.to_string()) {
                        let mut ev = resolution_event(step.index, *role, &n);
                        ev.offset_ms = Some(fired_ms);
                        live.harness_events.push(ev);
                    }
                }
                resolved.insert(t.to_string(), n);
            }
            Ok(_) => {}
            Err(e) => resolve_error = Some(e.to_string()),
        }
    }
    if let Some(n) = &step_node {
        resolved.insert("target".into(), n.clone());
    }
    let action = describe_action(&step.action, &resolved);
    progress(&format!("step {}: {action}", step.index + 1));

    // A fault lands at a known phase of pgpool's health checks (cluster/health_phase.rs): a
    // silent one between the checks that cross the cut, not inside one (a check caught
    // mid-exchange blocks for as long as the loss lasts, a pgpool defect these scenarios do not
    // measure); one the peer sees at once half a period after the peer's check of the target,
    // so detection is measured at the same phase on every run. The step fires when it can.
    // A fault right after `wait until` fires at once: it is aimed at the phase that event
    // began (a rewind, say), which can be over in a second (primary-crash-during-recovery).
    let (mut fired_ms, mut fired_at) = (fired_ms, fired_at);
    if let (Action::Inject { fault, .. }, Some(node), None) =
        (&step.action, step_node.as_deref(), &resolve_error)
    {
        // (what was seen, whether the step waited for it)
        let seen = match after_until {
            Some(kind) => Some((
                format!(
                    "injected at once, not at a phase of the health check: the step before \
                     waited until {kind}, and this one is aimed inside that phase"
                ),
                false,
            )),
            None => {
                let (docker, nodes) = (live.cluster.docker(), live.cluster.nodes());
                let row = fault.kind().row();
                crate::cluster::health_phase::align(docker, nodes, node, &row)
                    .await
                    .map(|note| (note, true))
            }
        };
        if let Some((note, waited)) = seen {
            progress(&format!("  {note}"));
            tracing::info!(step = step.index + 1, "{note}");
            if waited {
                fired_ms = live.now_ms();
                fired_at = WallTime::now();
            }
        }
    }

    let mut record = StepRecord {
        index: step.index,
        line: step.line,
        action,
        resolved: resolved.clone(),
        fired_ms,
        finished_ms: fired_ms,
        error: resolve_error.clone(),
        expectations: Vec::new(),
    };
    if resolve_error.is_some() {
        return record;
    }
    match act(
        live,
        step,
        &resolved,
        step_node.as_deref(),
        &observed,
        fired_at,
    )
    .await
    {
        Ok(None) => {}
        Ok(Some(note)) => {
            progress(&format!("  {note}"));
            record.action = format!("{}: {note}", record.action);
        }
        Err(e) => {
            let e = crate::ErrorChain(&e).to_string();
            progress(&format!("step {} failed: {e}", step.index + 1));
            record.error = Some(e);
            record.finished_ms = live.now_ms();
            return record;
        }
    }

    // Expectations, resolved with the same snapshot the step fired with.
    let lookup = |t: &Target| -> Result<Option<String>, ResolveError> {
        match t.resolve(&snapshot, step_node.as_deref()) {
            Ok(Resolved::Node(n)) => Ok(Some(n)),
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut pending: Vec<Pending> = Vec::new();
    for e in &step.expect {
        match resolve(&e.what, &lookup) {
            Ok(awaited) => pending.push(Pending::new(e.clone(), awaited)),
            Err(err) => record.expectations.push(ExpectationRecord {
                line: e.line,
                awaited: format!("{:?}", e.what),
                within_s: e.within.as_secs_f64(),
                absent: e.absent,
                verdict: Verdict::Unknown,
                met_after_s: None,
                evidence: format!("cannot resolve: {err}"),
            }),
        }
    }
    // A `wait until` has already waited, in its action.
    let wait_for = match &step.action {
        Action::Wait {
            duration,
            until: None,
        } => Some(Instant::now() + *duration),
        _ => None,
    };
    let acted_ms = live.now_ms();
    let fired = live.epoch + Duration::from_millis(fired_ms);
    if !pending.is_empty() || wait_for.is_some() {
        watch_expectations(live, &mut pending, fired, fired_at, acted_ms, wait_for).await;
    }
    let mut processes_file: Option<String> = None;
    for p in pending {
        let (verdict, after) = p
            .settled
            .map(|(v, d)| (v, Some(d.as_secs_f64())))
            .unwrap_or((Verdict::Unknown, None));
        let mut evidence = format!("last seen: {}", p.seen);
        if verdict == Verdict::Fail {
            evidence.push('\n');
            evidence.push_str(&live.cluster.last_log_lines(8).await);
            if processes_file.is_none() {
                processes_file = Some(save_processes(live, step.index).await);
            }
            if let Some(file) = &processes_file {
                evidence.push_str(&format!("\nevery node's processes at that moment: {file}"));
            }
        }
        progress(&format!(
            "  expect {} within {:.0} s: {verdict}{}",
            p.awaited.describe(),
            p.spec.within.as_secs_f64(),
            after
                .map(|a| format!(" after {a:.1} s"))
                .unwrap_or_default()
        ));
        record.expectations.push(ExpectationRecord {
            line: p.spec.line,
            awaited: p.awaited.describe(),
            within_s: p.spec.within.as_secs_f64(),
            absent: p.spec.absent,
            verdict,
            met_after_s: if verdict == Verdict::Pass && !p.spec.absent {
                after
            } else {
                None
            },
            evidence,
        });
    }
    record.finished_ms = live.now_ms();
    record
}

/// Whether `step` needs a role observation when it fires: it names a role (in its action or an
/// expectation), lets pgpool pick the node to recover, is the first fault (it anchors what the
/// old primary was) or starts the write load (which pins a session to the primary).
fn needs_roles(live: &Live, step: &crate::scenario::Step) -> bool {
    step.targets().iter().any(|t| matches!(t, Target::Role(_)))
        || match &step.action {
            Action::Recover { target, .. } => target.is_none(),
            Action::Inject { .. } => live.fault_anchor.is_none(),
            Action::WriteLoadStart => true,
            _ => false,
        }
}

/// Whether resolving `step`'s targets needs the watchdog leader.
fn needs_leader(step: &crate::scenario::Step) -> Leader {
    if step
        .targets()
        .iter()
        .any(|t| matches!(t, Target::Role(Role::WatchdogLeader)))
    {
        Leader::Ask
    } else {
        Leader::Leave
    }
}

/// Writes what every node's processes are doing (state, kernel wait channel and stack) next to
/// the copied logs, once per step whose expectation failed; returns the file's path, or why it
/// could not be written.
async fn save_processes(live: &Live, step_index: usize) -> String {
    let text = live.cluster.processes().await;
    let path = live
        .cluster
        .logs_dir()
        .join(format!("processes-step{}.txt", step_index + 1));
    let written = match path.parent() {
        Some(dir) => tokio::fs::create_dir_all(dir).await,
        None => Ok(()),
    };
    match written.and(tokio::fs::write(&path, text).await) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not written: {}: {e})", path.display()),
    }
}

/// Judges `pending` every round until all are settled (and, for `wait`, the wait is over).
async fn watch_expectations(
    live: &mut Live,
    pending: &mut [Pending],
    fired: Instant,
    fired_at: WallTime,
    acted_ms: u64,
    wait_until: Option<Instant>,
) {
    loop {
        // A deadline only fails what was not seen in logs read after it passed: the time is taken
        // before the logs are read, not after the (possibly slow) role probes.
        let elapsed = fired.elapsed();
        let events = live.poll_events().await;
        // No expectation reads the watchdog leader; asking it would move what is measured
        // (`Leader`).
        let observed = observe(&live.cluster, Leader::Leave).await;
        if let Some(p) = &live.probe {
            live.ledger = p.snapshot();
        }
        let lost = if pending
            .iter()
            .any(|p| p.settled.is_none() && p.awaited.needs_lost_check())
        {
            Some(check_lost(live, &observed).await)
        } else {
            None
        };
        let round = Round {
            events: &events,
            fired_at,
            fired_ms: fired_at_ms(live, fired),
            acted_ms,
            // Deadlines run from the moment the step fired, not from when its action returned.
            elapsed,
            observed: &observed,
            ledger: &live.ledger,
            lost: lost.as_ref(),
        };
        let mut all = true;
        for p in pending.iter_mut() {
            all &= p.judge(&round);
        }
        let waiting = wait_until.is_some_and(|w| Instant::now() < w);
        if (all && !waiting) || live.cancelled() {
            return;
        }
        tokio::time::sleep(ROUND).await;
    }
}

async fn act(
    live: &mut Live,
    step: &crate::scenario::Step,
    resolved: &BTreeMap<String, String>,
    step_node: Option<&str>,
    observed: &RoleObservation,
    fired_at: WallTime,
) -> Result<Option<String>, StepError> {
    match &step.action {
        Action::Inject {
            fault,
            target,
            peer,
        } => {
            let node = resolved
                .get(&target.to_string())
                .cloned()
                .ok_or(StepError::Unresolved {
                    what: "fault's target",
                })?;
            let peer = peer
                .as_ref()
                .and_then(|p| resolved.get(&p.to_string()).cloned());
            let mut ctx = live.fault_context(&node, peer.as_deref())?;
            ctx.peer_named = peer.is_some();
            // The primary's last acknowledged write before the fault anchors promotion time.
            if live.fault_anchor.is_none() {
                if let Some(p) = &live.probe {
                    live.ledger = p.snapshot();
                    live.old_primary = live
                        .ledger
                        .acks
                        .last()
                        .map(|a| (a.server_addr.clone(), a.timeline));
                }
            }
            let was_primary = observed.snapshot().primary.as_deref() == Some(node.as_str());
            if live.fault_anchor.is_none() {
                // Without it the window is "not measured" (and a budget on it Unknown), so a
                // session that cannot be opened does not fail the step.
                if let Err(e) = pin_primary(live, observed).await {
                    tracing::warn!("{}", crate::ErrorChain(&e));
                }
            }
            let implementation = fault.fault();
            let injected = inject_verified(implementation.as_ref(), &ctx).await?;
            let started = injected.started_event().clone();
            if live.fault_anchor.is_none() {
                let at = started.time.unwrap_or(fired_at);
                let offset_ms = started.offset_ms.unwrap_or_else(|| live.now_ms());
                let effect_s =
                    took_effect_after(live.cluster.docker(), &ctx.target.container, &at).await;
                live.fault_anchor = Some(FaultAnchor {
                    at,
                    offset_ms,
                    target: node.clone(),
                    was_primary,
                    vip_holder_before: observed.snapshot().vip_holder,
                    kind: fault.kind(),
                    effect_s,
                });
            }
            live.harness_events.push(started);
            live.injected.insert(step.index, (injected, ctx));
            Ok(None)
        }
        Action::Heal { fault_step, .. } => {
            let (injected, ctx) = live
                .injected
                .remove(fault_step)
                .ok_or(StepError::NoOpenFault)?;
            let ev = injected.heal(&ctx).await?;
            live.harness_events.push(ev);
            Ok(None)
        }
        Action::Recover { background, .. } => {
            let node = step_node.ok_or(StepError::NothingToRecover)?;
            let handle = live
                .node(node)
                .ok_or_else(|| StepError::UnknownNode(node.to_string()))?
                .clone();
            // The node to follow is the other one; the harness names it, since after a split
            // brain the VIP answers differently from each side.
            let primary = live
                .cluster
                .nodes()
                .iter()
                .find(|n| n.name != node)
                .map(|n| n.name.clone())
                .ok_or(StepError::NoNodeToFollow)?;
            live.recover_time = Some(fired_at);
            let argv = live.cluster.release().rejoin_argv(&primary);
            if *background {
                let b = Background::start(live, step.index, node, argv, fired_at, RECOVER_TIMEOUT)?;
                let note = format!("`{}` started on {node}", b.command);
                live.background = Some(b);
                return Ok(Some(note));
            }
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out = exec(
                live.cluster.docker(),
                &handle.container,
                &args,
                RECOVER_TIMEOUT,
            )
            .await?;
            if out.success() {
                Ok(None)
            } else {
                // The script writes its steps to recovery.log, not to its output: quote both.
                Err(StepError::Rejoin {
                    command: argv.join(" "),
                    node: node.to_string(),
                    code: out.exit_code,
                    output: tail(&format!("{}{}", out.stdout, out.stderr), 10),
                    recovery_log: recovery_tail(live, node, 10).await,
                })
            }
        }
        Action::AwaitRecover {
            timeout, outcome, ..
        } => {
            let b = live.background.take().ok_or(StepError::NoBackground)?;
            let node = b.node.clone();
            let ended = b.collect(*timeout).await;
            let tail = recovery_tail(live, &node, 10).await;
            match (ended.outcome, outcome) {
                (None, _) => Err(StepError::RecoverNotEnded {
                    node,
                    summary: ended.summary,
                    tail,
                }),
                (Some(got), Some(want)) if got != *want => Err(StepError::RecoverOutcome {
                    node,
                    want: want.name(),
                    summary: ended.summary,
                    tail,
                }),
                (Some(RecoverOutcome::Failed), _) => Ok(Some(format!(
                    "{}; last lines of recovery.log:\n{tail}",
                    ended.summary
                ))),
                (Some(RecoverOutcome::Succeeded), _) => Ok(Some(ended.summary)),
            }
        }
        Action::Wait {
            duration,
            until: Some((_, kind)),
        } => wait_until(live, *kind, *duration)
            .await
            .map(|seen| Some(format!("seen: {seen}"))),
        Action::Wait { until: None, .. } => Ok(None),
        Action::WriteLoadStart => {
            if live.probe.is_none() {
                let vip = live.cluster.topology().vip;
                let pw = live.cluster.secrets().db_password.clone();
                let pool_port = live.cluster.release().ports.pool;
                WriteProbe::prepare(vip, pool_port, &pw).await?;
                live.probe = Some(WriteProbe::start(
                    vip,
                    pool_port,
                    pw,
                    live.epoch,
                    WRITE_INTERVAL,
                    MAX_RUN,
                ));
                // The session pinned to the primary, opened now so that the fault step does not
                // wait for its connection (checked again when the first fault fires).
                if let Err(e) = pin_primary(live, observed).await {
                    tracing::warn!("{}", crate::ErrorChain(&e));
                }
                // Let a few writes land so the old primary's timeline is known before a fault.
                tokio::time::sleep(Duration::from_millis(600)).await;
            }
            Ok(None)
        }
        Action::WriteLoadStop => {
            if let Some(p) = live.probe.take() {
                live.ledger = p.stop().await;
            }
            Ok(None)
        }
        Action::Sql {
            statement,
            target,
            allow_error,
        } => {
            let pw = live.cluster.secrets().db_password.clone();
            let ports = live.cluster.release().ports;
            let (host, port) = match target {
                Target::Vip => (live.cluster.topology().vip, ports.pool),
                t => {
                    let n = resolved.get(&t.to_string()).ok_or(StepError::Unresolved {
                        what: "statement's target",
                    })?;
                    let node = live
                        .node(n)
                        .ok_or_else(|| StepError::UnknownNode(n.clone()))?;
                    (node.address, ports.database)
                }
            };
            let target = format!("{host}:{port}");
            let sql_err = |source| StepError::Sql {
                target: target.clone(),
                source,
            };
            let result = async {
                let c = crate::cluster::probe_connect(host, port, &pw, "postgres")
                    .await
                    .map_err(sql_err)?;
                tokio::time::timeout(Duration::from_secs(30), c.batch_execute(statement))
                    .await
                    .map_err(|_| StepError::SqlTimeout {
                        target: target.clone(),
                        secs: 30,
                    })?
                    .map_err(sql_err)
            }
            .await;
            match result {
                Err(e) if !allow_error => Err(e),
                _ => Ok(None),
            }
        }
    }
}

/// A session straight to the node that is primary now, beside the probe through the VIP, so the
/// ledger shows how long the old primary kept acknowledging writes after the first fault.
/// Opened with the write load; at the first fault it is only replaced if the primary changed.
async fn pin_primary(live: &mut Live, observed: &RoleObservation) -> Result<(), PinError> {
    let Some(primary) = observed.snapshot().primary else {
        return Ok(());
    };
    let Some(address) = live.node(&primary).map(|n| n.address) else {
        return Ok(());
    };
    let port = live.cluster.release().ports.database;
    let password = live.cluster.secrets().db_password.clone();
    let epoch = live.epoch;
    let Some(probe) = live.probe.as_mut() else {
        return Ok(());
    };
    probe
        .pin(
            &primary,
            address,
            port,
            &password,
            epoch,
            WRITE_INTERVAL,
            MAX_RUN,
        )
        .await
        .map_err(|source| PinError { primary, source })
}

/// For a fault that stops the container, how long after `injected` it really stopped (Docker's
/// `State.FinishedAt`); 0 for faults that act at once (a running container, a network rule).
async fn took_effect_after(docker: &Docker, container: &str, injected: &WallTime) -> f64 {
    let info = docker
        .inspect_container(
            container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()
        .and_then(|i| i.state);
    let Some(state) = info else { return 0.0 };
    if state.running == Some(true) {
        return 0.0;
    }
    state
        .finished_at
        .as_deref()
        .and_then(|f| chrono::DateTime::parse_from_rfc3339(f).ok())
        .map(|f| (f.naive_utc() - injected.at).num_milliseconds() as f64 / 1000.0)
        .filter(|s| *s > 0.0)
        .unwrap_or(0.0)
}

fn fired_at_ms(live: &Live, fired: Instant) -> u64 {
    fired.duration_since(live.epoch).as_millis() as u64
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(yaml: &str) -> Vec<crate::scenario::Step> {
        let text = format!("name: t\nsteps:\n{yaml}");
        crate::scenario::load("t.yaml", &text, &crate::scenario::Capabilities::default())
            .expect("valid scenario")
            .steps
    }

    #[test]
    fn only_a_step_aimed_at_the_watchdog_leader_asks_the_watchdog() {
        let s = steps(
            "  - action: host-crash\n    target: primary\n    expect:\n      \
             - {roles: {standby: primary, primary: down}, within: 35s}\n      \
             - {vip: standby, within: 35s}\n  \
             - action: host-crash\n    target: watchdog-leader\n",
        );
        assert_eq!(needs_leader(&s[0]), Leader::Leave);
        assert_eq!(needs_leader(&s[1]), Leader::Ask);
    }

    #[test]
    fn only_a_wait_until_makes_the_next_step_fire_at_once() {
        let s = steps(
            "  - action: recover\n    background: true\n  \
             - action: wait\n    until: rewind_started\n    duration: 30s\n  \
             - action: host-crash\n    target: node2\n  \
             - action: wait\n    duration: 5s\n  \
             - action: await-recover\n",
        );
        assert_eq!(waited_until(&s[0]), None);
        assert_eq!(
            waited_until(&s[1]),
            Some(crate::timeline::EventKind::RewindStarted)
        );
        assert_eq!(waited_until(&s[2]), None);
        assert_eq!(waited_until(&s[3]), None);
    }
}
