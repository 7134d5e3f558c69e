//! `heartbeat-drop` / `heartbeat-restore`: only the watchdog's UDP heartbeats between the target
//! and its peer are lost; TCP (the watchdog's own connections, health checks, replication,
//! clients) and ICMP pass untouched. It separates pgpool's heartbeat life-check from everything
//! else: each side's life-check declares the other dead while the watchdog's TCP link still
//! works.
//!
//! The ports are those the node's pgpool really runs with, read from the pgpool.conf it
//! rendered at boot ([`crate::cluster::PGPOOL_CONF`]): the target receives on
//! `heartbeat_port<target id>`, the peer on `heartbeat_port<peer id>`. Refused when the
//! watchdog does not use the heartbeat life-check (`use_watchdog`, `wd_lifecheck_method`).
//!
//! Silent like a lossy network, not like a local firewall: datagrams are dropped at the
//! receiver (a DROP in the sender's OUTPUT would make its `sendto` fail with EPERM, which
//! pgpool logs). Inbound (peer → target) in the target's INPUT, outbound (target → peer) in the
//! peer's INPUT, each matching the sender's address, UDP and the receiving port. With the
//! `heartbeat-loopback` workaround the receiver DNATs heartbeats to 127.0.0.1 in PREROUTING;
//! the filter INPUT chain still sees the sender's address and the port, so it matches.
//!
//! Verified by effect: each DROP rule's packet counter must increase (pgpool sends a heartbeat
//! every `wd_heartbeat_keepalive`), and the peer must still answer ping.

use super::context::{FaultContext, NodeHandle};
use super::counters;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::catalogue::{Catalogued, HostNeed, PeerSees, PeerUse, Row};
use super::host::{self, Chains, Probe};
use super::network_partition::Direction;
use super::FaultKind;
use crate::damage::Damage;
use crate::measure::PgpoolSettings;

/// DROP of the watchdog heartbeats between target and peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatDrop {
    /// Which heartbeats are lost, seen from the target (default `both`).
    #[serde(default)]
    pub direction: Direction,
}

impl Catalogued for HeartbeatDrop {
    const ROW: Row = Row {
        name: "heartbeat-drop",
        heal: "heartbeat-restore",
        mechanism: "iptables DROP, at each receiver, of the watchdog's UDP heartbeats between node \
                    and peer (sender address + heartbeat_port<id> from the node's rendered \
                    pgpool.conf; direction: both|inbound|outbound); TCP, ICMP and all else pass. \
                    Refused when the watchdog's life-check is not heartbeat",
        heal_mechanism: "delete the hachaos-heartbeat chains on both nodes",
        peer_sees: PeerSees::Lossy,
        peer: PeerUse::Required,
        needs: &[HostNeed::NetnsIptables],
        degrades: true,
        may_cause: &[Damage::SplitBrain],
        ..Row::BASE
    };
}

const PREFIX: &str = "hachaos-heartbeat";

/// The heartbeat ports the target and the peer receive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ports {
    /// `heartbeat_port<target id>`.
    pub target: u16,
    /// `heartbeat_port<peer id>`.
    pub peer: u16,
}

/// Why heartbeats cannot be dropped on this cluster (its pgpool.conf says so).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NoHeartbeats {
    /// The watchdog is off.
    #[error("pgpool runs without the watchdog (use_watchdog is not on)")]
    NoWatchdog,
    /// The life-check is not heartbeat.
    #[error("the watchdog's life-check is `{0}`, not heartbeat: there are no heartbeats to drop")]
    OtherLifecheck(String),
    /// A node's heartbeat port is missing.
    #[error("{0} is not set")]
    PortMissing(String),
    /// A node's heartbeat port is not a port.
    #[error("{key} is not a port: {value:?}")]
    PortInvalid {
        /// `heartbeat_port<id>`.
        key: String,
        /// What it says.
        value: String,
    },
}

