//! The closed catalogue of fault kinds, their inverses and what each really does, as data that
//! `hachaos list-faults`, the scenario validator and the docs all read.

use serde::Serialize;

/// A kind of fault. Closed on purpose: a scenario naming anything else is rejected at parse time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Graceful `docker stop` (SIGTERM, grace period, then SIGKILL), like `shutdown -h now`.
    HostShutdown,
    /// SIGKILL of the whole container: the kernel still closes sockets (peers see FIN/RST).
    HostCrash,
    /// Silent death: DROP everything in the node's netns, then SIGKILL (peers see silence).
    HostPoweroff,
    /// `docker pause`: every process frozen (cgroup freezer), sockets open, nothing answers.
    HostHang,
    /// Link down: the container is disconnected from the cluster network.
    NetworkDrop,
    /// Silent packet loss: iptables DROP of everything but loopback in the node's netns.
    NetworkBlackhole,
    /// Node ↔ peer cut only (both ways or one), the gateway stays reachable: split brain.
    NetworkPartition,
    /// The PGDATA filesystem turns read-only in the kernel (ext4 error, `errors=remount-ro`).
    DiskReadonly,
}

/// The verb that heals a fault. Several faults share one (`host-start` undoes every kind of
/// host death), each fault has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealVerb {
    /// `docker start` of a stopped, crashed or powered-off node.
    HostStart,
    /// `docker unpause` of a hung node.
    HostResume,
    /// Reconnect to the network with the same address and aliases.
    NetworkRestore,
    /// Remove the blackhole DROP rules.
    NetworkUnblackhole,
    /// Remove the partition DROP rules (on both nodes).
    NetworkRepair,
    /// Restart the node so its entrypoint runs fsck and remounts PGDATA read-write.
    DiskRepair,
}

/// What a peer observes on an established TCP connection when the fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerSees {
    /// FIN or RST at once: the kernel closes the sockets.
    FinRst,
    /// Nothing: packets vanish; only timeouts tell.
    Silence,
    /// The node still answers at the network level; only the application misbehaves.
    Answers,
}

/// One row of the catalogue.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FaultInfo {
    /// The fault.
    pub kind: FaultKind,
    /// Its inverse.
    pub heal: HealVerb,
    /// What is really done, at the OS / Docker level.
    pub mechanism: &'static str,
    /// What the inverse really does.
    pub heal_mechanism: &'static str,
    /// What peers see on open connections.
    pub peer_sees: PeerSees,
}

