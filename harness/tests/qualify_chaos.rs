//! `hachaos qualify` against real clusters of both built-in releases: pg15-pgpool43 (baseline)
//! and pg17-pgpool46 (candidate), the primary crash twice each. The comparison must have both
//! columns filled from real runs, a JUnit file with a case per scenario x release, and nothing
//! left behind. Whether the candidate regressed is what the machine measured, so the exit code
//! may be 0 or 1 — but never an error code.

#![cfg(feature = "chaos")]

mod common;

use hachaos::docker::connect;
use std::path::Path;
use std::process::Command;

#[test]
fn qualify_fills_both_columns_from_real_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let reports = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args([
            "qualify",
            "--baseline",
            "pg15-pgpool43",
            "--candidate",
            "pg17-pgpool46",
            "--repeat",
            "2",
            "--reports-dir",
        ])
        .arg(reports.path())
        .arg(root.join("faults/primary-crash.yaml"))
        .output()
        .expect("run hachaos qualify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "qualify ended with {code:?}\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");

    let qdir = std::fs::read_dir(reports.path().join("qualify"))
        .expect("qualify directory")
        .next()
        .expect("one qualification")
        .expect("entry")
        .path();
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(qdir.join("qualification.json")).expect("qualification.json"),
    )
    .expect("json");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["regressed"], serde_json::json!(code == Some(1)));
    let text = serde_json::to_string(&json).unwrap();
    assert!(text.contains("pg15-pgpool43") && text.contains("pg17-pgpool46"));

    // Two real runs per release, each with a run directory of its own.
    for release in ["pg15-pgpool43", "pg17-pgpool46"] {
        let runs = std::fs::read_dir(qdir.join(release).join("primary-crash"))
            .unwrap_or_else(|e| panic!("{release}: {e}"))
            // Run directories only: `latest` is a symlink to one of them.
            .filter(|e| {
                e.as_ref().is_ok_and(|e| {
                    e.file_type().is_ok_and(|t| t.is_dir()) && e.path().join("run.json").is_file()
                })
            })
            .count();
        assert_eq!(runs, 2, "{release}: runs kept");
    }
    // Both columns filled: the promote phase was measured on both sides.
    assert!(
        stdout.contains("promote"),
        "the text report lists the phases:\n{stdout}"
    );
    let scenario = &json["scenarios"][0];
    let row = scenario["measurements"]
        .as_array()
        .expect("measurement rows")
        .iter()
        .find(|m| m["kind"] == "promote")
        .expect("a promote row");
    // `old` is the baseline's column, `new` the candidate's.
    for side in ["old", "new"] {
        assert_eq!(
            row[side]["observed"], 2,
            "{side}: both runs measured promote: {row}"
        );
        assert!(row[side]["p50"].as_f64().is_some(), "{side}: {row}");
    }

    let junit = std::fs::read_to_string(qdir.join("qualification.xml")).expect("junit");
    assert!(junit.contains("primary-crash [pg15-pgpool43]"), "{junit}");
    assert!(junit.contains("primary-crash [pg17-pgpool46]"), "{junit}");
    let html = std::fs::read_to_string(qdir.join("qualification.html")).expect("html");
    assert!(html.contains("pg15-pgpool43") && html.contains("pg17-pgpool46"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let docker = connect().await.expect("docker daemon");
        let left = hachaos::docker::containers_labelled(
            &docker,
            &["org.hachaos.managed-by=hachaos".to_string()],
        )
        .await
        .expect("list containers");
        assert!(left.is_empty(), "containers left behind: {}", left.len());
    });
}
