//! The validated plan: what the executor runs. Every value here has been checked; every role is
//! still a role (resolved only when its step fires).

use super::spec::{Damage, NodeRole, WriteOutcome};
use super::target::Target;
use crate::faults::{FaultKind, FaultSpec, HealVerb};
use crate::timeline::EventKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A scenario ready to run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The file it came from.
    pub file: String,
    /// sha256 of the file's text (hex), for the reproduce line.
    pub sha256: String,
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The release it runs on unless the command line names another.
    pub release: String,
    /// pgpool settings overriding the release's defaults, already rendered as pgpool.conf text
    /// (`on`, `3`, `'10.198.0.1'`).
    pub config: BTreeMap<String, String>,
    /// Settings varied across cases, each with its rendered values (see [`Plan::cases`]).
    pub matrix: Vec<(String, Vec<String>)>,
    /// Budget overrides (the rest is derived from the rendered config).
    pub budgets: Budgets,
    /// Damage the scenario causes on purpose.
    pub expected_damage: Vec<Damage>,
    /// The steps, in order, including heals the validator appended (see [`StepOrigin`]).
    pub steps: Vec<Step>,
    /// The upstream bug this scenario shows, if any.
    pub known_bug: Option<super::known_bug::KnownBug>,
    /// Things worth saying that do not stop the run.
    pub warnings: Vec<String>,
}

impl Plan {
    /// The plan as it runs on `release`: expectations marked `when_bug` are kept only where the
    /// known bug is in the state they describe (a plan without a known bug is unchanged).
    pub fn for_release(&self, release: &str) -> Plan {
        let mut plan = self.clone();
        if let Some(bug) = &self.known_bug {
            let state = bug.expected_on(release);
            for step in &mut plan.steps {
                step.expect
                    .retain(|e| e.when_bug.is_none_or(|w| w == state));
            }
        }
        plan
    }
}

/// Budget overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Budgets {
    pub detect: Option<Duration>,
    pub node_down: Option<Duration>,
    pub failover_start: Option<Duration>,
    pub vip: Option<Duration>,
    pub promote: Option<Duration>,
    pub failover_done: Option<Duration>,
    pub recover: Option<Duration>,
    pub old_primary_acks: Option<Duration>,
    pub two_primaries: Option<Duration>,
    pub two_vip_holders: Option<Duration>,
    pub vip_outage: Option<Duration>,
}

/// Where a step came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOrigin {
    /// Written in the file.
    Written,
    /// Appended by the validator to heal a fault the file left open.
    ImplicitHeal,
}

/// One step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 0-based index in [`Plan::steps`].
    pub index: usize,
    /// 1-based line in the file (for implicit heals: the line of the fault they heal).
    pub line: usize,
    /// Written or appended.
    pub origin: StepOrigin,
    /// What to do.
    pub action: Action,
    /// What must happen afterwards.
    pub expect: Vec<Expectation>,
}

/// What a step does.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Inject a fault into `target` (and, for a partition, between it and `peer`).
    Inject {
        /// The fault and its options.
        fault: FaultSpec,
        /// Who it hits.
        target: Target,
        /// The other side of a partition (`None` for every other kind).
        peer: Option<Target>,
    },
    /// Heal the fault injected by step `fault_step`, on the node(s) it was injected into.
    Heal {
        /// The verb.
        verb: HealVerb,
        /// Index of the step whose fault this heals.
        fault_step: usize,
        /// The fault's kind.
        kind: FaultKind,
    },
    /// Rejoin a node as standby of the current primary (pg_rewind, falling back to
    /// pg_basebackup; start; pcp_attach_node; wait for streaming).
    Recover {
        /// The node to rejoin; `None`: ask pgpool who the primary is and rejoin the other node.
        target: Option<Target>,
        /// Started and left running; the `await-recover` at `AwaitRecover::recover_step`
        /// collects its end (the validator makes sure there is one).
        background: bool,
    },
    /// Wait for the background `recover` of step `recover_step` to end.
    AwaitRecover {
        /// Index of the background `recover` step.
        recover_step: usize,
        /// How long it may still take; past it the step fails with the last lines of
        /// recovery.log.
        timeout: Duration,
        /// How it must end (`None`: either way).
        outcome: Option<super::step::RecoverOutcome>,
    },
    /// Let time pass (expectations of this step are still matched during it).
    Wait {
        /// How long; with `until`, the most it may take (past it the step fails).
        duration: Duration,
        /// End as soon as the node of the background `recover` of this step index logs this
        /// event.
        until: Option<(usize, EventKind)>,
    },
    /// Start the bounded write probe through the VIP.
    WriteLoadStart,
    /// Stop the write probe.
    WriteLoadStop,
    /// Run one statement.
    Sql {
        /// The statement.
        statement: String,
        /// Where: a role or node (direct connection) or `vip` (through pgpool).
        target: Target,
        /// An error does not fail the step.
        allow_error: bool,
    },
}

