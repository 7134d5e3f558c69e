//! The role and VIP poller: samples every node's own role (`pg_is_in_recovery()`) and who holds
//! the VIP, so "never two writable primaries or two VIP holders at the same time" is judged from
//! probes, not only from logs.
//!
//! Every node is probed by its own tasks (one asking its role on a session kept open, one asking
//! whether it holds the VIP), each with its own deadlines ([`RoleSession::ask`],
//! [`roles::VIP_PROBE_TIMEOUT`]), and keeps its latest answer. A
//! sampler reads the latest answers at a fixed pace and writes one [`RoleSample`]: a dead node
//! only ages its own answer and never delays what the other node says (one sequential round used
//! to wait for the dead node's connect timeout, 2.6 s between samples instead of 0.5 s). An
//! answer older than [`RolePoller::FRESH_FOR`] periods is not used (the node is neither primary
//! nor holder in that sample), and each sample states the age of the oldest answer it rests on,
//! so the windows' stated resolution is the real one.

use crate::cluster::roles::{self, NodeName, ProbeTarget, RoleSession, ServerRole};
use crate::cluster::NodeHandle;
use bollard::Docker;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// One sample: who was primary and who held the VIP, from each node's latest answers.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct RoleSample {
    /// Milliseconds since the run started.
    pub offset_ms: u64,
    /// Nodes whose server says it is not in recovery (a writable primary).
    pub primaries: Vec<String>,
    /// Nodes holding the VIP.
    pub vip_holders: Vec<String>,
    /// How old the oldest answer this sample rests on was, ms (absent in records made before
    /// nodes were probed independently: their rounds took every answer at the sample's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<u64>,
}

/// A span during which two nodes were primary (or both held the VIP).
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Overlap {
    /// First sample showing it, ms since start.
    pub from_ms: u64,
    /// Last sample showing it, ms since start.
    pub to_ms: u64,
    /// The nodes involved.
    pub nodes: Vec<String>,
}

/// Spans of consecutive samples where `pick` lists more than one node.
pub fn overlaps(
    samples: &[RoleSample],
    pick: impl Fn(&RoleSample) -> &Vec<String>,
) -> Vec<Overlap> {
    let mut out: Vec<Overlap> = Vec::new();
    let mut open: Option<Overlap> = None;
    for s in samples {
        let nodes = pick(s);
        if nodes.len() > 1 {
            match &mut open {
                Some(o) => o.to_ms = s.offset_ms,
                None => {
                    open = Some(Overlap {
                        from_ms: s.offset_ms,
                        to_ms: s.offset_ms,
                        nodes: nodes.clone(),
                    })
                }
            }
        } else if let Some(o) = open.take() {
            out.push(o);
        }
    }
    out.extend(open);
    out
}

/// One node's latest answer to one question.
#[derive(Clone, Copy, Debug)]
struct Answer<T> {
    value: T,
    /// When it was asked: the answer describes the node at some instant between asking and
    /// answering, so its age counts from the asking (an engine exec can take most of a period
    /// on a loaded machine).
    at: Instant,
}

/// Every node's latest answers, as the node tasks leave them for the sampler.
#[derive(Debug, Default)]
struct Latest {
    role: Vec<Option<Answer<ServerRole>>>,
    vip: Vec<Option<Answer<Option<bool>>>>,
}

