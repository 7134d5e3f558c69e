//! What `hachaos analyze` says happened, on the recorded real runs of both releases and on
//! their lines as users meet them (syslog, journald, pasted into a bug report), with the exit
//! code `--expect` decides.

use assert_cmd::Command;
use hachaos::analyze::{analyze, parse_argument, AnalysisRecord, AnalyzeOptions, Expect};
use hachaos::analyze::{GrammarChoice, Outcome};
use hachaos::checks::{FailoverKind, Verdict};
use hachaos::timeline::EventKind;
use predicates::prelude::*;

const RUNS: &str = "tests/data/runs";

fn hachaos() -> Command {
    Command::cargo_bin("hachaos").unwrap()
}

fn run(name: &str) -> AnalysisRecord {
    let inputs = parse_argument(&format!("{RUNS}/{name}/logs")).unwrap();
    let options = AnalyzeOptions {
        expect: Some(Expect::Any),
        ..AnalyzeOptions::default()
    };
    analyze(&inputs, &GrammarChoice::Auto, &options).unwrap()
}

fn verdict(r: &AnalysisRecord, name: &str) -> Verdict {
    r.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}"))
        .verdict
}

#[test]
fn every_clean_recorded_failover_passes_and_says_how_it_started() {
    for (name, started_by, executor) in [
        ("primary-shutdown-first", "announced_shutdown", "node2"),
        ("pg15-pgpool43-primary-crash", "lost_peer", "node2"),
        (
            "pg15-pgpool43-primary-crash-early-request",
            "lost_peer",
            "node2",
        ),
        ("primary-crash-recover", "lost_peer", "node2"),
        (
            "pg17-pgpool46-blackhole-srcheck-stall",
            "lost_peer",
            "node2",
        ),
    ] {
        let r = run(name);
        assert_eq!(r.outcome.result, Outcome::Failover, "{name}");
        for c in &r.checks {
            assert_eq!(
                c.verdict,
                Verdict::Pass,
                "{name}: {}: {}",
                c.name,
                c.evidence
            );
        }
        let f = &r.failovers[0];
        assert_eq!(f.executor, executor, "{name}");
        assert_eq!(f.kind, FailoverKind::PrimaryFailover, "{name}");
        assert_eq!(f.started_by.as_deref(), Some(started_by), "{name}");
        assert_eq!(
            (f.failed_node_id, f.new_primary_node_id),
            (Some(0), Some(1))
        );
        assert!(
            f.phases.contains_key("backend_down_to_failover_done"),
            "{name}"
        );
    }
}

#[test]
fn a_read_only_disk_is_a_storage_fault_failover_by_the_sick_nodes_own_pgpool() {
    let r = run("primary-disk-readonly");
    assert_eq!(r.outcome.result, Outcome::Failover);
    assert_eq!(verdict(&r, "sequence"), Verdict::Pass);
    let f = &r.failovers[0];
    assert_eq!(f.executor, "node1");
    assert_eq!(f.started_by.as_deref(), Some("storage_fault"));
    // After its pgpool restarted, node1 detached the dead backend 0 again: node 1 was primary
    // by then, so that is a standby detach, not a second promotion.
    assert_eq!(r.failovers[1].kind, FailoverKind::StandbyDetach);
    // PostgreSQL's PANIC stays a forbidden pattern (live runs declare it as expected damage).
    assert_eq!(verdict(&r, "forbidden_patterns"), Verdict::Fail);
}

#[test]
fn a_partition_is_split_brain_and_the_headline_is_the_survivors_promotion() {
    let r = run("partition");
    assert_eq!(r.outcome.result, Outcome::SplitBrain);
    assert_eq!(verdict(&r, "split_brain"), Verdict::Fail);
    assert_eq!(verdict(&r, "vip_holders"), Verdict::Fail);
    assert_eq!(verdict(&r, "outcome"), Verdict::Fail);
    // node1 first detached its healthy peer (a standby detach in 0.05 s) ...
    assert_eq!(r.failovers[0].executor, "node1");
    assert_eq!(r.failovers[0].kind, FailoverKind::StandbyDetach);
    // ... but what is summarised and measured is node2's promotion, 12 s later.
    assert_eq!(r.failovers[1].kind, FailoverKind::PrimaryFailover);
    assert_eq!(r.failover.failed_node_id, Some(0));
    assert_eq!(r.failover.new_primary_node_id, Some(1));
    let lost_to_down = r.durations["leader_lost_to_backend_down"];
    assert!(lost_to_down > 15.0, "{lost_to_down}");
    assert!(r
        .timeline
        .events()
        .iter()
        .any(|e| e.kind == EventKind::SplitBrain));
}

