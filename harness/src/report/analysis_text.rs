//! The human-readable report: the merged timeline grouped into the expected steps, then the
//! other events, durations and verdicts. It renders a finished record and decides nothing.

use crate::record::AnalysisRecord;
use crate::timeline::Event;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Events listed in "other events" before eliding the rest.
const MAX_OTHER: usize = 200;
/// Failovers listed (with their phases) before eliding the rest.
const MAX_FAILOVERS: usize = 50;

/// Escapes terminal control characters (ESC, BEL, CR, ...) so a log line cannot drive the
/// reader's terminal: `\x1b` is shown as the four characters `\x1b`; tabs stay.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn line(out: &mut String, e: &Event) {
    let time = e.time.map_or_else(|| "-".to_string(), |t| t.render());
    let _ = writeln!(
        out,
        "    {time:<23} {:<10} {:<24} {}:{}  {}",
        escape_control(&e.node),
        e.kind.name(),
        escape_control(short(&e.file)),
        e.line,
        escape_control(&e.text.get())
    );
}

fn short(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Renders `record` as text.
pub fn render_text(record: &AnalysisRecord) -> String {
    let mut out = String::new();
    let events = record.timeline.events();
    let _ = writeln!(out, "profile: {}", record.profile);
    for i in &record.inputs {
        let _ = writeln!(
            out,
            "input: {}={} ({} lines, {} parsed, {} unparsed)",
            escape_control(&i.node),
            escape_control(&i.path),
            i.lines,
            i.parsed,
            i.unparsed
        );
    }
    for s in &record.skipped {
        let _ = writeln!(
            out,
            "skipped: {}={}: {}",
            escape_control(&s.node),
            escape_control(&s.path),
            escape_control(&s.reason)
        );
    }
    let mut shown = BTreeSet::new();
    for s in &record.steps {
        let _ = writeln!(out, "\nstep {}: {} [{}]", s.number, s.title, s.node);
        for &i in &s.events {
            shown.insert(i);
            line(&mut out, &events[i]);
        }
        if !s.missing.is_empty() {
            let _ = writeln!(out, "    missing: {}", s.missing.join(", "));
        }
    }
    let others: Vec<&Event> = events
        .iter()
        .enumerate()
        .filter(|(i, _)| !shown.contains(i))
        .map(|(_, e)| e)
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "\nother events:");
        for e in others.iter().take(MAX_OTHER) {
            line(&mut out, e);
        }
        if others.len() > MAX_OTHER {
            let _ = writeln!(
                out,
                "    ... {} more (see --format json)",
                others.len() - MAX_OTHER
            );
        }
    }
    let _ = writeln!(out, "\nfailovers:");
    if record.failovers.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for f in record.failovers.iter().take(MAX_FAILOVERS) {
        let id = |v: Option<i64>| v.map_or("?".to_string(), |v| v.to_string());
        let kind = match f.kind {
            crate::checks::FailoverKind::PrimaryFailover => "primary failover",
            crate::checks::FailoverKind::StandbyDetach => "standby detach",
            crate::checks::FailoverKind::NoPrimary => "NO PRIMARY left",
            crate::checks::FailoverKind::Unknown => "failover",
        };
        let _ = writeln!(
            out,
            "    executor {}: {kind}, failed node {} -> new primary {} ({} .. {}){}",
            escape_control(&f.executor),
            id(f.failed_node_id),
            id(f.new_primary_node_id),
            f.started.map_or("?".into(), |t| t.render()),
            f.done.map_or("?".into(), |t| t.render()),
            f.started_by
                .as_ref()
                .map_or(String::new(), |s| format!(", started by {s}"))
        );
        for (k, v) in f.phases.iter() {
            let _ = writeln!(out, "        {k:<36} {v:>10.3}s");
        }
    }
    if record.failovers.len() > MAX_FAILOVERS {
        let _ = writeln!(
            out,
            "    ... {} more (see --format json)",
            record.failovers.len() - MAX_FAILOVERS
        );
    }
    let _ = writeln!(out, "\ndurations:");
    for (k, v) in &record.durations {
        let _ = writeln!(out, "    {k:<36} {v:>10.3}s");
    }
    let _ = writeln!(out, "\nchecks:");
    for c in &record.checks {
        let _ = writeln!(
            out,
            "    {:<7} {:<20} {}",
            c.verdict.to_string().to_uppercase(),
            c.name,
            escape_control(&c.evidence)
        );
    }
    let _ = writeln!(out, "\nredactions: {}", record.redactions);
    let _ = writeln!(
        out,
        "result: {} ({})",
        record.outcome.result.label(),
        escape_control(&record.outcome.evidence.join("; "))
    );
    let _ = writeln!(
        out,
        "verdict: {}",
        record.verdict.to_string().to_uppercase()
    );
    out
}