/// Builds one sample from the latest answers: an answer older than `fresh_for` is not used.
fn sample_of(
    names: &[NodeName],
    latest: &Latest,
    now: Instant,
    epoch: Instant,
    fresh_for: Duration,
) -> RoleSample {
    let fresh = |at: Instant| now.saturating_duration_since(at) <= fresh_for;
    let mut sample = RoleSample {
        offset_ms: now.saturating_duration_since(epoch).as_millis() as u64,
        primaries: Vec::new(),
        vip_holders: Vec::new(),
        age_ms: None,
    };
    let mut oldest: Option<Instant> = None;
    let mut used = |at: Instant| oldest = Some(oldest.map_or(at, |o| o.min(at)));
    for (i, name) in names.iter().enumerate() {
        if let Some(a) = latest.role[i].filter(|a| fresh(a.at)) {
            used(a.at);
            if a.value == ServerRole::Primary {
                sample.primaries.push(name.to_string());
            }
        }
        if let Some(a) = latest.vip[i].filter(|a| fresh(a.at)) {
            used(a.at);
            if a.value == Some(true) {
                sample.vip_holders.push(name.to_string());
            }
        }
    }
    sample.age_ms = oldest.map(|o| now.saturating_duration_since(o).as_millis() as u64);
    sample
}

/// A running poller; [`RolePoller::stop`] returns its samples.
pub struct RolePoller {
    stop: tokio::sync::watch::Sender<bool>,
    samples: Arc<Mutex<Vec<RoleSample>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl RolePoller {
    /// How many periods an answer stays usable, counted from its asking. A live node is asked
    /// every period, or as soon as a slow answer came back (a reconnect authenticates, which
    /// takes over a second on a loaded machine). A killed or removed node's next answer
    /// (refused, no handshake in 1 s, no answer on the open session in 2 s) replaces its last
    /// one within this; a hung node's last answer stands at most this long. A node without a
    /// usable answer counts as neither primary nor holder; the age in each sample says how
    /// old the answers were.
    pub const FRESH_FOR: u32 = 4;

    /// Samples `nodes` every `interval` for at most `max_duration`, each node asked by its own
    /// tasks at the same pace.
    pub fn start(
        docker: Docker,
        target: ProbeTarget,
        nodes: Vec<NodeHandle>,
        epoch: Instant,
        interval: Duration,
        max_duration: Duration,
    ) -> RolePoller {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let samples = Arc::new(Mutex::new(Vec::new()));
        let latest = Arc::new(Mutex::new(Latest {
            role: vec![None; nodes.len()],
            vip: vec![None; nodes.len()],
        }));
        let deadline = Instant::now() + max_duration;
        let target = Arc::new(target);
        let mut tasks = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let session = Arc::new(tokio::sync::Mutex::new(RoleSession::new(node.address)));
            let (t, l) = (target.clone(), latest.clone());
            tasks.push(tokio::spawn(every(
                interval,
                deadline,
                stopped.clone(),
                move || {
                    let (session, t, l) = (session.clone(), t.clone(), l.clone());
                    async move {
                        let asked = Instant::now();
                        let role = session.lock().await.ask(&t).await;
                        l.lock().expect("latest lock").role[i] = Some(Answer {
                            value: role,
                            at: asked,
                        });
                    }
                },
            )));
            let (n, d, vip, l) = (node.clone(), docker.clone(), target.vip, latest.clone());
            tasks.push(tokio::spawn(every(
                interval,
                deadline,
                stopped.clone(),
                move || {
                    let (node, docker, l) = (n.clone(), d.clone(), l.clone());
                    async move {
                        let asked = Instant::now();
                        let holds = roles::holds_vip(&docker, &node, vip).await;
                        l.lock().expect("latest lock").vip[i] = Some(Answer {
                            value: holds,
                            at: asked,
                        });
                    }
                },
            )));
        }
        let names: Vec<NodeName> = nodes.iter().map(|n| n.name.as_str().into()).collect();
        let fresh_for = interval * Self::FRESH_FOR;
        let (l, out) = (latest, samples.clone());
        let mut stopped_sampler = stopped;
        tasks.push(tokio::spawn(async move {
            let mut tick =
                tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < deadline {
                tokio::select! {
                    _ = stopped_sampler.changed() => break,
                    _ = tick.tick() => {}
                }
                let sample = sample_of(
                    &names,
                    &l.lock().expect("latest lock"),
                    Instant::now(),
                    epoch,
                    fresh_for,
                );
                out.lock().expect("samples lock").push(sample);
            }
        }));
        RolePoller {
            stop,
            samples,
            tasks,
        }
    }

