//! Plan validation: every shipped scenario is valid, and every class of bad input is rejected
//! with file, line, YAML path and the offending value.

use hachaos::scenario::{
    load, load_path, Action, Capabilities, Observation, PlanError, StepOrigin,
};
use hachaos::timeline::EventKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scenario")
        .join(name)
}

/// The single error of a bad file.
fn only_error(name: &str) -> PlanError {
    let errs = load_path(&data(name), &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    errs.into_iter().next().unwrap()
}

fn assert_at(e: &PlanError, line: usize, path: &str, fragment: &str) {
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.path, path, "{e}");
    assert!(e.message.contains(fragment), "{e}");
    let shown = e.to_string();
    assert!(shown.contains(&format!(":{line}: {path}: ")), "{shown}");
}

#[test]
fn every_scenario_in_faults_is_valid_without_warnings() {
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("faults")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let plan = load_path(&path, &Capabilities::default())
                .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
            assert!(
                plan.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                plan.warnings
            );
            let stem = path.file_stem().unwrap().to_string_lossy();
            assert_eq!(plan.name, stem, "the name matches the file");
            n += 1;
        }
    }
    assert!(n >= 14, "only {n} scenario files");
}

#[test]
fn the_default_scenario_shuts_the_primary_down_and_expects_the_standby_to_take_over() {
    let plan = load_path(
        &repo().join("faults/primary-shutdown.yaml"),
        &Capabilities::default(),
    )
    .unwrap();
    let inject = &plan.steps[1];
    assert!(matches!(inject.action, Action::Inject { .. }));
    assert!(inject.expect.iter().any(|e| matches!(
        e.what,
        Observation::Log {
            event: EventKind::BackendDown,
            ..
        }
    )));
}

#[test]
fn an_unknown_key_is_rejected_at_its_line_and_path() {
    let e = only_error("unknown-key.yaml");
    assert_at(&e, 6, "steps[0].expect[0].colour", "unknown field `colour`");
    assert_eq!(e.value.as_deref(), Some("colour"));
}

#[test]
fn an_unknown_fault_kind_is_a_parse_error_listing_the_known_kinds() {
    let e = only_error("unknown-fault.yaml");
    assert_at(&e, 4, "steps[1].action", "unknown variant `host-crahs`");
    for known in [
        "host-shutdown",
        "host-crash",
        "network-partition",
        "disk-readonly",
    ] {
        assert!(e.message.contains(known), "{e}");
    }
}

#[test]
fn a_duration_without_a_valid_unit_is_rejected() {
    let e = only_error("bad-duration.yaml");
    assert_at(&e, 6, "steps[0].expect[0].within", "invalid duration `3x`");
}

#[test]
fn a_node_the_cluster_does_not_have_is_rejected_after_parsing_with_its_line() {
    let e = only_error("no-such-node.yaml");
    assert_at(
        &e,
        4,
        "steps[0].target",
        "no such node `node3` (the cluster has node1, node2)",
    );
    assert_eq!(e.value.as_deref(), Some("node3"));
}

#[test]
fn an_event_the_profile_cannot_produce_is_rejected() {
    let e = only_error("harness-only-event.yaml");
    assert_at(
        &e,
        7,
        "steps[0].expect[0].log",
        "cannot produce event `fault_started`",
    );
}

#[test]
fn the_event_filter_of_the_grammar_is_honoured() {
    let caps = Capabilities::default().with_events(&[EventKind::BackendDown]);
    let text = "steps:\n  - action: host-crash\n    target: primary\n    expect:\n      - {log: failover_done, within: 9s}\n";
    let errs = load("f.yaml", text, &caps).unwrap_err().0;
    assert_at(
        &errs[0],
        5,
        "steps[0].expect[0].log",
        "the grammar of release `pg17-pgpool46` cannot produce event `failover_done`",
    );
}

#[test]
fn a_heal_with_no_open_fault_is_rejected() {
    let e = only_error("heal-without-fault.yaml");
    assert_at(
        &e,
        5,
        "steps[1]",
        "`host-start` heals no open fault on `primary` (open: none)",
    );
}

