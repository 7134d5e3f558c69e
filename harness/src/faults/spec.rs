//! A fault with its options, as a plan carries it (no Docker handles: pure data).

use super::kind::FaultKind;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which packets a partition drops, seen from the fault's target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
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

/// The default grace period of `host-shutdown` (Docker's own default).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// A fault kind with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultSpec {
    /// See [`FaultKind::HostShutdown`].
    HostShutdown {
        /// How long `docker stop` waits before SIGKILL.
        grace: Duration,
    },
    /// See [`FaultKind::HostCrash`].
    HostCrash,
    /// See [`FaultKind::HostPoweroff`].
    HostPoweroff,
    /// See [`FaultKind::HostHang`].
    HostHang,
    /// See [`FaultKind::NetworkDrop`].
    NetworkDrop,
    /// See [`FaultKind::NetworkBlackhole`].
    NetworkBlackhole,
    /// See [`FaultKind::NetworkPartition`].
    NetworkPartition {
        /// Which direction is cut.
        direction: Direction,
    },
    /// See [`FaultKind::DiskReadonly`].
    DiskReadonly,
}

impl FaultSpec {
    /// The kind.
    pub fn kind(&self) -> FaultKind {
        match self {
            FaultSpec::HostShutdown { .. } => FaultKind::HostShutdown,
            FaultSpec::HostCrash => FaultKind::HostCrash,
            FaultSpec::HostPoweroff => FaultKind::HostPoweroff,
            FaultSpec::HostHang => FaultKind::HostHang,
            FaultSpec::NetworkDrop => FaultKind::NetworkDrop,
            FaultSpec::NetworkBlackhole => FaultKind::NetworkBlackhole,
            FaultSpec::NetworkPartition { .. } => FaultKind::NetworkPartition,
            FaultSpec::DiskReadonly => FaultKind::DiskReadonly,
        }
    }
}
