//! Timing differences judged from the runs' spread, not from two medians.
//!
//! For one phase of one scenario, baseline runs `b` against candidate runs `c` (seconds):
//!
//! - **shift**: the Hodges-Lehmann estimate, the median of every difference `c_j - b_i`;
//! - **p**: the two-sided Mann-Whitney rank test, exact (every way of splitting the pooled ranks
//!   into the two sides, ties at mid-ranks) up to [`EXACT_LIMIT`] splits, else its normal
//!   approximation with the tie correction;
//! - **interval**: a 95 % percentile bootstrap interval of `median(c*) - median(b*)` (seeded, so
//!   the same runs always give the same report);
//! - **margin**: the difference that matters, from the existing threshold:
//!   `max(relative x baseline median, floor)` (20 % and 0.5 s by default).
//!
//! The verdict:
//!
//! | verdict | when |
//! |---|---|
//! | `regressed` | p < [`ALPHA`] and shift > margin |
//! | `improved` | p < [`ALPHA`] and shift < -margin |
//! | `no difference` | at least [`MIN_RUNS`] runs per side, and the interval lies inside ±margin (or the test is significant but the shift is within the margin) |
//! | `inconclusive` | anything else: too few runs, or a spread too wide to tell |
//!
//! With fewer than [`MIN_RUNS`] runs on a side no split of 3 + 3 ranks reaches p < 0.05 (the
//! smallest two-sided p is 0.1), so 1-3 runs per side are always `inconclusive`, and the report
//! says how many repeats per side would tell the observed shift apart: the normal-approximation
//! sample size for a two-sided test at [`ALPHA`] with 80 % power, divided by the rank test's
//! efficiency (3/pi), and never fewer than [`MIN_RUNS`].
//!
//! Only `regressed` fails the qualification; the hard rules (lost writes, verdict changes,
//! undeclared damage, a phase no longer observed) stay where they are, in `model.rs`.

use crate::report::compare::Threshold;
use serde::Serialize;
use std::fmt;

/// Significance level of the rank test (two-sided).
pub const ALPHA: f64 = 0.05;
/// Runs per side below which no rank test can reach [`ALPHA`] (3 + 3: smallest p = 0.1).
pub const MIN_RUNS: usize = 4;
/// Largest number of rank splits enumerated for the exact p-value.
pub const EXACT_LIMIT: u64 = 200_000;
/// Bootstrap resamples.
const RESAMPLES: usize = 2000;

/// What the spread says about a phase's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TimingVerdict {
    /// Slower by more than the margin, and the rank test says it is not chance.
    Regressed,
    /// Faster by more than the margin, not by chance.
    Improved,
    /// Any difference is within the margin.
    NoDifference,
    /// The runs cannot tell.
    Inconclusive,
}

impl fmt::Display for TimingVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimingVerdict::Regressed => "regressed",
            TimingVerdict::Improved => "improved",
            TimingVerdict::NoDifference => "no difference",
            TimingVerdict::Inconclusive => "inconclusive",
        })
    }
}

/// One phase judged.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TimingJudgement {
    /// The verdict.
    pub verdict: TimingVerdict,
    /// Runs with a value: baseline, candidate.
    pub runs: (usize, usize),
    /// Hodges-Lehmann shift, candidate - baseline, seconds.
    pub shift_s: Option<f64>,
    /// 95 % bootstrap interval of the median difference, seconds.
    pub interval_s: Option<(f64, f64)>,
    /// Two-sided Mann-Whitney p-value.
    pub p_value: Option<f64>,
    /// Whether `p_value` is exact (enumerated) or the normal approximation.
    pub exact: bool,
    /// The difference that matters, seconds.
    pub margin_s: f64,
    /// Runs per side that would tell the observed shift apart (`None`: nothing to tell apart).
    pub repeats_needed: Option<usize>,
    /// One line with the numbers.
    pub detail: String,
}

