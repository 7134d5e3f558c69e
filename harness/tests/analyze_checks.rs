//! Checkers on hand-built timelines: each failure mode yields Fail (or Unknown) with evidence.

use hachaos::checks::{self, Expectations, Verdict};
use hachaos::timeline::{Event, EventKind, Timeline, WallTime};

fn ev(node: &str, sec: u32, kind: EventKind, attrs: &[(&str, i64)]) -> Event {
    Event {
        node: node.into(),
        file: "pgpool.log".into(),
        line: u64::from(sec),
        time: Some(WallTime {
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
                .unwrap()
                .and_hms_opt(12, 0, sec)
                .unwrap(),
            precision: 0,
        }),
        offset_ms: None,
        kind,
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect(),
        pid: None,
        text: kind.name().into(),
    }
}

fn failover(node: &str, start: u32, failed: i64, promoted: i64) -> Vec<Event> {
    use EventKind::*;
    vec![
        ev(node, start, BackendDown, &[("node_id", failed)]),
        ev(node, start + 1, FailoverCommand, &[]),
        ev(node, start + 2, NewPrimary, &[("node_id", promoted)]),
        ev(node, start + 3, FailoverDone, &[]),
    ]
}

fn check(name: &str, timeline: &Timeline, exp: &Expectations) -> checks::Check {
    checks::run_all(timeline, exp)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

#[test]
fn two_nodes_running_the_failover_command_for_one_failure_fail() {
    let mut events = failover("node1", 10, 0, 1);
    events.insert(2, ev("node2", 11, EventKind::FailoverCommand, &[]));
    let c = check(
        "single_executor",
        &Timeline::from_unsorted(events),
        &Expectations::default(),
    );
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
    assert!(c.evidence.contains("node1") && c.evidence.contains("node2"));
}

#[test]
fn no_failover_when_one_was_expected_fails() {
    let c = check(
        "single_executor",
        &Timeline::new(),
        &Expectations::default(),
    );
    assert_eq!(c.verdict, Verdict::Fail);
}

#[test]
fn no_failover_when_none_was_expected_passes() {
    let exp = Expectations {
        failover_expected: false,
        ..Expectations::default()
    };
    assert_eq!(
        check("single_executor", &Timeline::new(), &exp).verdict,
        Verdict::Pass
    );
}

#[test]
fn nodes_disagreeing_on_the_failed_backend_fail() {
    let mut events = failover("node1", 10, 0, 1);
    events.push(ev(
        "node2",
        10,
        EventKind::DegenerateRequest,
        &[("node_id", 1)],
    ));
    let c = check(
        "ids_agree",
        &Timeline::from_unsorted(events),
        &Expectations::default(),
    );
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
}

#[test]
fn successive_failovers_are_compared_each_with_itself() {
    let mut events = failover("node1", 10, 0, 1);
    events.extend(failover("node2", 30, 1, 0));
    let c = check(
        "ids_agree",
        &Timeline::from_unsorted(events),
        &Expectations::default(),
    );
    assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
}

#[test]
fn no_ids_at_all_is_unknown_not_pass() {
    let c = check("ids_agree", &Timeline::new(), &Expectations::default());
    assert_eq!(c.verdict, Verdict::Unknown);
}

#[test]
fn a_panic_line_fails_the_forbidden_check_with_its_location() {
    let events = vec![ev("node1", 5, EventKind::Forbidden, &[])];
    let c = check(
        "forbidden_patterns",
        &Timeline::from_unsorted(events),
        &Expectations::default(),
    );
    assert_eq!(c.verdict, Verdict::Fail);
    assert!(c.evidence.contains("node1 pgpool.log:5"), "{}", c.evidence);
}

#[test]
fn a_step_slower_than_its_window_fails_the_sequence() {
    use EventKind::*;
    let exp = Expectations {
        steps: vec![
            hachaos::checks::StepExpectation {
                number: 1,
                title: "down".into(),
                required: vec![BackendDown],
                optional: vec![],
                within_secs: None,
            },
            hachaos::checks::StepExpectation {
                number: 2,
                title: "done".into(),
                required: vec![FailoverDone],
                optional: vec![],
                within_secs: Some(2.0),
            },
        ],
        ..Expectations::default()
    };
    let c = check(
        "sequence",
        &Timeline::from_unsorted(failover("node1", 10, 0, 1)),
        &exp,
    );
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
    assert!(c.evidence.contains("limit 2s"), "{}", c.evidence);
}

#[test]
fn a_duration_over_its_budget_fails() {
    let mut exp = Expectations::default();
    exp.budgets
        .insert("backend_down_to_failover_done".into(), 1.0);
    let c = check(
        "durations",
        &Timeline::from_unsorted(failover("node1", 10, 0, 1)),
        &exp,
    );
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
}

#[test]
fn equal_times_keep_input_order_and_untimed_events_go_last() {
    let mut untimed = ev("n", 0, EventKind::Promote, &[]);
    untimed.time = None;
    let events = vec![
        untimed,
        ev("n", 9, EventKind::FailoverDone, &[]),
        ev("n", 9, EventKind::NewPrimary, &[]),
    ];
    let kinds: Vec<EventKind> = Timeline::from_unsorted(events)
        .events()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::FailoverDone,
            EventKind::NewPrimary,
            EventKind::Promote
        ]
    );
}

