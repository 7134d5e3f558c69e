//! The records hachaos writes: plain data below both the executor that fills them and the
//! reporters that render them, so neither imports the other.
//!
//! - [`run`]: `run.json`, one scenario run ([`RunRecord`]).
//! - [`analysis`]: `hachaos analyze --format json`, one offline analysis ([`AnalysisRecord`]).
//! - [`timings`]: where a run's wall time went ([`RunTimings`]).

pub mod analysis;
pub mod run;
pub mod timings;

pub use analysis::AnalysisRecord;
pub use run::{
    ExpectationRecord, MeasurementRecord, RolesSummary, RunRecord, ScenarioRef, StepRecord,
    WritesSummary,
};
pub use timings::RunTimings;
