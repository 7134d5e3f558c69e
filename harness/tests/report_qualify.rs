//! Release qualification on the recorded run records: a candidate derived from the baseline with
//! one change at a time (a slower phase, a flipped check, lost writes, an event removed, moved or
//! added, a run error, a missing scenario) reports it and counts it as a regression; identical
//! sides do not. Then the thresholds file, the four renderings (JUnit validated with xmllint),
//! loading sides from disk and the `qualify-report` exit codes.

use assert_cmd::Command;
use hachaos::checks::Verdict;
use hachaos::measure::MeasurementKind;
use hachaos::report::qualify::{
    load_side, render_html, render_junit, render_text, write_qualification, Qualification,
    QualifyThresholds, RegressionCheck, Side,
};
use hachaos::report::read_run;
use hachaos::run::RunRecord;
use hachaos::timeline::EventKind;
use std::path::Path;

#[path = "support/xmllint.rs"]
mod xmllint;

const RUNS: &str = "tests/data/runs";
const SCENARIOS: [&str; 4] = [
    "partition",
    "primary-crash-recover",
    "primary-disk-readonly",
    "primary-shutdown-first",
];

fn run(dir: &str) -> RunRecord {
    read_run(&Path::new(RUNS).join(dir)).unwrap()
}

fn all_runs() -> Vec<RunRecord> {
    SCENARIOS.iter().map(|s| run(s)).collect()
}

/// `edit` applied to the run of `scenario` (by scenario name) among all four.
fn candidate_with(scenario: &str, edit: impl Fn(&mut RunRecord)) -> Vec<RunRecord> {
    let mut runs = all_runs();
    let r = runs
        .iter_mut()
        .find(|r| r.scenario.name == scenario)
        .unwrap();
    edit(r);
    r.run_id = format!("{}-candidate", r.run_id);
    runs
}

fn qualify(candidate: Vec<RunRecord>, t: &QualifyThresholds) -> Qualification {
    Qualification::new(
        &Side::new("pg16-pgpool45", all_runs()),
        &Side::new("pg17-pgpool46", candidate),
        t,
    )
}

fn failed(q: &Qualification) -> Vec<(String, String)> {
    q.regressions()
        .map(|r| (r.scenario.clone(), r.name.clone()))
        .collect()
}

fn rule<'a>(q: &'a Qualification, scenario: &str, name: &str) -> &'a RegressionCheck {
    q.checks
        .iter()
        .find(|r| r.scenario == scenario && r.name == name)
        .unwrap_or_else(|| panic!("no rule {scenario} / {name}"))
}

fn pair(scenario: &str, name: &str) -> (String, String) {
    (scenario.to_string(), name.to_string())
}

/// `n` repeats of each run, run `i` with every measurement `+ i x 10 ms` (the same spread on
/// both sides), as a `--repeat n` qualification would record them.
fn repeated(runs: &[RunRecord], n: usize, tag: &str) -> Vec<RunRecord> {
    let mut out = Vec::new();
    for i in 0..n {
        for r in runs {
            let mut r = r.clone();
            for m in &mut r.measurements {
                m.seconds = m.seconds.map(|s| s + 0.01 * i as f64);
            }
            r.run_id = format!("{}-{tag}{i}", r.run_id);
            r.started_at = format!("2026-11-25T13:0{i}:00+00:00");
            out.push(r);
        }
    }
    out
}

fn set_seconds(r: &mut RunRecord, kind: MeasurementKind, f: impl Fn(f64) -> f64) {
    for m in r.measurements.iter_mut().filter(|m| m.kind == kind) {
        m.seconds = m.seconds.map(&f);
    }
}

#[test]
fn identical_sides_do_not_regress_and_every_rule_is_still_evaluated() {
    let q = qualify(all_runs(), &QualifyThresholds::default());
    assert!(!q.regressed, "{}", render_text(&q));
    assert_eq!(q.scenarios.len(), 4);
    assert_eq!((q.baseline.runs, q.candidate.runs), (4, 4));
    // Per scenario: run errors, pass rate, lost writes, event sequence (4), one per check and
    // one per measured phase.
    let per = |name: &str, checks: usize, phases: usize| {
        let n = q.checks.iter().filter(|r| r.scenario == name).count();
        assert_eq!(n, 4 + checks + phases, "{name}");
    };
    per("partition", 22, 7);
    per("primary-crash-recover", 25, 7);
    per("primary-disk-readonly", 25, 6);
    per("primary-shutdown", 21, 6);
    assert_eq!(q.checks.len(), 135);
    for s in &q.scenarios {
        assert!(s.sequences.is_empty(), "{}", s.scenario);
        assert!(s.checks.iter().all(|c| !c.changed));
        for m in &s.measurements {
            assert!(m.delta.delta_p50_s.is_none_or(|d| d == 0.0));
        }
    }
    // The baseline's own failures are not the candidate's regressions.
    let shutdown = q.scenario("primary-shutdown").unwrap();
    assert_eq!(shutdown.baseline.as_ref().unwrap().passed, 0);
    assert!(rule(&q, "primary-shutdown", "pass rate").passed);
}

