//! The suite's console summary.

use crate::suite::SuiteRecord;

/// The suite's console summary: one line per case, the counts, and where the time went.
pub fn render_text(s: &SuiteRecord) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "\nsuite {}", s.suite_id);
    let width = s.cases.iter().map(|c| c.name.len()).max().unwrap_or(4);
    for c in &s.cases {
        let promote = c
            .measurements
            .get("promote")
            .or_else(|| c.measurements.get("failover_done"))
            .map(|v| format!("{v:>6.2}"))
            .unwrap_or_else(|| "     -".into());
        let _ = writeln!(
            o,
            "  {:<width$}  {:<11}  {promote}  {:>5.0} s  {}",
            c.name,
            c.outcome.name(),
            c.duration_ms as f64 / 1000.0,
            c.run_dir.as_deref().unwrap_or(""),
        );
    }
    let counts = s
        .counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        o,
        "  (promote, else failover_done: seconds from the fault)\n{} case(s): {counts}; {:.1} s wall, {} at once",
        s.cases.len(),
        s.duration_ms as f64 / 1000.0,
        s.jobs
    );
    let phases = s
        .totals
        .phases()
        .iter()
        .map(|(n, ms)| format!("{n} {:.0} s", *ms as f64 / 1000.0))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(o, "time summed over cases: {phases}");
    for c in s.cases.iter().filter(|c| {
        !matches!(
            c.outcome,
            crate::suite::Outcome::Pass | crate::suite::Outcome::NotRun
        )
    }) {
        let _ = writeln!(o, "reproduce {}: {}", c.name, c.reproduce);
    }
    o
}
