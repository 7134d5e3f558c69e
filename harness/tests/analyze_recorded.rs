//! The analyser on logs recorded from real runs of our own cluster (pgpool-II 4.6, PostgreSQL 17).

use hachaos::analyze::{analyze, AnalyzeOptions, Input, ProfileChoice};
use hachaos::checks::{Expectations, Verdict};
use hachaos::timeline::EventKind;
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

#[test]
fn a_postgres_panic_is_a_forbidden_pattern_even_as_the_log_level() {
    let g =
        hachaos::grammar::Grammar::new(hachaos::grammar::Profile::builtin("pgpool").unwrap(), &[])
            .unwrap();
    for line in [
        "2026-11-25 12:51:02.114 UTC [212] PANIC:  could not write to file \"pg_wal/xlogtemp.212\": Read-only file system\n",
        "2026-11-25 12:51:02.114: main pid 42: PANIC:  something went very wrong\n",
    ] {
        let scan = g.scan_bytes(line.as_bytes(), "node1", "postgresql.log");
        let kinds: Vec<_> = scan.events.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::Forbidden), "{line}: {kinds:?}");
        assert!(scan.events.iter().all(|e| e.time.is_some()), "{line}: the time is kept");
    }
}
