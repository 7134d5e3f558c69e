//! pgpool-II 4.x wording, on synthetic two-node logs (see tests/data/analyze/pgpool-synthetic).

use hachaos::analyze::{analyze, parse_argument, AnalysisRecord, AnalyzeOptions, GrammarChoice};
use hachaos::checks::Verdict;
use hachaos::timeline::EventKind;

fn run() -> AnalysisRecord {
    let inputs = parse_argument("tests/data/analyze/pgpool-synthetic").unwrap();
    analyze(&inputs, &GrammarChoice::Auto, &AnalyzeOptions::default()).unwrap()
}

#[test]
fn pgpool_4_logs_are_detected_and_every_check_passes() {
    let r = run();
    assert_eq!(r.profile, "pgpool");
    for c in &r.checks {
        assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
    }
    assert_eq!(r.inputs.len(), 5, "README.md is not a log: {:?}", r.inputs);
}

#[test]
fn node2_ran_the_failover_from_backend_0_to_1() {
    let r = run();
    assert_eq!(r.failover.executors, vec!["node2".to_string()]);
    assert_eq!(r.failover.failed_node_id, Some(0));
    assert_eq!(r.failover.new_primary_node_id, Some(1));
}

#[test]
fn millisecond_durations_are_measured() {
    let r = run();
    assert_eq!(r.durations["backend_down_to_failover_command"], 0.002);
    assert_eq!(r.durations["failover_command_to_new_primary"], 2.497);
    assert_eq!(r.durations["leader_lost_to_failover_done"], 18.5);
}

#[test]
fn health_check_rounds_and_server_events_carry_typed_attributes() {
    let r = run();
    let find = |k: EventKind| r.timeline.events().iter().find(|e| e.kind == k).unwrap();
    assert_eq!(
        find(EventKind::HealthCheckRetry)
            .attrs
            .get("round")
            .unwrap(),
        1
    );
    assert_eq!(find(EventKind::NewTimeline).attrs.get("tli").unwrap(), 2);
    assert_eq!(find(EventKind::PromoteReceived).pid, Some(88));
    assert_eq!(
        find(EventKind::FailoverDone).attrs.get("host").unwrap(),
        "node1"
    );
    assert_eq!(
        find(EventKind::WatchdogState).attrs.get("to").unwrap(),
        "JOINING"
    );
    let script = find(EventKind::FailoverScriptStarted);
    assert_eq!(script.attrs.get("failed_node_id").unwrap(), 0);
    assert_eq!(script.time.unwrap().render(), "2026-11-25T12:00:16.100");
}

#[test]
fn the_script_log_password_is_redacted() {
    let r = run();
    assert!(r.redactions >= 1);
    assert!(!serde_json::to_string(&r).unwrap().contains("hunter2"));
}

#[test]
fn the_other_node_shows_its_shutdown() {
    let r = run();
    assert!(r
        .timeline
        .events()
        .iter()
        .any(|e| e.node == "node1" && e.kind == EventKind::Shutdown));
}
