//! Old runs against new runs: which measurements got slower beyond the threshold and which
//! checks changed verdict. It compares recorded numbers and verdicts; it judges nothing anew.

use super::stats::{measurement_values, pass_rate, stats, Stats};
use crate::checks::Verdict;
use crate::measure::MeasurementKind;
use crate::record::RunRecord;
use crate::report::error::ThresholdError;
use serde::Serialize;
use std::collections::BTreeSet;

/// The version of the `compare --format json` shape.
pub const COMPARE_FORMAT_VERSION: u32 = 1;

/// When a slower measurement counts as a regression.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Threshold {
    /// Relative: new must exceed old by more than this fraction (0.2 = 20 %).
    pub relative: f64,
    /// Absolute floor in seconds: and by more than this, so that 0.1 s → 0.2 s (+100 %) on a
    /// one-second health check period is not reported as a regression.
    pub floor_s: f64,
}

impl Default for Threshold {
    fn default() -> Threshold {
        Threshold {
            relative: 0.20,
            floor_s: 0.5,
        }
    }
}

impl Threshold {
    /// Whether `new` regressed against `old`.
    pub fn exceeded(&self, old: f64, new: f64) -> bool {
        new - old > self.floor_s && new > old * (1.0 + self.relative)
    }
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    /// Always [`COMPARE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The threshold applied.
    pub threshold: Threshold,
    /// Scenario names on each side (normally one and the same).
    pub old_scenarios: Vec<String>,
    /// See `old_scenarios`.
    pub new_scenarios: Vec<String>,
    /// Runs on each side.
    pub old_runs: usize,
    /// See `old_runs`.
    pub new_runs: usize,
    /// Share of runs whose overall verdict was pass.
    pub old_pass_rate: Option<f64>,
    /// See `old_pass_rate`.
    pub new_pass_rate: Option<f64>,
    /// One row per measured phase present on either side.
    pub measurements: Vec<MeasurementDelta>,
    /// One row per check name present on either side.
    pub checks: Vec<CheckDelta>,
    /// Whether anything regressed (the exit code).
    pub regressed: bool,
}

/// One phase, old against new.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MeasurementDelta {
    /// The phase.
    pub kind: MeasurementKind,
    /// Old stats.
    pub old: Stats,
    /// New stats.
    pub new: Stats,
    /// new p50 - old p50, seconds.
    pub delta_p50_s: Option<f64>,
    /// new p95 - old p95, seconds.
    pub delta_p95_s: Option<f64>,
    /// Why it regressed (empty when it did not).
    pub regressions: Vec<String>,
}

/// One check, old against new.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CheckDelta {
    /// The check's name.
    pub name: String,
    /// Verdicts of the old runs that had it.
    pub old: Vec<Verdict>,
    /// Verdicts of the new runs that had it.
    pub new: Vec<Verdict>,
    /// Old pass rate.
    pub old_pass_rate: Option<f64>,
    /// New pass rate.
    pub new_pass_rate: Option<f64>,
    /// Whether the verdicts differ at all (for one run each: the verdict changed).
    pub changed: bool,
    /// Whether the pass rate dropped.
    pub regressed: bool,
}