/// How long the rejoin script may take (a foreground `recover`, and an `await-recover` that names
/// no `duration`).
pub const RECOVER_TIMEOUT: Duration = Duration::from_secs(180);

/// The events a `wait` with `until` can wait for: the rejoin script's own lines in the recovering
/// node's recovery.log, in the order it logs them.
pub const RECOVERY_EVENTS: [EventKind; 6] = [
    EventKind::RecoveryStarted,
    EventKind::RwCheck,
    EventKind::RewindStarted,
    EventKind::RewindDone,
    EventKind::StandbyStarted,
    EventKind::NodeAttached,
];

/// Something that must (or, with `absent`, must not) be observed after a step fires.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// 1-based line in the file.
    pub line: usize,
    /// Deadline from the moment the step fired.
    pub within: Duration,
    /// `true`: it must not happen during the whole window.
    pub absent: bool,
    /// Judged only where the known bug is in this state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when_bug: Option<super::known_bug::BugState>,
    /// What is observed.
    pub what: Observation,
}

/// An observable condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observation {
    /// An event of the log grammar on a node (`Target::Any` for any node).
    Log {
        /// Where.
        node: Target,
        /// What.
        event: EventKind,
    },
    /// Each listed node (role resolved at step time) has the given role, all at once.
    Roles(Vec<(Target, NodeRole)>),
    /// Exactly these nodes hold the VIP (empty: nobody).
    Vip(Vec<Target>),
    /// The write probe sees this.
    Writes(WriteOutcome),
}

impl Plan {
    /// Every case of the configuration matrix as a plan of its own: the matrix values are moved
    /// into `config` and the name says which case it is (`partition[trusted_servers=gateway]`).
    /// A plan without a matrix is its only case.
    pub fn cases(&self) -> Vec<Plan> {
        let mut cases = vec![(self.clone(), Vec::<String>::new())];
        for (key, values) in &self.matrix {
            cases = cases
                .into_iter()
                .flat_map(|(plan, label)| {
                    values.iter().map(move |v| {
                        let mut p = plan.clone();
                        p.config.insert(key.clone(), v.clone());
                        let mut l = label.clone();
                        l.push(format!("{key}={}", if v.is_empty() { "none" } else { v }));
                        (p, l)
                    })
                })
                .collect();
        }
        cases
            .into_iter()
            .map(|(mut p, label)| {
                if !label.is_empty() {
                    p.name = format!("{}[{}]", self.name, label.join(","));
                    p.matrix.clear();
                }
                p
            })
            .collect()
    }

    /// How many cases [`Plan::cases`] makes, computed without making them (`None` past
    /// `usize::MAX`).
    pub fn case_count(&self) -> Option<usize> {
        self.matrix
            .iter()
            .try_fold(1usize, |n, (_, values)| n.checked_mul(values.len()))
    }

    /// One-line summary for `hachaos validate`.
    pub fn summary(&self) -> String {
        let faults = self
            .steps
            .iter()
            .filter(|s| matches!(s.action, Action::Inject { .. }))
            .count();
        let expects: usize = self.steps.iter().map(|s| s.expect.len()).sum();
        let cases = self.case_count().unwrap_or(usize::MAX);
        format!(
            "{}: ok: {} ({}), {} steps, {} faults, {} expectations{}{}",
            self.file,
            self.name,
            self.release,
            self.steps.len(),
            faults,
            expects,
            if cases > 1 {
                format!(", {cases} cases")
            } else {
                String::new()
            },
            if self.warnings.is_empty() {
                String::new()
            } else {
                format!(", {} warnings", self.warnings.len())
            }
        )
    }
}

impl Step {
    /// Every target this step names (action, peer, expectations): the executor resolves all of
    /// their roles at once, when the step fires, and records each resolution.
    pub fn targets(&self) -> Vec<&Target> {
        let mut out: Vec<&Target> = Vec::new();
        match &self.action {
            Action::Inject { target, peer, .. } => {
                out.push(target);
                out.extend(peer.iter());
            }
            Action::Recover { target, .. } => out.extend(target.iter()),
            Action::Sql { target, .. } => out.push(target),
            Action::Heal { .. }
            | Action::Wait { .. }
            | Action::AwaitRecover { .. }
            | Action::WriteLoadStart => {}
            Action::WriteLoadStop => {}
        }
        for e in &self.expect {
            match &e.what {
                Observation::Log { node, .. } => out.push(node),
                Observation::Roles(r) => out.extend(r.iter().map(|(t, _)| t)),
                Observation::Vip(v) => out.extend(v.iter()),
                Observation::Writes(_) => {}
            }
        }
        out
    }
}
