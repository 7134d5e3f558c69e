//! Injecting a silent fault between two of pgpool's health checks, not inside one.
//!
//! pgpool's health check of a backend connects and authenticates under a `health_check_timeout`
//! alarm, but the alarm's handler does not interrupt the `read` it waits in. When the packets
//! stop after the TCP handshake and before the server's answer, that read never returns: the
//! health check never retries, never asks for a failover, and the cluster keeps a dead primary
//! until the network heals. Recorded in the CI dry run of 2026-11-30 (run r6853fcd5,
//! primary-network-blackhole-recover): node2's `health check process(0)` in `tcp_recvmsg` for the
//! whole blackhole, while the watchdog had long taken over. It is the same defect as a frozen
//! PostgreSQL (the known bug `health-check-blocks-on-frozen-backend`), hit by chance: a silent
//! loss lands inside a check's exchange about once in ten times here, more often under load.
//!
//! The silent-loss scenarios measure pgpool's failover path, not that race, so a silent fault is
//! injected when every health check that crosses the cut has just finished a check: the peer's
//! check of the target, and the target's check of the peer (a partition or a blackhole silences
//! both directions: run r3d641a13 of 2026-11-30, a partition aligned with node2's check only,
//! caught node1's `health check process(1)` in `tcp_recvmsg`, and node1 never asked to detach
//! node2). A check that has finished sleeps `health_check_period` (whole seconds, at least 1)
//! before the next one, so a check that finished less than [`FRESH`] (700 ms) ago has at least
//! 300 ms of sleep left, for the fault to take effect: the loss lands between checks. Two checks
//! of any relative phase both qualify within about one period once each has been seen finishing:
//! right after the later one finishes, the other finished less than 700 ms before, or else its
//! own next finish is less than 300 ms away and then the first is fresh. A check's process is found
//! by its title (`health check process(N)`, N the backend id) and watched through `/proc` on the
//! host: a check has just finished when the process sleeps in `hrtimer_nanosleep` and has run
//! since the last look (its context-switch counts changed). A check whose process cannot be found
//! or watched (another release, no host access, checks disabled) is left out and the note says
//! so; with none left the fault is injected at once.
//!
//! A fault the peer sees at once (FIN or RST: a crash, a shutdown, a killed PostgreSQL) cannot
//! catch a check mid-exchange, but where the peer's next check lands after it still decides what
//! that check sees, so detection and everything after it spread over a whole period from run to
//! run, and on a graceful shutdown fall into two modes: a check landing in the ~0.15 s while
//! PostgreSQL has stopped and the host still answers fails at once, a later one waits out its
//! 1 s timeout (standby-shutdown, 2026-11-30: `detect` 1.1 s in 1 of 5 serial runs and 2 of 5
//! parallel ones, 1.5-2.8 s in the others, so five-run medians differed by 0.6 s with nothing
//! changed). Such a fault is fired [`MID_PERIOD`] after the peer's check of the target finished
//! one, so its next check comes half a period after the fault on every run: detection is
//! measured at one known phase, the average case, and a release comparison sees the release,
//! not the dice. The wait is at most one period and a half. A fault aimed at another phase (the
//! step after `wait until`, inside a rewind, say) is not held for this (the executor's
//! `waited_until`).

use bollard::Docker;
use std::time::{Duration, Instant};

/// How long to wait for every check to have finished recently: two periods (1 s each), checks,
/// and slack.
const WAIT: Duration = Duration::from_millis(3000);
/// A check counts as just finished for this long: the shortest `health_check_period` (1 s) less
/// 300 ms for the fault to take effect before the next check can start.
pub const FRESH: Duration = Duration::from_millis(700);
/// How often the process is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(2);
/// How long after the peer's check finished a fault the peer sees at once is fired: half of the
/// shortest `health_check_period` (1 s, the images' setting).
pub const MID_PERIOD: Duration = Duration::from_millis(500);

/// The title pgpool gives the health check of backend `backend_id`.
pub fn process_title(backend_id: u32) -> String {
    format!("health check process({backend_id})")
}

/// One look at the process: what it sleeps in, and how often it has been switched out so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// `/proc/PID/wchan`.
    pub wchan: String,
    /// `voluntary_ctxt_switches` + `nonvoluntary_ctxt_switches` from `/proc/PID/status`.
    pub switches: u64,
}

