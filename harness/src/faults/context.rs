//! What a fault needs to act on real containers, filled in by the executor once the step's
//! roles are resolved.

use bollard::Docker;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use crate::cluster::NodeHandle;

/// Everything a fault touches: the Docker client, the network and the resolved nodes.
#[derive(Debug, Clone)]
pub struct FaultContext {
    /// A connected client (API version negotiated).
    pub docker: Docker,
    /// The cluster network's name.
    pub network: String,
    /// The node the fault hits.
    pub target: NodeHandle,
    /// The other side (needed by `network-partition`; used to double-check network faults).
    pub peer: Option<NodeHandle>,
    /// Whether the scenario named the peer (`peer:`), rather than the executor defaulting it to
    /// the other node: a fault whose row takes an optional peer narrows itself to it only then.
    pub peer_named: bool,
    /// The network's gateway (the trusted server); a partition must leave it reachable.
    pub gateway: IpAddr,
    /// PGDATA inside the node (for `disk-readonly`).
    pub pgdata: String,
    /// When the run started, so events carry their offset.
    pub run_started: Option<Instant>,
    /// How long `verify` polls before it gives up.
    pub verify_timeout: Duration,
}

/// The default PGDATA of the node image.
pub const DEFAULT_PGDATA: &str = crate::cluster::PGDATA;

impl FaultContext {
    /// A context for `target` with defaults: no peer, [`DEFAULT_PGDATA`], 10 s verification.
    pub fn new(
        docker: Docker,
        network: impl Into<String>,
        target: NodeHandle,
        gateway: IpAddr,
    ) -> Self {
        FaultContext {
            docker,
            network: network.into(),
            target,
            peer: None,
            peer_named: false,
            gateway,
            pgdata: DEFAULT_PGDATA.into(),
            run_started: None,
            verify_timeout: Duration::from_secs(10),
        }
    }

    /// Sets the peer.
    pub fn with_peer(mut self, peer: NodeHandle) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Sets PGDATA.
    pub fn with_pgdata(mut self, pgdata: impl Into<String>) -> Self {
        self.pgdata = pgdata.into();
        self
    }

    /// Sets the run's start, for event offsets.
    pub fn with_run_started(mut self, at: Instant) -> Self {
        self.run_started = Some(at);
        self
    }
}
