//! What a scenario expects to see in the timeline; the default is the seed's primary-down failover.

use crate::grammar::{GrammarDef, Sequence};
use crate::timeline::EventKind;
use std::collections::BTreeMap;

/// One step of the expected sequence: events that must all occur (in any order among themselves)
/// after every event of the previous step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepExpectation {
    /// 1-based step number, as in the seed's write-up.
    pub number: u32,
    /// What the step is, for humans.
    pub title: String,
    /// Kinds that must occur in this step.
    pub required: Vec<EventKind>,
    /// Kinds shown with this step when they occur, not required.
    pub optional: Vec<EventKind>,
    /// Longest time allowed from the previous step's last event to this step's last event.
    pub within_secs: Option<f64>,
}

impl StepExpectation {
    fn new(number: u32, title: &str, required: &[EventKind], optional: &[EventKind]) -> Self {
        StepExpectation {
            number,
            title: title.to_string(),
            required: required.to_vec(),
            optional: optional.to_vec(),
            within_secs: None,
        }
    }

    /// Whether `kind` belongs to this step (required or optional).
    pub fn covers(&self, kind: EventKind) -> bool {
        self.required.contains(&kind) || self.optional.contains(&kind)
    }
}

/// Everything the checkers compare the timeline with.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectations {
    /// The ordered steps expected on the node that runs the failover.
    pub steps: Vec<StepExpectation>,
    /// The node the sequence is checked on; `None` = the failover executor (or, when no node ran
    /// the failover command, the node with most of the expected events).
    pub sequence_node: Option<String>,
    /// Whether a failover must happen (`false` for faults that must not cause one).
    pub failover_expected: bool,
    /// Upper bounds, in seconds, for named durations (see [`super::durations`]).
    pub budgets: BTreeMap<String, f64>,
    /// Kinds that must occur on the sequence node after the first step began, in no particular
    /// order relative to the later steps.
    pub unordered: Vec<EventKind>,
    /// The profile's expected sequences. When not empty, the sequence check judges every
    /// failover on its own executor against them (the first that matches says how it started)
    /// instead of checking `steps` once on `sequence_node`.
    pub variants: Vec<Sequence>,
}

/// The steps of an expectation; the rest takes the usual defaults (the failover executor's
/// sequence, a failover expected, no budgets, nothing unordered).
struct Steps(Vec<StepExpectation>);

impl From<Steps> for Expectations {
    fn from(steps: Steps) -> Expectations {
        Expectations {
            steps: steps.0,
            sequence_node: None,
            failover_expected: true,
            budgets: BTreeMap::new(),
            unordered: Vec::new(),
            variants: Vec::new(),
        }
    }
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations::primary_down_failover()
    }
}

impl Expectations {
    /// The seed's steps 1–7, as seen on the surviving node when the primary's host goes down.
    pub fn primary_down_failover() -> Expectations {
        use EventKind::*;
        Steps(vec![
            StepExpectation::new(1, "peer shutdown detected", &[PeerShutdown], &[PeerLost]),
            StepExpectation::new(
                2,
                "watchdog lost its leader",
                &[LeaderLost, WatchdogState],
                &[],
            ),
            StepExpectation::new(
                3,
                "health check retries; this node becomes leader",
                &[HealthCheckRetry, LeaderElected],
                &[HealthCheckFailed],
            ),
            StepExpectation::new(
                4,
                "escalation: delegate IP moves here",
                &[EscalationStarted, VipAcquired],
                &[],
            ),
            StepExpectation::new(5, "old primary's backend set down", &[BackendDown], &[]),
            StepExpectation::new(
                6,
                "failover request and failover lock",
                &[DegenerateRequest, FailoverLock],
                &[],
            ),
            StepExpectation::new(
                7,
                "failover command, new primary, failover done",
                &[FailoverCommand, NewPrimary, FailoverDone],
                &[PrimaryFound, FollowPrimaryCommand],
            ),
        ])
        .into()
    }

    /// pgpool-II 4.x orders steps 5 and 6 the other way round: the degenerate request and the
    /// watchdog's "failover start" come before "=== Starting degeneration ===" (pgpool_main.c),
    /// whereas kingbasecluster logs "NODE DOWN" first. Everything else is the seed's sequence.
    ///
    /// pgpool 4.x also runs the escalation process beside the failover: in the first recorded
    /// run (`tests/data/runs/primary-shutdown-first`) escalation started 2 s before the degenerate
    /// request but the VIP was up 0.8 s after "Failover done". So `vip_acquired` belongs to step 4
    /// without bounding the steps after it: it is shown there, and required only to occur.
    ///
    /// The degenerate request is logged by the health-check process, which races the watchdog:
    /// pgpool 4.6 cancels a request made before this node leads and the health check asks again
    /// later, but pgpool 4.3 honours one logged 1 ms before "I am the cluster leader node"
    /// (recorded: `tests/data/runs/pg15-pgpool43-primary-crash-early-request`). What is ordered
    /// is the watchdog's own log, one process: leader, escalation, then "failover start". So the
    /// request must occur, but not after the escalation.
    pub fn primary_down_failover_pgpool4() -> Expectations {
        let mut e = Expectations::primary_down_failover();
        e.steps.swap(4, 5);
        e.steps[4].number = 5;
        e.steps[5].number = 6;
        e.steps[3].required.retain(|k| *k != EventKind::VipAcquired);
        e.steps[3].optional.push(EventKind::VipAcquired);
        e.unordered.push(EventKind::VipAcquired);
        e.steps[4]
            .required
            .retain(|k| *k != EventKind::DegenerateRequest);
        e.steps[4].optional.push(EventKind::DegenerateRequest);
        e.unordered.push(EventKind::DegenerateRequest);
        e
    }

