//! The log checkers over the one timeline, with the expected failover sequence chosen from what
//! the fault was and whom it hit.

use super::evidence::Evidence;
use crate::checks::{Check, Expectations, Verdict};
use crate::scenario::{Action, Plan};
use crate::timeline::Timeline;

/// The expected failover sequence: whose pgpool runs the failover decides it.
///
/// A failed primary is failed over by the survivor (the seed's steps); a failed standby is only
/// detached, by the primary; a node whose pgpool outlives the fault (a read-only disk kills only
/// PostgreSQL) detaches its own backend. A graceful stop announces itself to the peer; every
/// other fault is noticed, not told.
pub fn expectations(plan: &Plan, ev: &Evidence) -> Expectations {
    let fault = ev.fault.as_ref();
    // No database failover is due when the fault spares PostgreSQL (only pgpool died or hung),
    // or where the scenario's known bug keeps pgpool from noticing the fault at all.
    let no_failover_due = no_failover_due(plan, ev);
    // Only a primary's pgpool detaches its own backend: it leads the watchdog. A standby whose
    // PostgreSQL dies under a live pgpool is detached by the leader, on the primary's node, like a
    // standby that went away whole (known-bugs/down-backend-never-health-checked.yaml, run
    // r0b437b2c: node1's health check retried, a client of node1's pgpool raised the request,
    // node1 ran the failover command; node2's pgpool only retried).
    let self_detach = fault.is_some_and(|f| f.pgpool_survives && f.was_primary);
    // A fault that only degrades its node (disk stall or full, lost packets) assumes no
    // failover: whether pgpool reacts is what its scenario measures.
    let degrades = fault.is_some_and(|f| f.degrades);
    let failover_expected = fault.is_some_and(|f| f.was_primary) && !degrades && !no_failover_due;
    let mut exp = if no_failover_due {
        Expectations::no_failover()
    } else if self_detach {
        Expectations::self_detach()
    } else if degrades {
        Expectations::no_failover()
    } else if failover_expected || fault.is_none() {
        Expectations::for_fault(&ev.run.grammar, fault.is_some_and(|f| f.announced))
    } else {
        Expectations::standby_detach()
    };
    if let Some(f) = fault {
        // Under a network fault the isolated node's pgpool may run a failover of its own
        // (detaching its peer) first: that is damage, not the sequence.
        exp.sequence_node = if self_detach {
            Some(f.target.clone())
        } else {
            ev.run.nodes.iter().find(|n| **n != f.target).cloned()
        };
    }
    exp
}

/// The analyser's checkers (sequence, one executor, ids, forbidden patterns, durations,
/// timestamps) over the one timeline.
pub fn log_checks(
    plan: &Plan,
    ev: &Evidence,
    timeline: &Timeline,
    exp: &Expectations,
) -> Vec<Check> {
    if let Some(e) = &ev.logs.error {
        return vec![Check::new(
            "log_analysis",
            Verdict::Unknown,
            format!("the copied logs could not be analysed: {e}"),
        )];
    }
    let mut checks = crate::analyze::judge(
        ev.run.grammar.clone(),
        ev.logs.inputs.clone(),
        timeline.clone(),
        exp,
        ev.logs.redactions,
        None,
    )
    .checks;
    // A scenario that injects no fault (a known bug that shows on a healthy cluster) has no
    // failover to analyse: the failover checks do not apply, the rest (forbidden patterns,
    // expectations, damage, final state) still do.
    let no_fault = !plan
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::Inject { .. }));
    let not_due = no_failover_due(plan, ev);
    if no_fault || not_due {
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
                if no_fault {
                    "not applicable: the scenario injects no fault".to_string()
                } else {
                    "not applicable: no database failover is due (primary_kept checks that none \
                     happened)"
                        .to_string()
                },
            ));
        }
    }
    checks
}

/// The steps' own outcomes: a step whose action failed, and every expectation as it was settled
/// while the step ran. A scenario that injects a fault whose evidence holds none (and no step
/// failed to say why) cannot be judged: nothing can be measured from a fault nobody saw.
pub fn step_checks(plan: &Plan, ev: &Evidence) -> Vec<Check> {
    let mut checks = Vec::new();
    let injects = plan
        .steps
        .iter()
        .find(|s| matches!(s.action, Action::Inject { .. }));
    if let Some(step) = injects {
        if ev.fault.is_none() && !ev.steps.iter().any(|s| s.error.is_some()) {
            checks.push(Check::new(
                "fault injected",
                Verdict::Unknown,
                format!(
                    "step {} (line {}) injects a fault, but the evidence holds no fault started: \
                     no phase can be measured from it",
                    step.index + 1,
                    step.line
                ),
            ));
        }
    }
    for s in &ev.steps {
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
    checks
}

/// Whether no database failover is due at all: the fault spares PostgreSQL (only pgpool died or
/// hung), or the scenario's known bug keeps pgpool from noticing the fault on this release.
pub(super) fn no_failover_due(plan: &Plan, ev: &Evidence) -> bool {
    ev.fault.as_ref().is_some_and(|f| f.postgres_survives)
        || plan
            .known_bug
            .as_ref()
            .is_some_and(|b| b.prevents_failover_on(&ev.run.release))
}
