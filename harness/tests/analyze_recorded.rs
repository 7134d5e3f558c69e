//! The analyser on logs recorded from real runs of our own cluster (pgpool-II 4.6, PostgreSQL 17).

use hachaos::analyze::{analyze, AnalyzeOptions, Input, ProfileChoice};
use hachaos::checks::{Expectations, Verdict};
use std::path::Path;

fn inputs(run: &str) -> Vec<Input> {
    let logs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/runs")
        .join(run)
        .join("logs");
    let mut out = Vec::new();
    for n in ["node1", "node2"] {
        for f in ["pgpool.log", "postgresql.log", "failover.log"] {
            let path = logs.join(n).join(f);
            if path.metadata().is_ok_and(|m| m.len() > 0) {
                out.push(Input::file(n, path));
            }
        }
    }
    out
}

#[test]
fn a_recorded_primary_shutdown_is_judged_as_one_failover_run_by_the_standby() {
    let record = analyze(
        &inputs("primary-shutdown-first"),
        &ProfileChoice::Auto,
        &AnalyzeOptions {
            expectations: Some(Expectations::for_fault("pgpool", true)),
            extra_secrets: vec![],
        },
    )
    .expect("analysis");
    assert_eq!(record.profile, "pgpool");
    assert_eq!(record.failover.executors, vec!["node2".to_string()]);
    assert_eq!(record.failover.failed_node_id, Some(0));
    assert_eq!(record.failover.new_primary_node_id, Some(1));
    for c in &record.checks {
        assert_eq!(c.verdict, Verdict::Pass, "{}: {}", c.name, c.evidence);
    }
}
