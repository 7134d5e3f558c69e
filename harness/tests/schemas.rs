//! The JSON Schemas in docs/schemas/ are generated from the record types and validate what
//! hachaos really writes: every recorded run.json, and the qualification and comparison JSON
//! of the CLI over them.
//!
//! After changing a record type: `HACHAOS_UPDATE_SCHEMAS=1 cargo test -p hachaos --test schemas`.

mod recorded;

use assert_cmd::Command;
use recorded::as_format_2;
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

fn schema(name: &str) -> jsonschema::Validator {
    let (_, value) = hachaos::report::schema::schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap();
    jsonschema::validator_for(&value).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn the_committed_schemas_are_generated_from_the_types() {
    let update = std::env::var_os("HACHAOS_UPDATE_SCHEMAS").is_some();
    for (name, value) in hachaos::report::schema::schemas() {
        let path = repo("docs/schemas").join(name);
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (HACHAOS_UPDATE_SCHEMAS=1 writes it)",
                path.display()
            )
        });
        assert!(
            committed == text,
            "{} is stale: run HACHAOS_UPDATE_SCHEMAS=1 cargo test -p hachaos --test schemas",
            path.display()
        );
    }
}

fn recorded_runs() -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(repo("harness/tests/data/runs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("run.json"))
        .filter(|p| p.is_file())
        .collect();
    runs.push(repo("harness/tests/data/report/slower/run.json"));
    runs.sort();
    runs
}

#[test]
fn every_recorded_run_json_validates() {
    let v = schema("run.schema.json");
    let runs = recorded_runs();
    assert!(runs.len() >= 5, "{runs:?}");
    for path in runs {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_valid(&v, &as_format_2(doc), &path.display().to_string());
    }
}

#[test]
fn a_run_json_with_provenance_validates_and_a_broken_one_does_not() {
    let v = schema("run.schema.json");
    let path = repo("harness/tests/data/runs/partition/run.json");
    let mut record = hachaos::report::read_run(&path).unwrap();
    record.provenance = Some(hachaos::run::Provenance {
        engine_version: Some("20.10.24".into()),
        cores: Some(2),
        ..hachaos::run::Provenance::harness()
    });
    let mut doc = serde_json::to_value(&record).unwrap();
    assert_valid(&v, &doc, "with provenance");
    doc["verdict"] = "maybe".into();
    assert!(
        !v.is_valid(&doc),
        "a verdict outside the vocabulary must not validate"
    );
}

fn cli_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("hachaos")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn real_qualification_and_comparison_outputs_validate() {
    let runs = repo("harness/tests/data/runs");
    let dir = tempfile::tempdir().unwrap();
    for (side, prefix) in [("base", "pg15-pgpool43-"), ("cand", "pg17-pgpool46-")] {
        for entry in std::fs::read_dir(&runs).unwrap().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) || (side == "cand" && !name.starts_with("pg15")) {
                let to = dir.path().join(side).join(&name);
                std::fs::create_dir_all(&to).unwrap();
                std::fs::copy(entry.path().join("run.json"), to.join("run.json")).unwrap();
            }
        }
    }
    let base = dir.path().join("base").display().to_string();
    let cand = dir.path().join("cand").display().to_string();
    let q = cli_json(&[
        "qualify-report",
        "--format",
        "json",
        "--baseline",
        &base,
        "--candidate",
        &cand,
    ]);
    assert_valid(
        &schema("qualification.schema.json"),
        &q,
        "qualify-report --format json",
    );
    let slower = repo("harness/tests/data/report/slower")
        .display()
        .to_string();
    let first = runs.join("primary-shutdown-first").display().to_string();
    let c = cli_json(&["compare", "--format", "json", &first, &slower]);
    assert_valid(
        &schema("comparison.schema.json"),
        &c,
        "compare --format json",
    );
}

#[test]
fn real_analysis_outputs_validate() {
    let v = schema("analysis.schema.json");
    let seed = format!(
        "node102={}",
        repo("harness/tests/data/analyze/seed.txt").display()
    );
    let doc = cli_json(&["analyze", "--format", "json", &seed]);
    assert_valid(&v, &doc, "analyze the seed");
    // Every recorded run's logs, whatever the outcome (failover, split brain, PANIC).
    for run in recorded_runs() {
        let logs = run.parent().unwrap().join("logs");
        if !logs.is_dir() {
            continue;
        }
        let doc = cli_json(&["analyze", "--format", "json", &logs.display().to_string()]);
        assert_valid(&v, &doc, &logs.display().to_string());
    }
}

#[test]
fn a_suite_json_written_by_report_merge_validates() {
    let v = schema("suite.schema.json");
    let tmp = tempfile::tempdir().unwrap();
    let shard = tmp.path().join("shard");
    std::fs::create_dir_all(&shard).unwrap();
    let case = serde_json::json!({
        "case": {"scenario": "primary-crash", "release": "pg17-pgpool46", "repeat": 1},
        "name": "pg17-pgpool46/primary-crash#1", "file": "faults/primary-crash.yaml",
        "outcome": "pass", "run_id": null, "run_dir": null, "duration_ms": 1000,
        "timings": {"slot_wait_ms": 0, "boot_ms": 1000, "ready_wait_ms": 0, "steps_ms": 0,
                    "evidence_ms": 0, "teardown_ms": 0},
        "measurements": {"promote": 12.5}, "failed_checks": [], "error": null,
        "reproduce": "hachaos run faults/primary-crash.yaml"
    });
    let suite = serde_json::json!({
        "format_version": 1, "harness_version": "0", "suite_id": "ra",
        "started_at": "2026-01-01T00:00:00Z", "duration_ms": 5000, "jobs": 3,
        "shard": null, "images": [], "cases": [case],
        "totals": {"slot_wait_ms": 0, "boot_ms": 0, "ready_wait_ms": 0, "steps_ms": 0,
                   "evidence_ms": 0, "teardown_ms": 0},
        "counts": {}, "command": "hachaos run"
    });
    std::fs::write(shard.join("suite.json"), suite.to_string()).unwrap();
    let out = tmp.path().join("merged");
    Command::cargo_bin("hachaos")
        .unwrap()
        .args(["report", "--merge"])
        .arg(&shard)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("suite.json")).unwrap()).unwrap();
    assert_valid(&v, &doc, "merged suite.json");
    let mut broken = doc.clone();
    broken["cases"][0]["outcome"] = "maybe".into();
    assert!(!v.is_valid(&broken), "an outcome outside the vocabulary");
}

#[test]
fn every_recorded_evidence_json_validates() {
    let v = schema("evidence.schema.json");
    let mut seen = 0;
    for run in recorded_runs() {
        let path = run.with_file_name("evidence.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        seen += 1;
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_valid(&v, &doc, &path.display().to_string());
    }
    assert!(seen >= 1, "no recorded evidence.json");
}

#[test]
fn a_real_exploration_json_validates() {
    // Written by `hachaos explore --seed 2 --schedules 1 --faults network-blackhole
    // --set trusted_servers=none` (one schedule, shrunk once, repeated once).
    let v = schema("exploration.schema.json");
    let text =
        std::fs::read_to_string(repo("harness/tests/data/explore/exploration.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_valid(&v, &doc, "tests/data/explore/exploration.json");
    let record: hachaos::explore::ExplorationRecord = serde_json::from_value(doc).unwrap();
    assert_eq!(record.totals.schedules_run, 1);
    assert_eq!(record.failures.len(), 1);
}