#[test]
fn a_phase_slowed_by_two_seconds_in_one_run_per_side_is_inconclusive() {
    // What the p50 rule used to call a regression: one run per side cannot show one.
    let c = candidate_with("partition", |r| {
        set_seconds(r, MeasurementKind::Detect, |s| s + 2.0)
    });
    let q = qualify(c, &QualifyThresholds::default());
    assert!(!q.regressed, "{}", render_text(&q));
    let detail = &rule(&q, "partition", "measurement: detect").detail;
    assert!(
        detail.starts_with("inconclusive: shift +2.00 s") && detail.contains("runs per side"),
        "{detail}"
    );
    assert!(
        detail.ends_with("1.17 s -> 3.17 s (+171 %); threshold +20% and +0.50 s"),
        "{detail}"
    );
}

#[test]
fn a_phase_slowed_by_two_seconds_in_five_runs_per_side_regresses_with_its_deltas() {
    let b = repeated(&all_runs(), 5, "b");
    let c = repeated(
        &candidate_with("partition", |r| {
            set_seconds(r, MeasurementKind::Detect, |s| s + 2.0)
        }),
        5,
        "c",
    );
    let q = Qualification::new(
        &Side::new("pg16-pgpool45", b),
        &Side::new("pg17-pgpool46", c),
        &QualifyThresholds::default(),
    );
    assert!(q.regressed);
    assert_eq!(failed(&q), [pair("partition", "measurement: detect")]);
    let s = q.scenario("partition").unwrap();
    let detect = s
        .measurements
        .iter()
        .find(|m| m.delta.kind == MeasurementKind::Detect)
        .unwrap();
    assert_eq!(detect.delta.old.p50, Some(1.191));
    assert!((detect.delta.new.p50.unwrap() - 3.191).abs() < 1e-9);
    assert!((detect.delta.delta_p50_s.unwrap() - 2.0).abs() < 1e-9);
    assert!((detect.delta.delta_p95_s.unwrap() - 2.0).abs() < 1e-9);
    let detail = &rule(&q, "partition", "measurement: detect").detail;
    assert!(
        detail.starts_with("regressed: shift +2.00 s")
            && detail.contains("rank test p = 0.008 exact over 5 + 5 runs"),
        "{detail}"
    );
    // Every other phase, with the same spread on both sides, is not a regression.
    for s in &q.scenarios {
        for m in &s.measurements {
            if !(s.scenario == "partition" && m.delta.kind == MeasurementKind::Detect) {
                assert_ne!(
                    m.timing.verdict,
                    hachaos::report::qualify::TimingVerdict::Regressed,
                    "{} {}",
                    s.scenario,
                    m.timing.detail
                );
            }
        }
    }
    let text = render_text(&q);
    assert!(
        text.contains("REGRESSION: regressed: shift +2.00 s"),
        "{text}"
    );
    assert!(text.contains("+2.00   +2.00"), "{text}");
}

#[test]
fn a_release_against_itself_with_its_own_spread_reports_no_timing_regression() {
    // Ten runs of one release (the recorded runs with a spread of up to +-0.44 s), split into
    // two sides of five every way a rotation gives: never a regression.
    let noise = [0.0, 0.31, -0.12, 0.05, 0.44, -0.2, 0.17, -0.35, 0.09, 0.26];
    let runs: Vec<Vec<RunRecord>> = noise
        .iter()
        .enumerate()
        .map(|(i, n)| {
            all_runs()
                .into_iter()
                .map(|mut r| {
                    for m in &mut r.measurements {
                        m.seconds = m.seconds.map(|s| (s + n).max(0.0));
                    }
                    r.run_id = format!("{}-{i}", r.run_id);
                    r.started_at = format!("2026-11-25T13:{i:02}:00+00:00");
                    r
                })
                .collect()
        })
        .collect();
    for k in 0..noise.len() {
        let pick = |first: bool| -> Vec<RunRecord> {
            (0..noise.len())
                .filter(|i| ((i + noise.len() - k) % noise.len() < 5) == first)
                .flat_map(|i| runs[i].clone())
                .collect()
        };
        let q = Qualification::new(
            &Side::new("pg17-pgpool46", pick(true)),
            &Side::new("pg17-pgpool46", pick(false)),
            &QualifyThresholds::default(),
        );
        assert!(!q.regressed, "rotation {k}: {}", render_text(&q));
    }
}

