//! The one answer to "who is primary, who holds the VIP, who leads the watchdog": typed node names
//! and roles, the per-node probe, and one round over every node.
//!
//! Readiness ([`super::Readiness`]), `hachaos status` ([`super::Cluster::status`]), the role poller
//! ([`crate::observe::RolePoller`]) and the executor resolving `target: primary` all read roles
//! through this module, so they cannot disagree on what "down" or "holds the VIP" means.
//!
//! Every probe of one node is independent of the others' and bounded by its own deadline: a dead
//! node costs its own probe one timeout and never delays what the other nodes say.

use super::probe;
use super::{Cluster, NodeHandle};
use crate::scenario::{NodeRole, RoleSnapshot};
use bollard::Docker;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

/// How long a role probe waits for the TCP handshake. Short on purpose: on the cluster's bridge
/// network a live server's kernel completes it at once, even on a loaded machine; a dropped or
/// removed host never does, and the driver's default would hold the probe for seconds.
pub const ROLE_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a role probe may take in all (handshake, authentication, `pg_is_in_recovery()`)
/// before the node counts as down. Not short: authentication forks a backend and hashes the
/// password, which takes over a second on a machine running three clusters (runs at load 25
/// saw healthy nodes miss a 1 s deadline and count as down); a hung server still counts as down
/// after it.
pub const ROLE_PROBE_TIMEOUT: Duration = probe::QUERY_TIMEOUT;

/// How long asking a container whether it holds the VIP (`ip addr` through `docker exec`) may
/// take. Longer than the role probe: an exec goes through the engine, which is slow on a loaded
/// machine, and a failed exec never counts as holding.
pub const VIP_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A node's name (`node1`): its container alias, host name and pgpool backend host name.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct NodeName(String);

impl NodeName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

impl From<&str> for NodeName {
    fn from(s: &str) -> Self {
        NodeName(s.to_string())
    }
}

impl From<String> for NodeName {
    fn from(s: String) -> Self {
        NodeName(s)
    }
}

impl From<NodeName> for String {
    fn from(n: NodeName) -> Self {
        n.0
    }
}

impl std::borrow::Borrow<str> for NodeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for NodeName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for NodeName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for NodeName {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// What a server says about itself.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServerRole {
    /// Answers and is not in recovery: a writable primary.
    Primary,
    /// Answers and is in recovery.
    Standby,
    /// Gave no answer: refused, no handshake within [`ROLE_CONNECT_TIMEOUT`], or nothing within
    /// [`ROLE_PROBE_TIMEOUT`] (hung, stopped).
    Down,
    /// Not known: it answered something unreadable, or no answer is recent enough to count.
    Unknown,
}

impl ServerRole {
    /// The spelling used in scenario files, status output and messages.
    pub fn name(self) -> &'static str {
        match self {
            ServerRole::Primary => "primary",
            ServerRole::Standby => "standby",
            ServerRole::Down => "down",
            ServerRole::Unknown => "unknown",
        }
    }

    /// The scenario vocabulary's role (`roles:` expectations, final roles); `None` for
    /// [`ServerRole::Unknown`], which no scenario can expect.
    pub fn as_node_role(self) -> Option<NodeRole> {
        match self {
            ServerRole::Primary => Some(NodeRole::Primary),
            ServerRole::Standby => Some(NodeRole::Standby),
            ServerRole::Down => Some(NodeRole::Down),
            ServerRole::Unknown => None,
        }
    }

    /// Reads the first column of the release's role query (`pg_is_in_recovery()`: `t` is a
    /// standby).
    pub fn from_in_recovery(value: Option<&str>) -> ServerRole {
        match value {
            Some("t") => ServerRole::Standby,
            Some("f") => ServerRole::Primary,
            _ => ServerRole::Unknown,
        }
    }
}

impl std::fmt::Display for ServerRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// What the probes need to know about the cluster: the database port, the role query, the
/// password, the VIP.
#[derive(Clone, Debug)]
pub struct ProbeTarget {
    /// The servers' port.
    pub database_port: u16,
    /// pgpool's port (for `show pool_nodes` through the VIP).
    pub pool_port: u16,
    /// The release's role query.
    pub role_query: String,
    /// The `postgres` password.
    pub password: String,
    /// The delegate IP.
    pub vip: Ipv4Addr,
}