    /// Stops and returns every sample.
    pub async fn stop(self) -> Vec<RoleSample> {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        let samples = self.samples.lock().expect("samples lock").clone();
        samples
    }
}

/// Runs `probe` every `interval` (measured from each start; a probe that overruns starts the
/// next at once) until `deadline` or the stop signal.
async fn every<F, Fut>(
    interval: Duration,
    deadline: Instant,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    probe: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    while Instant::now() < deadline && !*stopped.borrow() {
        let started = tokio::time::Instant::now();
        tokio::select! {
            _ = stopped.changed() => break,
            _ = probe() => {}
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep_until(started + interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ms: u64, p: &[&str]) -> RoleSample {
        RoleSample {
            offset_ms: ms,
            primaries: p.iter().map(|x| x.to_string()).collect(),
            vip_holders: vec![],
            age_ms: None,
        }
    }

    #[test]
    fn two_primaries_in_consecutive_samples_form_one_span() {
        let samples = vec![
            s(0, &["node1"]),
            s(500, &["node1", "node2"]),
            s(1000, &["node1", "node2"]),
            s(1500, &["node2"]),
            s(2000, &["node1", "node2"]),
        ];
        let o = overlaps(&samples, |s| &s.primaries);
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].from_ms, o[0].to_ms), (500, 1000));
        assert_eq!((o[1].from_ms, o[1].to_ms), (2000, 2000));
        assert_eq!(o[0].nodes, vec!["node1", "node2"]);
    }

    #[test]
    fn a_node_that_stopped_answering_drops_out_of_the_sample_and_the_age_says_how_old_it_is() {
        let epoch = Instant::now();
        let now = epoch + Duration::from_millis(5000);
        let names: Vec<NodeName> = vec!["node1".into(), "node2".into()];
        let at = |ms: u64| {
            Some(Answer {
                value: ServerRole::Primary,
                at: now - Duration::from_millis(ms),
            })
        };
        let latest = Latest {
            // node1 last answered 2.5 s ago (its host is gone); node2 300 ms ago.
            role: vec![at(2500), at(300)],
            vip: vec![
                None,
                Some(Answer {
                    value: Some(true),
                    at: now - Duration::from_millis(700),
                }),
            ],
        };
        let s = sample_of(&names, &latest, now, epoch, Duration::from_millis(1000));
        assert_eq!(s.offset_ms, 5000);
        assert_eq!(s.primaries, vec!["node2"]);
        assert_eq!(s.vip_holders, vec!["node2"]);
        assert_eq!(s.age_ms, Some(700));
    }

    #[test]
    fn two_fresh_primaries_are_both_in_the_sample() {
        let epoch = Instant::now();
        let now = epoch + Duration::from_millis(800);
        let names: Vec<NodeName> = vec!["node1".into(), "node2".into()];
        let a = |ms: u64| {
            Some(Answer {
                value: ServerRole::Primary,
                at: now - Duration::from_millis(ms),
            })
        };
        let latest = Latest {
            role: vec![a(100), a(400)],
            vip: vec![None, None],
        };
        let s = sample_of(&names, &latest, now, epoch, Duration::from_millis(1000));
        assert_eq!(s.primaries, vec!["node1", "node2"]);
        assert_eq!(s.age_ms, Some(400));
    }

    #[test]
    fn a_sample_without_any_fresh_answer_has_no_age() {
        let epoch = Instant::now();
        let names: Vec<NodeName> = vec!["node1".into()];
        let latest = Latest {
            role: vec![None],
            vip: vec![None],
        };
        let s = sample_of(&names, &latest, epoch, epoch, Duration::from_millis(1000));
        assert_eq!(s.age_ms, None);
        assert!(s.primaries.is_empty());
    }
}