/// Judges candidate against baseline values of one phase.
pub fn judge(baseline: &[f64], candidate: &[f64], threshold: Threshold) -> TimingJudgement {
    let (nb, nc) = (baseline.len(), candidate.len());
    let base_median = median(baseline);
    let margin = base_median
        .map(|m| (threshold.relative * m).max(threshold.floor_s))
        .unwrap_or(threshold.floor_s);
    if nb == 0 || nc == 0 {
        return TimingJudgement {
            verdict: TimingVerdict::Inconclusive,
            runs: (nb, nc),
            shift_s: None,
            interval_s: None,
            p_value: None,
            exact: false,
            margin_s: margin,
            repeats_needed: None,
            detail: format!("no values to compare (baseline {nb}, candidate {nc} runs)"),
        };
    }
    let shift = hodges_lehmann(baseline, candidate);
    let (p, exact) = mann_whitney_p(baseline, candidate);
    let interval = bootstrap_interval(baseline, candidate);
    let enough = nb >= MIN_RUNS && nc >= MIN_RUNS;
    let significant = p < ALPHA;
    let verdict = if significant && shift > margin {
        TimingVerdict::Regressed
    } else if significant && shift < -margin {
        TimingVerdict::Improved
    } else if enough && (significant || (interval.0 >= -margin && interval.1 <= margin)) {
        TimingVerdict::NoDifference
    } else {
        TimingVerdict::Inconclusive
    };
    let repeats_needed = match verdict {
        TimingVerdict::Inconclusive => repeats_for(baseline, candidate, shift, margin),
        _ => None,
    };
    let mut detail = format!(
        "{verdict}: shift {shift:+.2} s (95 % interval {:+.2} .. {:+.2} s), rank test p = {p:.3}{} over {nb} + {nc} runs, margin {margin:.2} s",
        interval.0,
        interval.1,
        if exact { " exact" } else { " approx." },
    );
    if let (Some(n), true) = (repeats_needed, nb < 2 || nc < 2) {
        detail.push_str(&format!(
            "; at least {n} runs per side would tell it apart (one run shows no spread)"
        ));
    } else if let Some(n) = repeats_needed {
        detail.push_str(&format!("; about {n} runs per side would tell it apart"));
    } else if verdict == TimingVerdict::Inconclusive {
        detail.push_str("; no shift to tell apart");
    }
    TimingJudgement {
        verdict,
        runs: (nb, nc),
        shift_s: Some(shift),
        interval_s: Some(interval),
        p_value: Some(p),
        exact,
        margin_s: margin,
        repeats_needed,
        detail,
    }
}

/// The median (`None` for no values).
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// Median of all pairwise differences `c_j - b_i`.
pub fn hodges_lehmann(b: &[f64], c: &[f64]) -> f64 {
    let diffs: Vec<f64> = c
        .iter()
        .flat_map(|cj| b.iter().map(move |bi| cj - bi))
        .collect();
    median(&diffs).unwrap_or(0.0)
}