impl ProbeTarget {
    /// The target of `cluster`.
    pub fn of(cluster: &Cluster) -> ProbeTarget {
        let release = cluster.release();
        ProbeTarget {
            database_port: release.ports.database,
            pool_port: release.ports.pool,
            role_query: release.role_query.clone(),
            password: cluster.secrets().db_password.clone(),
            vip: cluster.topology().vip,
        }
    }
}

/// Asks one server its role: [`ROLE_CONNECT_TIMEOUT`] for the handshake, `timeout` in all.
pub async fn server_role(address: Ipv4Addr, target: &ProbeTarget, timeout: Duration) -> ServerRole {
    let ask = async {
        let client = probe::connect_within(
            address,
            target.database_port,
            &target.password,
            "postgres",
            ROLE_CONNECT_TIMEOUT,
        )
        .await?;
        client.simple_query(&target.role_query).await
    };
    match tokio::time::timeout(timeout, ask).await {
        Ok(Ok(rows)) => ServerRole::from_in_recovery(rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0),
            _ => None,
        })),
        Ok(Err(_)) | Err(_) => ServerRole::Down,
    }
}

/// How long a question on an open [`RoleSession`] may take before the node counts as down (and
/// the session is dropped): no backend is forked and no password hashed, so a live server
/// answers in milliseconds even on a loaded machine.
pub const SESSION_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// A session kept open to one server for asking its role again and again (the role poller): a
/// fresh connection per question costs a forked backend and a password hash, over a second on
/// a loaded machine, which would age every answer. Reconnects after any failure.
pub struct RoleSession {
    address: Ipv4Addr,
    client: Option<tokio_postgres::Client>,
}

impl RoleSession {
    /// A session to the server at `address`, opened on the first question.
    pub fn new(address: Ipv4Addr) -> RoleSession {
        RoleSession {
            address,
            client: None,
        }
    }

    /// The server's role now: [`ServerRole::Down`] when it cannot be reached within
    /// [`ROLE_CONNECT_TIMEOUT`] / [`ROLE_PROBE_TIMEOUT`] or the open session gets no answer
    /// within [`SESSION_QUERY_TIMEOUT`].
    pub async fn ask(&mut self, target: &ProbeTarget) -> ServerRole {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            let connect = probe::connect_within(
                self.address,
                target.database_port,
                &target.password,
                "postgres",
                ROLE_CONNECT_TIMEOUT,
            );
            self.client = match tokio::time::timeout(ROLE_PROBE_TIMEOUT, connect).await {
                Ok(Ok(c)) => Some(c),
                _ => return ServerRole::Down,
            };
        }
        let client = self.client.as_ref().expect("connected");
        match tokio::time::timeout(
            SESSION_QUERY_TIMEOUT,
            client.simple_query(&target.role_query),
        )
        .await
        {
            Ok(Ok(rows)) => ServerRole::from_in_recovery(rows.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0),
                _ => None,
            })),
            _ => {
                self.client = None;
                ServerRole::Down
            }
        }
    }
}

/// Whether the node's container holds the VIP; `None` when it could not be asked in time (a
/// stopped container, a slow engine), which never counts as holding.
pub async fn holds_vip(docker: &Docker, node: &NodeHandle, vip: Ipv4Addr) -> Option<bool> {
    tokio::time::timeout(
        VIP_PROBE_TIMEOUT,
        probe::holds_vip(docker, &node.container, vip),
    )
    .await
    .ok()
    .and_then(Result::ok)
}

/// One node's answers in one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeObservation {
    /// The node.
    pub node: NodeName,
    /// Its own role.
    pub role: ServerRole,
    /// Whether it holds the VIP (`None`: could not be asked).
    pub holds_vip: Option<bool>,
}

