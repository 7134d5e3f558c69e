//! The self-contained HTML timeline: one file with inline CSS, SVG and a few lines of script, so
//! it opens from a CI artifact store or an e-mail attachment with no network at all.

use super::escape::escape;
use super::svg;
use super::view::TimelineView;
use crate::checks::Verdict;
use crate::record::AnalysisRecord;
use crate::record::RunRecord;
use std::fmt::Write;

/// Renders a live run's timeline page.
pub fn html(record: &RunRecord) -> String {
    render_html(&TimelineView::from_run(record))
}

/// Renders an offline analysis's timeline page.
pub fn analysis_html(record: &AnalysisRecord) -> String {
    render_html(&TimelineView::from_analysis(record))
}

fn badge(v: Verdict) -> String {
    format!(r#"<span class="badge {v}">{v}</span>"#)
}

/// Renders any [`TimelineView`] as a page.
pub fn render_html(view: &TimelineView) -> String {
    let mut o = String::with_capacity(64 * 1024 + view.events.len() * 300);
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{verdict} · {title} · hachaos</title>
<style>{CSS}</style></head><body>
<header class="{verdict}"><div class="verdict">{verdict}</div><div><h1>{title}</h1><p>{subtitle}</p></div></header>
"#,
        verdict = view.verdict,
        title = escape(&view.title),
        subtitle = escape(&view.subtitle),
    );

    // Facts and the reproduce line.
    o.push_str(r#"<section class="facts"><dl>"#);
    for (k, v) in &view.facts {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    o.push_str("</dl>");
    if let Some(e) = &view.error {
        let _ = write!(
            o,
            r#"<p class="error"><b>run ended early:</b> {}</p>"#,
            escape(e)
        );
    }
    if let Some(r) = &view.reproduce {
        let _ = write!(
            o,
            r#"<p class="repro">reproduce: <code>{}</code></p>"#,
            escape(r)
        );
    }
    o.push_str("</section>");

    // Checks, verdict first.
    let count = |v: Verdict| view.checks.iter().filter(|c| c.verdict == v).count();
    let _ = write!(
        o,
        r#"<section><h2>Checks <small>{} fail · {} unknown · {} pass</small></h2><table class="checks"><thead><tr><th>verdict</th><th>check</th><th>evidence</th></tr></thead><tbody>"#,
        count(Verdict::Fail),
        count(Verdict::Unknown),
        count(Verdict::Pass)
    );
    for c in &view.checks {
        let _ = write!(
            o,
            r#"<tr class="{}"><td>{}</td><td class="name">{}</td><td class="evidence">{}</td></tr>"#,
            c.verdict,
            badge(c.verdict),
            escape(&c.name),
            escape(&c.evidence)
        );
    }
    o.push_str("</tbody></table></section>");

    // The drawing and its legend.
    let _ = write!(
        o,
        r#"<section><h2>Timeline <small>seconds from {}</small></h2><div class="legend">"#,
        escape(&view.zero)
    );
    for (class, label) in [
        ("watchdog", svg::ROWS[0]),
        ("failover", svg::ROWS[1]),
        ("server", "server & recovery"),
        ("harness", "harness (fault, heal, roles)"),
        ("forbidden", "forbidden pattern"),
    ] {
        let _ = write!(o, r#"<span><i class="dot {class}"></i>{label}</span>"#);
    }
    o.push_str(
        r#"<span><i class="box fault"></i>fault window</span><span><i class="box damage"></i>two primaries / two VIP holders / old primary acknowledging</span><span><i class="box outage"></i>no write acknowledged through the VIP</span><span><i class="bar role-primary"></i>writable primary</span><span><i class="bar role-vip"></i>holds VIP</span><span><i class="bar pass"></i><i class="bar fail"></i>phase within / over budget</span><span><i class="tick"></i>budget</span></div>"#,
    );
    let _ = write!(
        o,
        r#"<div class="scroll">{}</div><div id="tip" hidden></div></section>"#,
        svg::render(view)
    );

    // Measurements.
    if !view.spans.is_empty() {
        o.push_str(r#"<section><h2>Measured phases</h2><table class="spans"><thead><tr><th>phase</th><th>seconds</th><th>budget</th><th>verdict</th><th>node</th><th>measured to</th></tr></thead><tbody>"#);
        for s in &view.spans {
            let _ = write!(
                o,
                r#"<tr><td class="name">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td><td class="evidence">{}</td></tr>"#,
                escape(&s.name),
                s.seconds
                    .map_or("not observed".to_string(), |v| format!("{v:.2}")),
                s.budget.map_or("-".to_string(), |v| format!("{v:.1}")),
                s.verdict.map_or("not judged".to_string(), badge),
                escape(s.node.as_deref().unwrap_or("")),
                escape(&s.evidence)
            );
        }
        o.push_str("</tbody></table></section>");
    }
    if !view.figures.is_empty() {
        o.push_str(r#"<section><h2>Durations</h2><table class="spans"><tbody>"#);
        for (k, v) in &view.figures {
            let _ = write!(
                o,
                r#"<tr><td class="name">{}</td><td class="num">{}</td></tr>"#,
                escape(k),
                escape(v)
            );
        }
        o.push_str("</tbody></table></section>");
    }

    // Every event.
    let _ = write!(
        o,
        r#"<section><h2>Events <small>{}</small></h2><table class="events"><thead><tr><th>#</th><th>s</th><th>wall time</th><th>node</th><th>kind</th><th>source</th><th>text</th></tr></thead><tbody>"#,
        view.events.len()
    );
    for (i, e) in view.events.iter().enumerate() {
        let (class, _) = svg::category(e.kind);
        let _ = write!(
            o,
            r#"<tr id="ev-{i}"><td class="num">{i}</td><td class="num">{}</td><td>{}</td><td>{}</td><td><i class="dot {class}"></i>{}</td><td>{}</td><td class="text">{}</td></tr>"#,
            e.t.map_or("-".to_string(), |t| format!("{t:.3}")),
            escape(&e.wall),
            escape(&e.node),
            e.kind.name(),
            escape(&e.source),
            escape(&e.text)
        );
    }
    let _ = writeln!(
        o,
        "</tbody></table></section><footer>rendered by hachaos from the run record; it decides nothing</footer><script>{JS}</script></body></html>"
    );
    o
}

pub(crate) const CSS: &str = r#"
:root{--pass:#1e8e3e;--fail:#d93025;--unknown:#e37400;--ink:#202124;--muted:#5f6368;--line:#dadce0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f8f9fa}
header{display:flex;gap:20px;align-items:center;padding:18px 28px;color:#fff}
header.pass{background:var(--pass)}header.fail{background:var(--fail)}header.unknown{background:var(--unknown)}
header .verdict{font-size:30px;font-weight:800;text-transform:uppercase;letter-spacing:.06em;border:3px solid #fff;border-radius:8px;padding:4px 14px}
header h1{margin:0;font-size:22px}header p{margin:2px 0 0;opacity:.92;max-width:1100px}
section{margin:16px 28px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
h2{font-size:16px;margin:0 0 10px}h2 small{font-weight:400;color:var(--muted);margin-left:8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dt{color:var(--muted)}dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.repro code,.error{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}.repro code{background:#f1f3f4;padding:2px 6px;border-radius:4px}
.error{color:var(--fail)}
table{border-collapse:collapse;width:100%}th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:4px 8px}
td{border-bottom:1px solid #eee;padding:4px 8px;vertical-align:top}td.name{font-weight:600;white-space:nowrap}
td.evidence,td.text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-word}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail td{background:#fdf1f0}.events td:nth-child(3){white-space:nowrap}tr.unknown td{background:#fef7e0}
.badge{display:inline-block;min-width:64px;text-align:center;border-radius:10px;padding:1px 8px;color:#fff;font-size:12px;font-weight:700;text-transform:uppercase}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.unknown{background:var(--unknown)}
.scroll{overflow-x:auto}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;color:var(--muted);font-size:12px;margin-bottom:8px}
.legend i{display:inline-block;vertical-align:middle;margin-right:5px}
i.dot{width:10px;height:10px;border-radius:50%}i.box{width:14px;height:10px}i.bar{width:16px;height:5px;margin-right:2px}i.tick{width:0;height:12px;border-left:2px dashed var(--ink)}
i.box.fault{background:#fbe3d6}i.box.outage{background:#e3e8f7}i.box.damage{background:repeating-linear-gradient(45deg,#fde2e2 0 3px,#d93025 3px 5px)}
.dot.watchdog,svg .watchdog{background:#7e57c2;fill:#7e57c2}.dot.failover,svg .failover{background:#ef6c00;fill:#ef6c00}
.dot.server,svg .server{background:#1a73e8;fill:#1a73e8}.dot.harness,svg .harness{background:#202124;fill:#202124}.dot.forbidden,svg .forbidden{background:#d93025;fill:#d93025}
svg{font:12px system-ui,sans-serif;display:block}
svg .lane0{fill:#fff}svg .lane1{fill:#f6f8fb}svg .lane-label{font-weight:700;font-size:13px;fill:var(--ink)}svg .row-label{font-size:9px;fill:#9aa0a6}
svg .grid{stroke:#e8eaed}svg .tick{fill:var(--muted);text-anchor:middle;font-size:11px}
svg .fault rect{opacity:.85}svg .window-label{font-size:11px;font-weight:600;fill:#b3441e}svg .damage .window-label{fill:var(--fail)}svg .outage rect{opacity:.45}svg .outage .window-label{fill:#3b4f8f}
svg .step rect{fill:#e8f0fe;stroke:#aecbfa}svg .step text{font-size:11px;fill:#174ea6}
svg .mark{stroke:#fff;stroke-width:1;cursor:pointer}svg .mark:hover,svg .mark.on{r:7;stroke:#000}
.role-primary,svg .role-primary{background:#1a73e8;fill:#1a73e8}.role-vip,svg .role-vip{background:#f9ab00;fill:#f9ab00}
.bar.pass,svg .span.pass{background:var(--pass);fill:var(--pass)}.bar.fail,svg .span.fail{background:var(--fail);fill:var(--fail)}
svg .span.unknown{fill:var(--unknown)}svg .span.unjudged{fill:#9aa0a6}
svg .budget{stroke:var(--ink);stroke-width:2;stroke-dasharray:3 2}svg .span-label{font-weight:600}svg .span-value{font-size:11px;fill:var(--ink)}svg .span-value.inside{fill:#fff;font-weight:600}
#tip{position:fixed;max-width:640px;background:#202124;color:#fff;font:12px ui-monospace,Menlo,Consolas,monospace;padding:6px 8px;border-radius:6px;pointer-events:none;white-space:pre-wrap;z-index:9}
tr.hl td{background:#fff3c4 !important}
footer{color:var(--muted);font-size:12px;margin:8px 28px 24px}
"#;

/// Hover shows the event's text next to the pointer; a click jumps to its row in the table.
const JS: &str = r#"
(function(){var tip=document.getElementById('tip');
document.querySelectorAll('circle.mark').forEach(function(c){var t=c.querySelector('title');var text=t?t.textContent:'';
if(t){t.remove();}
c.addEventListener('mouseenter',function(){tip.textContent=text;tip.hidden=false;});
c.addEventListener('mousemove',function(ev){tip.style.left=Math.min(ev.clientX+14,window.innerWidth-660)+'px';tip.style.top=(ev.clientY+14)+'px';});
c.addEventListener('mouseleave',function(){tip.hidden=true;});
c.addEventListener('click',function(){var r=document.getElementById('ev-'+c.dataset.i);if(!r)return;
document.querySelectorAll('tr.hl').forEach(function(x){x.classList.remove('hl');});r.classList.add('hl');r.scrollIntoView({block:'center'});});});})();
"#;