/// The ports from the target's pgpool.conf, or why heartbeats cannot be dropped.
pub(crate) fn ports(
    conf: &PgpoolSettings,
    target_id: u32,
    peer_id: u32,
) -> Result<Ports, NoHeartbeats> {
    let on = |k: &str| {
        conf.get(k)
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "on" | "true" | "yes" | "1"))
    };
    if on("use_watchdog") != Some(true) {
        return Err(NoHeartbeats::NoWatchdog);
    }
    match conf.get("wd_lifecheck_method") {
        Some(m) if m.eq_ignore_ascii_case("heartbeat") => {}
        other => {
            return Err(NoHeartbeats::OtherLifecheck(
                other.unwrap_or("heartbeat (default)").to_string(),
            ))
        }
    }
    let port = |id: u32| {
        let key = format!("heartbeat_port{id}");
        let value = conf
            .get(&key)
            .ok_or_else(|| NoHeartbeats::PortMissing(key.clone()))?;
        value.parse::<u16>().map_err(|_| NoHeartbeats::PortInvalid {
            key: key.clone(),
            value: value.to_string(),
        })
    };
    Ok(Ports {
        target: port(target_id)?,
        peer: port(peer_id)?,
    })
}

fn rule(from: &str, port: u16) -> Vec<String> {
    [
        "-s",
        from,
        "-p",
        "udp",
        "--dport",
        &port.to_string(),
        "-j",
        "DROP",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The chains for the target's and the peer's namespace (input rules only).
pub(crate) fn chains(
    direction: Direction,
    ports: Ports,
    target: &NodeHandle,
    peer: &NodeHandle,
) -> (Chains, Chains) {
    let mut on_target = Chains {
        prefix: PREFIX,
        table: "filter",
        input: vec![],
        output: vec![],
    };
    let mut on_peer = on_target.clone();
    if matches!(direction, Direction::Both | Direction::Inbound) {
        on_target
            .input
            .push(rule(&peer.address.to_string(), ports.target));
    }
    if matches!(direction, Direction::Both | Direction::Outbound) {
        on_peer
            .input
            .push(rule(&target.address.to_string(), ports.peer));
    }
    (on_target, on_peer)
}

impl HeartbeatDrop {
    fn peer<'a>(&self, ctx: &'a FaultContext) -> Result<&'a NodeHandle, FaultError> {
        ctx.peer.as_ref().ok_or(FaultError::Missing {
            kind: FaultKind::HeartbeatDrop,
            what: "a peer",
        })
    }

    /// The ports, read from the target's rendered pgpool.conf.
    async fn ports(&self, ctx: &FaultContext, pid: i64) -> Result<Ports, FaultError> {
        let peer = self.peer(ctx)?;
        let pre = |reason: String| FaultError::Precheck {
            kind: FaultKind::HeartbeatDrop,
            node: ctx.target.name.clone(),
            reason,
        };
        let path = format!("/proc/{pid}/root{}", crate::cluster::PGPOOL_CONF);
        let text = tokio::fs::read_to_string(&path).await.map_err(|e| {
            pre(format!(
                "cannot read {}: {e}",
                crate::cluster::PGPOOL_CONF
            ))
        })?;
        ports(&PgpoolSettings::parse(&text), ctx.target.id, peer.id).map_err(|e| pre(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Fault for HeartbeatDrop {
    fn kind(&self) -> FaultKind {
        FaultKind::HeartbeatDrop
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        host::require_running(ctx, self.kind(), Some(peer)).await?;
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        self.ports(ctx, pid).await.map(|_| ())
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let target_pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let peer_pid = host::pid(&ctx.docker, self.kind(), &peer.name, &peer.container).await?;
        let ports = self.ports(ctx, target_pid).await?;
        let (on_target, on_peer) = chains(self.direction, ports, t, peer);
        let undo = host::install_pair(&on_target, target_pid, &on_peer, Some(peer_pid)).await?;
        Ok(Injected::new(self.kind(), ctx, Box::new(undo)))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let not = |reason: String| FaultError::NotEffective {
            kind: FaultKind::HeartbeatDrop,
            node: t.name.clone(),
            reason,
        };
        let target_pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let peer_pid = host::pid(&ctx.docker, self.kind(), &peer.name, &peer.container).await?;
        let mut watched = Vec::new();
        if matches!(self.direction, Direction::Both | Direction::Inbound) {
            watched.push((target_pid, t.name.clone()));
        }
        if matches!(self.direction, Direction::Both | Direction::Outbound) {
            watched.push((peer_pid, peer.name.clone()));
        }
        let chain = format!("{PREFIX}-in");
        let drops = |pid: i64| {
            let chain = chain.clone();
            async move {
                let rules = counters::read(pid, &chain).await?;
                Ok::<u64, FaultError>(rules.iter().map(|r| r.packets).sum())
            }
        };
        let mut first = Vec::new();
        for (pid, _) in &watched {
            first.push(drops(*pid).await?);
        }
        // Moving: every watched rule drops more than it had when first read.
        host::poll_effect(ctx, self.kind(), || {
            let (watched, first) = (watched.clone(), first.clone());
            let drops = &drops;
            async move {
                let mut seen = Vec::new();
                let mut all = true;
                for ((pid, node), before) in watched.iter().zip(&first) {
                    let now = drops(*pid).await?;
                    all &= now > *before;
                    seen.push(format!("{node} dropped {now} heartbeats (first read {before})"));
                }
                Ok::<_, FaultError>(if all {
                    Probe::Taken
                } else {
                    Probe::NotYet(seen.join(", "))
                })
            }
        })
        .await?;
        if !host::can_ping(&ctx.docker, &t.container, &peer.address.to_string()).await? {
            return Err(not(format!(
                "{} no longer answers ping: more than heartbeats is lost",
                peer.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, id: u32, ip: &str) -> NodeHandle {
        NodeHandle {
            name: name.into(),
            id,
            container: format!("scn-{name}"),
            address: ip.parse().unwrap(),
        }
    }

    const CONF: &str = "\
use_watchdog = on
wd_lifecheck_method = 'heartbeat'
heartbeat_hostname0 = 'node1'
heartbeat_port0 = 9694
heartbeat_hostname1 = 'node2'
heartbeat_port1 = 9695
";

    #[test]
    fn the_ports_are_each_receivers_own() {
        let conf = PgpoolSettings::parse(CONF);
        assert_eq!(
            ports(&conf, 1, 0),
            Ok(Ports {
                target: 9695,
                peer: 9694
            })
        );
    }

    #[test]
    fn a_watchdog_without_heartbeats_is_refused() {
        let query = CONF.replace("'heartbeat'", "'query'");
        let e = ports(&PgpoolSettings::parse(&query), 0, 1).unwrap_err();
        assert!(e.to_string().contains("life-check is `query`"), "{e}");
        let off = CONF.replace("use_watchdog = on", "use_watchdog = off");
        assert!(ports(&PgpoolSettings::parse(&off), 0, 1).is_err());
        let e = ports(&PgpoolSettings::parse(CONF), 0, 2).unwrap_err();
        assert_eq!(e.to_string(), "heartbeat_port2 is not set");
    }

    #[test]
    fn heartbeats_are_dropped_at_each_receiver_by_sender_and_port() {
        let p = Ports {
            target: 9694,
            peer: 9695,
        };
        let (t, q) = chains(
            Direction::Both,
            p,
            &node("node1", 0, "10.0.0.2"),
            &node("node2", 1, "10.0.0.3"),
        );
        assert_eq!(t.input, vec![rule("10.0.0.3", 9694)]);
        assert_eq!(q.input, vec![rule("10.0.0.2", 9695)]);
        assert!(t.output.is_empty() && q.output.is_empty());
        assert_eq!(
            rule("10.0.0.3", 9694).join(" "),
            "-s 10.0.0.3 -p udp --dport 9694 -j DROP"
        );
        let (t, q) = chains(
            Direction::Inbound,
            p,
            &node("node1", 0, "10.0.0.2"),
            &node("node2", 1, "10.0.0.3"),
        );
        assert_eq!(t.input.len(), 1);
        assert!(q.input.is_empty());
    }
}