fn restarted(node: &str, sec: u32) -> Event {
    let mut e = ev(node, sec, EventKind::WatchdogState, &[]);
    e.attrs.insert("from".into(), "DEAD".into());
    e.attrs.insert("to".into(), "LOADING".into());
    e
}

#[test]
fn a_vip_holder_that_logs_on_while_another_node_acquires_it_is_two_holders() {
    use EventKind::*;
    let t = Timeline::from_unsorted(vec![
        ev("node1", 1, VipAcquired, &[]),
        ev("node2", 20, VipAcquired, &[]),
        ev("node1", 25, HealthCheckRetry, &[]),
    ]);
    let c = check("vip_holders", &t, &Expectations::default());
    assert_eq!(c.verdict, Verdict::Fail, "{}", c.evidence);
    assert!(c.evidence.contains("node1 still held it"), "{}", c.evidence);
}

#[test]
fn a_vip_holder_that_crashed_or_restarted_is_not_a_second_holder() {
    use EventKind::*;
    // Crashed: node1 logs nothing after node2 acquires the VIP.
    let crashed = Timeline::from_unsorted(vec![
        ev("node1", 1, VipAcquired, &[]),
        ev("node2", 20, VipAcquired, &[]),
    ]);
    // Restarted: node1's next line is its watchdog starting from DEAD.
    let rebooted = Timeline::from_unsorted(vec![
        ev("node1", 1, VipAcquired, &[]),
        ev("node2", 20, VipAcquired, &[]),
        restarted("node1", 30),
    ]);
    // Released before.
    let released = Timeline::from_unsorted(vec![
        ev("node1", 1, VipAcquired, &[]),
        ev("node1", 10, VipReleased, &[]),
        ev("node2", 20, VipAcquired, &[]),
        ev("node1", 25, HealthCheckRetry, &[]),
    ]);
    for t in [crashed, rebooted, released] {
        let c = check("vip_holders", &t, &Expectations::default());
        assert_eq!(c.verdict, Verdict::Pass, "{}", c.evidence);
    }
}

#[test]
fn a_crashed_vip_holder_whose_postgres_or_rejoin_logs_before_its_pgpool_restarts_is_not_a_second_holder(
) {
    use EventKind::*;
    // Seen in primary-crash-during-recovery (pg17-pgpool46, run rbc1a2124): node2 held the VIP,
    // its host crashed, node1 took the VIP; restarted, node2's postgres said "ready to accept
    // connections" before its pgpool logged the watchdog starting from DEAD.
    let mut ready = ev("node2", 25, ReadyForConnections, &[]);
    ready.file = "postgresql.log".into();
    let mut rejoin = ev("node2", 26, RwCheck, &[]);
    rejoin.file = "recovery.log".into();
    let t = Timeline::from_unsorted(vec![
        ev("node2", 1, VipAcquired, &[]),
        ev("node1", 20, VipAcquired, &[]),
        ready,
        rejoin,
        restarted("node2", 30),
    ]);
    let c = check("vip_holders", &t, &Expectations::default());
    assert_eq!(c.verdict, Verdict::Pass, "{}", c.evidence);
}

#[test]
fn mutual_failovers_are_split_brain_unless_the_node_was_reattached_between() {
    let mut events = failover("node1", 1, 1, 0);
    events.extend(failover("node2", 20, 0, 1));
    let t = Timeline::from_unsorted(events.clone());
    assert_eq!(
        check("split_brain", &t, &Expectations::default()).verdict,
        Verdict::Fail
    );
    let mut reattached = events;
    reattached.push(ev("node1", 10, EventKind::NodeAttached, &[]));
    let t = Timeline::from_unsorted(reattached);
    assert_eq!(
        check("split_brain", &t, &Expectations::default()).verdict,
        Verdict::Pass
    );
}

#[test]
fn a_failover_to_no_primary_fails_primary_kept() {
    let t = Timeline::from_unsorted(failover("node2", 1, 0, -1));
    let c = check("primary_kept", &t, &Expectations::default());
    assert_eq!(c.verdict, Verdict::Fail, "{}", c.evidence);
    assert!(c.evidence.contains("new primary -1"), "{}", c.evidence);
    assert_eq!(
        checks::failovers(&t)[0].kind,
        checks::FailoverKind::NoPrimary
    );
}

#[test]
fn a_fault_that_only_degrades_its_node_expects_no_sequence_and_no_failover() {
    use EventKind::*;
    let exp = Expectations::no_failover();
    // What a stalled disk or a lossy link left in the logs: retries and a lost leader, nothing
    // of a failover.
    let quiet = Timeline::from_unsorted(vec![
        ev("node2", 10, HealthCheckRetry, &[]),
        ev("node2", 11, LeaderLost, &[]),
    ]);
    for name in ["sequence", "single_executor", "ids_agree"] {
        let c = check(name, &quiet, &exp);
        assert_eq!(c.verdict, Verdict::Pass, "{name}: {c:?}");
    }
    // A failover that ran anyway is not hidden.
    let failed_over = Timeline::from_unsorted(failover("node2", 10, 0, 1));
    let c = check("single_executor", &failed_over, &exp);
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
    assert!(c.evidence.contains("none was expected"), "{c:?}");
}