/// Compares `old` runs with `new` runs (each side one run or many repeats).
///
/// Measurements as [`measurement_delta`], checks as [`check_deltas`]. The overall pass rate dropping is a regression
/// too.
pub fn compare(old: &[RunRecord], new: &[RunRecord], threshold: Threshold) -> Comparison {
    let names = |runs: &[RunRecord]| -> Vec<String> {
        runs.iter()
            .map(|r| r.scenario.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let measurements: Vec<MeasurementDelta> = MeasurementKind::ALL
        .iter()
        .filter_map(|&kind| measurement_delta(old, new, kind, threshold))
        .collect();
    let checks = check_deltas(old, new);

    let run_verdicts = |runs: &[RunRecord]| runs.iter().map(|r| r.verdict).collect::<Vec<_>>();
    let old_pass_rate = pass_rate(&run_verdicts(old));
    let new_pass_rate = pass_rate(&run_verdicts(new));
    let regressed = measurements.iter().any(|m| !m.regressions.is_empty())
        || checks.iter().any(|c| c.regressed)
        || matches!((old_pass_rate, new_pass_rate), (Some(a), Some(b)) if b < a);
    Comparison {
        format_version: COMPARE_FORMAT_VERSION,
        threshold,
        old_scenarios: names(old),
        new_scenarios: names(new),
        old_runs: old.len(),
        new_runs: new.len(),
        old_pass_rate,
        new_pass_rate,
        measurements,
        checks,
        regressed,
    }
}

/// One phase, `old` runs against `new` runs; `None` when neither side measured it at all.
///
/// It regresses when its p50 or its p95 exceeds the old one by more than `threshold` (with one
/// run per side: the value), or when old runs observed it and no new run did.
pub fn measurement_delta(
    old: &[RunRecord],
    new: &[RunRecord],
    kind: MeasurementKind,
    threshold: Threshold,
) -> Option<MeasurementDelta> {
    let present = |runs: &[RunRecord]| {
        runs.iter()
            .any(|r| r.measurements.iter().any(|m| m.kind == kind))
    };
    if !present(old) && !present(new) {
        return None;
    }
    let o = stats(&measurement_values(old, kind));
    let n = stats(&measurement_values(new, kind));
    let mut regressions = Vec::new();
    let single = o.runs <= 1 && n.runs <= 1;
    let stats = if single {
        vec![("", o.p50, n.p50)]
    } else {
        vec![("p50 ", o.p50, n.p50), ("p95 ", o.p95, n.p95)]
    };
    for (what, ov, nv) in stats {
        if let (Some(ov), Some(nv)) = (ov, nv) {
            if threshold.exceeded(ov, nv) {
                regressions.push(format!(
                    "{what}{ov:.2} s -> {nv:.2} s (+{:.0} %)",
                    (nv - ov) / ov.max(f64::EPSILON) * 100.0
                ));
            }
        }
    }
    if o.observed > 0 && n.observed == 0 && n.runs > 0 {
        regressions.push("observed before, not observed now".to_string());
    }
    Some(MeasurementDelta {
        kind,
        old: o,
        new: n,
        delta_p50_s: o.p50.zip(n.p50).map(|(a, b)| b - a),
        delta_p95_s: o.p95.zip(n.p95).map(|(a, b)| b - a),
        regressions,
    })
}

/// One row per check name present on either side, in order of first appearance. A check
/// regresses when its pass rate dropped.
pub fn check_deltas(old: &[RunRecord], new: &[RunRecord]) -> Vec<CheckDelta> {
    let mut check_names: Vec<String> = Vec::new();
    for r in old.iter().chain(new) {
        for c in &r.checks {
            if !check_names.contains(&c.name) {
                check_names.push(c.name.clone());
            }
        }
    }
    let verdicts = |runs: &[RunRecord], name: &str| -> Vec<Verdict> {
        runs.iter()
            .filter_map(|r| r.checks.iter().find(|c| c.name == name).map(|c| c.verdict))
            .collect()
    };
    check_names
        .into_iter()
        .map(|name| {
            let (o, n) = (verdicts(old, &name), verdicts(new, &name));
            let (orate, nrate) = (pass_rate(&o), pass_rate(&n));
            let changed = if o.len() == 1 && n.len() == 1 {
                o[0] != n[0]
            } else {
                orate != nrate
            };
            let regressed = matches!((orate, nrate), (Some(a), Some(b)) if b < a);
            CheckDelta {
                name,
                old: o,
                new: n,
                old_pass_rate: orate,
                new_pass_rate: nrate,
                changed,
                regressed,
            }
        })
        .collect()
}

/// Parses a threshold like `20%`, `20 %` or `0.2`.
pub fn parse_relative(text: &str) -> Result<f64, ThresholdError> {
    let t = text.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v / scale),
        _ => Err(ThresholdError::NotRelative(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_absolute_slowdowns_are_noise_even_when_relatively_large() {
        let t = Threshold::default();
        assert!(!t.exceeded(0.1, 0.4));
        assert!(!t.exceeded(10.0, 11.5));
        assert!(t.exceeded(10.0, 12.5));
        assert!(t.exceeded(1.0, 1.6));
    }

    #[test]
    fn thresholds_parse_as_percent_or_fraction() {
        assert_eq!(parse_relative("20%"), Ok(0.2));
        assert_eq!(parse_relative("0.35"), Ok(0.35));
        assert!(parse_relative("fast").is_err());
        assert!(parse_relative("-5%").is_err());
    }
}