/// Two-sided Mann-Whitney p-value of `b` against `c` and whether it is exact.
pub fn mann_whitney_p(b: &[f64], c: &[f64]) -> (f64, bool) {
    let (n1, n2) = (b.len(), c.len());
    let mut pooled: Vec<(f64, usize)> = b
        .iter()
        .map(|&x| (x, 0))
        .chain(c.iter().map(|&x| (x, 1)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    // Mid-ranks (1-based) for ties.
    let n = pooled.len();
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for rank in ranks.iter_mut().take(j + 1).skip(i) {
            *rank = r;
        }
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let r1: f64 = (0..n).filter(|&k| pooled[k].1 == 0).map(|k| ranks[k]).sum();
    let mean = n1 as f64 * (n as f64 + 1.0) / 2.0;
    let observed = (r1 - mean).abs();

    if binomial(n as u64, n1 as u64) <= EXACT_LIMIT {
        // Every split of the pooled ranks into n1 + n2: how often is the rank sum as far from
        // its mean as observed?
        let mut extreme = 0u64;
        let mut total = 0u64;
        let mut pick = Vec::with_capacity(n1);
        combinations(&ranks, n1, 0, &mut pick, &mut |sum| {
            total += 1;
            if (sum - mean).abs() >= observed - 1e-9 {
                extreme += 1;
            }
        });
        return ((extreme as f64 / total as f64).min(1.0), true);
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return (1.0, false);
    }
    let z = (observed - 0.5).max(0.0) / var.sqrt();
    ((2.0 * (1.0 - normal_cdf(z))).min(1.0), false)
}

fn combinations(
    ranks: &[f64],
    k: usize,
    from: usize,
    pick: &mut Vec<f64>,
    visit: &mut dyn FnMut(f64),
) {
    if pick.len() == k {
        visit(pick.iter().sum());
        return;
    }
    let need = k - pick.len();
    for i in from..=ranks.len() - need {
        pick.push(ranks[i]);
        combinations(ranks, k, i + 1, pick, visit);
        pick.pop();
    }
}

fn binomial(n: u64, k: u64) -> u64 {
    let k = k.min(n - k);
    let mut r: u64 = 1;
    for i in 0..k {
        r = r.saturating_mul(n - i) / (i + 1);
        if r > EXACT_LIMIT * 10 {
            return u64::MAX;
        }
    }
    r
}

/// Standard normal CDF (Abramowitz-Stegun 7.1.26 for erf, error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    let erf = if x >= 0.0 { y } else { -y };
    0.5 * (1.0 + erf)
}

/// 95 % percentile bootstrap interval of `median(c*) - median(b*)`, with a fixed seed.
pub fn bootstrap_interval(b: &[f64], c: &[f64]) -> (f64, f64) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        // xorshift64*: deterministic, good enough to pick indices.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    };
    let mut diffs = Vec::with_capacity(RESAMPLES);
    let mut rb = vec![0.0; b.len()];
    let mut rc = vec![0.0; c.len()];
    for _ in 0..RESAMPLES {
        for x in rb.iter_mut() {
            *x = b[next(b.len())];
        }
        for x in rc.iter_mut() {
            *x = c[next(c.len())];
        }
        diffs.push(median(&rc).unwrap_or(0.0) - median(&rb).unwrap_or(0.0));
    }
    diffs.sort_by(f64::total_cmp);
    let at = |q: f64| diffs[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    (at(0.025), at(0.975))
}

/// Runs per side for a two-sided rank test at [`ALPHA`] with 80 % power to detect a shift of
/// `max(|shift|, margin)` given the runs' spread (pooled standard deviation).
fn repeats_for(b: &[f64], c: &[f64], shift: f64, margin: f64) -> Option<usize> {
    let sd = pooled_sd(b, c);
    let effect = shift.abs().max(margin);
    if effect <= 0.0 {
        return None;
    }
    // (z_{1-alpha/2} + z_{0.8}) = 1.96 + 0.84; rank test efficiency 3/pi against the t-test.
    let n = 2.0 * ((1.96 + 0.84) * sd / effect).powi(2) / (3.0 / std::f64::consts::PI);
    Some((n.ceil() as usize).max(MIN_RUNS))
}

fn pooled_sd(b: &[f64], c: &[f64]) -> f64 {
    let ss = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>()
    };
    let dof = (b.len() + c.len()).saturating_sub(2);
    if dof == 0 {
        return 0.0;
    }
    ((ss(b) + ss(c)) / dof as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Threshold {
        Threshold {
            relative: 0.2,
            floor_s: 0.5,
        }
    }

    #[test]
    fn exact_p_values_match_the_tables() {
        // 3 vs 3 fully separated: 2 of 20 splits are as extreme -> 0.1, never below 0.05.
        let (p, exact) = mann_whitney_p(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert!(exact);
        assert!((p - 0.1).abs() < 1e-12, "{p}");
        // 5 vs 5 fully separated: 2 / 252.
        let (p, _) = mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert!((p - 2.0 / 252.0).abs() < 1e-12, "{p}");
        // Identical samples: p = 1.
        let (p, _) = mann_whitney_p(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]);
        assert!((p - 1.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn the_normal_approximation_is_used_for_large_samples_and_agrees_in_direction() {
        let b: Vec<f64> = (0..15).map(|i| 10.0 + i as f64 * 0.1).collect();
        let c: Vec<f64> = (0..15).map(|i| 14.0 + i as f64 * 0.1).collect();
        let (p, exact) = mann_whitney_p(&b, &c);
        assert!(!exact);
        assert!(p < 0.001, "{p}");
        let j = judge(&b, &c, t());
        assert_eq!(j.verdict, TimingVerdict::Regressed, "{}", j.detail);
    }

    #[test]
    fn hodges_lehmann_is_the_median_pairwise_shift() {
        assert_eq!(hodges_lehmann(&[1.0, 2.0], &[3.0, 4.0]), 2.0);
        assert_eq!(hodges_lehmann(&[5.0], &[5.0]), 0.0);
    }

    #[test]
    fn one_run_per_side_is_inconclusive_however_far_apart() {
        // What the old p50 rule called REGRESSED: 12 s -> 23 s, one run each.
        let j = judge(&[12.0], &[23.0], t());
        assert_eq!(j.verdict, TimingVerdict::Inconclusive);
        assert!(j.repeats_needed.unwrap() >= MIN_RUNS, "{}", j.detail);
        assert!(j.detail.contains("runs per side"), "{}", j.detail);
    }

    #[test]
    fn a_clear_shift_over_five_runs_regresses_and_the_reverse_improves() {
        let b = [12.0, 12.2, 11.9, 12.1, 12.3];
        // +4 s: beyond both 20 % (2.4 s) and 0.5 s, the margin the threshold sets.
        let c = [16.0, 16.3, 15.9, 16.1, 16.2];
        let j = judge(&b, &c, t());
        assert_eq!(j.verdict, TimingVerdict::Regressed, "{}", j.detail);
        assert!((j.shift_s.unwrap() - 4.0).abs() < 0.2);
        let j = judge(&c, &b, t());
        assert_eq!(j.verdict, TimingVerdict::Improved, "{}", j.detail);
    }

    #[test]
    fn a_shift_under_twenty_percent_is_no_difference_even_when_certain() {
        // +2 s on 12 s every time: the rank test is sure, but 17 % is under the threshold.
        let b = [12.0, 12.2, 11.9, 12.1, 12.3];
        let c = [14.0, 14.3, 13.9, 14.1, 14.2];
        let j = judge(&b, &c, t());
        assert_eq!(j.verdict, TimingVerdict::NoDifference, "{}", j.detail);
    }

    #[test]
    fn a_significant_but_small_shift_is_no_difference() {
        // 0.2 s slower every time: real, but under the 0.5 s floor.
        let b = [12.0, 12.1, 12.05, 12.02, 12.08];
        let c = [12.2, 12.3, 12.25, 12.22, 12.28];
        let j = judge(&b, &c, t());
        assert_eq!(j.verdict, TimingVerdict::NoDifference, "{}", j.detail);
    }

    #[test]
    fn a_wide_spread_is_inconclusive_with_the_repeats_needed() {
        // The crash case: usually ~12 s, sometimes the watchdog race costs a cycle (~22 s).
        let b = [11.6, 12.0, 22.1, 11.8, 12.1];
        let c = [12.5, 22.4, 12.3, 22.0, 12.6];
        let j = judge(&b, &c, t());
        assert_eq!(j.verdict, TimingVerdict::Inconclusive, "{}", j.detail);
        assert!(j.repeats_needed.unwrap() > 5, "{}", j.detail);
    }

    #[test]
    fn a_release_against_itself_never_regresses() {
        // Resample one release's recorded spread into two "releases" many ways: whatever the
        // split, the verdict is never regressed (nor improved).
        let pool = [
            11.6, 12.0, 11.8, 12.1, 11.9, 12.4, 22.1, 12.2, 11.7, 12.3, 12.0, 13.1,
        ];
        for shift in 0..pool.len() {
            let rotated: Vec<f64> = pool
                .iter()
                .cycle()
                .skip(shift)
                .take(pool.len())
                .copied()
                .collect();
            let (b, c) = rotated.split_at(6);
            let j = judge(b, &c[..5], t());
            assert!(
                matches!(
                    j.verdict,
                    TimingVerdict::NoDifference | TimingVerdict::Inconclusive
                ),
                "split {shift}: {}",
                j.detail
            );
        }
    }

    #[test]
    fn the_interval_is_deterministic_and_brackets_the_shift() {
        let b = [1.0, 1.1, 0.9, 1.05];
        let c = [2.0, 2.1, 1.9, 2.05];
        let i1 = bootstrap_interval(&b, &c);
        assert_eq!(i1, bootstrap_interval(&b, &c));
        assert!(i1.0 <= 1.0 && 1.0 <= i1.1, "{i1:?}");
    }
}
