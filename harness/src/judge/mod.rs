//! The judge: one pure function from a plan and a run's [`Evidence`] to checks, measurements
//! and a verdict ([`judge()`]), and the [`RunRecord`](crate::record::RunRecord) built from both
//! ([`record()`]).
//!
//! The executor (`run/`) gathers the evidence — probes stopped, logs copied out and read
//! through the grammar, final roles asked for, the cluster removed — and only then calls the
//! judge, so judging is tested on recorded runs without a Docker daemon
//! (`tests/judge_recorded.rs`) and a stored `evidence.json` can be judged again.
//!
//! - [`evidence`]: what a run observed, as plain serde data.
//! - [`logs`]: the expected sequence and the log checkers over the one timeline; the steps'
//!   own outcomes.
//! - [`budgets`]: measurements against budgets derived from the settings, and the damage
//!   windows against the scenario's own.
//! - [`damage`]: declared and undeclared damage (lost writes through the VIP and on the session
//!   pinned to the old primary), the final state.

pub mod budgets;
pub mod damage;
pub mod evidence;
mod judgement;
pub mod logs;

pub use budgets::RENDERED_PGPOOL_CONF;
pub use evidence::{
    Evidence, FaultEvidence, FinalRoles, LogEvidence, RunFacts, EVIDENCE_FORMAT_VERSION,
    EVIDENCE_JSON,
};
pub use judgement::{judge, record, Judgement};