/// Whether `now`, after `before`, shows a check that has just finished: asleep between checks
/// now, and it either was not asleep or has run since.
pub fn just_finished(before: &Look, now: &Look) -> bool {
    now.wchan == "hrtimer_nanosleep"
        && (before.wchan != "hrtimer_nanosleep" || before.switches != now.switches)
}

/// The context switches a `/proc/PID/status` text reports.
pub fn switches(status: &str) -> Option<u64> {
    let mut total = None;
    for line in status.lines() {
        if let Some(v) = line
            .strip_prefix("voluntary_ctxt_switches:")
            .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        {
            total = Some(total.unwrap_or(0) + v.trim().parse::<u64>().ok()?);
        }
    }
    total
}

async fn look(pid: &str) -> Option<Look> {
    let wchan = tokio::fs::read_to_string(format!("/proc/{pid}/wchan"))
        .await
        .ok()?;
    let status = tokio::fs::read_to_string(format!("/proc/{pid}/status"))
        .await
        .ok()?;
    Some(Look {
        wchan: wchan.trim().to_string(),
        switches: switches(&status)?,
    })
}

/// One watched health check: what it looked like last, and when it last finished a check
/// (time since the watch began).
#[derive(Debug, Clone)]
pub struct Watch {
    last: Look,
    finished: Option<Duration>,
}

impl Watch {
    /// Starts watching from a first look.
    pub fn new(first: Look) -> Watch {
        Watch {
            last: first,
            finished: None,
        }
    }

    /// Takes a new look at `at`: a check that just finished is remembered; one that started
    /// (awake again) is not finished any more.
    pub fn observe(&mut self, now: Look, at: Duration) {
        if just_finished(&self.last, &now) {
            self.finished = Some(at);
        } else if now.wchan != "hrtimer_nanosleep" {
            self.finished = None;
        }
        self.last = now;
    }

    /// Whether it is between checks at `at`: asleep after a check that finished less than
    /// [`FRESH`] ago.
    pub fn between_checks(&self, at: Duration) -> bool {
        self.last.wchan == "hrtimer_nanosleep"
            && self.finished.is_some_and(|f| at.saturating_sub(f) < FRESH)
    }
}

/// The health checks a silent fault on `target` cuts through, as (checking container, backend
/// id checked): each peer's check of the target and the target's check of each peer. Empty when
/// `target` is not one of `nodes`.
pub fn checks_across(nodes: &[super::NodeHandle], target: &str) -> Vec<(String, u32)> {
    let Some(t) = nodes.iter().find(|n| n.name == target) else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|peer| peer.name != t.name)
        .flat_map(|peer| {
            [
                (peer.container.clone(), t.id),
                (t.container.clone(), peer.id),
            ]
        })
        .collect()
}

/// The health checks that watch `target`'s PostgreSQL from its peers, as (checking container,
/// backend id checked): the half of [`checks_across`] that sees a fault the peer sees at once.
pub fn checks_of(nodes: &[super::NodeHandle], target: &str) -> Vec<(String, u32)> {
    let Some(t) = nodes.iter().find(|n| n.name == target) else {
        return Vec::new();
    };
    checks_across(nodes, target)
        .into_iter()
        .filter(|(checker, _)| *checker != t.container)
        .collect()
}

/// Where a fault fires against the health checks, by what the peer sees and whether the fault
/// stops PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Between the checks that cross the cut, in both directions ([`await_between_checks`]).
    BetweenChecks,
    /// [`MID_PERIOD`] after the peer's check of the target finished ([`await_mid_period`]).
    MidPeriod,
    /// Wherever it comes: the checks of PostgreSQL do not see it directly, or see it late and
    /// partly (lossy or slow links, hangs), where no one phase stands for a run.
    Any,
}

/// The alignment for a fault of catalogue row `row`.
pub fn alignment(row: &crate::faults::Row) -> Alignment {
    use crate::faults::{PeerSees, Service};
    match row.peer_sees {
        PeerSees::Silence => Alignment::BetweenChecks,
        PeerSees::FinRst if row.stops.contains(&Service::Postgres) => Alignment::MidPeriod,
        _ => Alignment::Any,
    }
}

