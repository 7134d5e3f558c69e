//! Bring your own image, for real: the bookworm release's image re-tagged as if a vendor had
//! shipped it, described only by a release file (image, versions, logs, commands), passes the
//! primary crash with `hachaos run --profile-file`. The run is recorded under the file's release
//! name and reads only the log files the file lists.

#![cfg(feature = "chaos")]

mod common;

use hachaos::docker::connect;
use std::path::Path;
use std::process::Command;

const VENDOR_TAG: &str = "hachaos-test/vendor-pgpool43:4.3.5";

#[test]
fn a_foreign_image_described_by_a_release_file_passes_the_primary_crash() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let docker = runtime.block_on(connect()).expect("docker daemon");
    let built = runtime.block_on(common::release_image(&docker, "pg15-pgpool43"));
    let status = Command::new("docker")
        .args(["tag", &built, VENDOR_TAG])
        .status()
        .expect("docker tag");
    assert!(status.success());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendor-pgpool43.yaml");
    std::fs::write(
        &file,
        format!(
            r#"name: vendor-pgpool43
description: the bookworm release's image, as if a vendor had built it
versions: {{database: PostgreSQL 15, pgpool: "4.3"}}
image: {VENDOR_TAG}
grammar: pgpool
ports: {{database: 5432, pool: 9999}}
logs: {{dir: /var/log/hachaos, files: [pgpool.log, postgresql.log, failover.log]}}
commands:
  failover: /usr/local/bin/hachaos-failover %d %h %m %H %M %P %N
  rejoin: [hachaos-rejoin, "{{primary}}"]
"#
        ),
    )
    .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let hachaos = env!("CARGO_BIN_EXE_hachaos");
    let validate = Command::new(hachaos)
        .args(["validate", "--profile-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );

    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(hachaos)
        .args(["run", "--format", "json", "--profile-file"])
        .arg(&file)
        .arg("--reports-dir")
        .arg(reports.path())
        .arg(root.join("faults/primary-crash.yaml"))
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rmi", VENDOR_TAG]).status();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let record: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("run.json on stdout");
    assert_eq!(record["release"], "vendor-pgpool43");
    assert_eq!(record["image"], VENDOR_TAG);
    // Only the listed files were read: no event comes from recovery.log or entrypoint.log.
    let files: std::collections::BTreeSet<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["file"].as_str())
        .map(|f| f.rsplit('/').next().unwrap_or(f))
        .collect();
    for f in &files {
        assert!(
            ["pgpool.log", "postgresql.log", "failover.log", "harness"].contains(f),
            "event from an unlisted file {f}: {files:?}"
        );
    }
    let left = runtime.block_on(common::leftovers(
        &docker,
        record["run_id"].as_str().unwrap(),
    ));
    assert_eq!(left, (0, 0, 0));
}
