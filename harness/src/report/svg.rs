//! The timeline drawing: an inline SVG with a time axis, the scenario's steps, one lane per node
//! (event marks in three rows by subsystem, role strips underneath), shaded fault and damage
//! windows, and one bar per measured phase with its budget.

use super::escape::escape;
use super::view::{TimelineView, WindowKind};
use crate::checks::Verdict;
use crate::timeline::EventKind;
use std::fmt::Write;

const WIDTH: f64 = 1320.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 24.0;
const AXIS_H: f64 = 28.0;
const STEP_H: f64 = 24.0;
const LANE_H: f64 = 74.0;
const SPAN_H: f64 = 22.0;

/// Which row of a lane, and which colour, an event kind gets.
pub fn category(kind: EventKind) -> (&'static str, usize) {
    use EventKind::*;
    match kind {
        PeerShutdown | LeaderLost | WatchdogState | LeaderElected | EscalationStarted
        | VipAcquired | VipReleased | PeerLost | HeartbeatLost | LifecheckStarted => {
            ("watchdog", 0)
        }
        HealthCheckFailed
        | HealthCheckRetry
        | BackendDown
        | DegenerateRequest
        | FailoverLock
        | FailoverCommand
        | FollowPrimaryCommand
        | PrimaryFound
        | NewPrimary
        | FailoverDone
        | TrustPing
        | VipAdded
        | Promote
        | SyncToAsync
        | Checkpoint
        | FailoverScriptEnd
        | FailoverScriptStarted => ("failover", 1),
        FaultStarted | FaultHealed | TargetResolved => ("harness", 2),
        Forbidden => ("forbidden", 2),
        _ => ("server", 2),
    }
}

/// Rows of a lane, top to bottom, as the legend names them.
pub const ROWS: [&str; 3] = [
    "watchdog",
    "health check & failover",
    "server, recovery & harness",
];

struct Scale {
    end: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        LEFT + (t.max(0.0) / self.end) * (WIDTH - LEFT - RIGHT)
    }
}

/// A tick step giving roughly ten ticks.
fn tick_step(end: f64) -> f64 {
    let raw = end / 10.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn verdict_class(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Pass) => "pass",
        Some(Verdict::Fail) => "fail",
        Some(Verdict::Unknown) => "unknown",
        None => "unjudged",
    }
}

