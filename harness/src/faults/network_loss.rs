//! `network-loss` / `network-unloss`: a lossy link. A given fraction of packets is dropped at
//! random (iptables `statistic --mode random --probability P`, the kernel's own per-packet coin),
//! in both directions or one, for all of the node's traffic or only its traffic with one peer.
//! TCP retransmits what was lost; nothing is refused or reset, so only slowness and timeouts
//! tell.
//!
//! Where the rules go, and why:
//! - with a `peer`, on the receiving side only: inbound (peer → target) in the target's INPUT,
//!   outbound (target → peer) in the peer's INPUT, both matching the sender's address. A packet
//!   that leaves and is lost on the way is what peers of a lossy link see, and the sender is not
//!   told (a DROP in the sender's own OUTPUT chain returns EPERM to it).
//! - without a peer, in the target's INPUT (inbound) and OUTPUT (outbound), all but loopback.
//!   The outbound half is then not silent for datagrams: a dropped UDP or ICMP send fails with
//!   EPERM in the sender (pgpool logs `failed to send watchdog heartbeat, sendto failed`); TCP
//!   treats it as a lost segment and retransmits, as on a real link. This kernel has no `netem`
//!   and no tc `gact`, so there is no silent egress drop; name a `peer` to get one. Latency is
//!   `network-delay` (NFQUEUE and a userspace delayer).
//!
//! Each chain counts every packet its selector matches (a rule without target) before the
//! random DROP, so `verify` proves the rules see traffic and drop part of it: both counters
//! must move while the node pings through the lossy path.

use super::context::{FaultContext, NodeHandle};
use super::counters;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::catalogue::{Catalogued, HostNeed, PeerSees, PeerUse, Row};
use super::host::{self, Chains, Probe};
use super::network_partition::Direction;
use super::FaultKind;
use serde::{Deserialize, Serialize};

/// A loss ratio, kept in parts per million (`30%` = 300 000), so that plans stay comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Loss(u32);

impl Loss {
    /// Parts per million.
    pub fn ppm(self) -> u32 {
        self.0
    }

    /// The probability iptables takes (`0.300000`).
    pub fn probability(self) -> String {
        format!("{:.6}", self.0 as f64 / 1e6)
    }

    /// From a fraction in (0, 1].
    pub fn from_fraction(f: f64) -> Result<Loss, LossError> {
        if !(f > 0.0 && f <= 1.0) {
            return Err(LossError::OutOfRange(f));
        }
        let ppm = (f * 1e6).round() as u32;
        if ppm < 1_000 {
            return Err(LossError::TooSmall(f));
        }
        Ok(Loss(ppm))
    }
}

/// A loss option that is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    /// Not in (0, 1].
    #[error("loss must be more than 0 and at most 100% (0 < fraction <= 1), got {0}")]
    OutOfRange(f64),
    /// Too small to be seen.
    #[error("loss below 0.1% ({0}) cannot be verified in a run (too few drops to see)")]
    TooSmall(f64),
    /// Not a number.
    #[error("loss `{0}` is not a percentage (`30%`) or a fraction (`0.3`)")]
    NotANumber(String),
}

impl std::str::FromStr for Loss {
    type Err = LossError;

    /// `30%`, `2.5%` or a fraction `0.3`.
    fn from_str(s: &str) -> Result<Loss, LossError> {
        let t = s.trim();
        let (num, scale) = match t.strip_suffix('%') {
            Some(n) => (n.trim(), 100.0),
            None => (t, 1.0),
        };
        let v: f64 = num
            .parse()
            .map_err(|_| LossError::NotANumber(s.to_string()))?;
        Loss::from_fraction(v / scale)
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = self.0 as f64 / 1e4;
        write!(f, "{}%", format!("{pct:.4}").trim_end_matches('0').trim_end_matches('.'))
    }
}

impl From<Loss> for String {
    fn from(l: Loss) -> String {
        l.to_string()
    }
}

impl<'de> Deserialize<'de> for Loss {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Loss, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(f) => Loss::from_fraction(f),
            Raw::Text(s) => s.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

impl Default for Loss {
    /// 30%: a badly lossy link that TCP still gets through.
    fn default() -> Loss {
        Loss(300_000)
    }
}

/// Random DROP of a fraction of the target's packets (all of them, or only those exchanged with
/// the step's `peer` when it names one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkLoss {
    /// The fraction dropped: `loss: 30%` or `loss: 0.3` (default 30%; 0.1% to 100%).
    #[serde(default)]
    pub loss: Loss,
    /// Which direction is lossy, seen from the target (default `both`).
    #[serde(default)]
    pub direction: Direction,
}

