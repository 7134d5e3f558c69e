//! The role and VIP poller: samples every node's own role (`pg_is_in_recovery()`) and who holds
//! the VIP, so "never two writable primaries or two VIP holders at the same time" is judged from
//! probes, not only from logs.

use crate::cluster::{probe, NodeHandle};
use crate::release::Release;
use bollard::Docker;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// One round of samples.
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

/// A running poller; [`RolePoller::stop`] returns its samples.
pub struct RolePoller {
    stop: Arc<tokio::sync::Notify>,
    samples: Arc<Mutex<Vec<RoleSample>>>,
    task: JoinHandle<()>,
}

impl RolePoller {
    /// Samples `nodes` (of `release`: its database port and role query) every `interval` for at
    /// most `max_duration`.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        docker: Docker,
        release: &Release,
        nodes: Vec<NodeHandle>,
        vip: Ipv4Addr,
        password: String,
        epoch: Instant,
        interval: Duration,
        max_duration: Duration,
    ) -> RolePoller {
        let stop = Arc::new(tokio::sync::Notify::new());
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (stop2, samples2) = (stop.clone(), samples.clone());
        let (port, role_query) = (release.ports.database, release.role_query.clone());
        let task = tokio::spawn(async move {
            let deadline = Instant::now() + max_duration;
            while Instant::now() < deadline {
                let offset_ms = epoch.elapsed().as_millis() as u64;
                let mut sample = RoleSample {
                    offset_ms,
                    primaries: Vec::new(),
                    vip_holders: Vec::new(),
                };
                for n in &nodes {
                    if let Ok(role) =
                        probe::server_role(n.address, port, &password, &role_query).await
                    {
                        if role == "primary" {
                            sample.primaries.push(n.name.clone());
                        }
                    }
                    if let Ok(true) = probe::holds_vip(&docker, &n.container, vip).await {
                        sample.vip_holders.push(n.name.clone());
                    }
                }
                samples2.lock().expect("samples lock").push(sample);
                tokio::select! {
                    _ = stop2.notified() => break,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
        });
        RolePoller {
            stop,
            samples,
            task,
        }
    }

    /// The samples so far.
    pub fn snapshot(&self) -> Vec<RoleSample> {
        self.samples.lock().expect("samples lock").clone()
    }

    /// Stops and returns every sample.
    pub async fn stop(self) -> Vec<RoleSample> {
        self.stop.notify_one();
        let _ = self.task.await;
        let samples = self.samples.lock().expect("samples lock").clone();
        samples
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
}