impl FaultKind {
    /// Every kind, in catalogue order.
    pub const ALL: &'static [FaultKind] = &[
        FaultKind::HostShutdown,
        FaultKind::HostCrash,
        FaultKind::HostPoweroff,
        FaultKind::HostHang,
        FaultKind::NetworkDrop,
        FaultKind::NetworkBlackhole,
        FaultKind::NetworkPartition,
        FaultKind::DiskReadonly,
    ];

    /// The stable kebab-case name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::HostShutdown => "host-shutdown",
            FaultKind::HostCrash => "host-crash",
            FaultKind::HostPoweroff => "host-poweroff",
            FaultKind::HostHang => "host-hang",
            FaultKind::NetworkDrop => "network-drop",
            FaultKind::NetworkBlackhole => "network-blackhole",
            FaultKind::NetworkPartition => "network-partition",
            FaultKind::DiskReadonly => "disk-readonly",
        }
    }

    /// The verb that heals this fault.
    pub fn inverse(self) -> HealVerb {
        self.info().heal
    }

    /// The catalogue row of this kind.
    pub fn info(self) -> FaultInfo {
        use FaultKind::*;
        use HealVerb::*;
        let (heal, mechanism, heal_mechanism, peer_sees) = match self {
            HostShutdown => (
                HostStart,
                "docker stop with a grace period: SIGTERM to the entrypoint, which stops pgpool \
                 (it tells its watchdog peer it is leaving) and postgres (fast shutdown); SIGKILL \
                 after the grace period",
                "docker start (same container, same PGDATA volume)",
                PeerSees::FinRst,
            ),
            HostCrash => (
                HostStart,
                "docker kill -s KILL: every process dies at once, nothing is flushed or announced; \
                 the kernel still closes the sockets",
                "docker start (crash recovery of postgres from WAL)",
                PeerSees::FinRst,
            ),
            HostPoweroff => (
                HostStart,
                "nsenter -t <pid> -n iptables: DROP all input and output but loopback in the \
                 node's network namespace, then docker kill -s KILL; the FIN/RST of the dying \
                 sockets is dropped, so peers see what a power cut shows",
                "docker start (a fresh network namespace without the rules)",
                PeerSees::Silence,
            ),
            HostHang => (
                HostResume,
                "docker pause (cgroup freezer): processes frozen, sockets stay open, the kernel \
                 still ACKs TCP but no application answers",
                "docker unpause",
                PeerSees::Answers,
            ),
            NetworkDrop => (
                NetworkRestore,
                "docker network disconnect: the interface disappears (link down); the node's own \
                 sockets fail, peers' packets get no answer",
                "docker network connect with the same address and aliases (the interface inside \
                 may get a new name)",
                PeerSees::Silence,
            ),
            NetworkBlackhole => (
                NetworkUnblackhole,
                "nsenter -t <pid> -n iptables: DROP all input and output but loopback in the \
                 node's network namespace; the interface stays up",
                "delete the hachaos chain from INPUT and OUTPUT",
                PeerSees::Silence,
            ),
            NetworkPartition => (
                NetworkRepair,
                "nsenter iptables in both nodes' namespaces: DROP only packets between node and \
                 peer (both directions, or one); the gateway (trusted server) stays reachable, so \
                 each side believes it is the survivor",
                "delete the hachaos chain on both nodes",
                PeerSees::Silence,
            ),
            DiskReadonly => (
                DiskRepair,
                "echo 1 > /sys/fs/ext4/<loopN>/trigger_fs_error for the loop-backed ext4 holding \
                 PGDATA (mounted errors=remount-ro): the kernel remounts it read-only like a \
                 failing disk; postgres PANICs or rejects writes while sockets stay up",
                "docker restart: the entrypoint runs fsck on the loop file and remounts it \
                 read-write (recovery must use pg_basebackup: pg_rewind fails on the torn tail)",
                PeerSees::Answers,
            ),
        };
        FaultInfo {
            kind: self,
            heal,
            mechanism,
            heal_mechanism,
            peer_sees,
        }
    }
}

impl HealVerb {
    /// Every verb.
    pub const ALL: &'static [HealVerb] = &[
        HealVerb::HostStart,
        HealVerb::HostResume,
        HealVerb::NetworkRestore,
        HealVerb::NetworkUnblackhole,
        HealVerb::NetworkRepair,
        HealVerb::DiskRepair,
    ];

    /// The stable kebab-case name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            HealVerb::HostStart => "host-start",
            HealVerb::HostResume => "host-resume",
            HealVerb::NetworkRestore => "network-restore",
            HealVerb::NetworkUnblackhole => "network-unblackhole",
            HealVerb::NetworkRepair => "network-repair",
            HealVerb::DiskRepair => "disk-repair",
        }
    }

    /// Whether this verb heals `kind`.
    pub fn heals(self, kind: FaultKind) -> bool {
        kind.inverse() == self
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for HealVerb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PeerSees {
    /// Human text for `list-faults`.
    pub fn describe(self) -> &'static str {
        match self {
            PeerSees::FinRst => "fin/rst at once",
            PeerSees::Silence => "silence (timeouts only)",
            PeerSees::Answers => "tcp answers, application does not",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_their_serde_form() {
        for k in FaultKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.name())
            );
        }
        for v in HealVerb::ALL {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.name())
            );
        }
    }

    #[test]
    fn every_heal_verb_heals_at_least_one_kind() {
        for v in HealVerb::ALL {
            assert!(FaultKind::ALL.iter().any(|k| v.heals(*k)), "{v}");
        }
    }
}