    /// No failover sequence is assumed: a fault that only degrades its node (a stalled or full
    /// disk, lost packets) keeps it running and reachable, and one that spares PostgreSQL (only
    /// pgpool dies or hangs) leaves no database to fail over. Whether pgpool reacts is
    /// what the scenario's own expectations measure; a failover that runs anyway fails the
    /// one-executor check ("a failover ran although none was expected").
    pub fn no_failover() -> Expectations {
        let mut e: Expectations = Steps(Vec::new()).into();
        e.failover_expected = false;
        e
    }

    /// A failed standby on the surviving primary: pgpool retries its health check, detaches the
    /// standby and runs the failover command (which promotes nobody), and nothing else happens.
    /// The primary keeps its role, so no watchdog or VIP step is expected.
    pub fn standby_detach() -> Expectations {
        use EventKind::*;
        Steps(vec![
            StepExpectation::new(
                1,
                "health check retries",
                &[HealthCheckRetry],
                &[HealthCheckFailed],
            ),
            StepExpectation::new(2, "failover request", &[DegenerateRequest], &[FailoverLock]),
            StepExpectation::new(3, "standby's backend set down", &[BackendDown], &[]),
            StepExpectation::new(
                4,
                "failover command (no promotion), failover done",
                &[FailoverCommand, FailoverDone],
                &[PrimaryFound, NewPrimary],
            ),
        ])
        .into()
    }

    /// A primary whose PostgreSQL fails while its pgpool lives on (a read-only disk): that
    /// pgpool — still the watchdog leader — detaches its own backend and runs the failover,
    /// which promotes the standby remotely. Checked on the sick node itself.
    pub fn self_detach() -> Expectations {
        use EventKind::*;
        Steps(vec![
            StepExpectation::new(
                1,
                "the backend fails (query error or health check)",
                &[DegenerateRequest],
                &[ReadOnlyFilesystem, HealthCheckRetry, HealthCheckFailed],
            ),
            StepExpectation::new(2, "its backend set down", &[BackendDown], &[FailoverLock]),
            StepExpectation::new(
                3,
                "failover command, new primary, failover done",
                &[FailoverCommand, NewPrimary, FailoverDone],
                &[PrimaryFound],
            ),
        ])
        .into()
    }

    /// The expectation for a primary failure: graceful shutdowns announce themselves
    /// (`peer_shutdown`); crashes, power loss and network faults do not, so step 1 then only shows
    /// `peer_shutdown` / `peer_lost` when they occur.
    pub fn for_fault(profile: &str, announced: bool) -> Expectations {
        let mut e = Expectations::for_profile(profile);
        // A live run knows the fault it injected: its sequence is the one checked.
        e.variants.clear();
        if !announced {
            if let Some(first) = e.steps.first_mut() {
                first.optional.append(&mut first.required);
            }
        }
        e
    }

    /// The default expectation for a built-in profile by name (see [`Expectations::from_profile`]);
    /// the seed's sequence for a name that is not built in.
    pub fn for_profile(profile: &str) -> Expectations {
        match GrammarDef::builtin(profile) {
            Ok(p) => Expectations::from_profile(&p),
            Err(_) => Expectations::primary_down_failover(),
        }
    }

    /// The default expectation of offline analysis: every failover is judged against the
    /// profile's `sequences`; `steps` (shown in the report) are the first sequence's. A profile
    /// without sequences gets the seed's steps. No failover is required: `--expect` decides that.
    pub fn from_profile(profile: &GrammarDef) -> Expectations {
        let Some(first) = profile.sequences.first() else {
            return Expectations::primary_down_failover();
        };
        Expectations {
            steps: steps_of(first),
            sequence_node: None,
            failover_expected: true,
            budgets: BTreeMap::new(),
            unordered: first.unordered.clone(),
            variants: profile.sequences.clone(),
        }
    }

    /// The steps of one of [`Expectations::variants`].
    pub fn variant_steps(variant: &Sequence) -> Vec<StepExpectation> {
        steps_of(variant)
    }

    /// The step a kind belongs to, if any.
    pub fn step_of(&self, kind: EventKind) -> Option<&StepExpectation> {
        self.steps.iter().find(|s| s.covers(kind))
    }
}

fn steps_of(seq: &Sequence) -> Vec<StepExpectation> {
    seq.steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepExpectation::new(i as u32 + 1, &s.title, &s.required, &s.optional))
        .collect()
}