/// Probes one node's role and VIP at the same time, each within its own deadline.
pub async fn observe_node(
    docker: &Docker,
    node: &NodeHandle,
    target: &ProbeTarget,
) -> NodeObservation {
    let (role, holds_vip) = tokio::join!(
        server_role(node.address, target, ROLE_PROBE_TIMEOUT),
        holds_vip(docker, node, target.vip),
    );
    NodeObservation {
        node: NodeName::from(node.name.as_str()),
        role,
        holds_vip,
    }
}

/// One round over the whole cluster: every node's role, the VIP holders, the watchdog leader and
/// pgpool's primary through the VIP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleObservation {
    /// What each server says about itself.
    pub node_roles: BTreeMap<NodeName, ServerRole>,
    /// Nodes holding the VIP.
    pub vip_holders: Vec<NodeName>,
    /// The watchdog leader, if any node reports one.
    pub leader: Option<NodeName>,
    /// pgpool's primary through the VIP, if the VIP answers.
    pub pgpool_primary: Option<NodeName>,
}

impl RoleObservation {
    /// Nodes that say they are a writable primary.
    pub fn primaries(&self) -> Vec<&NodeName> {
        self.node_roles
            .iter()
            .filter(|(_, r)| **r == ServerRole::Primary)
            .map(|(n, _)| n)
            .collect()
    }

    /// The single VIP holder, if exactly one node holds it.
    pub fn vip_holder(&self) -> Option<&NodeName> {
        match self.vip_holders.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The role snapshot targets resolve against.
    pub fn snapshot(&self) -> RoleSnapshot {
        let primaries = self.primaries();
        let primary = match primaries.as_slice() {
            [one] => Some((*one).clone()),
            [] => None,
            // Two servers think they are primary: the one pgpool routes writes to counts.
            many => self
                .pgpool_primary
                .clone()
                .filter(|p| many.contains(&p))
                .or_else(|| many.first().map(|m| (*m).clone())),
        };
        let standby = self
            .node_roles
            .iter()
            .find(|(_, r)| **r == ServerRole::Standby)
            .map(|(n, _)| n.clone())
            .or_else(|| {
                // A standby that is down is still "the standby" for targeting purposes.
                let p = primary.as_ref()?;
                self.node_roles.keys().find(|n| *n != p).cloned()
            });
        RoleSnapshot {
            primary: primary.map(String::from),
            standby: standby.map(String::from),
            vip_holder: self.vip_holder().map(|n| n.to_string()),
            watchdog_leader: self.leader.as_ref().map(|n| n.to_string()),
        }
    }
}

/// Whether a round asks each node's watchdog who leads (`pcp_watchdog_info`).
///
/// Asking is not free for what is measured: every `pcp_watchdog_info` is an IPC request to the
/// node's watchdog process, which wakes its `select()` loop, and that loop ends its state waits
/// only at a wake-up (pgpool-II `src/watchdog/watchdog.c`: a wait of N s ends at the first
/// wake-up at least N s after it began; an idle loop wakes 1 s after its last event). A round every ~2.5 s during a failover moved the survivor's VIP by up to a second
/// (primary-shutdown, six serial runs: 13.13-13.26 s or 13.99-14.00 s after the fault while
/// asking, 12.89-13.40 s without; docs/suites.md), and how fast rounds run depends on the
/// machine's load. So rounds that only judge roles and the VIP leave the watchdog alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leader {
    /// Ask every node's watchdog (a step targeting `watchdog-leader`, the final roles, `status`).
    Ask,
    /// Do not touch the watchdog: [`RoleObservation::leader`] stays `None`.
    Leave,
}

