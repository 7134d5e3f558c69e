//! The one shape the HTML timeline draws, built from either record: a live run's [`RunRecord`]
//! or an offline [`AnalysisRecord`]. Converting here keeps the renderer ignorant of where the
//! data came from, and keeps every decision (verdicts) in the records.

use crate::checks::{Check, Verdict};
use crate::measure::MeasurementKind;
use crate::record::AnalysisRecord;
use crate::record::RunRecord;
use crate::timeline::{Event, EventKind, WallTime};

/// Everything the timeline page shows. Times are seconds from the view's zero.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineView {
    /// Page heading (the scenario, or "offline analysis").
    pub title: String,
    /// One line under it (scenario description, profile).
    pub subtitle: String,
    /// Key facts shown as a small table (run id, image, sha256, ...).
    pub facts: Vec<(String, String)>,
    /// The recorded overall verdict.
    pub verdict: Verdict,
    /// Every check, in record order.
    pub checks: Vec<Check>,
    /// The wall-clock instant of zero, rendered (for the axis caption).
    pub zero: String,
    /// One lane per node, in order of first appearance.
    pub nodes: Vec<String>,
    /// Every event placed on the axis (events without a time are listed, not drawn).
    pub events: Vec<ViewEvent>,
    /// Shaded windows: faults, and spans with two primaries or two VIP holders.
    pub windows: Vec<Window>,
    /// Measured phases drawn as bars from their anchor.
    pub spans: Vec<Span>,
    /// The steps of a live run (action, fired → finished).
    pub steps: Vec<Window>,
    /// Per-node role strips from the role poller (`primary`, `vip`).
    pub roles: Vec<RoleStrip>,
    /// Named figures without a place on the axis (the analyser's durations).
    pub figures: Vec<(String, String)>,
    /// An error that ended the run early.
    pub error: Option<String>,
    /// The reproduce command, when there is one.
    pub reproduce: Option<String>,
}

/// One event on the axis.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewEvent {
    /// Seconds from zero, when the event had a time.
    pub t: Option<f64>,
    /// Wall time as the source wrote it.
    pub wall: String,
    /// Its node (lane).
    pub node: String,
    /// Its kind.
    pub kind: EventKind,
    /// `file:line`.
    pub source: String,
    /// The (redacted) text.
    pub text: String,
}

/// A shaded interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Start, seconds from zero.
    pub from: f64,
    /// End (equal to `from` for an instant; `None` when it never ended).
    pub to: Option<f64>,
    /// What it is.
    pub label: String,
    /// Its kind, which decides the colour.
    pub kind: WindowKind,
}

/// What a window shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// fault_started → fault_healed.
    Fault,
    /// Two writable primaries or two VIP holders at once.
    Damage,
    /// The old primary still acknowledging writes after the fault (hatched like damage; named
    /// by its measurement bar, not by a caption, which would cover the others).
    OldPrimaryAcks,
    /// Clients writing through the VIP got no acknowledgement for a second or more (a light
    /// wash without a caption; its measurement bar names it).
    Outage,
    /// A step of the scenario.
    Step,
}

/// A measured phase.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// The phase name (`detect`, `vip`, ...).
    pub name: String,
    /// Where it is measured from (the fault, or the recover step).
    pub from: f64,
    /// Its measured length in seconds, if observed.
    pub seconds: Option<f64>,
    /// Its budget in seconds.
    pub budget: Option<f64>,
    /// The node it happened on.
    pub node: Option<String>,
    /// The verdict of its `budget: <phase>` check, when one judged it.
    pub verdict: Option<Verdict>,
    /// What it was measured to.
    pub evidence: String,
}

/// Intervals during which a node held a role, from consecutive role samples.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleStrip {
    /// The node.
    pub node: String,
    /// `primary` or `vip`.
    pub role: String,
    /// `(from, to)` seconds.
    pub intervals: Vec<(f64, f64)>,
}

impl TimelineView {
    /// The last time anything on the axis reaches (at least 1 s).
    pub fn end(&self) -> f64 {
        let mut end: f64 = 1.0;
        for e in &self.events {
            end = end.max(e.t.unwrap_or(0.0));
        }
        for w in self.windows.iter().chain(&self.steps) {
            end = end.max(w.to.unwrap_or(w.from));
        }
        for s in &self.spans {
            end = end.max(s.from + s.seconds.unwrap_or(0.0).max(s.budget.unwrap_or(0.0)));
        }
        for r in &self.roles {
            for (_, to) in &r.intervals {
                end = end.max(*to);
            }
        }
        end
    }

