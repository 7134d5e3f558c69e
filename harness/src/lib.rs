//! # hachaos — chaos and fault injection for high-availability database clusters
//!
//! hachaos boots a real two-node PostgreSQL + pgpool-II cluster (watchdog, heartbeat, health check,
//! delegate IP) in Docker from images it builds itself, injects faults (host shutdown, crash,
//! network drop, partition, read-only disk), and judges what the cluster did from its logs and from
//! live probes. The same log grammar and checkers analyse logs offline, including KingbaseES V8R3
//! `kingbasecluster` logs.
//!
//! ## Data flow (one way)
//!
//! ```text
//! scenario YAML ─► ScenarioSpec ─► Plan ─► Cluster up ─► steps (inject/heal, expectations)
//!                       observers (write probe, roles, logs copied out) ─► Evidence (run/)
//!                                                                             │
//!     judge(plan, evidence): logs + harness events ─► one Timeline ─► checks, │
//!     measurements, damage, final roles, verdict (judge/, pure) ◄─────────────┘
//!                                                       ▼
//!        offline logs ─► grammar ─► Timeline ─► checks ─► record/ (RunRecord, AnalysisRecord)
//!                                                       ▼
//!                       the caller stores and renders it: report/ (text, JSON, JUnit, HTML)
//! ```
//!
//! ## Layout
//!
//! - [`loader`]: the one place YAML is parsed (serde_yaml is archived; swap it here).
//! - [`timeline`]: the event vocabulary and the append-only timeline.
//! - [`grammar`]: log grammars: a [`grammar::GrammarDef`] (data, the profile files
//!   `images/<grammar>/profile.yaml`) run by a [`grammar::Grammar`], turning lines into events.
//! - [`checks`]: pure checkers over a timeline (Pass / Fail / Unknown with evidence).
//! - [`analyze`]: offline analysis of log files (`hachaos analyze`).
//! - [`docker`]: connecting to the engine (API version negotiation) and the label sweep.
//! - [`doctor`]: the runner's prerequisites, checked before anything starts (`hachaos doctor`).
//! - [`release`]: releases as data (`images/<release>/release.yaml`) and where their folders come
//!   from (embedded or `HACHAOS_IMAGES_DIR`).
//! - [`image`]: building node images from Debian packages, cached by content hash. Depends on
//!   `release`, never the reverse.
//! - [`slots`]: how many clusters may be up at once, across processes (flock'd slot files).
//! - [`cluster`]: the two-node cluster: network, nodes, readiness, teardown, and
//!   [`cluster::roles`], the one answer to "who is primary, who holds the VIP" (typed
//!   [`cluster::NodeName`] and [`cluster::ServerRole`]) that readiness, `hachaos status`, the
//!   role poller and target resolution all use.
//! - [`scenario`]: scenario files (a step is an envelope around one `action:`-tagged action
//!   with its own options), validation into a plan.
//! - [`faults`]: the fault catalogue: one file per kind (options, catalogue row, `Fault`), one
//!   list in `faults/mod.rs` from which kinds, heal verbs and step actions are derived
//!   (`docs/adding-a-fault.md`).
//! - [`damage`]: the damage a fault can do (split brain, lost writes, panic), named once.
//! - [`duration`]: durations as files write them (`30s`), a unit always required.
//! - [`fuzzing`]: the parsers of user input as fuzz entry points (`fuzz/`, replayed by tests).
//! - [`observe`]: live observers: the write probe's ledger (through the VIP, and a session
//!   pinned to the primary before the first fault), role/VIP samples (each node asked by its
//!   own tasks, so a dead node never delays the others), the log tailer.
//! - [`provenance`]: where a record was made (harness build, engine, kernel, machine, image).
//! - [`measure`]: measurements and their budgets, derived from the rendered pgpool.conf; the
//!   damage windows (old primary still acknowledging, two primaries, two VIP holders, the VIP
//!   outage), pure functions of the ledger and the role samples.
//! - [`run`]: the executor that drives a plan on a real cluster and gathers its evidence.
//! - [`judge`]: one pure function from a plan and a run's evidence to checks, measurements
//!   (the damage windows among them) and a verdict; unit-tested on recorded runs with no Docker
//!   daemon.
//! - [`record`]: the records written (`run.json`, the analysis), below both the executor and the
//!   reporters.
//! - [`explore`]: seeded random fault schedules judged by invariants, failures shrunk.
//! - [`suite`]: many cases side by side (slots permitting) into one suite record.
//! - [`report`]: reporters over a record, one [`report::Format`] (text, JSON, JUnit, HTML) for
//!   run, report and analyze; storing a run's files (`run.json`, `evidence.json`, ...); compare.
//! - [`cli`]: the command line; `main.rs` only calls [`cli::main`].
//! - [`exit_code`]: the process exit codes, documented once, and [`exit_code::ExitStatus`]: each
//!   boundary error's code, next to them, so commands ask the error rather than decide.
//!
//! Errors are `thiserror` enums per boundary that keep their causes (`#[source]`); an error
//! becomes one line of text (`a: b: c`, [`ErrorChain`]) only where it is data in a record or
//! printed by the CLI. There is no `Result<_, String>` in the library: where a fault's
//! verification polls, "not yet, this is what was seen" is data (`faults::host::Probe`), not an
//! error.

pub mod analyze;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod damage;
pub mod docker;
pub mod doctor;
pub mod duration;
pub mod exit_code;
pub mod explore;
pub mod faults;
pub mod fuzzing;
pub mod grammar;
pub mod image;
pub mod judge;
pub mod loader;
pub mod measure;
pub mod observe;
pub mod provenance;
pub mod record;
pub mod release;
pub mod report;
pub mod run;
pub mod scenario;
pub mod slots;
pub mod suite;
pub mod timeline;

/// An error and its sources as one line of lowercase fragments (`a: b: c`).
///
/// Library code keeps errors typed, with their sources; this is for the places where an error
/// becomes text: a record's `error` field (a failed write in the ledger, a step that could not
/// run), and the CLI printing it.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'a));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// The label every Docker object hachaos creates carries, with value [`MANAGED_BY_VALUE`].
pub const LABEL_MANAGED_BY: &str = "org.hachaos.managed-by";
/// The value of [`LABEL_MANAGED_BY`].
pub const MANAGED_BY_VALUE: &str = "hachaos";
/// The label naming the run that created a Docker object.
pub const LABEL_RUN_ID: &str = "org.hachaos.run-id";
