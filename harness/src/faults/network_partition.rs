//! `network-partition` / `network-repair`: only node ↔ peer traffic is dropped; the gateway (the
//! trusted server) stays reachable, so each side believes the other died and it survived: the
//! fault that really produces split brain.
//!
//! Rules go into both namespaces (`-s` on input, `-d` on output): matching on the source address
//! at the receiver also catches traffic to the VIP, wherever it currently sits.

use super::context::{FaultContext, NodeHandle};
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host::{self, Chains};
use super::catalogue::{Catalogued, HostNeed, PeerSees, PeerUse, Row};
use super::FaultKind;
use crate::damage::Damage;

/// Which packets a partition drops, seen from the fault's target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Nothing passes between target and peer.
    #[default]
    Both,
    /// Packets from target to peer are dropped; peer → target still arrives.
    Outbound,
    /// Packets from peer to target are dropped; target → peer still arrives.
    Inbound,
}

/// DROP between target and peer, in one or both directions.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPartition {
    /// Which direction is cut, seen from the target (`direction: outbound`; default `both`).
    #[serde(default)]
    pub direction: Direction,
}

impl Catalogued for NetworkPartition {
    const ROW: Row = Row {
        name: "network-partition",
        heal: "network-repair",
        mechanism: "nsenter iptables in both nodes' namespaces: DROP only packets between node \
                    and peer (both directions, or one); the gateway (trusted server) stays \
                    reachable, so each side believes it is the survivor",
        heal_mechanism: "delete the hachaos chain on both nodes",
        peer_sees: PeerSees::Silence,
        peer: PeerUse::Required,
        needs: &[HostNeed::NetnsIptables],
        // Both sides write (faults/partition.yaml): the loser's writes are lost on recovery.
        may_cause: &[Damage::SplitBrain, Damage::LostWrites],
        ..Row::BASE
    };
}

const PREFIX: &str = "hachaos-partition";

fn rule(flag: &str, addr: &str) -> Vec<String> {
    vec![flag.into(), addr.into(), "-j".into(), "DROP".into()]
}

/// The chains for the target's and the peer's namespace.
pub(crate) fn chains(
    direction: Direction,
    target: &NodeHandle,
    peer: &NodeHandle,
) -> (Chains, Chains) {
    let (t, p) = (target.address.to_string(), peer.address.to_string());
    let cut_out = matches!(direction, Direction::Both | Direction::Outbound); // target → peer
    let cut_in = matches!(direction, Direction::Both | Direction::Inbound); // peer → target
    let mut on_target = Chains {
        prefix: PREFIX,
        table: "filter",
        input: vec![],
        output: vec![],
    };
    let mut on_peer = Chains {
        prefix: PREFIX,
        table: "filter",
        input: vec![],
        output: vec![],
    };
    if cut_out {
        on_target.output.push(rule("-d", &p));
        on_peer.input.push(rule("-s", &t));
    }
    if cut_in {
        on_peer.output.push(rule("-d", &t));
        on_target.input.push(rule("-s", &p));
    }
    (on_target, on_peer)
}

impl NetworkPartition {
    fn peer<'a>(&self, ctx: &'a FaultContext) -> Result<&'a NodeHandle, FaultError> {
        ctx.peer.as_ref().ok_or(FaultError::Missing {
            kind: FaultKind::NetworkPartition,
            what: "a peer",
        })
    }
}

#[async_trait::async_trait]
impl Fault for NetworkPartition {
    fn kind(&self) -> FaultKind {
        FaultKind::NetworkPartition
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        host::require_running(ctx, self.kind(), Some(peer)).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let target_pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let peer_pid = host::pid(&ctx.docker, self.kind(), &peer.name, &peer.container).await?;
        let (on_target, on_peer) = chains(self.direction, t, peer);
        let undo = host::install_pair(&on_target, target_pid, &on_peer, Some(peer_pid)).await?;
        Ok(Injected::new(self.kind(), ctx, Box::new(undo)))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        let not = |reason: String| FaultError::NotEffective {
            kind: FaultKind::NetworkPartition,
            node: ctx.target.name.clone(),
            reason,
        };
        let p = peer.address.to_string();
        // An echo needs both directions, so it fails for any direction of the cut.
        if host::can_ping(&ctx.docker, &ctx.target.container, &p).await? {
            return Err(not(format!("{} still answers ping", peer.name)));
        }
        let gw = ctx.gateway.to_string();
        for node in [&ctx.target, peer] {
            if !host::can_ping(&ctx.docker, &node.container, &gw).await? {
                return Err(not(format!(
                    "{} cannot reach the gateway {gw} either: that is not a partition",
                    node.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::faults::context::test_node as node;

    #[test]
    fn a_two_way_partition_drops_both_ways_on_both_nodes() {
        let (t, p) = chains(
            Direction::Both,
            &node("node1", "10.198.0.2"),
            &node("node2", "10.198.0.3"),
        );
        assert_eq!(t.output, vec![rule("-d", "10.198.0.3")]);
        assert_eq!(t.input, vec![rule("-s", "10.198.0.3")]);
        assert_eq!(p.output, vec![rule("-d", "10.198.0.2")]);
        assert_eq!(p.input, vec![rule("-s", "10.198.0.2")]);
    }

    #[test]
    fn an_outbound_partition_only_drops_target_to_peer() {
        let (t, p) = chains(
            Direction::Outbound,
            &node("node1", "10.198.0.2"),
            &node("node2", "10.198.0.3"),
        );
        assert_eq!(t.output, vec![rule("-d", "10.198.0.3")]);
        assert!(t.input.is_empty());
        assert_eq!(p.input, vec![rule("-s", "10.198.0.2")]);
        assert!(p.output.is_empty());
    }
}