    /// The view of a live run; zero is the run's start.
    pub fn from_run(r: &RunRecord) -> TimelineView {
        let zero = chrono::DateTime::parse_from_rfc3339(&r.started_at)
            .map(|t| t.naive_utc())
            .ok();
        let at = |e: &Event| -> Option<f64> {
            match (e.offset_ms, e.time, zero) {
                (Some(ms), _, _) => Some(ms as f64 / 1000.0),
                (None, Some(t), Some(z)) => Some(secs(t, z)),
                _ => None,
            }
        };
        let events: Vec<ViewEvent> = r.events.iter().map(|e| view_event(e, at(e))).collect();
        let nodes = lanes(&events);

        let mut windows = Vec::new();
        for (i, e) in r.events.iter().enumerate() {
            if e.kind != EventKind::FaultStarted {
                continue;
            }
            let fault = e.attrs.get("fault").and_then(|v| v.as_str()).unwrap_or("");
            let healed = r.events[i + 1..].iter().find(|h| {
                h.kind == EventKind::FaultHealed
                    && h.attrs.get("fault") == e.attrs.get("fault")
                    && h.attrs.get("target") == e.attrs.get("target")
            });
            windows.push(Window {
                from: at(e).unwrap_or(0.0),
                to: healed.and_then(at),
                label: if fault.is_empty() {
                    e.text.to_string()
                } else {
                    format!("{fault} on {}", e.node)
                },
                kind: WindowKind::Fault,
            });
        }
        for (what, spans) in [
            ("two writable primaries", &r.roles.two_primaries),
            ("two VIP holders", &r.roles.two_vip_holders),
        ] {
            for o in spans {
                windows.push(Window {
                    from: o.from_ms as f64 / 1000.0,
                    to: Some(o.to_ms as f64 / 1000.0),
                    label: format!("{what}: {}", o.nodes.join(" and ")),
                    kind: WindowKind::Damage,
                });
            }
        }

        if let Some(d) = &r.damage_windows {
            for (what, w, kind) in [
                (
                    "old primary acknowledging writes",
                    &d.old_primary_acks,
                    WindowKind::OldPrimaryAcks,
                ),
                (
                    "no write acknowledged through the VIP",
                    &d.vip_outage,
                    WindowKind::Outage,
                ),
            ] {
                for sp in &w.spans {
                    windows.push(Window {
                        from: sp.from_ms as f64 / 1000.0,
                        to: Some(sp.to_ms as f64 / 1000.0),
                        label: if w.nodes.is_empty() {
                            what.to_string()
                        } else {
                            format!("{what}: {}", w.nodes.join(" and "))
                        },
                        kind,
                    });
                }
            }
        }

        let fault_at = windows
            .iter()
            .find(|w| w.kind == WindowKind::Fault)
            .map(|w| w.from);
        let recover_at = r
            .steps
            .iter()
            .find(|s| s.action.starts_with("recover"))
            .map(|s| s.fired_ms as f64 / 1000.0);
        let spans = r
            .measurements
            .iter()
            .map(|m| {
                let name = m.kind.name().to_string();
                // A damage window is drawn where it was (its first stretch), not from the fault.
                let window_at = r
                    .damage_windows
                    .as_ref()
                    .and_then(|d| match m.kind {
                        MeasurementKind::OldPrimaryAcks => d.old_primary_acks.spans.first(),
                        MeasurementKind::TwoPrimaries => d.two_primaries.spans.first(),
                        MeasurementKind::TwoVipHolders => d.two_vip_holders.spans.first(),
                        MeasurementKind::VipOutage => d.vip_outage.spans.first(),
                        _ => None,
                    })
                    .map(|sp| sp.from_ms as f64 / 1000.0);
                let anchor = if name == "recover" {
                    recover_at
                } else {
                    window_at.or(fault_at)
                };
                Span {
                    verdict: r
                        .checks
                        .iter()
                        .find(|c| c.name == format!("budget: {name}"))
                        .map(|c| c.verdict),
                    name,
                    from: anchor.unwrap_or(0.0),
                    seconds: m.seconds,
                    budget: m.budget_s,
                    node: m.node.clone(),
                    evidence: m.evidence.clone(),
                }
            })
            .collect();

        let steps = r
            .steps
            .iter()
            .map(|s| Window {
                from: s.fired_ms as f64 / 1000.0,
                to: Some(s.finished_ms as f64 / 1000.0),
                label: s.action.clone(),
                kind: WindowKind::Step,
            })
            .collect();

        let mut roles = Vec::new();
        for node in &nodes {
            for (role, pick) in [
                (
                    "primary",
                    (|s| &s.primaries) as fn(&crate::observe::RoleSample) -> &Vec<String>,
                ),
                ("vip", |s| &s.vip_holders),
            ] {
                let intervals = held(&r.roles.samples, node, pick);
                if !intervals.is_empty() {
                    roles.push(RoleStrip {
                        node: node.clone(),
                        role: role.to_string(),
                        intervals,
                    });
                }
            }
        }

        let mut facts = vec![
            ("run".to_string(), r.run_id.clone()),
            (
                "scenario".to_string(),
                format!(
                    "{} (sha256 {})",
                    r.scenario.file,
                    short_hash(&r.scenario.sha256)
                ),
            ),
            ("release".to_string(), r.release.clone()),
            ("image".to_string(), r.image.clone()),
            ("started".to_string(), r.started_at.clone()),
            (
                "duration".to_string(),
                format!("{:.1} s", r.duration_ms as f64 / 1000.0),
            ),
            ("hachaos".to_string(), r.harness_version.clone()),
        ];
        if r.writes.probed {
            facts.push((
                "writes".to_string(),
                format!(
                    "{} acknowledged, {} failed, lost: {}",
                    r.writes.acknowledged,
                    r.writes.failed,
                    r.writes
                        .lost
                        .as_ref()
                        .map_or("not checked".to_string(), |l| l.len().to_string())
                ),
            ));
        }
        if !r.expected_damage.is_empty() {
            facts.push(("expected damage".to_string(), r.expected_damage.join(", ")));
        }
        if let Some(d) = &r.damage_windows {
            facts.push(("damage windows".to_string(), super::text::windows_line(d)));
            facts.push(("lost / diverged".to_string(), super::text::lost_line(d)));
        }

        TimelineView {
            title: r.scenario.name.clone(),
            subtitle: r.scenario.description.clone(),
            facts,
            verdict: r.verdict,
            checks: r.checks.clone(),
            zero: r.started_at.clone(),
            nodes,
            events,
            windows,
            spans,
            steps,
            roles,
            figures: Vec::new(),
            error: r.error.clone(),
            reproduce: Some(r.reproduce.clone()),
        }
    }

