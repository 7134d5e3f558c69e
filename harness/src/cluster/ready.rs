//! Readiness: what "the cluster is up" means, as a pure matcher over one round of probes.
//!
//! Ready means: both backends `up` in `show pool_nodes` through the VIP with one primary and one
//! standby, the standby streaming in `pg_stat_replication`, exactly one node holding the VIP, and a
//! watchdog leader known — and, so every run starts from the same place, the initial primary is
//! the watchdog leader and the VIP holder (as the seed's primary host was the cluster master), and
//! every node's heartbeat life-check has started: pgpool starts it some seconds after the
//! watchdog, and a silent fault injected before it would be noticed only by TCP timeouts. Each condition keeps what was last seen so a timeout can say exactly
//! what it waited for.

use super::probe::{PoolNode, WalSender};
use super::roles::NodeName;
use super::ClusterError;

/// One round of probe results; the VIP holders come from [`super::roles`], like every other
/// answer to "who holds the VIP".
#[derive(Debug, Default)]
pub struct Observation {
    /// `show pool_nodes` through the VIP.
    pub pool_nodes: Option<Result<Vec<PoolNode>, ClusterError>>,
    /// `pg_stat_replication` rows on the initial primary.
    pub replication: Option<Result<Vec<WalSender>, ClusterError>>,
    /// Nodes holding the VIP.
    pub vip_holders: Vec<NodeName>,
    /// The watchdog leader, as the initial primary reports it.
    pub leader: Option<Result<Option<NodeName>, ClusterError>>,
    /// Nodes whose pgpool logged "watchdog: lifecheck started" (heartbeat monitoring is on).
    pub lifecheck: Vec<NodeName>,
}

/// What a failed probe says, with its causes, for the "seen" column of a timeout message.
fn seen_error(e: &ClusterError) -> String {
    let mut seen = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        seen.push_str(": ");
        seen.push_str(&s.to_string());
        source = s.source();
    }
    seen
}

fn joined(nodes: &[NodeName]) -> String {
    nodes
        .iter()
        .map(NodeName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One awaited condition and what was last seen of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// What is awaited, in words.
    pub awaited: &'static str,
    /// Whether it holds.
    pub met: bool,
    /// What the last probe saw.
    pub seen: String,
}

/// The verdict of one round: every condition with what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// The conditions, in the order they are usually met.
    pub conditions: Vec<Condition>,
}