/// Finds the process of `checker`'s health check of backend `backend_id`: its PID, or why not.
async fn find(docker: &Docker, checker: &str, title: &str) -> Result<String, String> {
    let options = bollard::query_parameters::TopOptionsBuilder::default()
        .ps_args("-eo pid,args")
        .build();
    let top = docker
        .top_processes(checker, Some(options))
        .await
        .map_err(|e| format!("cannot list {checker}'s processes ({e})"))?;
    top.processes
        .unwrap_or_default()
        .into_iter()
        .find_map(|row| {
            (row.iter().skip(1).any(|c| c.contains(title))).then(|| row.first().cloned())?
        })
        .ok_or_else(|| format!("no `{title}` on {checker}"))
}

/// Waits until every health check in `checks` (a container and the backend id it checks) has
/// just finished a check (at most [`WAIT`]), and says what it saw, for the step's record.
pub async fn await_between_checks(docker: &Docker, checks: &[(String, u32)]) -> String {
    let started = Instant::now();
    let mut left_out = Vec::new();
    let mut watched: Vec<(String, String, Watch)> = Vec::new();
    for (checker, backend_id) in checks {
        let title = process_title(*backend_id);
        let pid = match find(docker, checker, &title).await {
            Ok(pid) => pid,
            Err(why) => {
                left_out.push(why);
                continue;
            }
        };
        match look(&pid).await {
            Some(first) => watched.push((format!("{checker}'s `{title}`"), pid, Watch::new(first))),
            None => left_out.push(format!("cannot watch `{title}` on {checker} through /proc")),
        }
    }
    let left_out_note = if left_out.is_empty() {
        String::new()
    } else {
        format!(" (left out: {})", left_out.join("; "))
    };
    if watched.is_empty() {
        return format!("injected at once{left_out_note}");
    }
    while started.elapsed() < WAIT {
        tokio::time::sleep(LOOK_EVERY).await;
        let at = started.elapsed();
        for (name, pid, watch) in watched.iter_mut() {
            let Some(now) = look(pid).await else {
                return format!("injected at once: {name} went away{left_out_note}");
            };
            watch.observe(now, at);
        }
        if watched.iter().all(|(_, _, w)| w.between_checks(at)) {
            let seen: Vec<String> = watched
                .iter()
                .map(|(name, _, w)| {
                    let ago = w.finished.map_or(0, |f| at.saturating_sub(f).as_millis());
                    format!("{name} finished one {ago} ms before")
                })
                .collect();
            return format!(
                "injected between health checks after a {} ms wait: {}{left_out_note}",
                at.as_millis(),
                seen.join(", ")
            );
        }
    }
    let last: Vec<String> = watched
        .iter()
        .map(|(name, _, w)| format!("{name} in {}", w.last.wchan))
        .collect();
    format!(
        "injected without every check between checks in {} ms (last seen: {}){left_out_note}",
        WAIT.as_millis(),
        last.join(", ")
    )
}

/// Waits until `checker`'s health check of backend `backend_id` has finished a check, then
/// until [`MID_PERIOD`] after that, and says what it saw. Gives up (and says so) after
/// [`WAIT`] without a finished check.
pub async fn await_mid_period(docker: &Docker, checker: &str, backend_id: u32) -> String {
    let started = Instant::now();
    let title = process_title(backend_id);
    let name = format!("{checker}'s `{title}`");
    let pid = match find(docker, checker, &title).await {
        Ok(pid) => pid,
        Err(why) => return format!("injected at once (left out: {why})"),
    };
    let Some(first) = look(&pid).await else {
        return format!("injected at once (cannot watch {name} through /proc)");
    };
    let mut watch = Watch::new(first);
    while started.elapsed() < WAIT {
        tokio::time::sleep(LOOK_EVERY).await;
        let at = started.elapsed();
        let Some(now) = look(&pid).await else {
            return format!("injected at once: {name} went away");
        };
        watch.observe(now, at);
        if let Some(finished) = watch.finished {
            tokio::time::sleep((finished + MID_PERIOD).saturating_sub(started.elapsed())).await;
            let late = started.elapsed().saturating_sub(finished);
            return format!(
                "injected {} ms after {name} finished a check (after a {} ms wait)",
                late.as_millis(),
                started.elapsed().as_millis()
            );
        }
    }
    format!(
        "injected without seeing {name} finish a check in {} ms (last seen in {})",
        WAIT.as_millis(),
        watch.last.wchan
    )
}

