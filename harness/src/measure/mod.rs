//! Measurements and their budgets: pure functions of the timeline, the write probe's ledger and
//! the rendered pgpool configuration. Never stopwatches.

mod budget;
mod measurements;
mod settings;

pub use budget::{derive as derive_budgets, Budget, BudgetError, Budgets, SLACK};
pub use measurements::{measure, Anchor, Measurement, MeasurementKind};
pub use settings::PgpoolSettings;
