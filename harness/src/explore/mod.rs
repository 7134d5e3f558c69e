//! Exploration (`hachaos explore`): seeded random fault schedules on real clusters, judged by
//! invariants instead of hand-written expectations; a schedule that breaks one is written as an
//! ordinary scenario file and shrunk to a minimal one that still breaks it.
//!
//! Flow: seed ─► [`generate`] ─► [`Schedule`] ─► [`to_yaml`] (a scenario file, validated like any
//! other) ─► the suite runner (`crate::suite`) on fresh clusters ─► run checks ─► [`judge`]
//! ─► failures [`shrink`]ed (each candidate one more run) ─► [`ExplorationRecord`] ─► text and
//! JUnit. Generation, judging, shrinking and rendering are pure; the CLI drives the runs.

mod generator;
mod invariants;
mod render;
mod report;
mod schedule;
mod settle;
mod shrink;
mod traits;

pub use generator::{generate, smallest, GenOptions};
pub use invariants::{judge, Broken, Invariant, Judgement};
pub use render::{to_doc, to_yaml, ConfigScalar, RenderContext, ScenarioDoc};
pub use report::{
    junit, text, ExplorationRecord, FailureRecord, ScheduleRecord, Totals,
    EXPLORATION_FORMAT_VERSION,
};
pub use schedule::{Move, Schedule};
pub use settle::settle;
pub use shrink::{candidates, shrink, Attempt, Shrunk};
pub use traits::{drawable, traits, FaultTraits};
