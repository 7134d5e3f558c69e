//! The suite's `index.html`: one self-contained page (inline CSS, no script) with the outcome
//! counts, where the time went, and the matrix scenario × release × repeat, each cell showing the
//! case's outcome and measured phases and linking to its run's timeline. Every string from a
//! record passes through [`escape`].

use crate::measure::MeasurementKind;
use crate::report::escape::escape;
use crate::report::html::CSS;
use crate::suite::{Outcome, SuiteRecord};
use std::fmt::Write;

const EXTRA_CSS: &str = r#"
table.matrix td { vertical-align: top; min-width: 9em; }
table.matrix td.pass { background: #e6f4ea; }
table.matrix td.fail { background: #fce8e6; }
table.matrix td.unknown, table.matrix td.environment { background: #fef7e0; }
table.matrix td.not_run, table.matrix td.interrupted { background: #f1f3f4; }
table.matrix .phases { font-size: 85%; color: #444; }
table.matrix .outcome { font-weight: bold; }
"#;

/// Renders `suite` as its `index.html`. Links are relative to the suite folder.
pub fn render_index(suite: &SuiteRecord) -> String {
    let verdict = match suite.exit_code().code() {
        0 => "pass",
        1 => "fail",
        130 => "interrupted",
        3 => "environment",
        _ => "unknown",
    };
    let class = if verdict == "pass" { "pass" } else { "fail" };
    let counts = suite
        .counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{verdict} · suite {id} · hachaos</title>
<style>{CSS}{EXTRA_CSS}</style></head><body>
<header class="{class}"><div class="verdict">{verdict}</div><div><h1>Suite {id}</h1><p>{n} case(s): {counts}; {wall:.1} s wall with {jobs} cluster(s) at once{shard}{merged}</p></div></header>
"#,
        id = escape(&suite.suite_id),
        n = suite.cases.len(),
        counts = escape(&counts),
        wall = suite.duration_ms as f64 / 1000.0,
        jobs = suite.jobs,
        shard = suite
            .shard
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default(),
        merged = if suite.merged_from.is_empty() {
            String::new()
        } else {
            format!(", merged from {}", escape(&suite.merged_from.join(", ")))
        },
    );

    // The matrix: rows are scenarios in suite order, columns release × repeat.
    let mut scenarios: Vec<&str> = Vec::new();
    let mut columns: Vec<(&str, u32)> = Vec::new();
    for c in &suite.cases {
        if !scenarios.contains(&c.case.scenario.as_str()) {
            scenarios.push(&c.case.scenario);
        }
        let col = (c.case.release.as_str(), c.case.repeat);
        if !columns.contains(&col) {
            columns.push(col);
        }
    }
    columns.sort();
    o.push_str(r#"<section><h2>Cases</h2><table class="matrix"><thead><tr><th>scenario</th>"#);
    for (release, repeat) in &columns {
        let _ = write!(o, "<th>{} #{repeat}</th>", escape(release));
    }
    o.push_str("</tr></thead><tbody>");
    for s in &scenarios {
        let _ = write!(o, r#"<tr><td class="name">{}</td>"#, escape(s));
        for (release, repeat) in &columns {
            let case = suite.cases.iter().find(|c| {
                c.case.scenario == *s && c.case.release == *release && c.case.repeat == *repeat
            });
            match case {
                None => o.push_str("<td></td>"),
                Some(c) => {
                    let outcome = c.outcome.name();
                    let label = match &c.run_dir {
                        Some(d) if c.outcome != Outcome::NotRun => {
                            format!(r#"<a href="{}/timeline.html">{outcome}</a>"#, escape(d))
                        }
                        _ => outcome.to_string(),
                    };
                    let phases = MeasurementKind::ALL
                        .iter()
                        .filter_map(|k| {
                            c.measurements
                                .get(k.name())
                                .map(|v| format!("{} {v:.1}", k.name()))
                        })
                        .collect::<Vec<_>>()
                        .join("<br>");
                    let title = c
                        .error
                        .as_deref()
                        .or(c.failed_checks.first().map(String::as_str))
                        .unwrap_or("");
                    let _ = write!(
                        o,
                        r#"<td class="{outcome}" title="{}"><div class="outcome">{label}</div><div class="phases">{phases}</div><div class="phases">{:.0} s</div></td>"#,
                        escape(title),
                        c.duration_ms as f64 / 1000.0
                    );
                }
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table><p>Phases in seconds from the fault; each cell links to its run's timeline.</p></section>");

    // Where the time went.
    let total: u64 = suite.totals.total_ms().max(1);
    o.push_str(r#"<section><h2>Where the time went <small>summed over cases</small></h2><table class="checks"><thead><tr><th>phase</th><th>seconds</th><th>share</th></tr></thead><tbody>"#);
    for (name, ms) in suite.totals.phases() {
        let _ = write!(
            o,
            "<tr><td>{name}</td><td>{:.1}</td><td>{:.0}%</td></tr>",
            ms as f64 / 1000.0,
            ms as f64 * 100.0 / total as f64
        );
    }
    for i in &suite.images {
        let _ = write!(
            o,
            "<tr><td>image {} ({})</td><td>{:.1}</td><td>once</td></tr>",
            escape(&i.release),
            escape(&i.image),
            i.ms as f64 / 1000.0
        );
    }
    o.push_str("</tbody></table></section>");

    // Failures with their reproduce lines.
    let bad: Vec<_> = suite
        .cases
        .iter()
        .filter(|c| !matches!(c.outcome, Outcome::Pass | Outcome::NotRun))
        .collect();
    if !bad.is_empty() {
        o.push_str(r#"<section><h2>Not passed</h2><table class="checks"><thead><tr><th>case</th><th>why</th><th>reproduce</th></tr></thead><tbody>"#);
        for c in bad {
            let why = c
                .error
                .clone()
                .unwrap_or_else(|| c.failed_checks.join("; "));
            let _ = write!(
                o,
                r#"<tr class="fail"><td class="name">{}</td><td class="evidence">{}</td><td class="evidence">{}</td></tr>"#,
                escape(&c.name),
                escape(&why),
                escape(&c.reproduce)
            );
        }
        o.push_str("</tbody></table></section>");
    }
    let _ = writeln!(
        o,
        "<footer><p>{}</p></footer></body></html>",
        escape(&suite.command)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Case, CaseRecord};

    #[test]
    fn the_matrix_links_each_case_to_its_timeline_and_escapes_names() {
        let mut pass = CaseRecord::without_run(
            Case {
                scenario: "primary-crash".into(),
                release: "pg17-pgpool46".into(),
                repeat: 1,
            },
            "f".into(),
            Outcome::Pass,
            None,
            "r".into(),
        );
        pass.run_dir = Some("runs/pg17-pgpool46/primary-crash/abc".into());
        pass.measurements.insert("promote".into(), 12.34);
        let env = CaseRecord::without_run(
            Case {
                scenario: "<script>".into(),
                release: "pg15-pgpool43".into(),
                repeat: 2,
            },
            "f".into(),
            Outcome::Environment,
            Some("boot failed".into()),
            "hachaos run x".into(),
        );
        let mut suite = SuiteRecord {
            format_version: 1,
            harness_version: "0".into(),
            suite_id: "s".into(),
            started_at: String::new(),
            duration_ms: 61_000,
            jobs: 3,
            shard: None,
            merged_from: vec![],
            images: vec![],
            cases: vec![pass, env],
            totals: Default::default(),
            counts: Default::default(),
            command: "hachaos run faults".into(),
        };
        suite.summarise();
        let html = render_index(&suite);
        assert!(html
            .contains(r#"<a href="runs/pg17-pgpool46/primary-crash/abc/timeline.html">pass</a>"#));
        assert!(html.contains("promote 12.3"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("pg15-pgpool43 #2") && html.contains("pg17-pgpool46 #1"));
        assert!(html.contains("boot failed"));
    }
}