#[test]
fn per_phase_overrides_decide_the_same_slowdown_differently() {
    // promote 12.85 s -> 14.85 s is +15.6 %: within the default 20 %, beyond a 10 % override.
    let c = || {
        candidate_with("primary-crash-recover", |r| {
            set_seconds(r, MeasurementKind::Promote, |s| s + 2.0)
        })
    };
    let sides = |t: &QualifyThresholds| {
        Qualification::new(
            &Side::new("pg16-pgpool45", repeated(&all_runs(), 5, "b")),
            &Side::new("pg17-pgpool46", repeated(&c(), 5, "c")),
            t,
        )
    };
    assert!(!sides(&QualifyThresholds::default()).regressed);
    let strict = QualifyThresholds::from_yaml(
        "strict.yaml",
        "measurements:\n  promote: {relative: 10%, floor: 1s}\n",
    )
    .unwrap();
    let q = sides(&strict);
    assert_eq!(
        failed(&q),
        [pair("primary-crash-recover", "measurement: promote")]
    );
    assert!(rule(&q, "primary-crash-recover", "measurement: promote")
        .detail
        .ends_with("threshold +10% and +1.00 s"));
}

#[test]
fn repeated_runs_compare_p50_and_p95() {
    let repeats = |secs: &[f64], tag: &str| -> Vec<RunRecord> {
        secs.iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r = run("primary-crash-recover");
                set_seconds(&mut r, MeasurementKind::Promote, |_| *s);
                r.run_id = format!("{tag}{i}");
                r.started_at = format!("2026-11-25T13:0{i}:00+00:00");
                r
            })
            .collect()
    };
    let q = Qualification::new(
        &Side::new("old", repeats(&[12.85, 13.0, 13.1], "b")),
        &Side::new("new", repeats(&[12.9, 16.0, 13.0], "c")),
        &QualifyThresholds::default(),
    );
    let s = &q.scenarios[0];
    let p = s
        .measurements
        .iter()
        .find(|m| m.delta.kind == MeasurementKind::Promote)
        .unwrap();
    assert_eq!(
        (
            p.delta.old.p50,
            p.delta.old.p95,
            p.delta.old.max,
            p.delta.old.runs
        ),
        (Some(13.0), Some(13.1), Some(13.1), 3)
    );
    assert_eq!(
        (p.delta.new.p50, p.delta.new.p95, p.delta.new.max),
        (Some(13.0), Some(16.0), Some(16.0))
    );
    // The p95 crosses the threshold, but one slow run in three is not a regression the
    // spread can show: inconclusive, with the repeats that would tell.
    assert_eq!(p.delta.regressions, ["p95 13.10 s -> 16.00 s (+22 %)"]);
    assert!(failed(&q).is_empty(), "{}", render_text(&q));
    assert_eq!(
        p.timing.verdict,
        hachaos::report::qualify::TimingVerdict::Inconclusive
    );
    assert!(p.timing.repeats_needed.unwrap() > 3, "{}", p.timing.detail);
    assert_eq!(s.baseline.as_ref().unwrap().representative, "b0");
    assert_eq!(s.candidate.as_ref().unwrap().run_ids, ["c0", "c1", "c2"]);
}

#[test]
fn a_check_flipped_to_fail_is_a_verdict_change_and_a_pass_rate_drop() {
    let c = candidate_with("primary-crash-recover", |r| {
        let check = r
            .checks
            .iter_mut()
            .find(|c| c.name == "single_executor")
            .unwrap();
        check.verdict = Verdict::Fail;
        check.evidence = "2 failover(s), run by node1 and node2".into();
        r.verdict = Verdict::Fail;
    });
    let q = qualify(c, &QualifyThresholds::default());
    assert_eq!(
        failed(&q),
        [
            pair("primary-crash-recover", "pass rate"),
            pair("primary-crash-recover", "check: single_executor"),
        ]
    );
    assert_eq!(
        rule(&q, "primary-crash-recover", "check: single_executor").detail,
        "pass -> fail"
    );
    assert_eq!(
        rule(&q, "primary-crash-recover", "pass rate").detail,
        "baseline 100% (1 of 1), candidate 0% (0 of 1), allowed drop 0%"
    );
    let text = render_text(&q);
    assert!(text.contains("  verdict: pass -> fail"), "{text}");
    assert!(
        text.contains("  check single_executor: pass -> fail"),
        "{text}"
    );
    // An allowed pass-rate drop does not excuse the check's own drop beyond it.
    let lenient = QualifyThresholds {
        pass_rate_drop: 0.5,
        ..QualifyThresholds::default()
    };
    let q = qualify(
        candidate_with("primary-crash-recover", |r| {
            r.checks[1].verdict = Verdict::Fail;
            r.verdict = Verdict::Fail;
        }),
        &lenient,
    );
    assert_eq!(failed(&q).len(), 2);
}

