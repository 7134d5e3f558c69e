//! The seed write-up (a real KingbaseES V8R3 failover) analysed whole, as node102.

use hachaos::analyze::{analyze, AnalysisRecord, AnalyzeOptions, GrammarChoice, Input};
use hachaos::checks::Verdict;
use hachaos::timeline::EventKind;

const SEED: &str = "tests/data/analyze/seed.txt";

fn seed(choice: GrammarChoice) -> AnalysisRecord {
    analyze(
        &[Input::file("node102", SEED)],
        &choice,
        &AnalyzeOptions::default(),
    )
    .unwrap()
}

fn kinds_of(r: &AnalysisRecord, step: u32) -> Vec<EventKind> {
    let s = r.steps.iter().find(|s| s.number == step).unwrap();
    s.events
        .iter()
        .map(|&i| r.timeline.events()[i].kind)
        .collect()
}

#[test]
fn auto_detection_picks_the_kingbase_profile_for_the_seed() {
    assert_eq!(seed(GrammarChoice::Auto).profile, "kingbase-v8r3");
}

#[test]
fn every_check_passes_on_the_seed() {
    let r = seed(GrammarChoice::Auto);
    for c in &r.checks {
        assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
    }
    assert_eq!(r.verdict, Verdict::Pass);
}

#[test]
fn each_of_the_seven_steps_holds_its_events() {
    use EventKind::*;
    let r = seed(GrammarChoice::Auto);
    assert_eq!(r.steps.len(), 7);
    let expected: [&[EventKind]; 7] = [
        &[PeerShutdown],
        &[LeaderLost, WatchdogState],
        &[HealthCheckRetry, LeaderElected],
        &[EscalationStarted, VipAcquired],
        &[BackendDown],
        &[DegenerateRequest, FailoverLock],
        &[FailoverCommand, PrimaryFound, NewPrimary, FailoverDone],
    ];
    for (n, kinds) in expected.iter().enumerate() {
        let got = kinds_of(&r, n as u32 + 1);
        for k in *kinds {
            assert!(got.contains(k), "step {} lacks {k}: {got:?}", n + 1);
        }
        assert!(r.steps[n].missing.is_empty(), "{:?}", r.steps[n]);
    }
}

#[test]
fn node102_ran_the_failover_from_node_0_to_node_1() {
    let r = seed(GrammarChoice::Auto);
    assert_eq!(r.failover.executors, vec!["node102".to_string()]);
    assert_eq!(r.failover.failed_node_id, Some(0));
    assert_eq!(r.failover.new_primary_node_id, Some(1));
    let f = &r.failovers[0];
    assert_eq!(f.started.unwrap().render(), "2022-08-30T15:39:23");
    assert_eq!(f.done.unwrap().render(), "2022-08-30T15:39:33");
}

#[test]
fn durations_follow_the_seed_timestamps() {
    let r = seed(GrammarChoice::Auto);
    let d = |k: &str| r.durations.get(k).copied().unwrap_or_else(|| panic!("{k}"));
    assert_eq!(d("leader_lost_to_backend_down"), 74.0);
    assert_eq!(d("backend_down_to_failover_command"), 0.0);
    assert_eq!(d("failover_command_to_new_primary"), 10.0);
    assert_eq!(d("new_primary_to_failover_done"), 0.0);
    assert_eq!(d("leader_lost_to_failover_done"), 84.0);
    assert_eq!(d("recovery_started_to_node_attached"), 43.0);
}

#[test]
fn broken_lines_are_joined_before_matching() {
    let r = seed(GrammarChoice::Auto);
    let cmd = r
        .timeline
        .events()
        .iter()
        .find(|e| e.kind == EventKind::FailoverCommand)
        .unwrap();
    assert_eq!(
        cmd.attrs.get("command").unwrap(),
        "/home/kingbase/cluster/R3HA/kingbasecluster/bin/failover_stream.sh 192.168.1.102 0 0 1 0 /home/kingbase/cluster/R3HA/db/data"
    );
    let release = r
        .timeline
        .events()
        .iter()
        .find(|e| {
            e.attrs
                .get("action")
                .is_some_and(|a| a == "release_request")
        })
        .unwrap();
    assert_eq!(release.attrs.get("lock").unwrap(), "FAILOVER");
}

#[test]
fn the_glued_failover_done_line_takes_its_embedded_time_and_pid() {
    let r = seed(GrammarChoice::Auto);
    let done: Vec<_> = r
        .timeline
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::FailoverDone)
        .collect();
    assert_eq!(done.len(), 1, "one event for the glued line");
    assert_eq!(done[0].pid, Some(17547));
    assert_eq!(done[0].time.unwrap().render(), "2022-08-30T15:39:33");
}

