//! `--repeat N`: one scenario's runs side by side, each measurement's order statistics and the
//! pass rate, as JSON and console text.

use super::compare::{measurement_values, pass_rate, stats, Stats};
use crate::checks::Verdict;
use crate::measure::MeasurementKind;
use crate::record::RunRecord;

/// What `--repeat N` reports: each measurement's order statistics and the pass rate.
#[derive(Debug, serde::Serialize)]
pub struct RepeatSummary {
    /// Bumped on any incompatible change of this document.
    format_version: u32,
    scenario: String,
    runs: Vec<RepeatRun>,
    measurements: Vec<(MeasurementKind, Stats)>,
    pass_rate: Option<f64>,
}

#[derive(Debug, serde::Serialize)]
struct RepeatRun {
    run_id: String,
    verdict: Verdict,
    run_dir: String,
}

/// The summary of `records`, runs of one scenario.
pub fn repeat_summary(records: &[RunRecord]) -> RepeatSummary {
    RepeatSummary {
        format_version: 1,
        scenario: records
            .first()
            .map(|r| r.scenario.name.clone())
            .unwrap_or_default(),
        runs: records
            .iter()
            .map(|r| RepeatRun {
                run_id: r.run_id.clone(),
                verdict: r.verdict,
                run_dir: r.run_dir.clone(),
            })
            .collect(),
        measurements: MeasurementKind::ALL
            .iter()
            .map(|k| (*k, stats(&measurement_values(records, *k))))
            .filter(|(_, s)| s.observed > 0)
            .collect(),
        pass_rate: pass_rate(&records.iter().map(|r| r.verdict).collect::<Vec<_>>()),
    }
}

/// The summary as console text.
pub fn render_repeat(r: &RepeatSummary) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let s = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "\n{} x{}", r.scenario, r.runs.len());
    let _ = writeln!(
        o,
        "  {:<15} {:>8} {:>8} {:>8}  observed",
        "measurement", "p50", "p95", "max"
    );
    for (kind, st) in &r.measurements {
        let _ = writeln!(
            o,
            "  {:<15} {:>8} {:>8} {:>8}  {}/{}",
            kind.name(),
            s(st.p50),
            s(st.p95),
            s(st.max),
            st.observed,
            st.runs
        );
    }
    let _ = writeln!(
        o,
        "  pass rate: {}",
        r.pass_rate
            .map(|p| format!("{:.0}%", p * 100.0))
            .unwrap_or_else(|| "-".into())
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_runs_report_order_statistics_and_the_pass_rate() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/runs/primary-shutdown-first");
        let mut slow = crate::report::read_run(&dir).expect("recorded run");
        let fast = slow.clone();
        for m in slow.measurements.iter_mut() {
            m.seconds = m.seconds.map(|s| s + 10.0);
        }
        slow.verdict = Verdict::Pass;
        let r = repeat_summary(&[fast.clone(), slow.clone(), fast.clone()]);
        assert_eq!(r.runs.len(), 3);
        let promote = r
            .measurements
            .iter()
            .find(|(k, _)| *k == MeasurementKind::Promote)
            .expect("promote measured")
            .1;
        let base = fast
            .measurements
            .iter()
            .find(|m| m.kind == MeasurementKind::Promote)
            .and_then(|m| m.seconds)
            .unwrap();
        assert_eq!(promote.p50, Some(base));
        assert_eq!(promote.max, Some(base + 10.0));
        // The recorded run failed (a second primary after host-start), the edited one passed.
        assert_eq!(r.pass_rate, Some(1.0 / 3.0));
    }
}
