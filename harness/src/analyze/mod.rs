//! Offline analysis (`hachaos analyze`): log files → one timeline → checks → an
//! [`AnalysisRecord`] rendered as text or JSON. The CLI is a thin layer over [`analyze()`].

mod error;
mod input;
mod outcome;
mod run;

pub use crate::record::analysis::{
    AnalysisRecord, FailoverSummary, InputSummary, SkippedInput, StepRecord, FORMAT_VERSION,
};
pub use error::AnalyzeError;
pub use input::{parse_argument, Input};
pub use outcome::{check_outcome, classify, Expect, Outcome, OutcomeRecord};
pub use run::{analyze, judge, read_logs, AnalyzeOptions, GrammarChoice, LogScan};
