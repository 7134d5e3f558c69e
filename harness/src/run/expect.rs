//! Matching a step's expectations live, each against its deadline.
//!
//! Every poll round brings the log events read since the last round, one role observation and the
//! write probe's ledger; each pending expectation is judged on them. An expectation is met the
//! first time it holds; an `absent` one fails the first time it holds and passes at its deadline.

use super::error::LostCheckError;
use crate::checks::Verdict;
use crate::cluster::roles::RoleObservation;
use crate::observe::{Ledger, LostWrites};
use crate::scenario::{Expectation, NodeRole, Observation, ResolveError, WriteOutcome};
use crate::timeline::{Event, EventKind, WallTime};
use std::time::Duration;

/// An observation with its roles resolved to node names.
#[derive(Clone, Debug, PartialEq)]
pub enum Awaited {
    /// An event on a node (`None`: any node).
    Log(Option<String>, EventKind),
    /// Every listed node has its role.
    Roles(Vec<(String, NodeRole)>),
    /// Exactly these nodes hold the VIP.
    Vip(Vec<String>),
    /// A write is acknowledged after the step fired.
    WritesAccepted,
    /// Some acknowledged write is missing.
    WritesLost,
    /// Every acknowledged write is present.
    WritesIntact,
}

impl Awaited {
    /// In words, for records and timeouts.
    pub fn describe(&self) -> String {
        match self {
            Awaited::Log(node, kind) => {
                format!(
                    "log event {kind} on {}",
                    node.as_deref().unwrap_or("any node")
                )
            }
            Awaited::Roles(r) => r
                .iter()
                .map(|(n, role)| format!("{n} is {}", role_name(*role)))
                .collect::<Vec<_>>()
                .join(" and "),
            Awaited::Vip(v) if v.is_empty() => "nobody holds the VIP".into(),
            Awaited::Vip(v) => format!("the VIP is held by {}", v.join(" and ")),
            Awaited::WritesAccepted => "a write through the VIP is acknowledged".into(),
            Awaited::WritesLost => "some acknowledged write is lost".into(),
            Awaited::WritesIntact => "every acknowledged write is present".into(),
        }
    }

    /// Whether the write probe's final check is needed to judge this.
    pub fn needs_lost_check(&self) -> bool {
        matches!(self, Awaited::WritesLost | Awaited::WritesIntact)
    }
}

fn role_name(r: NodeRole) -> &'static str {
    match r {
        NodeRole::Primary => "primary",
        NodeRole::Standby => "standby",
        NodeRole::Down => "down",
    }
}

/// One expectation being watched.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The plan's expectation.
    pub spec: Expectation,
    /// What it waits for, resolved.
    pub awaited: Awaited,
    /// When it was met (or, if absent, violated), after the step fired.
    pub settled: Option<(Verdict, Duration)>,
    /// What was last seen.
    pub seen: String,
}

/// What one poll round saw.
pub struct Round<'a> {
    /// Log events read since the last round.
    pub events: &'a [Event],
    /// The step's wall-clock fire time: log events before it do not count.
    pub fired_at: WallTime,
    /// Milliseconds since run start when the step fired.
    pub fired_ms: u64,
    /// Milliseconds since run start when the step's action had taken effect: `writes: accepted`
    /// counts only writes sent after it (a gracefully stopping primary still acknowledges writes
    /// while it shuts down, which says nothing about the failover).
    pub acted_ms: u64,
    /// Time since the step fired.
    pub elapsed: Duration,
    /// The roles now.
    pub observed: &'a RoleObservation,
    /// The ledger now.
    pub ledger: &'a Ledger,
    /// The lost-writes check now, if one was needed and possible.
    pub lost: Option<&'a Result<LostWrites, LostCheckError>>,
}

impl Pending {
    /// Watches `spec` as `awaited`.
    pub fn new(spec: Expectation, awaited: Awaited) -> Pending {
        Pending {
            spec,
            awaited,
            settled: None,
            seen: "nothing yet".into(),
        }
    }