#[test]
fn a_fault_left_open_gets_an_implicit_heal_and_a_warning() {
    let plan = load_path(&data("unhealed.yaml"), &Capabilities::default()).unwrap();
    let last = plan.steps.last().unwrap();
    assert_eq!(last.origin, StepOrigin::ImplicitHeal);
    assert!(matches!(last.action, Action::Heal { fault_step: 0, .. }));
    assert_eq!(plan.warnings.len(), 1);
    assert!(
        plan.warnings[0].contains("unhealed.yaml:3: host-crash on primary is never healed"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_config_value_of_the_wrong_type_is_rejected() {
    let e = only_error("bad-config.yaml");
    assert_at(
        &e,
        3,
        "config.health_check_max_retries",
        "invalid value `three`",
    );
}

#[test]
fn two_primaries_without_declaring_split_brain_is_rejected() {
    let e = only_error("undeclared-split-brain.yaml");
    assert_at(
        &e,
        6,
        "steps[0].expect[0].roles",
        "expected_damage: [split-brain]",
    );
}

#[test]
fn semantic_errors_are_all_reported_at_once() {
    let text = "steps:\n  - action: host-crash\n    target: node7\n  - action: wait\n  - action: sql\n    statement: ' '\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    let lines: Vec<_> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![Some(3), Some(4), Some(5)], "{errs:#?}");
}

#[test]
fn an_option_that_does_not_apply_to_the_action_is_rejected() {
    let text = "steps:\n  - action: host-crash\n    target: primary\n    peer: standby\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        4,
        "steps[0].peer",
        "`peer` does not apply to `host-crash` (only to network-partition, network-loss, \
         heartbeat-drop and network-delay)",
    );
}

#[test]
fn an_expectation_without_a_deadline_is_rejected() {
    let text = "steps:\n  - action: host-crash\n    target: primary\n    expect:\n      - {vip: standby}\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(&errs[0], 5, "steps[0].expect[0]", "missing `within`");
}

#[test]
fn an_ambiguous_heal_must_name_its_target() {
    let text = "steps:\n  - action: host-crash\n    target: primary\n  - action: host-shutdown\n    target: standby\n  - action: host-start\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(&errs[0], 6, "steps[2]", "is ambiguous");
}

#[test]
fn recover_while_a_fault_is_open_is_rejected() {
    let text = "steps:\n  - action: network-drop\n    target: primary\n  - action: recover\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        4,
        "steps[1]",
        "heal it first with `network-restore`",
    );
}

const CRASHED_AND_BACK: &str =
    "steps:\n  - action: host-crash\n    target: primary\n  - action: host-start\n";

#[test]
fn a_background_recover_is_watched_by_wait_until_and_collected_by_await_recover() {
    let text = format!(
        "{CRASHED_AND_BACK}  - action: recover\n    background: true\n  - action: wait\n    until: rewind_started\n    duration: 30s\n  - action: host-crash\n    target: node2\n  - action: await-recover\n    outcome: failed\n  - action: host-start\n"
    );
    let plan = load("f.yaml", &text, &Capabilities::default()).unwrap();
    assert!(matches!(
        plan.steps[2].action,
        Action::Recover {
            background: true,
            ..
        }
    ));
    match &plan.steps[3].action {
        Action::Wait {
            duration,
            until: Some((2, EventKind::RewindStarted)),
        } => assert_eq!(*duration, Duration::from_secs(30)),
        other => panic!("{other:?}"),
    }
    match &plan.steps[5].action {
        Action::AwaitRecover {
            recover_step: 2,
            timeout,
            outcome: Some(hachaos::scenario::RecoverOutcome::Failed),
        } => assert_eq!(*timeout, hachaos::scenario::RECOVER_TIMEOUT),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_recovers_at_once_are_rejected() {
    let text = format!(
        "{CRASHED_AND_BACK}  - action: recover\n    background: true\n  - action: recover\n  - action: await-recover\n"
    );
    let errs = load("f.yaml", &text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_at(
        &errs[0],
        7,
        "steps[3]",
        "`recover` while the background `recover` of line 5 is still running",
    );
}

#[test]
fn a_background_recover_never_awaited_is_rejected_at_its_background_key() {
    let text = format!("{CRASHED_AND_BACK}  - action: recover\n    background: true\n");
    let errs = load("f.yaml", &text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_at(&errs[0], 6, "steps[2].background", "is never awaited");
}

#[test]
fn await_recover_and_wait_until_need_a_running_background_recover() {
    let text = format!(
        "{CRASHED_AND_BACK}  - action: wait\n    until: rewind_started\n    duration: 5s\n  - action: recover\n  - action: await-recover\n"
    );
    let errs = load("f.yaml", &text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_at(&errs[0], 6, "steps[2].until", "none is running");
    assert_at(
        &errs[1],
        9,
        "steps[4]",
        "`await-recover` needs a `recover` with `background: true`",
    );
}

#[test]
fn wait_until_takes_only_a_line_of_recovery_log_and_needs_a_duration() {
    let text = format!(
        "{CRASHED_AND_BACK}  - action: recover\n    background: true\n  - action: wait\n    until: failover_done\n    duration: 5s\n  - action: wait\n    until: rewind_done\n  - action: await-recover\n"
    );
    let errs = load("f.yaml", &text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_at(
        &errs[0],
        8,
        "steps[3].until",
        "one of recovery_started, rw_check, rewind_started",
    );
    assert_at(
        &errs[1],
        10,
        "steps[4]",
        "`wait` with `until` needs a `duration`",
    );
}

#[test]
fn a_process_fault_on_a_node_whose_service_an_open_fault_stops_is_rejected() {
    // The whole node is down: there is no postgres to freeze.
    let text = "steps:\n  - action: host-crash\n    target: node1\n  - action: postgres-hang\n    target: node1\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_at(
        &errs[0],
        4,
        "steps[1]",
        "`postgres-hang` on `node1` needs postgres running there, but `host-crash` (line 2) is open on it",
    );
    // pgpool is gone after pgpool-crash; postgres is not.
    let text = "steps:\n  - action: pgpool-crash\n    target: node2\n  - action: pgpool-hang\n    target: node2\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(&errs[0], 4, "steps[1]", "needs pgpool running there");
    let ok = "steps:\n  - action: pgpool-crash\n    target: node2\n  - action: postgres-hang\n    target: node2\n";
    assert!(load("f.yaml", ok, &Capabilities::default()).is_ok());
    // A role may be played by another node by then (after a crash of the primary, `primary` is
    // the promoted standby): only the executor's precheck can tell.
    let roles = "steps:\n  - action: host-crash\n    target: primary\n  - action: postgres-crash\n    target: primary\n";
    assert!(load("f.yaml", roles, &Capabilities::default()).is_ok());
}

#[test]
fn writes_expectations_need_the_write_load() {
    let text = "steps:\n  - action: host-crash\n    target: primary\n    expect:\n      - {writes: accepted, within: 9s}\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        5,
        "steps[0].expect[0].writes",
        "needs the write load",
    );
}

#[test]
fn a_heal_refers_to_its_fault_not_to_the_role_at_heal_time() {
    let text = "steps:\n  - action: host-crash\n    target: primary\n  - action: host-start\n    target: primary\n    expect:\n      - {roles: {target: standby}, within: 9s}\n";
    let plan = load("f.yaml", text, &Capabilities::default()).unwrap();
    assert!(matches!(
        plan.steps[1].action,
        Action::Heal { fault_step: 0, .. }
    ));
}

#[test]
fn every_known_bug_scenario_validates_names_its_fix_and_is_in_the_set() {
    let set = std::fs::read_to_string(repo().join("faults/sets/known-bugs.txt")).unwrap();
    let listed: Vec<&str> = set
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("faults/known-bugs")).unwrap() {
        let path = entry.unwrap().path();
        let plan = load_path(&path, &Capabilities::default())
            .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        let bug = plan
            .known_bug
            .as_ref()
            .expect("a known-bug scenario declares its bug");
        assert!(!bug.present_on.is_empty(), "{}", path.display());
        if bug.fixed_in.is_some() {
            assert!(bug.release_note.is_some(), "{}", path.display());
        }
        let name = format!("known-bugs/{}", path.file_name().unwrap().to_string_lossy());
        assert!(
            listed.contains(&name.as_str()),
            "{name} not in faults/sets/known-bugs.txt"
        );
        // Each release runs only the expectations of its state.
        let on = |r: &str| {
            plan.for_release(r)
                .steps
                .iter()
                .map(|s| s.expect.len())
                .sum::<usize>()
        };
        assert!(on(&bug.present_on[0]) > 0 && on("pg18-pgpool47") > 0);
        n += 1;
    }
    // The set may also name a scenario of the default catalogue that declares a known bug
    // (primary-postgres-hang.yaml: health-check-blocks-on-frozen-backend); every entry must.
    for name in listed.iter().filter(|l| !l.starts_with("known-bugs/")) {
        let path = repo().join("faults").join(name);
        let plan = load_path(&path, &Capabilities::default())
            .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        assert!(
            plan.known_bug.is_some(),
            "{name} is in faults/sets/known-bugs.txt but declares no known_bug"
        );
        n += 1;
    }
    assert_eq!(n, listed.len());
}

#[test]
fn a_known_bug_on_an_unknown_release_or_when_bug_without_a_bug_is_refused() {
    let text = "known_bug:\n  id: b\n  summary: s\n  fixed_in: \"4.6.3\"\n  release_note: Fix it.\n  present_on: [pg99-pgpool99]\nsteps:\n  - action: wait\n    duration: 1s\n";
    let errs = load("x.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_at(
        &errs[0],
        6,
        "known_bug.present_on[0]",
        "unknown release `pg99-pgpool99`",
    );
    assert!(errs[0].message.contains("pg17-pgpool46"), "{}", errs[0]);

    let text = "known_bug:\n  id: b\n  summary: s\n  fixed_in: \"4.6.3\"\n  present_on: [pg17-pgpool46]\nsteps:\n  - action: wait\n    duration: 1s\n";
    let errs = load("x.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert!(errs[0].message.contains("release-note line"), "{}", errs[0]);

    let text = "steps:\n  - action: wait\n    duration: 1s\n    expect:\n      - {vip: node1, within: 1s, when_bug: present}\n";
    let errs = load("x.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert!(
        errs[0].message.contains("needs a `known_bug:`"),
        "{}",
        errs[0]
    );
    assert_eq!(errs[0].path, "steps[0].expect[0].when_bug");

    let text = "known_bug:\n  id: b\n  summary: s\n  present_on: [pg17-pgpool46]\n  without_workarounds: [heartbeat-dnat]\nsteps:\n  - action: wait\n    duration: 1s\n";
    let errs = load("x.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert!(
        errs[0].to_string().contains("heartbeat-loopback"),
        "{}",
        errs[0]
    );
}

#[test]
fn an_unknown_option_of_an_action_says_which_options_the_action_takes() {
    let text = "steps:\n  - action: wait\n    duration: 1s\n    colour: red\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        4,
        "steps[0].colour",
        "unknown option `colour` for `wait` (it takes: duration, until)",
    );
}

#[test]
fn an_option_written_before_the_action_is_still_refused() {
    let text = "steps:\n  - target: primary\n    grace: 3s\n    action: host-crash\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        2,
        "steps[0]",
        "`grace` does not apply to `host-crash` (only to host-shutdown); it takes: target",
    );
}

#[test]
fn a_bad_option_value_is_reported_at_its_own_key() {
    let text =
        "steps:\n  - action: network-partition\n    target: primary\n    direction: sideways\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(
        &errs[0],
        4,
        "steps[0].direction",
        "unknown variant `sideways`, expected one of `both`, `outbound`, `inbound`",
    );
    let text = "steps:\n  - action: host-shutdown\n    target: primary\n    grace: 10\n";
    let errs = load("f.yaml", text, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_at(&errs[0], 4, "steps[0].grace", "has no unit");
}

#[test]
fn the_key_path_of_an_error_is_printed_once() {
    for (text, path) in [
        (
            "steps:\n  - action: host-crash\n    target: primary\n    expect:\n      - {vip: standby, within: 3x}\n",
            "steps[0].expect[0].within",
        ),
        (
            "steps:\n  - action: host-shutdown\n    target: primary\n    grace: 3x\n",
            "steps[0].grace",
        ),
        (
            "steps:\n  - action: sql\n    statement: select 1\n    allow_error: maybe\n",
            "steps[0].allow_error",
        ),
    ] {
        let shown = load("f.yaml", text, &Capabilities::default())
            .unwrap_err()
            .to_string();
        assert_eq!(shown.matches(path).count(), 1, "{shown}");
    }
}

#[test]
fn fault_options_are_carried_into_the_plan() {
    let text = "steps:\n  - action: host-shutdown\n    target: primary\n    grace: 30s\n  - action: host-start\n  - action: network-partition\n    target: primary\n    peer: standby\n    direction: outbound\n";
    let plan = load("f.yaml", text, &Capabilities::default()).unwrap();
    let json = serde_json::to_value(&plan.steps).unwrap();
    assert_eq!(json[0]["action"]["fault"]["kind"], "host-shutdown");
    assert_eq!(json[0]["action"]["fault"]["grace"]["secs"], 30);
    assert_eq!(json[2]["action"]["fault"]["kind"], "network-partition");
    assert_eq!(json[2]["action"]["fault"]["direction"], "outbound");
    assert_eq!(json[2]["action"]["peer"], "standby");
}

#[test]
fn a_scenario_names_its_release_and_the_old_profile_key_still_works_with_a_warning() {
    let wait = "steps:\n  - action: wait\n    duration: 1s\n";
    let plan = load(
        "f.yaml",
        &format!("release: pg15-pgpool43\n{wait}"),
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(plan.release, "pg15-pgpool43");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let plan = load("f.yaml", wait, &Capabilities::default()).unwrap();
    assert_eq!(plan.release, hachaos::image::DEFAULT_RELEASE);
    // `profile: pgpool` meant the default release.
    let plan = load(
        "f.yaml",
        &format!("profile: pgpool\n{wait}"),
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(plan.release, hachaos::image::DEFAULT_RELEASE);
    assert_eq!(plan.warnings.len(), 1);
    assert!(
        plan.warnings[0].contains("f.yaml:1: `profile:` is deprecated: write `release:`"),
        "{:?}",
        plan.warnings
    );
    let plan = load(
        "f.yaml",
        &format!("profile: pg15-pgpool43\n{wait}"),
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(plan.release, "pg15-pgpool43");
    let errs = load(
        "f.yaml",
        &format!("release: pg15-pgpool43\nprofile: pgpool\n{wait}"),
        &Capabilities::default(),
    )
    .unwrap_err()
    .0;
    assert_at(&errs[0], 2, "profile", "keep only `release`");
}

#[test]
fn damage_window_budgets_are_read_and_a_bad_one_is_rejected_at_its_line() {
    let ok = "name: x\nbudgets:\n  old_primary_acks: 5s\n  two_primaries: 0s\n  two_vip_holders: 0s\n  vip_outage: 40s\nsteps:\n  - action: host-crash\n    target: primary\n";
    let plan = load("ok.yaml", ok, &Capabilities::default()).unwrap();
    assert_eq!(plan.budgets.old_primary_acks, Some(Duration::from_secs(5)));
    assert_eq!(plan.budgets.two_primaries, Some(Duration::ZERO));
    assert_eq!(plan.budgets.two_vip_holders, Some(Duration::ZERO));
    assert_eq!(plan.budgets.vip_outage, Some(Duration::from_secs(40)));

    let bad = "name: x\nbudgets:\n  two_primaries: 0s\n  vip_outage: soon\nsteps:\n  - action: host-crash\n    target: primary\n";
    let errs = load("bad.yaml", bad, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, Some(4), "{}", errs[0]);
    assert!(
        errs[0].to_string().contains("budgets.vip_outage"),
        "{}",
        errs[0]
    );

    let unknown = "name: x\nbudgets:\n  two_primary: 0s\nsteps:\n  - action: host-crash\n    target: primary\n";
    let errs = load("unknown.yaml", unknown, &Capabilities::default())
        .unwrap_err()
        .0;
    assert_eq!(errs[0].line, Some(3), "{}", errs[0]);
    assert!(errs[0].to_string().contains("two_primary"), "{}", errs[0]);
}