#[test]
fn a_pgpool_4_3_blackhole_shows_the_isolated_pgpool_exiting_and_split_brain() {
    let r = run("pg15-pgpool43-primary-network-blackhole");
    assert_eq!(r.outcome.result, Outcome::SplitBrain);
    let exit = r
        .timeline
        .events()
        .iter()
        .find(|e| e.kind == EventKind::PgpoolExit)
        .expect("pgpool_exit");
    assert_eq!(exit.node, "node1");
    assert_eq!(exit.attrs.get("reason").unwrap(), "network_lost");
    assert!(r
        .timeline
        .events()
        .iter()
        .any(|e| e.kind == EventKind::RequestCanceled && e.node == "node2"));
}

#[test]
fn the_exit_code_follows_expect() {
    let crash = format!("{RUNS}/pg15-pgpool43-primary-crash/logs");
    let partition = format!("{RUNS}/partition/logs");
    hachaos().args(["analyze", &crash]).assert().code(0);
    hachaos()
        .args(["analyze", "--expect", "failover", &crash])
        .assert()
        .code(0);
    hachaos()
        .args(["analyze", "--expect", "none", &crash])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("result: failover"));
    hachaos()
        .args(["analyze", &partition])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("result: split brain"));
}

/// node1's pgpool log of the crash run up to the fault: a healthy start, no failover.
fn healthy_start(dir: &std::path::Path) -> std::path::PathBuf {
    let log = std::fs::read_to_string(format!(
        "{RUNS}/pg15-pgpool43-primary-crash/logs/node1/pgpool.log"
    ))
    .unwrap();
    let head: String = log
        .lines()
        .take_while(|l| !l.starts_with("2026-11-25 14:33:0"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = dir.join("pgpool.log");
    std::fs::write(&p, head).unwrap();
    p
}

#[test]
fn a_healthy_log_is_no_failover_and_passes_unless_a_failover_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let p = healthy_start(dir.path());
    let arg = format!("node1={}", p.display());
    hachaos()
        .args(["analyze", &arg])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("result: no failover"));
    hachaos()
        .args(["analyze", "--expect", "none", &arg])
        .assert()
        .code(0);
    hachaos()
        .args(["analyze", "--expect", "failover", &arg])
        .assert()
        .code(1);
}

#[test]
fn a_recovery_without_failover_is_recovery_only() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("{RUNS}/primary-crash-recover/logs/node1/recovery.log");
    let p = dir.path().join("recovery.log");
    std::fs::copy(src, &p).unwrap();
    hachaos()
        .args([
            "analyze",
            "--profile",
            "pgpool",
            &format!("node1={}", p.display()),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("result: recovery only"));
}

/// Rewrites a pgpool line `YYYY-MM-DD HH:MM:SS.mmm: app pid N: LOG:  msg` as syslog writes it.
/// (pgpool 4.3's unprefixed copy glued before a line is dropped: syslog has no such copy.)
fn syslog_line(line: &str) -> Option<String> {
    let line = &line[line.find("2026-")?..];
    let (stamp, rest) = line.split_at_checked(23)?;
    let pid = rest.split(" pid ").nth(1)?.split(':').next()?;
    let msg = rest.split_once("LOG:  ").map(|(_, m)| m)?;
    let day: u32 = stamp[8..10].parse().ok()?;
    Some(format!(
        "Nov {day:>2} {} db1 pgpool[{pid}]: [1-1] LOG:  {msg}",
        &stamp[11..19]
    ))
}