#[test]
fn lost_writes_beyond_the_allowance_regress_unless_the_scenario_expects_them() {
    let c = || {
        candidate_with("primary-crash-recover", |r| {
            r.writes.lost = Some(vec![41, 42, 43]);
        })
    };
    let q = qualify(c(), &QualifyThresholds::default());
    assert_eq!(failed(&q), [pair("primary-crash-recover", "lost writes")]);
    assert_eq!(
        rule(&q, "primary-crash-recover", "lost writes").detail,
        "lost per run: baseline max 0 (sum 0), candidate max 3 (sum 3); allowed 0"
    );
    let lost = q
        .scenario("primary-crash-recover")
        .unwrap()
        .candidate
        .as_ref()
        .unwrap()
        .lost_writes;
    assert_eq!((lost.sum, lost.max, lost.unchecked), (3, 3, 0));
    let three = QualifyThresholds {
        max_lost_writes: 3,
        ..QualifyThresholds::default()
    };
    assert!(!qualify(c(), &three).regressed);
    // partition declares lost-writes as expected damage and loses 133 on both sides.
    let q = qualify(all_runs(), &QualifyThresholds::default());
    let r = rule(&q, "partition", "lost writes");
    assert!(r.passed);
    assert!(r
        .detail
        .starts_with("lost-writes is this scenario's expected damage"));
    assert!(
        r.detail.contains("candidate max 133 (sum 133)"),
        "{}",
        r.detail
    );
}

#[test]
fn an_event_that_vanished_moved_or_appeared_is_a_sequence_regression() {
    let removed = candidate_with("primary-crash-recover", |r| {
        r.events
            .retain(|e| !(e.node == "node2" && e.kind == EventKind::PeerLost));
    });
    let moved = candidate_with("primary-crash-recover", |r| {
        let (mut lost, rest): (Vec<_>, Vec<_>) = r
            .events
            .drain(..)
            .partition(|e| e.node == "node2" && e.kind == EventKind::LeaderLost);
        r.events = rest;
        r.events.append(&mut lost);
    });
    let added = candidate_with("primary-crash-recover", |r| {
        let mut e = r.events.iter().find(|e| e.node == "node1").unwrap().clone();
        e.kind = EventKind::Forbidden;
        e.text = "PANIC: <could not write> & 'stop'".into();
        r.events.push(e);
    });
    for (runs, field, kind) in [
        (removed, "removed", EventKind::PeerLost),
        (moved, "moved", EventKind::LeaderLost),
        (added, "added", EventKind::Forbidden),
    ] {
        let q = qualify(runs.clone(), &QualifyThresholds::default());
        assert_eq!(
            failed(&q),
            [pair("primary-crash-recover", "event sequence")],
            "{field}"
        );
        let seq = &q.scenario("primary-crash-recover").unwrap().sequences;
        assert_eq!(seq.len(), 1, "{field}");
        let d = &seq[0];
        let (list, others) = match field {
            "removed" => (&d.removed, [&d.added, &d.moved]),
            "moved" => (&d.moved, [&d.added, &d.removed]),
            _ => (&d.added, [&d.removed, &d.moved]),
        };
        assert_eq!(list, &[kind], "{field}");
        assert!(others.iter().all(|o| o.is_empty()), "{field}");
        let sign = match field {
            "removed" => "-",
            "moved" => "~",
            _ => "+",
        };
        assert!(
            rule(&q, "primary-crash-recover", "event sequence")
                .detail
                .ends_with(&format!("differ: {}: {sign}{}", d.node, kind.name())),
            "{field}"
        );
        let allow = QualifyThresholds {
            allow_sequence_changes: true,
            ..QualifyThresholds::default()
        };
        let q = qualify(runs, &allow);
        assert!(!q.regressed, "{field}");
        assert_eq!(
            q.scenario("primary-crash-recover").unwrap().sequences.len(),
            1
        );
    }
}