/// Waits as `row`'s [`alignment`] asks before a fault on `target` fires, and says what it saw;
/// `None` when it fires at once by design (or `target` has no peer to align with).
pub async fn align(
    docker: &Docker,
    nodes: &[super::NodeHandle],
    target: &str,
    row: &crate::faults::Row,
) -> Option<String> {
    match alignment(row) {
        Alignment::BetweenChecks => {
            let checks = checks_across(nodes, target);
            if checks.is_empty() {
                return None;
            }
            Some(await_between_checks(docker, &checks).await)
        }
        Alignment::MidPeriod => {
            // Two nodes: one peer. With more, the first peer's check sets the phase.
            let (checker, backend_id) = checks_of(nodes, target).into_iter().next()?;
            Some(await_mid_period(docker, &checker, backend_id).await)
        }
        Alignment::Any => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(wchan: &str, switches: u64) -> Look {
        Look {
            wchan: wchan.into(),
            switches,
        }
    }

    #[test]
    fn a_check_has_just_finished_when_the_process_is_back_asleep_after_running() {
        // Seen running (connecting, reading), then asleep: finished.
        assert!(just_finished(
            &look("wait_woken", 40),
            &look("hrtimer_nanosleep", 44)
        ));
        assert!(just_finished(
            &look("do_poll", 40),
            &look("hrtimer_nanosleep", 44)
        ));
        // A whole check between two looks: asleep both times, but it ran.
        assert!(just_finished(
            &look("hrtimer_nanosleep", 40),
            &look("hrtimer_nanosleep", 47)
        ));
        // Asleep all along: the next check may be about to start.
        assert!(!just_finished(
            &look("hrtimer_nanosleep", 40),
            &look("hrtimer_nanosleep", 40)
        ));
        // In the middle of a check: the worst moment.
        assert!(!just_finished(
            &look("hrtimer_nanosleep", 40),
            &look("wait_woken", 42)
        ));
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_watch_is_between_checks_only_soon_after_a_finished_check_and_while_asleep() {
        let mut w = Watch::new(look("hrtimer_nanosleep", 10));
        // Asleep since before the watch: when it finished is unknown, so not between checks.
        w.observe(look("hrtimer_nanosleep", 10), ms(2));
        assert!(!w.between_checks(ms(2)));
        // A check runs, then sleeps: finished at 100 ms.
        w.observe(look("wait_woken", 14), ms(90));
        assert!(!w.between_checks(ms(90)));
        w.observe(look("hrtimer_nanosleep", 16), ms(100));
        assert!(w.between_checks(ms(100)));
        w.observe(look("hrtimer_nanosleep", 16), ms(799));
        assert!(w.between_checks(ms(799)));
        // 700 ms after it finished, its next check may be less than 300 ms away.
        w.observe(look("hrtimer_nanosleep", 16), ms(800));
        assert!(!w.between_checks(ms(800)));
        // Awake again (the next check): not finished any more, even right after.
        w.observe(look("hrtimer_nanosleep", 16), ms(1000));
        w.observe(look("do_poll", 18), ms(1002));
        assert!(!w.between_checks(ms(1002)));
    }

    /// A health check that starts at `phase` and then every 1000 ms, each check running 20 ms,
    /// as `/proc` shows it at `t` (ms): awake in `wait_woken` while it runs, asleep otherwise,
    /// two context switches per check.
    fn check_at(phase: u64, t: u64) -> Look {
        if t < phase {
            return look("hrtimer_nanosleep", 10);
        }
        let begun = (t - phase) / 1000 + 1;
        if (t - phase) % 1000 < 20 {
            look("wait_woken", 10 + 2 * begun - 1)
        } else {
            look("hrtimer_nanosleep", 10 + 2 * begun)
        }
    }

    /// Two such checks `offset_ms` apart, looked at every 2 ms: when both are first between
    /// checks, and how long before each had finished.
    fn first_common_moment(offset_ms: u64) -> (u64, u64, u64) {
        let (pa, pb) = (300, 300 + offset_ms);
        let (mut a, mut b) = (Watch::new(check_at(pa, 0)), Watch::new(check_at(pb, 0)));
        let mut t = 0;
        loop {
            t += 2;
            a.observe(check_at(pa, t), ms(t));
            b.observe(check_at(pb, t), ms(t));
            if a.between_checks(ms(t)) && b.between_checks(ms(t)) {
                let ago = |w: &Watch| (ms(t) - w.finished.unwrap()).as_millis() as u64;
                return (t, ago(&a), ago(&b));
            }
            assert!(
                t < 5000,
                "never both between checks with offset {offset_ms} ms"
            );
        }
    }

    #[test]
    fn two_checks_of_any_phase_are_both_between_checks_within_about_a_period() {
        for offset in [0, 10, 100, 250, 499, 500, 501, 690, 700, 710, 900, 990] {
            let (t, a, b) = first_common_moment(offset);
            // Seen finishing once each (by 320 + offset ms), then at most one more period.
            assert!(t <= 320 + offset + 1000, "offset {offset}: waited {t} ms");
            assert!(
                a < 700 && b < 700,
                "offset {offset}: finished {a} / {b} ms before"
            );
            // The next checks start 1000 ms after these finished: at least 300 ms away.
            assert!(1000 - a.max(b) >= 300, "offset {offset}");
        }
    }

    #[test]
    fn the_context_switches_add_both_kinds() {
        let status = "Name:\tpgpool\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t7\n";
        assert_eq!(switches(status), Some(127));
        assert_eq!(switches("Name:\tpgpool\n"), None);
    }

    /// node1 (backend 0) and node2 (backend 1), in containers `c-node1` and `c-node2`.
    fn two_nodes() -> [super::super::NodeHandle; 2] {
        let node = |name: &str, id: u32| super::super::NodeHandle {
            name: name.into(),
            id,
            container: format!("c-{name}"),
            address: std::net::Ipv4Addr::new(10, 0, 0, 10 + id as u8),
        };
        [node("node1", 0), node("node2", 1)]
    }

    #[test]
    fn a_silent_fault_cuts_the_peers_check_of_the_target_and_the_targets_check_of_the_peer() {
        let nodes = two_nodes();
        assert_eq!(
            checks_across(&nodes, "node1"),
            vec![("c-node2".to_string(), 0), ("c-node1".to_string(), 1)]
        );
        assert!(checks_across(&nodes, "node9").is_empty());
    }

    #[test]
    fn a_fault_the_peer_sees_at_once_is_aligned_with_the_peers_check_of_the_target_only() {
        let nodes = two_nodes();
        assert_eq!(checks_of(&nodes, "node2"), vec![("c-node1".to_string(), 1)]);
        assert_eq!(checks_of(&nodes, "node1"), vec![("c-node2".to_string(), 0)]);
        assert!(checks_of(&nodes, "node9").is_empty());
    }

    #[test]
    fn the_alignment_follows_what_the_peer_sees_and_what_stops() {
        use crate::faults::FaultKind;
        let of = |kind: FaultKind| alignment(&kind.row());
        // Silent: between the checks both ways.
        assert_eq!(of(FaultKind::NetworkBlackhole), Alignment::BetweenChecks);
        assert_eq!(of(FaultKind::HostPoweroff), Alignment::BetweenChecks);
        // Seen at once and PostgreSQL stops: half a period after the peer's check.
        assert_eq!(of(FaultKind::HostCrash), Alignment::MidPeriod);
        assert_eq!(of(FaultKind::HostShutdown), Alignment::MidPeriod);
        assert_eq!(of(FaultKind::PostgresCrash), Alignment::MidPeriod);
        // Seen at once but PostgreSQL keeps answering the health check: no phase to pick.
        assert_eq!(of(FaultKind::PgpoolCrash), Alignment::Any);
        // Answers, lossy, late: wherever it comes.
        assert_eq!(of(FaultKind::HostHang), Alignment::Any);
        assert_eq!(of(FaultKind::NetworkDelay), Alignment::Any);
    }

    #[test]
    fn the_title_names_the_backend() {
        assert_eq!(process_title(0), "health check process(0)");
    }
}