    /// Judges one round; returns true once settled.
    ///
    /// A log event or an acknowledged write carries its own time, so it is judged by when it
    /// happened, not by when a (possibly slow) poll round saw it; roles and the VIP are judged
    /// when observed.
    pub fn judge(&mut self, round: &Round) -> bool {
        if self.settled.is_some() {
            return true;
        }
        if let Some(at) = self.holds(round) {
            let in_window = at <= self.spec.within;
            let verdict = match (self.spec.absent, in_window) {
                (false, true) => Verdict::Pass,
                (false, false) => Verdict::Fail,
                (true, true) => Verdict::Fail,
                (true, false) => Verdict::Pass,
            };
            if !in_window {
                self.seen = format!("{} (after {:.1} s, too late)", self.seen, at.as_secs_f64());
            }
            self.settled = Some((verdict, at));
        } else if round.elapsed >= self.spec.within {
            let verdict = if self.spec.absent {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            self.settled = Some((verdict, round.elapsed));
        }
        self.settled.is_some()
    }

    /// When the awaited thing held, measured from the step's fire, if it holds now.
    fn holds(&mut self, round: &Round) -> Option<Duration> {
        let now = Some(round.elapsed);
        match &self.awaited {
            Awaited::Log(node, kind) => {
                let hit = round.events.iter().find(|e| {
                    e.kind == *kind
                        && node.as_ref().is_none_or(|n| *n == e.node)
                        && e.time.as_ref().is_none_or(|t| t.at >= round.fired_at.at)
                });
                let e = hit?;
                self.seen = format!("{} {}: {}", e.node, e.file, e.text);
                match &e.time {
                    Some(t) => Some(
                        (t.at - round.fired_at.at)
                            .to_std()
                            .unwrap_or(Duration::ZERO),
                    ),
                    None => now,
                }
            }
            Awaited::Roles(want) => {
                self.seen = round
                    .observed
                    .node_roles
                    .iter()
                    .map(|(n, r)| format!("{n} {r}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                want.iter()
                    .all(|(n, r)| {
                        round
                            .observed
                            .node_roles
                            .get(n.as_str())
                            .and_then(|o| o.as_node_role())
                            == Some(*r)
                    })
                    .then_some(round.elapsed)
            }
            Awaited::Vip(want) => {
                let mut have: Vec<String> = round
                    .observed
                    .vip_holders
                    .iter()
                    .map(|n| n.to_string())
                    .collect();
                have.sort();
                let mut want = want.clone();
                want.sort();
                self.seen = if have.is_empty() {
                    "nobody holds the VIP".into()
                } else {
                    format!("held by {}", have.join(", "))
                };
                (have == want).then_some(round.elapsed)
            }
            Awaited::WritesAccepted => {
                let after = round
                    .ledger
                    .acks
                    .iter()
                    .find(|a| a.sent_ms >= round.acted_ms);
                self.seen = format!(
                    "{} acknowledged, {} failed; last error: {}",
                    round.ledger.acks.len(),
                    round.ledger.failures.len(),
                    round
                        .ledger
                        .failures
                        .last()
                        .map(|f| f.error.as_str())
                        .unwrap_or("none")
                );
                let a = after?;
                self.seen = format!("write #{} acknowledged by {}", a.seq, a.server_addr);
                Some(Duration::from_millis(
                    a.acked_ms.saturating_sub(round.fired_ms),
                ))
            }
            Awaited::WritesLost | Awaited::WritesIntact => match round.lost {
                Some(Ok(l)) => {
                    self.seen = format!(
                        "{} of {} acknowledged writes missing{}",
                        l.missing.len(),
                        l.acknowledged,
                        if l.missing.is_empty() {
                            String::new()
                        } else {
                            format!(" (seq {:?})", &l.missing[..l.missing.len().min(20)])
                        }
                    );
                    ((self.awaited == Awaited::WritesLost) != l.missing.is_empty())
                        .then_some(round.elapsed)
                }
                Some(Err(e)) => {
                    self.seen = format!("cannot check: {}", crate::ErrorChain(e));
                    None
                }
                None => None,
            },
        }
    }
}

/// Why an expectation could not be watched.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    /// A role it names has no node now.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// It names `vip` or `any` where one node is needed.
    #[error("`{0}` names no single node")]
    NotOneNode(String),
}

/// Resolves a plan observation with a name resolver (role/target → node name).
pub fn resolve(
    what: &Observation,
    resolve_node: &dyn Fn(&crate::scenario::Target) -> Result<Option<String>, ResolveError>,
) -> Result<Awaited, ExpectError> {
    Ok(match what {
        Observation::Log { node, event } => Awaited::Log(resolve_node(node)?, *event),
        Observation::Roles(list) => Awaited::Roles(
            list.iter()
                .map(|(t, r)| {
                    resolve_node(t)?
                        .map(|n| (n, *r))
                        .ok_or_else(|| ExpectError::NotOneNode(t.to_string()))
                })
                .collect::<Result<_, _>>()?,
        ),
        Observation::Vip(list) => Awaited::Vip(
            list.iter()
                .map(|t| resolve_node(t)?.ok_or_else(|| ExpectError::NotOneNode(t.to_string())))
                .collect::<Result<_, _>>()?,
        ),
        Observation::Writes(WriteOutcome::Accepted) => Awaited::WritesAccepted,
        Observation::Writes(WriteOutcome::Lost) => Awaited::WritesLost,
        Observation::Writes(WriteOutcome::Intact) => Awaited::WritesIntact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ServerRole;

    fn exp(within: u64, absent: bool) -> Expectation {
        Expectation {
            line: 7,
            within: Duration::from_secs(within),
            absent,
            when_bug: None,
            what: Observation::Writes(WriteOutcome::Accepted),
        }
    }

    fn wall(s: &str) -> WallTime {
        WallTime {
            at: chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap(),
            precision: 0,
        }
    }

    fn event(node: &str, kind: EventKind, t: &str) -> Event {
        Event {
            node: node.into(),
            file: "pgpool.log".into(),
            line: 1,
            time: Some(wall(t)),
            offset_ms: None,
            kind,
            attrs: crate::timeline::Attrs::new(),
            pid: None,
            text: "x".into(),
        }
    }

    fn round<'a>(
        events: &'a [Event],
        elapsed: u64,
        observed: &'a RoleObservation,
        ledger: &'a Ledger,
    ) -> Round<'a> {
        Round {
            events,
            fired_at: wall("2026-11-25 12:00:00"),
            fired_ms: 1000,
            acted_ms: 1000,
            elapsed: Duration::from_secs(elapsed),
            observed,
            ledger,
            lost: None,
        }
    }

    #[test]
    fn a_log_event_before_the_step_fired_does_not_count() {
        let (o, l) = (RoleObservation::default(), Ledger::default());
        let mut p = Pending::new(
            exp(10, false),
            Awaited::Log(Some("node2".into()), EventKind::BackendDown),
        );
        let old = [event(
            "node2",
            EventKind::BackendDown,
            "2026-11-25 11:59:59",
        )];
        assert!(!p.judge(&round(&old, 1, &o, &l)));
        let other_node = [event(
            "node1",
            EventKind::BackendDown,
            "2026-11-25 12:00:03",
        )];
        assert!(!p.judge(&round(&other_node, 2, &o, &l)));
        let new = [event(
            "node2",
            EventKind::BackendDown,
            "2026-11-25 12:00:04",
        )];
        assert!(p.judge(&round(&new, 4, &o, &l)));
        assert_eq!(p.settled, Some((Verdict::Pass, Duration::from_secs(4))));
    }

    #[test]
    fn an_unmet_expectation_fails_at_its_deadline_and_an_absent_one_passes() {
        let (o, l) = (RoleObservation::default(), Ledger::default());
        let mut must = Pending::new(exp(5, false), Awaited::WritesAccepted);
        let mut never = Pending::new(exp(5, true), Awaited::WritesAccepted);
        assert!(!must.judge(&round(&[], 4, &o, &l)));
        assert!(must.judge(&round(&[], 5, &o, &l)));
        assert_eq!(must.settled.unwrap().0, Verdict::Fail);
        assert!(never.judge(&round(&[], 6, &o, &l)));
        assert_eq!(never.settled.unwrap().0, Verdict::Pass);
    }

    #[test]
    fn roles_must_all_hold_at_once() {
        let l = Ledger::default();
        let mut o = RoleObservation::default();
        o.node_roles.insert("node1".into(), ServerRole::Down);
        o.node_roles.insert("node2".into(), ServerRole::Standby);
        let want = Awaited::Roles(vec![
            ("node2".into(), NodeRole::Primary),
            ("node1".into(), NodeRole::Down),
        ]);
        let mut p = Pending::new(exp(30, false), want);
        assert!(!p.judge(&round(&[], 1, &o, &l)));
        assert!(p.seen.contains("node2 standby"));
        o.node_roles.insert("node2".into(), ServerRole::Primary);
        assert!(p.judge(&round(&[], 2, &o, &l)));
    }
}