impl Catalogued for NetworkLoss {
    const ROW: Row = Row {
        name: "network-loss",
        heal: "network-unloss",
        mechanism: "iptables statistic --mode random --probability P DROP (loss: 30% or 0.3; \
                    direction: both|inbound|outbound). With `peer`, only traffic with that node, \
                    dropped at each receiver (silent, like a lossy wire); without, all but \
                    loopback in the node's INPUT/OUTPUT (a dropped outbound UDP/ICMP send fails \
                    with EPERM in the sender; TCP retransmits). Loss only; latency is \
                    network-delay",
        heal_mechanism: "delete the hachaos-loss chains (on both nodes with a peer)",
        peer_sees: PeerSees::Lossy,
        peer: PeerUse::Optional,
        needs: &[HostNeed::NetnsIptables],
        degrades: true,
        ..Row::BASE
    };
}

const PREFIX: &str = "hachaos-loss";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A counting rule then the random DROP, for one selector.
fn pair(selector: &[&str], loss: Loss) -> Vec<Vec<String>> {
    let p = loss.probability();
    let mut drop = s(selector);
    drop.extend(s(&[
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        &p,
        "-j",
        "DROP",
    ]));
    vec![s(selector), drop]
}

fn empty() -> Chains {
    Chains {
        prefix: PREFIX,
        table: "filter",
        input: vec![],
        output: vec![],
    }
}

/// The chains for the target's namespace and (with a peer) the peer's.
pub(crate) fn chains(
    loss: Loss,
    direction: Direction,
    target: &NodeHandle,
    peer: Option<&NodeHandle>,
) -> (Chains, Chains) {
    let inbound = matches!(direction, Direction::Both | Direction::Inbound);
    let outbound = matches!(direction, Direction::Both | Direction::Outbound);
    let (mut on_target, mut on_peer) = (empty(), empty());
    match peer {
        Some(peer) => {
            let (t, p) = (target.address.to_string(), peer.address.to_string());
            if inbound {
                on_target.input = pair(&["-s", &p], loss);
            }
            if outbound {
                on_peer.input = pair(&["-s", &t], loss);
            }
        }
        None => {
            if inbound {
                on_target.input = pair(&["!", "-i", "lo"], loss);
            }
            if outbound {
                on_target.output = pair(&["!", "-o", "lo"], loss);
            }
        }
    }
    (on_target, on_peer)
}

impl NetworkLoss {
    /// The peer the loss is narrowed to: only one the scenario named.
    fn peer<'a>(&self, ctx: &'a FaultContext) -> Result<Option<&'a NodeHandle>, FaultError> {
        if !ctx.peer_named {
            return Ok(None);
        }
        ctx.peer.as_ref().map(Some).ok_or(FaultError::Missing {
            kind: FaultKind::NetworkLoss,
            what: "a peer",
        })
    }
}

/// Sum of (counted, dropped) over the chain's rule pairs.
fn totals(rules: &[counters::RuleCount]) -> (u64, u64) {
    rules.iter().fold((0, 0), |(seen, dropped), r| {
        if r.target == "DROP" {
            (seen, dropped + r.packets)
        } else {
            (seen + r.packets, dropped)
        }
    })
}

