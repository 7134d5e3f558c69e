//! compare on recorded records: a slower promote and a newly failing check regress; the same run
//! does not; repeated runs compare p50/p95/max and pass rates; exit codes say which.

use assert_cmd::Command;
use hachaos::checks::Verdict;
use hachaos::measure::MeasurementKind;
use hachaos::report::compare::{compare, render_comparison, Threshold};
use hachaos::report::read_run;
use hachaos::run::RunRecord;
use std::path::Path;

const OLD: &str = "tests/data/runs/primary-shutdown-first";
const NEW: &str = "tests/data/report/slower";

fn run(path: &str) -> RunRecord {
    read_run(Path::new(path)).unwrap()
}

fn with_promote(mut r: RunRecord, secs: f64, id: &str) -> RunRecord {
    for m in &mut r.measurements {
        if m.kind == MeasurementKind::Promote {
            m.seconds = Some(secs);
        }
    }
    r.run_id = id.to_string();
    r
}

#[test]
fn a_slower_promote_and_a_newly_failing_check_are_regressions() {
    let c = compare(&[run(OLD)], &[run(NEW)], Threshold::default());
    assert!(c.regressed);
    let promote = c
        .measurements
        .iter()
        .find(|m| m.kind == MeasurementKind::Promote)
        .unwrap();
    assert_eq!(promote.regressions, ["13.18 s -> 16.90 s (+28 %)"]);
    let others = c
        .measurements
        .iter()
        .filter(|m| m.kind != MeasurementKind::Promote);
    assert!(others.into_iter().all(|m| m.regressions.is_empty()));
    let changed: Vec<_> = c.checks.iter().filter(|x| x.changed).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].name, "single_executor");
    assert_eq!(
        (changed[0].old.clone(), changed[0].new.clone()),
        (vec![Verdict::Pass], vec![Verdict::Fail])
    );
    insta::assert_snapshot!("compare_slower_promote", render_comparison(&c));
}

#[test]
fn a_run_compared_with_itself_has_no_regression() {
    let c = compare(&[run(OLD)], &[run(OLD)], Threshold::default());
    assert!(!c.regressed);
    assert!(c.checks.iter().all(|x| !x.changed));
}

#[test]
fn the_relative_threshold_and_the_absolute_floor_both_have_to_be_exceeded() {
    let loose = Threshold {
        relative: 0.30,
        floor_s: 0.5,
    };
    assert!(!compare(&[run(OLD)], &[with_promote(run(OLD), 16.9, "x")], loose).regressed);
    let high_floor = Threshold {
        relative: 0.1,
        floor_s: 5.0,
    };
    assert!(
        !compare(
            &[run(OLD)],
            &[with_promote(run(OLD), 16.9, "x")],
            high_floor
        )
        .regressed
    );
}

#[test]
fn repeated_runs_compare_percentiles_and_pass_rates() {
    let old: Vec<_> = [13.0, 13.2, 13.1, 13.4]
        .iter()
        .map(|s| with_promote(run(OLD), *s, "o"))
        .collect();
    let mut new: Vec<_> = [13.1, 13.0, 13.3, 19.0]
        .iter()
        .map(|s| with_promote(run(OLD), *s, "n"))
        .collect();
    new[0].checks[2].verdict = Verdict::Fail;
    let c = compare(&old, &new, Threshold::default());
    let p = c
        .measurements
        .iter()
        .find(|m| m.kind == MeasurementKind::Promote)
        .unwrap();
    assert_eq!(
        (p.old.p50, p.old.p95, p.old.max),
        (Some(13.1), Some(13.4), Some(13.4))
    );
    assert_eq!(
        (p.new.p50, p.new.p95, p.new.max),
        (Some(13.1), Some(19.0), Some(19.0))
    );
    assert_eq!(p.regressions, ["p95 13.40 s -> 19.00 s (+42 %)"]);
    let ids = c.checks.iter().find(|x| x.name == "ids_agree").unwrap();
    assert_eq!(
        (ids.old_pass_rate, ids.new_pass_rate),
        (Some(1.0), Some(0.75))
    );
    assert!(ids.regressed);
}

#[test]
fn compare_exits_1_on_regression_0_without_and_2_on_bad_input() {
    let bin = || Command::cargo_bin("hachaos").unwrap();
    bin().args(["compare", OLD, NEW]).assert().code(1);
    bin().args(["compare", OLD, OLD]).assert().code(0);
    bin()
        .args(["compare", OLD, NEW, "--threshold", "50%"])
        .assert()
        .code(1); // the failing check still regresses
    bin()
        .args(["compare", OLD, "tests/data/report/nothing-here"])
        .assert()
        .code(2);
    bin()
        .args(["compare", OLD, OLD, "--threshold", "fast"])
        .assert()
        .code(2);
    let out = bin()
        .args(["compare", OLD, NEW, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["regressed"], true);
}

#[test]
fn a_damage_window_that_opens_is_a_regression_like_a_slower_phase() {
    let with_window = |mut r: RunRecord, secs: f64, id: &str| {
        r.measurements.push(hachaos::run::MeasurementRecord {
            kind: MeasurementKind::TwoPrimaries,
            seconds: Some(secs),
            budget_s: None,
            budget_derivation: String::new(),
            node: None,
            evidence: String::new(),
        });
        r.run_id = id.to_string();
        r
    };
    let old = with_window(run(OLD), 0.0, "old");
    let new = with_window(run(OLD), 5.2, "new");
    let c = compare(std::slice::from_ref(&old), &[new], Threshold::default());
    let w = c
        .measurements
        .iter()
        .find(|m| m.kind == MeasurementKind::TwoPrimaries)
        .unwrap();
    assert!(!w.regressions.is_empty(), "{w:?}");
    assert!(c.regressed);
    let same = compare(
        std::slice::from_ref(&old),
        std::slice::from_ref(&old),
        Threshold::default(),
    );
    assert!(!same.regressed);
}