/// Renders the SVG element (no XML prolog: it is inlined in the page).
pub fn render(view: &TimelineView) -> String {
    let end = view.end() * 1.04;
    let s = Scale { end };
    let lanes_top = AXIS_H
        + if view.steps.is_empty() {
            0.0
        } else {
            STEP_H + 6.0
        };
    let lanes_bottom = lanes_top + LANE_H * view.nodes.len() as f64;
    let spans_top = lanes_bottom + if view.spans.is_empty() { 0.0 } else { 14.0 };
    let height = spans_top + SPAN_H * view.spans.len() as f64 + 12.0;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="timeline">"#
    );
    o.push_str(
        r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde2e2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d93025" stroke-width="2"/></pattern></defs>"##,
    );

    // Lanes' backgrounds and labels.
    for (i, node) in view.nodes.iter().enumerate() {
        let y = lanes_top + LANE_H * i as f64;
        let _ = write!(
            o,
            r#"<rect class="lane{}" x="0" y="{y}" width="{WIDTH}" height="{LANE_H}"/><text class="lane-label" x="12" y="{}">{}</text>"#,
            i % 2,
            y + 22.0,
            escape(node)
        );
        for (r, name) in ["watchdog", "failover", "server"].iter().enumerate() {
            let _ = write!(
                o,
                r#"<text class="row-label" x="12" y="{}">{name}</text>"#,
                y + 37.0 + 10.0 * r as f64
            );
        }
    }

    // Ticks and grid.
    let step = tick_step(end);
    let mut t = 0.0;
    while t <= end {
        let x = s.x(t);
        let _ = write!(
            o,
            r#"<line class="grid" x1="{x:.1}" y1="{AXIS_H}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="16">{}s</text>"#,
            height - 8.0,
            trim(t)
        );
        t += step;
    }

    // Windows behind the marks: every shade first, then the captions, so that no shade covers
    // another window's caption.
    let mut captions = String::new();
    // Each caption row's occupied extents; a caption goes to the first row it does not overlap.
    let mut rows: Vec<Vec<(f64, f64)>> = Vec::new();
    for w in &view.windows {
        let x0 = s.x(w.from);
        let x1 = s.x(w.to.unwrap_or(end)).max(x0 + 3.0);
        let (class, fill) = match w.kind {
            WindowKind::Damage | WindowKind::OldPrimaryAcks => ("damage", "url(#hatch)"),
            WindowKind::Outage => ("outage", "#e3e8f7"),
            _ => ("fault", "#fbe3d6"),
        };
        let _ = write!(
            o,
            r#"<g class="{class}"><rect x="{x0:.1}" y="{AXIS_H}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect></g>"#,
            x1 - x0,
            height - AXIS_H - 8.0,
            escape(&w.label),
        );
        // Damage windows of the ledger are named by their measurement bars: captions of windows
        // that start close together would cover each other.
        if matches!(w.kind, WindowKind::OldPrimaryAcks | WindowKind::Outage) {
            continue;
        }
        // Captions sit just under the steps row, flipped left of the window near the right edge.
        let width = text_width(&w.label);
        let (lx, anchor, extent) = if x0 + width + 8.0 > WIDTH - RIGHT {
            (x0 - 4.0, "end", (x0 - 4.0 - width, x0 - 4.0))
        } else {
            (x0 + 4.0, "start", (x0 + 4.0, x0 + 4.0 + width))
        };
        let free = |row: &Vec<(f64, f64)>| {
            row.iter()
                .all(|(a, b)| extent.1 + 6.0 <= *a || extent.0 >= *b + 6.0)
        };
        let row = match rows.iter().position(free) {
            Some(r) => r,
            None => {
                rows.push(Vec::new());
                rows.len() - 1
            }
        };
        rows[row].push(extent);
        let _ = write!(
            captions,
            r#"<g class="{class}"><text class="window-label" text-anchor="{anchor}" x="{lx:.1}" y="{:.1}">{}</text></g>"#,
            lanes_top + 13.0 + 13.0 * row as f64,
            escape(&w.label)
        );
    }
    o.push_str(&captions);

    // Steps.
    for (i, w) in view.steps.iter().enumerate() {
        let x0 = s.x(w.from);
        let x1 = s.x(w.to.unwrap_or(w.from)).max(x0 + 3.0);
        let y = AXIS_H + 2.0;
        let _ = write!(
            o,
            r#"<g class="step"><rect x="{x0:.1}" y="{y}" width="{:.1}" height="{}" rx="3"><title>step {}: {}</title></rect><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            x1 - x0,
            STEP_H - 4.0,
            i + 1,
            escape(&w.label),
            x0 + 4.0,
            y + 14.0,
            escape(&w.label)
        );
    }
    if !view.steps.is_empty() {
        let _ = write!(
            o,
            r#"<text class="lane-label" x="12" y="{}">steps</text>"#,
            AXIS_H + 16.0
        );
    }

    // Role strips.
    for r in &view.roles {
        let Some(i) = view.nodes.iter().position(|n| *n == r.node) else {
            continue;
        };
        let y = lanes_top + LANE_H * i as f64 + if r.role == "primary" { 63.0 } else { 68.0 };
        for (from, to) in &r.intervals {
            let _ = write!(
                o,
                r#"<rect class="role-{}" x="{:.1}" y="{y}" width="{:.1}" height="4"><title>{} {} from {:.1} s to {:.1} s</title></rect>"#,
                r.role,
                s.x(*from),
                (s.x(*to) - s.x(*from)).max(2.0),
                escape(&r.node),
                if r.role == "vip" {
                    "holds the VIP"
                } else {
                    "is a writable primary"
                },
                from,
                to
            );
        }
    }

    // Event marks.
    for (idx, e) in view.events.iter().enumerate() {
        let (Some(t), Some(lane)) = (e.t, view.nodes.iter().position(|n| *n == e.node)) else {
            continue;
        };
        let (class, row) = category(e.kind);
        let y = lanes_top + LANE_H * lane as f64 + 33.0 + 10.0 * row as f64;
        let _ = write!(
            o,
            r#"<circle class="mark {class}" data-i="{idx}" cx="{:.1}" cy="{y}" r="4.5"><title>{:.3} s {} {} ({})&#10;{}</title></circle>"#,
            s.x(t),
            t,
            escape(&e.node),
            e.kind.name(),
            escape(&e.source),
            escape(&e.text)
        );
    }

    // Measured phases.
    for (i, sp) in view.spans.iter().enumerate() {
        let y = spans_top + SPAN_H * i as f64;
        let x0 = s.x(sp.from);
        let _ = write!(
            o,
            r#"<text class="span-label" x="12" y="{:.1}">{}</text>"#,
            y + 15.0,
            escape(&sp.name)
        );
        let budget = sp
            .budget
            .map_or(String::new(), |b| format!(" / budget {b:.1} s"));
        let label = match sp.seconds {
            Some(sec) => format!("{} {sec:.2} s{budget}", sp.name),
            None => format!("{} not observed{budget}", sp.name),
        };
        let mut label_x = x0 + 4.0;
        if let Some(sec) = sp.seconds {
            let x1 = s.x(sp.from + sec).max(x0 + 2.0);
            let _ = write!(
                o,
                r#"<rect class="span {}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="12" rx="2"><title>{}&#10;{}</title></rect>"#,
                verdict_class(sp.verdict),
                y + 5.0,
                x1 - x0,
                escape(&label),
                escape(&sp.evidence)
            );
            label_x = x1 + 6.0;
        }
        if let Some(b) = sp.budget {
            let xb = s.x(sp.from + b);
            let _ = write!(
                o,
                r#"<line class="budget" x1="{xb:.1}" y1="{:.1}" x2="{xb:.1}" y2="{:.1}"><title>budget {b:.1} s</title></line>"#,
                y + 2.0,
                y + 20.0
            );
            label_x = label_x.max(xb + 6.0);
        }
        // Keep the label inside the drawing: when it would overflow on the right, write it
        // inside the bar if it fits there, else left of the bar.
        let width = text_width(&label);
        let bar_end = sp.seconds.map_or(x0, |sec| s.x(sp.from + sec));
        let (anchor, class) = if label_x + width <= WIDTH - RIGHT {
            ("start", "span-value")
        } else if bar_end - x0 > width + 12.0 {
            label_x = bar_end - 6.0;
            ("end", "span-value inside")
        } else {
            label_x = x0 - 6.0;
            ("end", "span-value")
        };
        let _ = write!(
            o,
            r#"<text class="{class}" text-anchor="{anchor}" x="{label_x:.1}" y="{:.1}">{}</text>"#,
            y + 15.0,
            escape(&label)
        );
    }
    o.push_str("</svg>");
    o
}

/// A rough width of `text` at the 11–12 px labels' size, enough to keep labels on the canvas.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.4
}

fn trim(t: f64) -> String {
    let s = format!("{t:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
