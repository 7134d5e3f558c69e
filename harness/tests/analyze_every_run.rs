//! `hachaos analyze --expect any` on every recorded run in `tests/data/runs`: exit 0 for a clean
//! failover (or a healthy log), 1 exactly where the logs show damage. The directory is read, so
//! a new recording fails here until its truth (what its logs show, and why) is added below.

use assert_cmd::Command;
use std::path::Path;

const RUNS: &str = "tests/data/runs";

/// (run, exit code, `result:` line, what the logs show). The truth is read from the logs
/// themselves, not from the live run's probes: a probe can see an isolated PostgreSQL still
/// writable, which no log line records.
const TRUTH: &[(&str, i32, &str, &str)] = &[
    (
        "partition",
        1,
        "split brain",
        "both pgpools fail over (node1 detaches node2's backend, node2 promotes), the watchdog \
         logs split brain and both hold the VIP",
    ),
    (
        "pg15-pgpool43-primary-crash",
        0,
        "failover",
        "node2 loses its peer and fails over; nothing else",
    ),
    (
        "pg15-pgpool43-primary-crash-early-request",
        0,
        "failover",
        "the same with the degenerate request logged before the watchdog's loss",
    ),
    (
        "pg15-pgpool43-primary-network-blackhole",
        1,
        "split brain",
        "both pgpools run a failover and disagree on the ids; the isolated pgpool exits",
    ),
    (
        "pg17-pgpool46-blackhole-srcheck-stall",
        0,
        "failover",
        "only node2 fails over; the isolated node1 logs no failover of its own (the live probes \
         saw its PostgreSQL still writable, which its logs cannot show)",
    ),
    (
        "pg17-pgpool46-primary-crash-evidence",
        0,
        "failover",
        "a clean failover by node2",
    ),
    (
        "primary-crash-recover",
        0,
        "failover",
        "a clean failover, then node1 recovered as a standby",
    ),
    (
        "primary-disk-readonly",
        1,
        "failover",
        "a clean storage-fault failover, but PostgreSQL PANICs on the read-only disk (a \
         forbidden pattern; `--allow-panic` makes it exit 0)",
    ),
    (
        "primary-shutdown-first",
        0,
        "failover",
        "the primary's host shuts down and node2 fails over",
    ),
];

#[test]
fn every_recorded_run_exits_0_when_clean_and_1_exactly_where_its_logs_show_damage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(RUNS);
    let mut runs: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/data/runs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("logs").is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    runs.sort();
    assert!(!runs.is_empty());
    let mut wrong = Vec::new();
    for run in &runs {
        let Some((_, code, result, why)) = TRUTH.iter().find(|(n, ..)| n == run) else {
            wrong.push(format!(
                "{run}: a new recording; add what its logs show to TRUTH in {}",
                file!()
            ));
            continue;
        };
        let out = Command::cargo_bin("hachaos")
            .unwrap()
            .args(["analyze", "--expect", "any", "--color", "never"])
            .arg(root.join(run).join("logs"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let said = stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("result: "))
            .unwrap_or("(no result line)");
        if out.status.code() != Some(*code) || !said.starts_with(result) {
            wrong.push(format!(
                "{run}: exit {:?} with result {said:?}, want exit {code} and {result:?} ({why})",
                out.status.code()
            ));
        }
    }
    for (name, ..) in TRUTH {
        if !runs.iter().any(|r| r == name) {
            wrong.push(format!("{name}: in TRUTH but not recorded"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
