//! Running a scenario: the executor drives a validated [`crate::scenario::Plan`] against a real
//! cluster, observers feed one timeline, and the result is a [`RunRecord`].

mod background;
mod error;
mod executor;
mod expect;
pub mod gather;
mod live;

pub use crate::cluster::roles::{observe, Leader, RoleObservation};
pub use crate::judge::RENDERED_PGPOOL_CONF;
pub use crate::provenance::{Provenance, HARNESS_COMMIT};
pub use crate::record::run::{
    ExpectationRecord, MeasurementRecord, RolesSummary, RunRecord, ScenarioRef, StepRecord,
    WritesSummary, FORMAT_VERSION,
};
pub use crate::record::RunTimings;
pub use error::{LostCheckError, PinError, StepError};
pub use executor::{execute, Executed, RunError, RunOptions};
