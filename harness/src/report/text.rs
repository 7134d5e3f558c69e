//! The console summary of a run: measurements against budgets, checks, verdict, where the files
//! are and, when it did not pass, the line that reproduces it.

use crate::checks::Verdict;
use crate::record::RunRecord;
use std::fmt::Write;

/// Renders the summary; `colour` adds ANSI colours to verdicts (the caller decides from
/// `NO_COLOR` and whether stdout is a terminal).
pub fn summary(r: &RunRecord, colour: bool) -> String {
    let paint = |v: Verdict, text: &str| -> String {
        if !colour {
            return text.to_string();
        }
        let code = match v {
            Verdict::Pass => "32",
            Verdict::Fail => "31;1",
            Verdict::Unknown => "33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nscenario {} ({}) run {}",
        r.scenario.name, r.scenario.file, r.run_id
    );
    if !r.measurements.is_empty() {
        let _ = writeln!(
            o,
            "  {:<16} {:>9} {:>9}  node",
            "measurement", "seconds", "budget"
        );
        for m in &r.measurements {
            let seconds = m.seconds.map_or_else(|| "-".into(), |s| format!("{s:.2}"));
            let over = matches!((m.seconds, m.budget_s), (Some(s), Some(b)) if s > b);
            let seconds = format!("{seconds:>9}");
            let _ = writeln!(
                o,
                "  {:<16} {} {:>9}  {}",
                m.kind.name(),
                if over {
                    paint(Verdict::Fail, &seconds)
                } else {
                    seconds
                },
                m.budget_s.map_or_else(|| "-".into(), |s| format!("{s:.1}")),
                m.node.as_deref().unwrap_or("")
            );
        }
    }
    if r.writes.probed {
        let _ = writeln!(
            o,
            "  writes: {} acknowledged, {} failed, lost: {}",
            r.writes.acknowledged,
            r.writes.failed,
            r.writes
                .lost
                .as_ref()
                .map_or_else(|| "unknown".into(), |l| l.len().to_string())
        );
    }
    if let Some(d) = &r.damage_windows {
        let _ = writeln!(o, "  damage windows: {}", windows_line(d));
        let _ = writeln!(o, "  lost / diverged: {}", lost_line(d));
    }
    for c in &r.checks {
        let first = c.evidence.lines().next().unwrap_or("");
        let tag = format!("[{:<7}]", c.verdict.to_string());
        let _ = writeln!(o, "  {} {}: {first}", paint(c.verdict, &tag), c.name);
        // A failed check's remaining evidence (the last log lines at its deadline) is what a CI
        // log needs to explain the failure once the run directory is gone.
        if c.verdict == Verdict::Fail {
            for line in c.evidence.lines().skip(1) {
                let _ = writeln!(o, "      | {line}");
            }
        }
    }
    if let Some(e) = &r.error {
        let _ = writeln!(o, "  error: {e}");
    }
    let _ = writeln!(o, "verdict: {}", paint(r.verdict, &r.verdict.to_string()));
    let _ = writeln!(o, "run directory: {}", r.run_dir);
    if r.verdict != Verdict::Pass {
        let _ = writeln!(
            o,
            "reproduce: {}  # scenario sha256 {}, image {}, hachaos {}",
            r.reproduce, r.scenario.sha256, r.image, r.harness_version
        );
    }
    o
}

/// The damage windows in one line, each with its resolution.
pub(crate) fn windows_line(d: &crate::measure::DamageWindows) -> String {
    let one = |name: &str, w: &crate::measure::Window| -> String {
        let value = match (w.seconds, w.at_least_s) {
            (None, _) => "not measured".to_string(),
            (Some(s), Some(l)) if s > 0.0 => format!("{l:.1}-{s:.1} s"),
            (Some(s), _) => format!("{s:.1} s"),
        };
        match w.resolution_ms {
            Some(ms) if w.seconds.is_some() => format!("{name} {value} (±{ms} ms)"),
            _ => format!("{name} {value}"),
        }
    };
    [
        one("old primary acked", &d.old_primary_acks),
        one("two primaries", &d.two_primaries),
        one("two VIP holders", &d.two_vip_holders),
        one("VIP outage", &d.vip_outage),
    ]
    .join(", ")
}

/// Lost writes and the timelines' divergence in one line.
pub(crate) fn lost_line(d: &crate::measure::DamageWindows) -> String {
    let count = |n: Option<usize>| n.map_or_else(|| "not checked".to_string(), |n| n.to_string());
    let l = &d.lost_writes;
    let diverged = match (
        d.divergence.old_timeline,
        d.divergence.new_timeline,
        d.divergence.old_side_wal_bytes,
    ) {
        (Some(o), Some(n), Some(0)) => format!(
            "timelines {o} and {n}, the old side wrote nothing beyond the new one's first write"
        ),
        (Some(o), Some(n), Some(b)) => format!(
            "timelines {o} and {n}, the old side wrote at least {b} bytes of WAL beyond the new \
             one's first write"
        ),
        (Some(o), Some(n), None) => format!("timelines {o} and {n}"),
        _ => "no divergence measured".to_string(),
    };
    let lost = match (l.through_vip, l.pinned) {
        (None, None) => "lost writes not checked".to_string(),
        (vip, pinned) => format!(
            "{} acknowledged through the VIP lost, {} on the session pinned to the old primary \
             ({} acknowledged there after the fault)",
            count(vip),
            count(pinned),
            l.pinned_acks_after_fault
        ),
    };
    format!("{lost}; {diverged}")
}