#[test]
fn one_or_two_spaces_after_log_both_parse() {
    let r = seed(GrammarChoice::Auto);
    let texts: Vec<String> = r
        .timeline
        .events()
        .iter()
        .map(|e| e.text.get().into_owned())
        .collect();
    assert!(texts
        .iter()
        .any(|t| t.contains("LOG:  health checking retry count 1")));
    assert!(texts
        .iter()
        .any(|t| t.contains("LOG: setting backend node 0")));
}

#[test]
fn untimed_script_lines_inherit_the_nearest_earlier_time() {
    let r = seed(GrammarChoice::Auto);
    let ping = r
        .timeline
        .events()
        .iter()
        .find(|e| e.kind == EventKind::TrustPing)
        .unwrap();
    assert_eq!(ping.time.unwrap().render(), "2022-08-30T15:39:23");
    assert_eq!(ping.attrs.get("time_inherited").unwrap(), true);
}

#[test]
fn the_failover_script_and_recovery_phases_are_recognised() {
    use EventKind::*;
    let r = seed(GrammarChoice::Auto);
    let kinds: Vec<EventKind> = r.timeline.events().iter().map(|e| e.kind).collect();
    for k in [
        FailoverScriptStarted,
        TrustPing,
        VipAdded,
        Promote,
        SyncToAsync,
        Checkpoint,
        FailoverScriptEnd,
        RecoveryStarted,
        RwCheck,
        RewindStarted,
        RewindDone,
        StandbyStarted,
        NodeAttached,
    ] {
        assert!(kinds.contains(&k), "missing {k}");
    }
}

#[test]
fn prose_lines_count_as_unparsed_not_as_errors() {
    let r = seed(GrammarChoice::Auto);
    let i = &r.inputs[0];
    assert_eq!(i.lines, i.parsed + i.unparsed);
    assert!(i.unparsed > 50 && i.parsed > 100, "{i:?}");
}

#[test]
fn the_pcp_password_is_redacted_everywhere() {
    let r = seed(GrammarChoice::Auto);
    assert!(r.redactions >= 1);
    let json = serde_json::to_string(&r).unwrap();
    let text = hachaos::report::render_text(&r);
    assert!(!json.contains("MTIzNDU2") && !text.contains("MTIzNDU2"));
}

#[test]
fn events_are_in_time_order() {
    let r = seed(GrammarChoice::Auto);
    let times: Vec<_> = r
        .timeline
        .events()
        .iter()
        .map(|e| e.time.unwrap().at)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_seed_repeated_past_chunk_boundaries_gives_the_same_events_each_time() {
    // 1 MiB chunks: 3 MiB of repeated seed crosses several boundaries mid-record.
    let mut one = std::fs::read(SEED).unwrap();
    if one.last() != Some(&b'\n') {
        one.push(b'\n'); // the seed ends mid-line; copies must not glue lines together
    }
    let profile = hachaos::grammar::GrammarDef::builtin("kingbase-v8r3").unwrap();
    let g = hachaos::grammar::Grammar::new(profile, &[]).unwrap();
    let single = g.scan_bytes(&one, "n", "f");
    let copies = (3 << 20) / one.len() + 1;
    let many: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * copies)
        .collect();
    let scan = g.scan_bytes(&many, "n", "f");
    assert_eq!(scan.events.len(), single.events.len() * copies);
    assert_eq!(scan.stats.lines, single.stats.lines * copies as u64);
    assert_eq!(
        scan.stats.redactions,
        single.stats.redactions * copies as u64
    );
    let per = single.events.len();
    for (i, e) in scan.events.iter().enumerate() {
        let base = &single.events[i % per];
        assert_eq!((e.kind, &e.attrs), (base.kind, &base.attrs), "event {i}");
        assert_eq!(e.line, base.line + (i / per) as u64 * single.stats.lines);
    }
}

#[test]
fn extra_literal_secrets_are_masked_and_counted() {
    let options = AnalyzeOptions {
        extra_secrets: vec!["kingbasecluster".to_string()],
        ..AnalyzeOptions::default()
    };
    let r = analyze(
        &[Input::file("node102", SEED)],
        &GrammarChoice::Builtin("kingbase-v8r3".into()),
        &options,
    )
    .unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("kingbasecluster node"),
        "literal secret leaked"
    );
    assert!(r.redactions > 1);
}