    /// The view of an offline analysis; zero is the first timestamped event.
    pub fn from_analysis(a: &AnalysisRecord) -> TimelineView {
        let all = a.timeline.events();
        let zero = all.iter().filter_map(|e| e.time).map(|t| t.at).min();
        let events: Vec<ViewEvent> = all
            .iter()
            .map(|e| view_event(e, e.time.zip(zero).map(|(t, z)| secs(t, z))))
            .collect();
        let nodes = lanes(&events);
        let mut facts = vec![("profile".to_string(), a.profile.clone())];
        for i in &a.inputs {
            facts.push((
                format!("input {}", i.node),
                format!("{} ({} lines, {} parsed)", i.path, i.lines, i.parsed),
            ));
        }
        facts.push(("redactions".to_string(), a.redactions.to_string()));
        TimelineView {
            title: "offline analysis".to_string(),
            subtitle: format!("{} log(s), profile {}", a.inputs.len(), a.profile),
            facts,
            verdict: a.verdict,
            checks: a.checks.clone(),
            zero: zero.map_or("-".to_string(), |z| {
                z.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
            }),
            nodes,
            events,
            windows: Vec::new(),
            spans: Vec::new(),
            steps: Vec::new(),
            roles: Vec::new(),
            figures: a
                .durations
                .iter()
                .map(|(k, v)| (k.clone(), format!("{v:.3} s")))
                .collect(),
            error: None,
            reproduce: None,
        }
    }
}

fn secs(t: WallTime, zero: chrono::NaiveDateTime) -> f64 {
    (t.at - zero).num_milliseconds() as f64 / 1000.0
}

fn view_event(e: &Event, t: Option<f64>) -> ViewEvent {
    ViewEvent {
        t,
        wall: e.time.map_or_else(|| "-".to_string(), |w| w.render()),
        node: e.node.to_string(),
        kind: e.kind,
        source: if e.line == 0 {
            e.file.to_string()
        } else {
            format!(
                "{}:{}",
                e.file.rsplit('/').next().unwrap_or(&e.file),
                e.line
            )
        },
        text: e.text.to_string(),
    }
}

/// Nodes in order of first appearance, `harness` last (it is not a machine).
fn lanes(events: &[ViewEvent]) -> Vec<String> {
    let mut nodes: Vec<String> = Vec::new();
    for e in events {
        if !nodes.contains(&e.node) {
            nodes.push(e.node.clone());
        }
    }
    nodes.sort_by_key(|n| (n == "harness", n.clone()));
    nodes
}

/// Intervals where `node` is in `pick(sample)`, each from its first sample to the next sample
/// that no longer shows it (the poller's resolution).
fn held(
    samples: &[crate::observe::RoleSample],
    node: &str,
    pick: fn(&crate::observe::RoleSample) -> &Vec<String>,
) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut open: Option<f64> = None;
    for s in samples {
        let t = s.offset_ms as f64 / 1000.0;
        let has = pick(s).iter().any(|n| n == node);
        match (has, open) {
            (true, None) => open = Some(t),
            (false, Some(from)) => {
                out.push((from, t));
                open = None;
            }
            _ => {}
        }
    }
    if let (Some(from), Some(last)) = (open, samples.last()) {
        out.push((from, (last.offset_ms as f64 / 1000.0).max(from + 0.2)));
    }
    out
}

fn short_hash(h: &str) -> &str {
    &h[..h.len().min(12)]
}
