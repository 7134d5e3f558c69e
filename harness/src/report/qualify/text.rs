//! The readable form of a [`Qualification`]: one table of phases for every scenario, then per
//! scenario the runs, verdict changes, sequence differences and lost writes, then the rules that
//! failed.

use super::model::{percent, verdicts, Qualification, ReleaseRuns};
use crate::report::compare::Stats;
use std::fmt::Write;

fn secs(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |s| format!("{s:.2}"))
}

fn signed(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |d| format!("{d:+.2}"))
}

/// `p50/p95/max` of one side, in seconds.
pub(super) fn three(s: &Stats) -> String {
    format!("{}/{}/{}", secs(s.p50), secs(s.p95), secs(s.max))
}

/// `2 of 3 passed (67%)`, or `not run`.
pub(super) fn runs_line(r: Option<&ReleaseRuns>) -> String {
    r.map_or("not run".to_string(), |r| {
        format!(
            "{} of {} passed ({})",
            r.passed,
            r.runs,
            percent(r.pass_rate)
        )
    })
}

/// Renders `q` as text.
pub fn render_text(q: &Qualification) -> String {
    let mut o = String::new();
    let (b, c) = (&q.baseline.release, &q.candidate.release);
    let _ = writeln!(
        o,
        "qualification: candidate {c} ({} run(s), {} scenario(s)) against baseline {b} ({} run(s), {} scenario(s))",
        q.candidate.runs, q.candidate.scenarios, q.baseline.runs, q.baseline.scenarios
    );
    let t = &q.thresholds;
    let _ = writeln!(
        o,
        "thresholds: slower by more than {} and {:.2} s{}; lost writes allowed {}; pass-rate drop allowed {}; sequence changes {}",
        percent(t.default.relative),
        t.default.floor_s,
        if t.measurements.is_empty() {
            String::new()
        } else {
            let over: Vec<String> = t
                .measurements
                .iter()
                .map(|(k, v)| format!("{} {} and {:.2} s", k.name(), percent(v.relative), v.floor_s))
                .collect();
            format!(" (overrides: {})", over.join(", "))
        },
        t.max_lost_writes,
        percent(t.pass_rate_drop),
        if t.allow_sequence_changes { "allowed" } else { "regress" }
    );

    let (bh, ch) = (format!("{b} p50/p95/max"), format!("{c} p50/p95/max"));
    let (bw, cw) = (bh.chars().count().max(23), ch.chars().count().max(23));
    let sw = q
        .scenarios
        .iter()
        .map(|s| s.scenario.chars().count())
        .max()
        .unwrap_or(0)
        .max(24);
    let _ = writeln!(
        o,
        "\n  {:<sw$} {:<15} {bh:>bw$} {ch:>cw$} {:>7} {:>7}",
        "scenario", "phase", "Δp50", "Δp95"
    );
    for s in &q.scenarios {
        if s.measurements.is_empty() {
            let _ = writeln!(
                o,
                "  {:<sw$} (baseline: {}; candidate: {})",
                s.scenario,
                runs_line(s.baseline.as_ref()),
                runs_line(s.candidate.as_ref())
            );
        }
        for m in &s.measurements {
            let d = &m.delta;
            // The spread decides (timing.rs); the p50/p95 threshold crossings are shown as
            // what they are: two statistics, not a verdict.
            let flag = match m.timing.verdict {
                super::TimingVerdict::Regressed => format!("  REGRESSION: {}", m.timing.detail),
                _ if d
                    .regressions
                    .iter()
                    .any(|r| r.starts_with("observed before")) =>
                {
                    "  REGRESSION: observed before, not observed now".to_string()
                }
                _ => format!("  {}", m.timing.detail),
            };
            let _ = writeln!(
                o,
                "  {:<sw$} {:<15} {:>bw$} {:>cw$} {:>7} {:>7}{flag}",
                s.scenario,
                d.kind.name(),
                three(&d.old),
                three(&d.new),
                signed(d.delta_p50_s),
                signed(d.delta_p95_s)
            );
        }
    }

    for s in &q.scenarios {
        let _ = writeln!(o, "\n{}", s.scenario);
        let _ = writeln!(
            o,
            "  runs: {b} {}; {c} {}",
            runs_line(s.baseline.as_ref()),
            runs_line(s.candidate.as_ref())
        );
        if let (Some(br), Some(cr)) = (&s.baseline, &s.candidate) {
            if br.worst != cr.worst {
                let _ = writeln!(o, "  verdict: {} -> {}", br.worst, cr.worst);
            }
            for (release, r) in [(b, br), (c, cr)] {
                let lost = r.lost_writes;
                if lost.sum > 0 || lost.unchecked > 0 {
                    let _ = writeln!(
                        o,
                        "  lost writes on {release}: {} in all, at most {} in one run{}{}",
                        lost.sum,
                        lost.max,
                        if lost.unchecked > 0 {
                            format!(", {} run(s) unchecked", lost.unchecked)
                        } else {
                            String::new()
                        },
                        if r.expected_damage.iter().any(|d| d == "lost-writes") {
                            " (expected damage)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        for x in s.checks.iter().filter(|x| x.changed) {
            let _ = writeln!(
                o,
                "  check {}: {} -> {}",
                x.name,
                verdicts(&x.old),
                verdicts(&x.new)
            );
        }
        for d in &s.sequences {
            let _ = writeln!(o, "  sequence {}", d.summary());
        }
        for (release, r) in [(b, &s.baseline), (c, &s.candidate)] {
            for f in r.iter().flat_map(|r| &r.failures) {
                if let Some(e) = &f.error {
                    let _ = writeln!(o, "  run {} on {release} ended early: {e}", f.run_id);
                }
            }
        }
    }

    // Workarounds and known bugs (faults/known-bugs/).
    let _ = writeln!(o, "\nworkarounds of known bugs");
    for w in &q.workarounds {
        let _ = writeln!(o, "  {}", super::known_bugs::workaround_line(w));
    }
    if !q.known_bugs.is_empty() {
        let _ = writeln!(o, "\nknown bugs (candidate {c})");
        for k in &q.known_bugs {
            let _ = writeln!(
                o,
                "  {:<8} {} [{b}: {}, {c}: {}] upstream fix: {}\n           {}",
                k.verdict.to_uppercase(),
                k.id,
                k.baseline,
                k.candidate,
                k.upstream_fix,
                k.evidence
            );
        }
    }

    let failed: Vec<_> = q.regressions().collect();
    let _ = writeln!(
        o,
        "\n{} of {} regression checks failed",
        failed.len(),
        q.checks.len()
    );
    for r in &failed {
        let _ = writeln!(o, "  REGRESSION {} / {}: {}", r.scenario, r.name, r.detail);
    }
    let _ = writeln!(
        o,
        "\n{}",
        if q.regressed {
            format!("{c} regressed against {b}")
        } else {
            format!("no regression: {c} qualifies against {b}")
        }
    );
    o
}
