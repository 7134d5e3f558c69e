//! A qualification as one self-contained HTML page (inline CSS and SVG, no script, no network):
//! the verdict banner, the failed regression rules, the phase table of every scenario, then per
//! scenario the two releases side by side: runs, verdict changes, sequence differences, and the
//! representative run's timeline of each release drawn by the run page's own SVG renderer.
//! Every string from a record passes through [`escape`].

use super::model::{
    percent, run_by_id, verdicts, Qualification, ReleaseRuns, ScenarioQualification,
};
use super::text::{runs_line, three};
use crate::record::RunRecord;
use crate::report::escape::escape;
use crate::report::html::CSS;
use crate::report::svg;
use crate::report::view::TimelineView;
use std::fmt::Write;

/// Renders `q` as a page; `baseline` and `candidate` are the sides' runs, from which each
/// scenario's representative run is drawn (a scenario whose run is not among them is shown
/// without its timeline).
pub fn render_html(q: &Qualification, baseline: &[RunRecord], candidate: &[RunRecord]) -> String {
    let (b, c) = (escape(&q.baseline.release), escape(&q.candidate.release));
    let class = if q.regressed { "fail" } else { "pass" };
    let mut o = String::with_capacity(256 * 1024);
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{verdict} · {c} against {b} · hachaos qualify</title>
<style>{CSS}{EXTRA_CSS}</style></head><body>
<header class="{class}"><div class="verdict">{verdict}</div><div><h1>Qualification of {c} against {b}</h1><p>{cs} scenario(s), {cr} run(s) on the candidate; {bs} scenario(s), {br} run(s) on the baseline</p></div></header>
"#,
        verdict = if q.regressed {
            "regressed"
        } else {
            "qualified"
        },
        cs = q.candidate.scenarios,
        cr = q.candidate.runs,
        bs = q.baseline.scenarios,
        br = q.baseline.runs,
    );

    // Failed rules first: they are what a reader came for.
    let failed: Vec<_> = q.regressions().collect();
    let _ = write!(
        o,
        r#"<section><h2>Regressions <small>{} of {} checks failed</small></h2>"#,
        failed.len(),
        q.checks.len()
    );
    if failed.is_empty() {
        o.push_str("<p>none</p>");
    } else {
        o.push_str(r#"<table class="checks"><thead><tr><th>scenario</th><th>check</th><th>detail</th></tr></thead><tbody>"#);
        for r in failed {
            let _ = write!(
                o,
                r#"<tr class="fail"><td class="name">{}</td><td class="name">{}</td><td class="evidence">{}</td></tr>"#,
                escape(&r.scenario),
                escape(&r.name),
                escape(&r.detail)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Known bugs and the workarounds each release needed.
    o.push_str(r#"<section><h2>Known bugs and workarounds</h2><table class="checks"><thead><tr><th>release</th><th>workarounds</th></tr></thead><tbody>"#);
    for w in &q.workarounds {
        let _ = write!(
            o,
            r#"<tr><td class="name">{}</td><td class="evidence">{}</td></tr>"#,
            escape(&w.release),
            escape(
                super::known_bugs::workaround_line(w)
                    .split_once(": ")
                    .map_or("", |x| x.1)
            )
        );
    }
    o.push_str("</tbody></table>");
    if !q.known_bugs.is_empty() {
        o.push_str(r#"<table class="checks"><thead><tr><th>bug</th><th>on the candidate</th><th>baseline</th><th>candidate</th><th>upstream fix</th><th>evidence</th></tr></thead><tbody>"#);
        for k in &q.known_bugs {
            let _ = write!(
                o,
                r#"<tr class="{}"><td class="name">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="evidence">{}</td></tr>"#,
                if k.verdict == "present" || k.verdict == "new" || k.verdict == "unknown" {
                    "fail"
                } else {
                    ""
                },
                escape(&k.id),
                escape(&k.verdict),
                escape(&k.baseline),
                escape(&k.candidate),
                escape(&k.upstream_fix),
                escape(&k.evidence)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Every phase of every scenario.
    let _ = write!(
        o,
        r#"<section><h2>Measured phases <small>seconds, p50/p95/max</small></h2><table class="spans"><thead><tr><th>scenario</th><th>phase</th><th class="release baseline num">{b}</th><th class="release candidate num">{c}</th><th class="num">Δp50</th><th class="num">Δp95</th><th class="num">threshold</th><th>judged from the spread</th></tr></thead><tbody>"#
    );
    for s in &q.scenarios {
        for m in &s.measurements {
            let d = &m.delta;
            let row = if m.timing.verdict == super::TimingVerdict::Regressed
                || d.regressions
                    .iter()
                    .any(|r| r.starts_with("observed before"))
            {
                "fail"
            } else {
                ""
            };
            let _ = write!(
                o,
                r#"<tr class="{row}"><td class="name">{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">+{} / {:.2} s</td><td>{}</td></tr>"#,
                escape(&s.scenario),
                d.kind.name(),
                three(&d.old),
                three(&d.new),
                d.delta_p50_s
                    .map_or("-".to_string(), |v| format!("{v:+.2}")),
                d.delta_p95_s
                    .map_or("-".to_string(), |v| format!("{v:+.2}")),
                percent(m.threshold.relative),
                m.threshold.floor_s,
                escape(&m.timing.detail)
            );
        }
    }
    o.push_str("</tbody></table></section>");

    for s in &q.scenarios {
        scenario_section(&mut o, q, s, baseline, candidate);
    }
    o.push_str("<footer>rendered by hachaos from the run records; verdicts are the runs' own</footer></body></html>\n");
    o
}

fn scenario_section(
    o: &mut String,
    q: &Qualification,
    s: &ScenarioQualification,
    baseline: &[RunRecord],
    candidate: &[RunRecord],
) {
    let failed = q.regressions().filter(|r| r.scenario == s.scenario).count();
    let _ = write!(
        o,
        r#"<section class="scenario"><h2>{} <small>{}</small></h2>"#,
        escape(&s.scenario),
        if failed == 0 {
            "no regression".to_string()
        } else {
            format!("{failed} regression(s)")
        }
    );

    // Runs of each release.
    o.push_str(r#"<table class="runs"><thead><tr><th></th><th class="release baseline">"#);
    let _ = write!(
        o,
        r#"{}</th><th class="release candidate">{}</th></tr></thead><tbody>"#,
        escape(&q.baseline.release),
        escape(&q.candidate.release)
    );
    let cell = |r: &Option<ReleaseRuns>, f: &dyn Fn(&ReleaseRuns) -> String| {
        r.as_ref().map_or("-".to_string(), f)
    };
    let rows: [(&str, String, String); 4] = [
        (
            "runs",
            runs_line(s.baseline.as_ref()),
            runs_line(s.candidate.as_ref()),
        ),
        (
            "worst verdict",
            cell(&s.baseline, &|r| r.worst.to_string()),
            cell(&s.candidate, &|r| r.worst.to_string()),
        ),
        (
            "lost writes (sum / max)",
            cell(&s.baseline, &|r| {
                format!("{} / {}", r.lost_writes.sum, r.lost_writes.max)
            }),
            cell(&s.candidate, &|r| {
                format!("{} / {}", r.lost_writes.sum, r.lost_writes.max)
            }),
        ),
        (
            "runs ended early",
            cell(&s.baseline, &errors),
            cell(&s.candidate, &errors),
        ),
    ];
    for (k, bv, cv) in rows {
        let _ = write!(
            o,
            r#"<tr><td class="name">{k}</td><td class="evidence">{}</td><td class="evidence">{}</td></tr>"#,
            escape(&bv),
            escape(&cv)
        );
    }
    o.push_str("</tbody></table>");

    // Checks whose verdicts changed.
    let changed: Vec<_> = s.checks.iter().filter(|x| x.changed).collect();
    if !changed.is_empty() {
        o.push_str(r#"<h3>Verdict changes</h3><table class="checks"><thead><tr><th>check</th><th>baseline</th><th>candidate</th></tr></thead><tbody>"#);
        for x in changed {
            let _ = write!(
                o,
                r#"<tr class="{}"><td class="name">{}</td><td>{}</td><td>{}</td></tr>"#,
                if x.regressed { "fail" } else { "" },
                escape(&x.name),
                escape(&verdicts(&x.old)),
                escape(&verdicts(&x.new))
            );
        }
        o.push_str("</tbody></table>");
    }

    // Sequence differences.
    if !s.sequences.is_empty() {
        o.push_str(r#"<h3>Event sequence differences</h3><table class="checks"><thead><tr><th>node</th><th>only in candidate</th><th>vanished from candidate</th><th>moved</th><th>baseline sequence</th><th>candidate sequence</th></tr></thead><tbody>"#);
        let names = |k: &[crate::timeline::EventKind]| {
            k.iter().map(|k| k.name()).collect::<Vec<_>>().join(" → ")
        };
        let list = |k: &[crate::timeline::EventKind]| {
            k.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        };
        for d in &s.sequences {
            let _ = write!(
                o,
                r#"<tr><td class="name">{}</td><td>{}</td><td>{}</td><td>{}</td><td class="evidence">{}</td><td class="evidence">{}</td></tr>"#,
                escape(&d.node),
                list(&d.added),
                list(&d.removed),
                list(&d.moved),
                names(&d.baseline),
                names(&d.candidate)
            );
        }
        o.push_str("</tbody></table>");
    }

    // The two timelines side by side.
    o.push_str(r#"<div class="pair">"#);
    for (release, runs, side) in [
        (&q.baseline.release, baseline, &s.baseline),
        (&q.candidate.release, candidate, &s.candidate),
    ] {
        let _ = write!(o, r#"<div class="side"><h3>{}"#, escape(release));
        let run = side.as_ref().and_then(|r| {
            run_by_id(runs, &r.representative).filter(|x| x.scenario.name == s.scenario)
        });
        match (side, run) {
            (None, _) => o.push_str("</h3><p>not run on this release</p>"),
            (Some(r), None) => {
                let _ = write!(
                    o,
                    "</h3><p>run {} not at hand; no timeline</p>",
                    escape(&r.representative)
                );
            }
            (Some(_), Some(run)) => {
                let _ = write!(
                    o,
                    r#" <small>run {} · {}</small></h3><div class="scroll">{}</div>"#,
                    escape(&run.run_id),
                    escape(&run.verdict.to_string()),
                    svg::render(&TimelineView::from_run(run))
                );
            }
        }
        o.push_str("</div>");
    }
    o.push_str("</div></section>");
}

fn errors(r: &ReleaseRuns) -> String {
    let ended: Vec<String> = r
        .failures
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.run_id)))
        .collect();
    if ended.is_empty() {
        "none".to_string()
    } else {
        ended.join("; ")
    }
}

/// Additions to the run page's stylesheet: the two releases' columns.
const EXTRA_CSS: &str = r#"
.pair{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin-top:10px}
.pair .side{min-width:0}.pair svg.timeline{width:100%;height:auto}
h3{font-size:14px;margin:12px 0 6px}h3 small{font-weight:400;color:var(--muted);margin-left:6px}
th.num{text-align:right}table.runs{table-layout:fixed}table.runs th:first-child{width:16%}
th.release.baseline{color:#5f6368}th.release.candidate{color:#174ea6}
"#;
