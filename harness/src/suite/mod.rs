//! Suites: many scenario cases (files, folders, sets × repeats) on fresh clusters, side by side up
//! to the machine's cluster slots, into one record (`reports/suite/<id>/suite.json`), one JUnit
//! file and one HTML matrix. Suites split across machines with `--shard k/n` and merge back with
//! `hachaos report --merge`.

mod case;
mod input;
mod record;
mod runner;

pub use case::{Case, Shard, ShardError};
pub use input::{expand, set, InputError, ScenarioInput};
pub use record::{relative, CaseRecord, ImageTime, Outcome, SuiteRecord, SUITE_FORMAT_VERSION};
pub use runner::{run_cases, Job, SuiteEvent, SuiteOptions, Target};

/// The suite record's file name in a suite folder.
pub const SUITE_JSON: &str = "suite.json";
