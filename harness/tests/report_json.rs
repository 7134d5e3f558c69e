//! run.json reads back into a RunRecord and writes out unchanged: the JSON shape is stable and
//! `hachaos report` / `compare` can trust what they read.

use hachaos::report::{parse_run, read_run, read_runs, ReportError};
use std::path::Path;

const REAL_RUN: &str = "tests/data/runs/primary-shutdown-first";

#[test]
fn a_recorded_run_json_round_trips_changing_only_what_format_2_renamed() {
    let text = std::fs::read_to_string(Path::new(REAL_RUN).join("run.json")).unwrap();
    let record = read_run(Path::new(REAL_RUN)).unwrap();
    let mut original: serde_json::Value = serde_json::from_str(&text).unwrap();
    let again = serde_json::to_value(&record).unwrap();
    // Recorded in format 1, which called the release `profile` (docs/reports.md).
    assert_eq!(original["format_version"], 1);
    let obj = original.as_object_mut().unwrap();
    let release = obj.remove("profile").unwrap();
    obj.insert("release".into(), release);
    obj.insert("format_version".into(), 2.into());
    assert_eq!(original, again);
    // And format 2 reads back unchanged.
    let v2 = parse_run(&again.to_string(), Path::new("v2/run.json")).unwrap();
    assert_eq!(serde_json::to_value(&v2).unwrap(), again);
}

#[test]
fn a_run_can_be_named_by_its_directory_or_its_run_json() {
    let by_dir = read_run(Path::new(REAL_RUN)).unwrap();
    let by_file = read_run(&Path::new(REAL_RUN).join("run.json")).unwrap();
    assert_eq!(by_dir.run_id, by_file.run_id);
    assert_eq!(by_dir.events.len(), 54);
}

#[test]
fn a_record_from_another_format_version_is_refused_by_name() {
    let text = std::fs::read_to_string(Path::new(REAL_RUN).join("run.json"))
        .unwrap()
        .replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    let err = parse_run(&text, Path::new("x/run.json")).unwrap_err();
    assert!(matches!(err, ReportError::FormatVersion { found: 99, .. }));
    assert_eq!(
        err.to_string(),
        "x/run.json has format_version 99, this hachaos reads 1 to 2"
    );
}

#[test]
fn a_directory_without_runs_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_runs(dir.path()).unwrap_err();
    assert!(
        err.to_string().starts_with("no run.json found in "),
        "{err}"
    );
}

#[test]
fn a_scenario_directory_yields_its_runs_oldest_first_and_skips_latest() {
    let dir = tempfile::tempdir().unwrap();
    for (id, src) in [
        ("b", "tests/data/report/slower/run.json"),
        ("a", "tests/data/runs/primary-shutdown-first/run.json"),
    ] {
        std::fs::create_dir(dir.path().join(id)).unwrap();
        std::fs::copy(src, dir.path().join(id).join("run.json")).unwrap();
    }
    std::os::unix::fs::symlink("b", dir.path().join("latest")).unwrap();
    let runs = read_runs(dir.path()).unwrap();
    let ids: Vec<_> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r3ba20573", "r5107e4d2"]);
}
