//! Measurements and their budgets: pure functions of the timeline, the write probe's ledger and
//! the rendered pgpool configuration. Never stopwatches. The damage windows (how long the old
//! primary kept acknowledging, two primaries, two VIP holders, the outage a client sees) are
//! pure functions of the ledger and the role samples.

mod budget;
mod measurements;
mod settings;
mod windows;

pub use budget::{derive as derive_budgets, Budget, BudgetError, Budgets, SLACK};
pub use measurements::{measure, Anchor, Measurement, MeasurementKind};
pub use settings::PgpoolSettings;
pub use windows::{
    measure_windows, DamageWindows, Divergence, LostCount, Window, WindowInput, WindowSpan,
};