impl Readiness {
    /// Judges one observation.
    pub fn judge(obs: &Observation, node_count: usize, primary: &str) -> Readiness {
        let pool = match &obs.pool_nodes {
            None => Condition {
                awaited: "all backends up through the VIP (show pool_nodes)",
                met: false,
                seen: "not probed yet".into(),
            },
            Some(Err(e)) => Condition {
                awaited: "all backends up through the VIP (show pool_nodes)",
                met: false,
                seen: seen_error(e),
            },
            Some(Ok(rows)) => {
                let up = rows.iter().filter(|r| r.status == "up").count();
                let primaries = rows.iter().filter(|r| r.role == "primary").count();
                Condition {
                    awaited: "all backends up through the VIP (show pool_nodes)",
                    met: rows.len() == node_count && up == node_count && primaries == 1,
                    seen: rows
                        .iter()
                        .map(|r| format!("{}={} {}", r.hostname, r.status, r.role))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            }
        };
        let replication = match &obs.replication {
            None => Condition {
                awaited: "standby streaming (pg_stat_replication)",
                met: false,
                seen: "not probed yet".into(),
            },
            Some(Err(e)) => Condition {
                awaited: "standby streaming (pg_stat_replication)",
                met: false,
                seen: seen_error(e),
            },
            Some(Ok(rows)) => Condition {
                awaited: "standby streaming (pg_stat_replication)",
                met: rows.len() + 1 == node_count && rows.iter().all(|r| r.state == "streaming"),
                seen: if rows.is_empty() {
                    "no walsender".into()
                } else {
                    rows.iter()
                        .map(|r| format!("{} {} {}", r.application_name, r.state, r.sync_state))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            },
        };
        let vip = Condition {
            awaited: "exactly one node, the primary, holds the VIP",
            met: obs.vip_holders.len() == 1 && obs.vip_holders[0] == primary,
            seen: if obs.vip_holders.is_empty() {
                "no holder".into()
            } else {
                format!("held by {}", joined(&obs.vip_holders))
            },
        };
        let leader = Condition {
            awaited: "the primary leads the watchdog (pcp_watchdog_info)",
            met: matches!(&obs.leader, Some(Ok(Some(l))) if *l == primary),
            seen: match &obs.leader {
                None => "not probed yet".into(),
                Some(Ok(Some(l))) => format!("leader {l}"),
                Some(Ok(None)) => "no leader yet".into(),
                Some(Err(e)) => seen_error(e),
            },
        };
        let lifecheck = Condition {
            awaited: "heartbeat life-check running on every node",
            met: obs.lifecheck.len() == node_count,
            seen: if obs.lifecheck.is_empty() {
                "not started on any node".into()
            } else {
                format!("started on {}", joined(&obs.lifecheck))
            },
        };
        Readiness {
            conditions: vec![pool, replication, vip, leader, lifecheck],
        }
    }

    /// Whether every condition holds.
    pub fn ready(&self) -> bool {
        self.conditions.iter().all(|c| c.met)
    }

    /// Whether the cluster serves: every condition but the heartbeat life-check.
    pub fn serving(&self) -> bool {
        self.conditions
            .iter()
            .filter(|c| !c.awaited.starts_with("heartbeat life-check"))
            .all(|c| c.met)
    }

    /// One line per condition: `[ok]`/`[waiting]`, what is awaited, what was seen.
    pub fn describe(&self) -> String {
        self.conditions
            .iter()
            .map(|c| {
                format!(
                    "  [{}] {}: {}",
                    if c.met { "ok" } else { "waiting" },
                    c.awaited,
                    c.seen
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, status: &str, role: &str) -> PoolNode {
        PoolNode {
            hostname: host.into(),
            status: status.into(),
            role: role.into(),
            ..Default::default()
        }
    }

    fn sender(state: &str) -> WalSender {
        WalSender {
            application_name: "node2".into(),
            state: state.into(),
            sync_state: "sync".into(),
            lag_bytes: Some(0),
        }
    }

    fn ready_observation() -> Observation {
        Observation {
            pool_nodes: Some(Ok(vec![
                node("node1", "up", "primary"),
                node("node2", "up", "standby"),
            ])),
            replication: Some(Ok(vec![sender("streaming")])),
            vip_holders: vec!["node1".into()],
            leader: Some(Ok(Some("node1".into()))),
            lifecheck: vec!["node1".into(), "node2".into()],
        }
    }

    #[test]
    fn a_cluster_with_everything_up_is_ready() {
        assert!(Readiness::judge(&ready_observation(), 2, "node1").ready());
    }

    #[test]
    fn a_standby_still_waiting_in_pgpool_is_not_ready_and_says_so() {
        let mut obs = ready_observation();
        obs.pool_nodes = Some(Ok(vec![
            node("node1", "up", "primary"),
            node("node2", "waiting", "standby"),
        ]));
        let r = Readiness::judge(&obs, 2, "node1");
        assert!(!r.ready());
        assert!(r
            .describe()
            .contains("[waiting] all backends up through the VIP"));
        assert!(r.describe().contains("node2=waiting standby"));
    }

    #[test]
    fn two_vip_holders_are_not_ready() {
        let mut obs = ready_observation();
        obs.vip_holders = vec!["node1".into(), "node2".into()];
        let r = Readiness::judge(&obs, 2, "node1");
        assert!(!r.ready());
        assert!(r.describe().contains("held by node1, node2"));
    }

    #[test]
    fn a_standby_leading_the_watchdog_is_not_ready_yet() {
        let mut obs = ready_observation();
        obs.leader = Some(Ok(Some("node2".into())));
        obs.vip_holders = vec!["node2".into()];
        let r = Readiness::judge(&obs, 2, "node1");
        assert!(!r.ready());
        assert!(r
            .describe()
            .contains("[waiting] the primary leads the watchdog"));
    }

    #[test]
    fn a_node_without_heartbeat_monitoring_is_not_ready() {
        let mut obs = ready_observation();
        obs.lifecheck = vec!["node1".into()];
        let r = Readiness::judge(&obs, 2, "node1");
        assert!(!r.ready());
        assert!(r.serving());
        assert!(r.describe().contains("started on node1"));
    }

    #[test]
    fn nothing_probed_yet_is_not_ready() {
        let r = Readiness::judge(&Observation::default(), 2, "node1");
        assert!(!r.ready());
        assert_eq!(r.conditions.iter().filter(|c| c.met).count(), 0);
    }

    #[test]
    fn a_catching_up_standby_is_not_streaming_yet() {
        let mut obs = ready_observation();
        obs.replication = Some(Ok(vec![sender("catchup")]));
        assert!(!Readiness::judge(&obs, 2, "node1").ready());
    }
}