#[test]
fn a_run_error_and_a_missing_scenario_regress_new_scenarios_do_not() {
    let mut c = candidate_with("primary-crash-recover", |r| {
        r.error = Some("setup failed: node2 never became ready".into());
        r.verdict = Verdict::Unknown;
    });
    c.retain(|r| {
        r.scenario.name != "primary-disk-readonly" && r.scenario.name != "primary-shutdown"
    });
    let mut extra = run("partition");
    extra.scenario.name = "partition-long".into();
    c.push(extra);
    let q = qualify(c, &QualifyThresholds::default());
    assert_eq!(
        failed(&q),
        [
            pair("primary-crash-recover", "run errors"),
            pair("primary-crash-recover", "pass rate"),
            pair("primary-disk-readonly", "present on candidate"),
        ]
    );
    assert!(rule(&q, "primary-crash-recover", "run errors")
        .detail
        .ends_with(
            "candidate 1 of 1; r6144d321-candidate: setup failed: node2 never became ready"
        ));
    // The baseline never passed primary-shutdown: its absence is reported, not a regression.
    let r = rule(&q, "primary-shutdown", "present on candidate");
    assert!(r.passed);
    assert!(q.scenario("primary-shutdown").unwrap().candidate.is_none());
    assert!(rule(&q, "partition-long", "present on baseline").passed);
    assert!(q.scenario("partition-long").unwrap().baseline.is_none());
    let text = render_text(&q);
    assert!(
        text.contains(
            "primary-disk-readonly    (baseline: 1 of 1 passed (100%); candidate: not run)"
        ),
        "{text}"
    );
    assert!(
        text.contains("ended early: setup failed: node2 never became ready"),
        "{text}"
    );
}

#[test]
fn a_thresholds_file_error_names_the_file_the_key_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qualify.yaml");
    std::fs::write(
        &path,
        "relative: 20%\nfloor: 1s\nmax_lost_writes: 0\nallow_sequence_change: true\n",
    )
    .unwrap();
    let msg = QualifyThresholds::from_path(&path).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}:4:", path.display())), "{msg}");
    assert!(
        msg.contains("unknown field `allow_sequence_change`"),
        "{msg}"
    );

    std::fs::write(
        &path,
        "measurements:\n  vip: {relative: 30%, floor: soon}\n",
    )
    .unwrap();
    let msg = QualifyThresholds::from_path(&path).unwrap_err().to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains("at `measurements.vip.floor`"), "{msg}");
    assert!(msg.contains("\"soon\""), "{msg}");

    std::fs::write(&path, "max_lost_writes: -1\n").unwrap();
    let err = QualifyThresholds::from_path(&path).unwrap_err();
    assert_eq!(err.path, "max_lost_writes");

    let ok = "relative: 30%\nfloor: 750ms\nmeasurements:\n  promote: {relative: 50%}\npass_rate_drop: 10%\n";
    std::fs::write(&path, ok).unwrap();
    let t = QualifyThresholds::from_path(&path).unwrap();
    assert_eq!((t.default.relative, t.default.floor_s), (0.3, 0.75));
    let promote = t.for_measurement(MeasurementKind::Promote);
    assert_eq!((promote.relative, promote.floor_s), (0.5, 0.75));
    assert_eq!(t.pass_rate_drop, 0.1);
}

fn regressed_example() -> (Vec<RunRecord>, Vec<RunRecord>, Qualification) {
    let mut c = candidate_with("primary-shutdown", |r| {
        set_seconds(r, MeasurementKind::Vip, |s| s + 5.0);
        r.checks[1].verdict = Verdict::Fail;
        r.checks[1].evidence = "two executors <node1> & \"node2\"".into();
    });
    c.retain(|r| r.scenario.name != "primary-disk-readonly");
    let b = all_runs();
    let q = Qualification::new(
        &Side::new("pg16-pgpool45", b.clone()),
        &Side::new("pg17-pgpool46", c.clone()),
        &QualifyThresholds::default(),
    );
    (b, c, q)
}

