//! Scenario files: the YAML format ([`spec`]; a step is an envelope around one `action:`-tagged
//! action with its own options, [`step`], whose fault and heal actions come from the fault
//! catalogue), its validation ([`validate()`]) into a [`Plan`] the executor runs, and role
//! targets resolved when a step fires ([`Target`]).
//!
//! Flow: text → [`ScenarioSpec`] (serde, `deny_unknown_fields`) → [`validate()`] → [`Plan`].
//! Every error carries file, line, YAML key path and the offending value ([`PlanError`]); the
//! line of post-parse errors is found by [`locate`]. The format is documented in
//! `faults/README.md`.

mod error;
pub mod known_bug;
pub mod locate;
mod plan;
pub mod spec;
pub mod step;
mod target;
mod validate;

pub use crate::duration::{render as render_duration, DurationSpec};
pub use error::{PlanError, PlanErrors};
pub use plan::{
    Action, Budgets, Expectation, Observation, Plan, Step, StepOrigin, RECOVERY_EVENTS,
    RECOVER_TIMEOUT,
};
pub use spec::{Damage, NodeRole, ScenarioSpec, WriteOutcome};
pub use step::{ActionName, ActionSpec, RecoverOutcome, StepSpec};
pub use target::{
    resolution_event, ResolveError, Resolved, Role, RoleSnapshot, Target, TargetError,
};
pub use validate::{
    known_settings, load, load_path, validate, Capabilities, HARNESS_ONLY_EVENTS, MAX_MATRIX_CASES,
};