#[async_trait::async_trait]
impl Fault for NetworkLoss {
    fn kind(&self) -> FaultKind {
        FaultKind::NetworkLoss
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        host::require_running(ctx, self.kind(), peer).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let target_pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let peer_pid = match peer {
            Some(p) => Some(host::pid(&ctx.docker, self.kind(), &p.name, &p.container).await?),
            None => None,
        };
        let (on_target, on_peer) = chains(self.loss, self.direction, t, peer);
        let undo = host::install_pair(&on_target, target_pid, &on_peer, peer_pid).await?;
        Ok(Injected::new(self.kind(), ctx, Box::new(undo)))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let target_pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let (on_target, on_peer) = chains(self.loss, self.direction, t, peer);
        // Every chain that has rules, in the namespace it lives in.
        let mut watched = Vec::new();
        for (chains, pid) in [(on_target, Some(target_pid)), (on_peer, None)] {
            let pid = match (pid, peer) {
                (Some(p), _) => p,
                (None, Some(p)) => host::pid(&ctx.docker, self.kind(), &p.name, &p.container).await?,
                (None, None) => continue,
            };
            if !chains.input.is_empty() {
                watched.push((pid, format!("{PREFIX}-in")));
            }
            if !chains.output.is_empty() {
                watched.push((pid, format!("{PREFIX}-out")));
            }
        }
        // Traffic through the lossy path: enough echoes that the expected drops are >= 5.
        let to = peer
            .map(|p| p.address.to_string())
            .unwrap_or_else(|| ctx.gateway.to_string());
        let count = (5_000_000 / self.loss.ppm().max(1)).clamp(20, 1000).to_string();
        let docker = ctx.docker.clone();
        let container = t.container.clone();
        host::poll_effect(ctx, self.kind(), || {
            let (docker, container, to, count, watched) = (
                docker.clone(),
                container.clone(),
                to.clone(),
                count.clone(),
                watched.clone(),
            );
            async move {
                // Its exit status does not matter: losses are the point.
                let _ = host::exec_status(
                    &docker,
                    &container,
                    &["ping", "-q", "-n", "-i", "0.005", "-W", "1", "-c", &count, &to],
                )
                .await;
                let mut seen = Vec::new();
                let mut all = true;
                for (pid, chain) in &watched {
                    let rules = counters::read(*pid, chain).await?;
                    let (counted, dropped) = totals(&rules);
                    all &= counted > 0 && dropped > 0 && dropped <= counted;
                    seen.push(format!("{chain}: {dropped} of {counted} packets dropped"));
                }
                Ok::<_, FaultError>(if all {
                    Probe::Taken
                } else {
                    Probe::NotYet(seen.join(", "))
                })
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::faults::context::test_node as node;

    #[test]
    fn loss_reads_percentages_and_fractions_alike() {
        assert_eq!("30%".parse::<Loss>().unwrap(), Loss(300_000));
        assert_eq!("0.3".parse::<Loss>().unwrap(), Loss(300_000));
        assert_eq!("2.5 %".parse::<Loss>().unwrap().probability(), "0.025000");
        assert_eq!(Loss(300_000).to_string(), "30%");
        assert_eq!(Loss(25_000).to_string(), "2.5%");
        assert_eq!(Loss(1_000_000).probability(), "1.000000");
    }

    #[test]
    fn loss_outside_what_a_run_can_verify_is_refused() {
        for bad in ["0%", "0", "-5%", "101%", "1.5", "ten", "0.01%", "NaN"] {
            assert!(bad.parse::<Loss>().is_err(), "{bad}");
        }
    }

    #[test]
    fn loss_deserializes_from_a_number_or_a_string() {
        let a: Loss = serde_json::from_str("0.3").unwrap();
        let b: Loss = serde_json::from_str("\"30%\"").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<Loss>("2").is_err());
    }

    #[test]
    fn without_a_peer_both_directions_are_lossy_in_the_targets_own_chains() {
        let (t, p) = chains(Loss(300_000), Direction::Both, &node("node1", "10.0.0.2"), None);
        assert_eq!(t.input[0], s(&["!", "-i", "lo"]));
        assert_eq!(
            t.input[1],
            s(&[
                "!", "-i", "lo", "-m", "statistic", "--mode", "random", "--probability",
                "0.300000", "-j", "DROP"
            ])
        );
        assert_eq!(t.output[0], s(&["!", "-o", "lo"]));
        assert!(p.input.is_empty() && p.output.is_empty());
    }

    #[test]
    fn with_a_peer_losses_happen_at_the_receiver_only() {
        let (t, p) = chains(
            Loss(100_000),
            Direction::Outbound,
            &node("node1", "10.0.0.2"),
            Some(&node("node2", "10.0.0.3")),
        );
        assert!(t.input.is_empty() && t.output.is_empty());
        assert_eq!(p.input[0], s(&["-s", "10.0.0.2"]));
        assert!(p.output.is_empty());
        let (t, p) = chains(
            Loss(100_000),
            Direction::Inbound,
            &node("node1", "10.0.0.2"),
            Some(&node("node2", "10.0.0.3")),
        );
        assert_eq!(t.input[0], s(&["-s", "10.0.0.3"]));
        assert!(p.input.is_empty());
    }

    #[test]
    fn totals_separate_counted_from_dropped() {
        let rules = counters::parse(
            "Chain c\n pkts bytes target prot\n 100 1 all --\n 31 1 DROP all --\n",
        );
        assert_eq!(totals(&rules), (100, 31));
    }
}
