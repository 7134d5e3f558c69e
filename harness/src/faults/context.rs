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
    /// The database server's port on the node (the process faults probe it).
    pub db_port: u16,
    /// pgpool's port on the node.
    pub pool_port: u16,
    /// Where the node's logs are when it boots through the release's entrypoint (a cluster
    /// node): a heal that (re)starts its container then waits for the boot, and quotes these logs
    /// when it does not finish. `None`: a bare container with no boot to wait for.
    pub boot_logs: Option<String>,
    /// When the run started, so events carry their offset.
    pub run_started: Option<Instant>,
    /// How long `verify` polls before it gives up.
    pub verify_timeout: Duration,
}

/// The default PGDATA of the node image.
pub const DEFAULT_PGDATA: &str = crate::cluster::PGDATA;

impl FaultContext {
    /// A context for `target` with defaults: no peer, [`DEFAULT_PGDATA`], ports 5432 and 9999,
    /// 10 s verification, no boot to wait for after a heal ([`Self::with_boot_logs`]).
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
            db_port: 5432,
            pool_port: 9999,
            boot_logs: None,
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

    /// Sets the database and pgpool ports (the release's).
    pub fn with_ports(mut self, db_port: u16, pool_port: u16) -> Self {
        self.db_port = db_port;
        self.pool_port = pool_port;
        self
    }

    /// Says the nodes boot through the release's entrypoint, with their logs in `dir`.
    pub fn with_boot_logs(mut self, dir: impl Into<String>) -> Self {
        self.boot_logs = Some(dir.into());
        self
    }

    /// Sets the run's start, for event offsets.
    pub fn with_run_started(mut self, at: Instant) -> Self {
        self.run_started = Some(at);
        self
    }
}

/// A node handle for unit tests (container `scn-<name>`, backend id 0).
#[cfg(test)]
pub(crate) fn test_node(name: &str, ip: &str) -> NodeHandle {
    NodeHandle {
        name: name.into(),
        id: 0,
        container: format!("scn-{name}"),
        address: ip.parse().unwrap(),
    }
}