#[test]
fn syslog_and_journald_lines_are_read_with_their_time_and_pid() {
    let log = std::fs::read_to_string(format!(
        "{RUNS}/pg15-pgpool43-primary-crash/logs/node2/pgpool.log"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let syslog: String = log
        .lines()
        .filter_map(syslog_line)
        .map(|l| l + "\n")
        .collect();
    let p = dir.path().join("messages");
    std::fs::write(&p, syslog).unwrap();
    let inputs = [hachaos::analyze::Input::file("node2", &p)];
    let r = analyze(&inputs, &GrammarChoice::Auto, &AnalyzeOptions::default()).unwrap();
    assert_eq!(r.profile, "pgpool");
    let cmd = r
        .timeline
        .events()
        .iter()
        .find(|e| e.kind == EventKind::FailoverCommand)
        .expect("failover command read through syslog");
    assert_eq!(
        cmd.time.unwrap().at.format("%m-%d %H:%M:%S").to_string(),
        "11-25 14:33:13"
    );
    assert!(cmd.pid.is_some());
    assert_eq!(r.failovers[0].started_by.as_deref(), Some("lost_peer"));

    // journalctl -o short-iso
    let iso: String = log
        .lines()
        .filter_map(|l| {
            let l = &l[l.find("2026-")?..];
            let (stamp, rest) = l.split_at_checked(23)?;
            let msg = rest.split_once(": ").map(|(_, m)| m)?;
            Some(format!(
                "{}T{}+0000 db1 pgpool[7]: {msg}\n",
                &stamp[..10],
                &stamp[11..]
            ))
        })
        .collect();
    let p = dir.path().join("journal.txt");
    std::fs::write(&p, iso).unwrap();
    let inputs = [hachaos::analyze::Input::file("node2", &p)];
    let r = analyze(&inputs, &GrammarChoice::Auto, &AnalyzeOptions::default()).unwrap();
    assert_eq!(r.failovers.len(), 1);
    assert_eq!(r.failovers[0].new_primary_node_id, Some(1));
}

#[test]
fn lines_pasted_with_quotes_backticks_and_prose_keep_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("issue.md");
    std::fs::write(
        &p,
        "After the crash pgpool logged:\n\
         > `2026-11-25 14:33:13.220: main pid 214: LOG:  starting degeneration. shutdown host node1(5432)`\n\
         \"2026-11-25 14:33:13.227: main pid 214: LOG:  execute command: /usr/local/bin/hachaos-failover 0 node1 1 node2 0 0 node1\"\n\
         Then the script promoted node2.\n\
         `2026-11-25 14:33:13.449: main pid 214: LOG:  failover: set new primary node: 1`\n",
    )
    .unwrap();
    let inputs = [hachaos::analyze::Input::file("node2", &p)];
    let r = analyze(
        &inputs,
        &GrammarChoice::Builtin("pgpool".into()),
        &AnalyzeOptions::default(),
    )
    .unwrap();
    let events = r.timeline.events();
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events
        .iter()
        .all(|e| e.time.is_some() && e.pid == Some(214)));
    let cmd = events
        .iter()
        .find(|e| e.kind == EventKind::FailoverCommand)
        .unwrap();
    assert!(
        !cmd.text.get().contains("Then the script"),
        "prose glued on: {}",
        cmd.text
    );
}

#[test]
fn wording_of_both_releases_becomes_events() {
    let g = hachaos::grammar::Grammar::new(
        hachaos::grammar::GrammarDef::builtin("pgpool").unwrap(),
        &[],
    )
    .unwrap();
    for (line, kind) in [
        // pgpool 4.3 (pgpool_main.c) and 4.6 failback wording
        ("2026-11-25 13:26:35.357: main pid 206: LOG:  failback done. reconnect host node2(5432)", EventKind::NodeAttached),
        ("2026-11-25 13:26:35.357: main pid 206: LOG:  === Failback done. reconnect host node2(5432) ===", EventKind::NodeAttached),
        // pool_internal_comms.c
        ("2026-11-25 13:26:06.555: health_check0 pid 336: LOG:  degenerate backend request for 1 node(s) from pid [336] is canceled by other pgpool", EventKind::RequestCanceled),
        ("2026-11-25 13:26:06.555: health_check0 pid 336: LOG:  degenerate backend request for 1 node(s) from pid [336], will be handled by watchdog", EventKind::RequestForwarded),
        ("2026-11-25 13:26:06.555: health_check0 pid 336: LOG:  degenerate backend request for 1 node(s) from pid [336], is changed to quarantine node request by watchdog", EventKind::Quarantine),
        // watchdog.c
        ("2026-11-25 13:26:33.876: watchdog pid 219: LOG:  We are in split brain, and I am the best candidate for leader/coordinator", EventKind::SplitBrain),
        ("2026-11-25 14:45:34.635: watchdog pid 207: FATAL:  system has lost the network", EventKind::PgpoolExit),
    ] {
        let scan = g.scan_bytes(format!("{line}\n").as_bytes(), "n", "pgpool.log");
        let kinds: Vec<_> = scan.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![kind], "{line}");
    }
}

#[test]
fn a_quarantine_without_failover_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pgpool.log");
    std::fs::write(
        &p,
        "2026-11-25 13:26:06.482: health_check1 pid 377: LOG:  health check failed on node 1 (timeout:0)\n\
         2026-11-25 13:26:06.482: health_check1 pid 377: LOG:  received degenerate backend request for node_id: 1 from pid [377]\n\
         2026-11-25 13:26:06.483: health_check1 pid 377: LOG:  degenerate backend request for 1 node(s) from pid [377], is changed to quarantine node request by watchdog\n",
    )
    .unwrap();
    hachaos()
        .args(["analyze", &format!("node1={}", p.display())])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("result: quarantine"));
}