/// Probes every node once, every node and the VIP at the same time, each probe within its own
/// deadline: a dead node costs one short timeout per round, not one per probe. The watchdog
/// leader is asked only with [`Leader::Ask`].
pub async fn observe(cluster: &Cluster, leader: Leader) -> RoleObservation {
    let target = ProbeTarget::of(cluster);
    let docker = cluster.docker();
    let per_node = cluster.nodes().iter().map(|n| {
        let target = &target;
        async move {
            let ask_leader = async {
                match leader {
                    Leader::Ask => watchdog_leader(docker, n).await,
                    Leader::Leave => None,
                }
            };
            tokio::join!(observe_node(docker, n, target), ask_leader)
        }
    });
    let (nodes, pool) = tokio::join!(
        futures_util::future::join_all(per_node),
        probe::pool_nodes(target.vip, target.pool_port, &target.password)
    );
    let mut out = RoleObservation::default();
    for (obs, leader) in nodes {
        out.node_roles.insert(obs.node.clone(), obs.role);
        if obs.holds_vip == Some(true) {
            out.vip_holders.push(obs.node);
        }
        if out.leader.is_none() {
            out.leader = leader;
        }
    }
    if let Ok(rows) = pool {
        out.pgpool_primary = rows
            .iter()
            .find(|r| r.role == "primary" && r.status == "up")
            .map(|r| NodeName::from(r.hostname.as_str()));
    }
    out
}

/// The watchdog leader as `node` reports it; `None` when it names none or cannot be asked.
pub async fn watchdog_leader(docker: &Docker, node: &NodeHandle) -> Option<NodeName> {
    probe::watchdog_leader(docker, &node.container)
        .await
        .ok()
        .flatten()
        .map(NodeName::from)
}

/// The VIP holders among `nodes`, asked at the same time.
pub async fn vip_holders(docker: &Docker, nodes: &[NodeHandle], vip: Ipv4Addr) -> Vec<NodeName> {
    let asks = nodes.iter().map(|n| async move {
        (holds_vip(docker, n, vip).await == Some(true)).then(|| NodeName::from(n.name.as_str()))
    });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(roles: &[(&str, ServerRole)], pgpool: Option<&str>) -> RoleObservation {
        RoleObservation {
            node_roles: roles
                .iter()
                .map(|(n, r)| (NodeName::from(*n), *r))
                .collect(),
            vip_holders: vec!["node1".into()],
            leader: Some("node1".into()),
            pgpool_primary: pgpool.map(NodeName::from),
        }
    }

    #[test]
    fn a_healthy_pair_resolves_primary_and_standby() {
        let s = observed(
            &[
                ("node1", ServerRole::Primary),
                ("node2", ServerRole::Standby),
            ],
            None,
        )
        .snapshot();
        assert_eq!(s.primary.as_deref(), Some("node1"));
        assert_eq!(s.standby.as_deref(), Some("node2"));
        assert_eq!(s.vip_holder.as_deref(), Some("node1"));
    }

    #[test]
    fn with_two_primaries_pgpools_choice_is_the_primary() {
        let s = observed(
            &[
                ("node1", ServerRole::Primary),
                ("node2", ServerRole::Primary),
            ],
            Some("node2"),
        )
        .snapshot();
        assert_eq!(s.primary.as_deref(), Some("node2"));
        assert_eq!(s.standby.as_deref(), Some("node1"));
    }

    #[test]
    fn a_down_standby_is_still_the_standby() {
        let s = observed(
            &[("node1", ServerRole::Primary), ("node2", ServerRole::Down)],
            None,
        )
        .snapshot();
        assert_eq!(s.standby.as_deref(), Some("node2"));
    }

    #[test]
    fn two_vip_holders_name_no_single_holder() {
        let mut o = observed(&[("node1", ServerRole::Primary)], None);
        o.vip_holders.push("node2".into());
        assert_eq!(o.vip_holder(), None);
        assert_eq!(o.snapshot().vip_holder, None);
    }

    #[test]
    fn the_role_query_answer_is_read_as_a_role() {
        assert_eq!(ServerRole::from_in_recovery(Some("t")), ServerRole::Standby);
        assert_eq!(ServerRole::from_in_recovery(Some("f")), ServerRole::Primary);
        assert_eq!(ServerRole::from_in_recovery(None), ServerRole::Unknown);
        assert_eq!(ServerRole::Unknown.as_node_role(), None);
        assert_eq!(ServerRole::Down.as_node_role(), Some(NodeRole::Down));
    }

    #[test]
    fn a_node_name_serialises_as_its_plain_string() {
        let n = NodeName::from("node2");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"node2\"");
        assert_eq!(n, "node2");
    }
}
