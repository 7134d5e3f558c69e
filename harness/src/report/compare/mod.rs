//! `hachaos compare`: old runs against new runs, for nightly trend checks and release
//! qualification. Statistics are pure functions over recorded run records.

mod diff;
mod render;
mod stats;

pub use diff::{
    check_deltas, compare, measurement_delta, parse_relative, CheckDelta, Comparison,
    MeasurementDelta, Threshold, COMPARE_FORMAT_VERSION,
};
pub use render::render_comparison;
pub use stats::{measurement_values, pass_rate, percentile, stats, Stats};