#[test]
fn an_impossible_timestamp_is_flagged_with_its_line_and_is_undecidable() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pgpool.log");
    std::fs::write(
        &p,
        "2026-11-25 14:33:13.220: main pid 214: LOG:  starting degeneration. shutdown host node1(5432)\n\
         2026-13-45 25:61:99.000: main pid 214: LOG:  execute command: /usr/local/bin/hachaos-failover 0 node1 1 node2 0 0 node1\n\
         2026-11-25 14:33:13.449: main pid 214: LOG:  failover: set new primary node: 1\n\
         2026-11-25 14:33:13.456: main pid 214: LOG:  failover done. shutdown host node1(5432)\n",
    )
    .unwrap();
    hachaos()
        .args(["analyze", &format!("node2={}", p.display())])
        .assert()
        .code(4)
        .stdout(
            predicate::str::contains("pgpool.log:2").and(predicate::str::contains("2026-13-45")),
        );
}

#[test]
fn cr_only_line_endings_are_lines() {
    let log = std::fs::read_to_string(format!(
        "{RUNS}/pg15-pgpool43-primary-crash/logs/node2/pgpool.log"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pgpool.log");
    std::fs::write(&p, log.replace('\n', "\r")).unwrap();
    let inputs = [hachaos::analyze::Input::file("node2", &p)];
    let r = analyze(&inputs, &GrammarChoice::Auto, &AnalyzeOptions::default()).unwrap();
    assert_eq!(r.inputs[0].lines as usize, log.lines().count());
    assert_eq!(r.failovers.len(), 1);
}

#[test]
fn the_same_input_twice_is_read_once() {
    let log = format!("node2={RUNS}/pg15-pgpool43-primary-crash/logs/node2/pgpool.log");
    let out = hachaos()
        .args(["analyze", "--format", "json", &log, &log])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("skipped").and(predicate::str::contains("already given")))
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["failovers"].as_array().unwrap().len(), 1);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
}

#[test]
fn html_pointing_at_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pgpool.log");
    std::fs::copy(
        format!("{RUNS}/pg15-pgpool43-primary-crash/logs/node2/pgpool.log"),
        &p,
    )
    .unwrap();
    let before = std::fs::read(&p).unwrap();
    hachaos()
        .current_dir(dir.path())
        .args(["analyze", "--html", "pgpool.log", "node2=pgpool.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one of the inputs"));
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn a_dpkg_log_mentioning_pgpool_is_not_a_pgpool_log() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dpkg.log");
    std::fs::write(
        &p,
        "2026-11-25 12:00:00 startup archives unpack\n\
         2026-11-25 12:00:01 install pgpool2:amd64 <none> 4.6.1-1\n\
         2026-11-25 12:00:02 status installed pgpool2:amd64 4.6.1-1\n",
    )
    .unwrap();
    hachaos()
        .args(["analyze", &format!("n1={}", p.display())])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no input holds an event"));
}

#[test]
fn an_unparsable_file_is_skipped_and_the_rest_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("failover-tool.log");
    std::fs::write(&junk, "tool v1 starting\nall good\n").unwrap();
    hachaos()
        .args([
            "analyze",
            &format!("node2={RUNS}/pg15-pgpool43-primary-crash/logs/node2/pgpool.log"),
            &format!("node2={}", junk.display()),
        ])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("skipped: node2=")
                .and(predicate::str::contains("result: failover")),
        );
}

#[test]
fn terminal_control_bytes_from_a_log_are_escaped_in_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pgpool.log");
    std::fs::write(
        &p,
        "2026-11-25 14:33:13.227: main pid 214: LOG:  execute command: /x/failover \x1b[2J\x07 0 node1\n",
    )
    .unwrap();
    let out = hachaos()
        .args([
            "analyze",
            "--profile",
            "pgpool",
            &format!("node2={}", p.display()),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
    assert!(text.contains("\\x1b[2J\\x07"), "{text}");
}

#[test]
fn a_closed_stdout_does_not_panic() {
    let bin = assert_cmd::cargo::cargo_bin("hachaos");
    let mut child = std::process::Command::new(bin)
        .args([
            "analyze",
            "--format",
            "json",
            &format!("{RUNS}/partition/logs"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn a_read_only_disk_passes_when_its_panic_is_declared() {
    let disk = format!("{RUNS}/primary-disk-readonly/logs");
    hachaos()
        .args(["analyze", &disk])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL    forbidden_patterns"));
    hachaos()
        .args(["analyze", "--allow-panic", &disk])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("PANIC allowed")
                .and(predicate::str::contains("result: failover")),
        );
}