#[test]
fn junit_has_a_case_per_scenario_and_release_and_per_rule_and_validates() {
    let (_, _, q) = regressed_example();
    let xml = render_junit(&q);
    assert!(xml.contains(r#"<testsuite name="qualify.pg16-pgpool45" tests="4" skipped="0" errors="0" failures="1">"#), "{xml}");
    assert!(xml.contains(r#"<testsuite name="qualify.pg17-pgpool46" tests="4" skipped="1" errors="0" failures="1">"#), "{xml}");
    let failures = q.regressions().count();
    // The flipped check and the missing scenario (the baseline already failed
    // primary-shutdown, so its pass rate cannot drop); the VIP 5 s slower in one run per side
    // is inconclusive, not a regression.
    assert_eq!(failures, 2);
    assert!(xml.contains(&format!(
        r#"<testsuite name="qualify.regressions" tests="{}" skipped="0" errors="0" failures="{failures}">"#,
        q.checks.len()
    )));
    assert!(xml.contains(r#"<testcase name="primary-disk-readonly [pg17-pgpool46]" classname="qualify.primary-disk-readonly">"#));
    assert!(xml.contains(r#"<testcase name="primary-shutdown: check: single_executor" classname="qualify.primary-shutdown">"#));
    assert!(xml.contains(r#"<testcase name="primary-crash-recover [pg17-pgpool46]" classname="qualify.primary-crash-recover"/>"#));
    // The failing release case carries the evidence and the reproduce line, escaped.
    assert!(
        xml.contains("single_executor (fail): two executors &lt;node1&gt; &amp; &quot;node2&quot;"),
        "{xml}"
    );
    assert!(xml.contains("reproduce: hachaos run faults/primary-shutdown.yaml"));

    if !xmllint::available("junit_has_a_case_per_scenario_and_release_and_per_rule_and_validates") {
        return;
    }
    let clean = qualify(all_runs(), &QualifyThresholds::default());
    for doc in [xml, render_junit(&clean)] {
        if let Err(e) = xmllint::validate(&doc) {
            panic!("{e}");
        }
    }
}

#[test]
fn html_shows_both_releases_side_by_side_self_contained_and_escaped() {
    let (b, c, mut q) = regressed_example();
    let page = render_html(&q, &b, &c);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(r#"<th class="release baseline num">pg16-pgpool45</th><th class="release candidate num">pg17-pgpool46</th>"#));
    // Two timelines for each of the three scenarios both ran, one for the one only the baseline ran.
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 7);
    assert_eq!(page.matches("<p>not run on this release</p>").count(), 1);
    assert!(
        page.contains(r#"<h3>pg17-pgpool46 <small>run r3ba20573-candidate · fail</small></h3>"#)
    );
    assert!(page.contains("Verdict changes"));
    assert!(page.contains("<td class=\"name\">check: single_executor</td>"));
    assert!(page.contains("<td>inconclusive: shift +5.00 s"), "{page}");
    for external in [
        "src=", "href=", "http://", "https://", "@import", "url(http",
    ] {
        assert!(!page.contains(external), "{external}");
    }
    // A hostile release name cannot inject markup.
    q.candidate.release = "<script>alert(1)</script>".into();
    let page = render_html(&q, &b, &c);
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn write_qualification_writes_the_four_files() {
    let (b, c, q) = regressed_example();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q1");
    let files = write_qualification(&out, &q, &b, &c).unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "qualification.json",
            "qualification.xml",
            "qualification.html",
            "qualification.txt"
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["regressed"], true);
    assert_eq!(json["candidate"]["release"], "pg17-pgpool46");
    let shutdown = &json["scenarios"][3];
    assert_eq!(shutdown["scenario"], "primary-shutdown");
    assert_eq!(shutdown["measurements"][3]["kind"], "vip");
    let delta = shutdown["measurements"][3]["delta_p50_s"].as_f64().unwrap();
    assert!((delta - 5.0).abs() < 1e-9, "{delta}");
    assert!(std::fs::read_to_string(&files[3]).unwrap().contains("2 of"));
}

/// Lays runs out as the live qualification does: `<release>/<scenario>/<run>/run.json`, plus
/// a `latest` link that must not count a run twice.
fn lay_out(root: &Path, release: &str, runs: &[RunRecord]) -> std::path::PathBuf {
    let side = root.join(release);
    for r in runs {
        let dir = side.join(&r.scenario.name).join(&r.run_id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.json"), serde_json::to_string(r).unwrap()).unwrap();
        let latest = side.join(&r.scenario.name).join("latest");
        if !latest.exists() {
            std::os::unix::fs::symlink(&r.run_id, latest).unwrap();
        }
    }
    side
}

#[test]
fn load_side_collects_every_run_below_a_release_directory_once() {
    let dir = tempfile::tempdir().unwrap();
    let side = load_side("pg17", &lay_out(dir.path(), "pg17-pgpool46", &all_runs())).unwrap();
    assert_eq!(side.release, "pg17");
    assert_eq!(side.runs().len(), 4);
    assert_eq!(
        side.scenarios().keys().copied().collect::<Vec<_>>(),
        [
            "partition",
            "primary-crash-recover",
            "primary-disk-readonly",
            "primary-shutdown"
        ]
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(empty.join("a/b")).unwrap();
    assert!(load_side("x", &empty)
        .unwrap_err()
        .to_string()
        .starts_with("no run.json found in"));
    std::fs::write(empty.join("a/b/run.json"), "{\"format_version\": 9}").unwrap();
    assert!(load_side("x", &empty)
        .unwrap_err()
        .to_string()
        .contains("has format_version 9"));
}

#[test]
fn qualify_report_exits_0_without_regression_1_with_and_2_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (b, c, _) = regressed_example();
    let base = lay_out(dir.path(), "pg16-pgpool45", &b);
    let cand = lay_out(dir.path(), "pg17-pgpool46", &c);
    let same = lay_out(&dir.path().join("again"), "pg17-pgpool46", &b);
    let bin = || Command::cargo_bin("hachaos").unwrap();
    let args = |b: &Path, c: &Path| {
        vec![
            "qualify-report".to_string(),
            "--baseline".into(),
            b.display().to_string(),
            "--candidate".into(),
            c.display().to_string(),
        ]
    };

    let out = bin().args(args(&base, &same)).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no regression: pg17-pgpool46 qualifies against pg16-pgpool45"),
        "{text}"
    );

    let out_dir = dir.path().join("report");
    let out = bin()
        .args(args(&base, &cand))
        .args(["--format", "json", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["format_version"].as_u64(), v["regressed"].as_bool()),
        (Some(1), Some(true))
    );
    for f in ["json", "xml", "html", "txt"] {
        assert!(out_dir.join(format!("qualification.{f}")).is_file(), "{f}");
    }

    // Loose enough for the slower VIP, but the flipped check and the missing scenario remain.
    bin()
        .args(args(&base, &cand))
        .args(["--threshold", "80%", "--floor", "10s"])
        .assert()
        .code(1);
    // Allowing a 100 % pass-rate drop still leaves single_executor's pass -> fail.
    let thresholds = dir.path().join("loose.yaml");
    std::fs::write(
        &thresholds,
        "relative: 100%\nfloor: 10s\npass_rate_drop: 100%\n",
    )
    .unwrap();
    bin()
        .args(args(&base, &cand))
        .arg("--thresholds")
        .arg(&thresholds)
        .assert()
        .code(1);

    // Bad input.
    bin()
        .args(args(&base, &dir.path().join("nothing-here")))
        .assert()
        .code(2);
    bin()
        .args(args(&base, &same))
        .args(["--threshold", "fast"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--threshold: threshold \"fast\""));
    std::fs::write(&thresholds, "relative: 20%\nflor: 1s\n").unwrap();
    bin()
        .args(args(&base, &same))
        .arg("--thresholds")
        .arg(&thresholds)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("loose.yaml:2:"))
        .stderr(predicates::str::contains("unknown field `flor`"));
}

#[test]
fn known_bugs_and_workarounds_are_reported_per_release() {
    use hachaos::release::{workaround_records, Workaround};
    use hachaos::scenario::known_bug::KnownBugRecord;
    let mark = |runs: &mut Vec<RunRecord>, observed: &str, expected: &str, applied: bool| {
        for r in runs.iter_mut() {
            r.workarounds = if applied {
                workaround_records(&[Workaround::HeartbeatLoopback], &[])
            } else {
                Vec::new()
            };
        }
        let r = runs
            .iter_mut()
            .find(|r| r.scenario.name == "primary-crash-recover")
            .unwrap();
        // The expectation that tells present from fixed is the run's last one here (not its
        // first, which the report would quote without `evidence_lines`).
        let telling: usize = r
            .checks
            .iter()
            .filter_map(|c| c.name.strip_prefix("expect line "))
            .filter_map(|rest| rest.split(':').next()?.parse().ok())
            .next_back()
            .expect("an expectation check");
        r.known_bug = Some(KnownBugRecord {
            id: "heartbeat-receiver-loopback".into(),
            upstream_fix: "4.6.3: \"Fix heartbeat receiver not working.\"".into(),
            expected: expected.into(),
            observed: observed.into(),
            evidence_lines: vec![telling],
        });
    };
    let mut b = all_runs();
    mark(&mut b, "present", "present", true);
    let mut c = all_runs();
    mark(&mut c, "fixed", "fixed", false);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg18-pgpool47", c.clone()),
        &QualifyThresholds::default(),
    );
    assert_eq!(q.known_bugs.len(), 1);
    let k = &q.known_bugs[0];
    assert_eq!(
        (
            k.verdict.as_str(),
            k.baseline.as_str(),
            k.candidate.as_str()
        ),
        ("fixed", "present", "fixed")
    );
    let last_expect = c
        .iter()
        .find(|r| r.scenario.name == "primary-crash-recover")
        .unwrap()
        .checks
        .iter()
        .rfind(|ch| ch.name.starts_with("expect line"))
        .unwrap()
        .name
        .clone();
    assert!(k.evidence.starts_with(&last_expect), "{}", k.evidence);
    let text = render_text(&q);
    assert!(
        text.contains("pg17-pgpool46: heartbeat-loopback (applied in 4 of 4 runs; hides pgpool-II 4.6.0-4.6.2"),
        "{text}"
    );
    assert!(text.contains("pg18-pgpool47: none"), "{text}");
    assert!(
        text.contains("FIXED    heartbeat-receiver-loopback"),
        "{text}"
    );
    // A candidate that behaves as the scenario did not foresee is `new`, one that still has the
    // bug is `present`.
    let mut c2 = all_runs();
    mark(&mut c2, "new", "fixed", false);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg18-pgpool47", c2),
        &QualifyThresholds::default(),
    );
    assert_eq!(q.known_bugs[0].verdict, "new");
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg17-pgpool46", b.clone()),
        &QualifyThresholds::default(),
    );
    assert_eq!(q.known_bugs[0].verdict, "present");
    // Neither release has it: nothing was fixed between them.
    let mut b_fixed = all_runs();
    mark(&mut b_fixed, "fixed", "fixed", false);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b_fixed),
        &Side::new("pg18-pgpool47", c.clone()),
        &QualifyThresholds::default(),
    );
    assert_eq!(q.known_bugs[0].verdict, "absent");
    // A run that could not exercise the bug (its fault did not take effect) says nothing.
    let mut c_unknown = all_runs();
    mark(&mut c_unknown, "unknown", "fixed", false);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg18-pgpool47", c_unknown),
        &QualifyThresholds::default(),
    );
    assert_eq!(q.known_bugs[0].verdict, "unknown");
    let page = render_html(&q, &b, &b);
    assert!(page.contains("Known bugs and workarounds"));

    // A bug present on one release and fixed on the other changes the event sequence: that
    // change is the bug, not a regression. The same change without the bug's states differing
    // still regresses.
    let drop_event = |runs: &mut Vec<RunRecord>| {
        let r = runs
            .iter_mut()
            .find(|r| r.scenario.name == "primary-crash-recover")
            .unwrap();
        let i = r
            .events
            .iter()
            .position(|e| e.kind == EventKind::FailoverDone)
            .unwrap();
        r.events.remove(i);
    };
    let mut c3 = all_runs();
    mark(&mut c3, "fixed", "fixed", false);
    drop_event(&mut c3);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg18-pgpool47", c3),
        &QualifyThresholds::default(),
    );
    let seq = rule(&q, "primary-crash-recover", "event sequence");
    assert!(
        seq.passed && seq.detail.contains("known bug"),
        "{}",
        seq.detail
    );
    let mut c4 = all_runs();
    mark(&mut c4, "present", "present", true);
    drop_event(&mut c4);
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg17-pgpool46", c4),
        &QualifyThresholds::default(),
    );
    assert!(!rule(&q, "primary-crash-recover", "event sequence").passed);
}

/// A release against itself over repeats (self-qualification r82de918f, 5 runs per side) was
/// called regressed because the two sides' most common event sequences differed (a reordered
/// vip_acquired, a missing health-check retry) although each side showed the other's sequence
/// in some run: that is run-to-run variation, not a change. A sequence the baseline never showed
/// still regresses.
#[test]
fn a_sequence_the_baseline_also_showed_is_variation_not_a_regression() {
    let drop_done = |mut r: RunRecord, id: &str| {
        r.run_id = id.into();
        if let Some(i) = r
            .events
            .iter()
            .position(|e| e.kind == EventKind::FailoverDone)
        {
            r.events.remove(i);
        }
        r
    };
    let with_id = |mut r: RunRecord, id: &str| {
        r.run_id = id.into();
        r
    };
    let base = run("primary-crash-recover");
    let b = vec![
        with_id(base.clone(), "b1"),
        with_id(base.clone(), "b2"),
        drop_done(base.clone(), "b3"),
    ];
    let c = vec![
        drop_done(base.clone(), "c1"),
        drop_done(base.clone(), "c2"),
        with_id(base.clone(), "c3"),
    ];
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b.clone()),
        &Side::new("pg17-pgpool46", c),
        &QualifyThresholds::default(),
    );
    let seq: Vec<_> = q
        .checks
        .iter()
        .filter(|x| x.name.ends_with("event sequence"))
        .collect();
    assert!(!seq.is_empty());
    assert!(seq.iter().all(|x| x.passed), "{seq:?}");
    assert!(
        seq[0].detail.contains("within the runs' own variation"),
        "{}",
        seq[0].detail
    );
    // Never seen on the baseline: a change.
    let c = vec![drop_done(base.clone(), "c1"), drop_done(base.clone(), "c2")];
    let b = vec![with_id(base.clone(), "b1"), with_id(base, "b2")];
    let q = Qualification::new(
        &Side::new("pg17-pgpool46", b),
        &Side::new("pg17-pgpool46", c),
        &QualifyThresholds::default(),
    );
    assert!(q
        .checks
        .iter()
        .any(|x| x.name.ends_with("event sequence") && !x.passed));
}
