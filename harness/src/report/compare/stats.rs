//! Order statistics over repeated runs: p50 / p95 / max of a measurement and pass rates. Pure
//! functions, so `compare` and `run --repeat` agree on every number.

use crate::checks::Verdict;
use crate::measure::MeasurementKind;
use crate::record::RunRecord;
use serde::Serialize;

/// Summary of one measurement over several runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Stats {
    /// Runs in which the phase was observed.
    pub observed: usize,
    /// Runs considered.
    pub runs: usize,
    /// Median (nearest rank), seconds.
    pub p50: Option<f64>,
    /// 95th percentile (nearest rank), seconds.
    pub p95: Option<f64>,
    /// Slowest, seconds.
    pub max: Option<f64>,
}

/// The nearest-rank percentile `p` (0–100) of `sorted` (ascending): the smallest value with at
/// least p % of the values at or below it. Nearest rank never invents a value no run produced,
/// which matters when a budget is compared against it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Stats of the values (unsorted, `None` = not observed in that run).
pub fn stats(values: &[Option<f64>]) -> Stats {
    let mut seen: Vec<f64> = values.iter().flatten().copied().collect();
    seen.sort_by(f64::total_cmp);
    Stats {
        observed: seen.len(),
        runs: values.len(),
        p50: percentile(&seen, 50.0),
        p95: percentile(&seen, 95.0),
        max: seen.last().copied(),
    }
}

/// The values of one measurement across `runs` (one entry per run).
pub fn measurement_values(runs: &[RunRecord], kind: MeasurementKind) -> Vec<Option<f64>> {
    runs.iter()
        .map(|r| {
            r.measurements
                .iter()
                .find(|m| m.kind == kind)
                .and_then(|m| m.seconds)
        })
        .collect()
}

/// Fraction of `verdicts` that are Pass (`None` when there are none).
pub fn pass_rate(verdicts: &[Verdict]) -> Option<f64> {
    if verdicts.is_empty() {
        return None;
    }
    let pass = verdicts.iter().filter(|v| **v == Verdict::Pass).count();
    Some(pass as f64 / verdicts.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_pick_values_that_occurred() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(10.0));
        assert_eq!(percentile(&v, 95.0), Some(19.0));
        assert_eq!(percentile(&v, 100.0), Some(20.0));
        assert_eq!(percentile(&[3.5], 95.0), Some(3.5));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn stats_ignore_runs_where_the_phase_was_not_observed() {
        let s = stats(&[Some(2.0), None, Some(1.0), Some(4.0)]);
        assert_eq!((s.observed, s.runs), (3, 4));
        assert_eq!((s.p50, s.p95, s.max), (Some(2.0), Some(4.0), Some(4.0)));
    }

    #[test]
    fn pass_rate_counts_unknown_as_not_passing() {
        let r = pass_rate(&[
            Verdict::Pass,
            Verdict::Unknown,
            Verdict::Pass,
            Verdict::Fail,
        ]);
        assert_eq!(r, Some(0.5));
        assert_eq!(pass_rate(&[]), None);
    }
}
