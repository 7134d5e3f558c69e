//! The readable form of a [`Comparison`]: one table of phases, then the checks that changed.

use super::diff::Comparison;
use std::fmt::Write;

fn secs(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |s| format!("{s:.2}"))
}

fn rate(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |r| format!("{:.0}%", r * 100.0))
}

/// Renders `c` as text.
pub fn render_comparison(c: &Comparison) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "old: {} run(s) of {}; new: {} run(s) of {}",
        c.old_runs,
        c.old_scenarios.join(", "),
        c.new_runs,
        c.new_scenarios.join(", ")
    );
    if c.old_scenarios != c.new_scenarios {
        let _ = writeln!(o, "warning: the two sides ran different scenarios");
    }
    let _ = writeln!(
        o,
        "threshold: slower by more than {:.0}% and more than {:.2} s",
        c.threshold.relative * 100.0,
        c.threshold.floor_s
    );
    let _ = writeln!(
        o,
        "pass rate: {} -> {}",
        rate(c.old_pass_rate),
        rate(c.new_pass_rate)
    );
    let many = c.old_runs > 1 || c.new_runs > 1;
    if !c.measurements.is_empty() {
        if many {
            let _ = writeln!(
                o,
                "\n  {:<15} {:>23} {:>23} {:>8}",
                "phase", "old p50/p95/max", "new p50/p95/max", "Δp50"
            );
        } else {
            let _ = writeln!(
                o,
                "\n  {:<15} {:>8} {:>8} {:>8}",
                "phase", "old", "new", "Δ"
            );
        }
        for m in &c.measurements {
            let delta = m
                .delta_p50_s
                .map_or("-".to_string(), |d| format!("{d:+.2}"));
            let flag = if m.regressions.is_empty() {
                String::new()
            } else {
                format!("  REGRESSION: {}", m.regressions.join("; "))
            };
            if many {
                let three = |s: &super::stats::Stats| {
                    format!("{}/{}/{}", secs(s.p50), secs(s.p95), secs(s.max))
                };
                let _ = writeln!(
                    o,
                    "  {:<15} {:>23} {:>23} {:>8}{flag}",
                    m.kind.name(),
                    three(&m.old),
                    three(&m.new),
                    delta
                );
            } else {
                let _ = writeln!(
                    o,
                    "  {:<15} {:>8} {:>8} {:>8}{flag}",
                    m.kind.name(),
                    secs(m.old.p50),
                    secs(m.new.p50),
                    delta
                );
            }
        }
    }
    let changed: Vec<_> = c.checks.iter().filter(|x| x.changed).collect();
    if changed.is_empty() {
        let _ = writeln!(o, "\nchecks: no verdict changed");
    } else {
        let _ = writeln!(o, "\nchecks that changed:");
        for x in changed {
            let side = |v: &[crate::checks::Verdict], r: Option<f64>| {
                if v.len() == 1 {
                    v[0].to_string()
                } else if v.is_empty() {
                    "absent".to_string()
                } else {
                    format!("{} pass", rate(r))
                }
            };
            let _ = writeln!(
                o,
                "  {}: {} -> {}{}",
                x.name,
                side(&x.old, x.old_pass_rate),
                side(&x.new, x.new_pass_rate),
                if x.regressed { "  REGRESSION" } else { "" }
            );
        }
    }
    let _ = writeln!(
        o,
        "\n{}",
        if c.regressed {
            "regressed"
        } else {
            "no regression"
        }
    );
    o
}
