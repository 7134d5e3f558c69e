//! Live probes: what pgpool, PostgreSQL and the containers say right now.
//!
//! Every connection has a connect timeout and every query a deadline: a dropped host otherwise
//! hangs a client for 40-100 s.

use super::roles::{NodeName, ServerRole};
use super::ClusterError;
use crate::docker::exec;
use bollard::Docker;
use std::net::Ipv4Addr;
use std::time::Duration;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// How long a probe may take to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe query may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One row of pgpool's `show pool_nodes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PoolNode {
    /// pgpool's backend id.
    pub node_id: u32,
    /// The backend's host name.
    pub hostname: String,
    /// pgpool's status of the backend: `up`, `down`, `waiting`, `quarantine`, `unused`.
    pub status: String,
    /// pgpool's idea of the role: `primary` / `standby`.
    pub role: String,
    /// Replication state reported by pgpool (4.1+), e.g. `streaming`.
    pub replication_state: String,
    /// Sync state reported by pgpool (4.1+), e.g. `sync`.
    pub replication_sync_state: String,
}

/// Parses the rows of `show pool_nodes` by column name (columns differ across pgpool versions).
pub fn parse_pool_nodes(messages: &[SimpleQueryMessage]) -> Vec<PoolNode> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .map(|row| {
            let get = |name: &str| row.try_get(name).ok().flatten().unwrap_or("").to_string();
            PoolNode {
                node_id: get("node_id").parse().unwrap_or(u32::MAX),
                hostname: get("hostname"),
                status: get("status"),
                role: get("role"),
                replication_state: get("replication_state"),
                replication_sync_state: get("replication_sync_state"),
            }
        })
        .collect()
}

/// Opens a connection as `postgres` with a connect timeout; the connection task ends with the
/// client.
pub async fn connect(
    host: Ipv4Addr,
    port: u16,
    password: &str,
    dbname: &str,
) -> Result<Client, tokio_postgres::Error> {
    connect_within(host, port, password, dbname, CONNECT_TIMEOUT).await
}

/// [`connect`] with its own socket-level connect timeout (the TCP handshake only: a live
/// server's kernel completes it at once even on a loaded machine, a dropped host never does).
pub async fn connect_within(
    host: Ipv4Addr,
    port: u16,
    password: &str,
    dbname: &str,
    connect_timeout: Duration,
) -> Result<Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(host.to_string())
        .port(port)
        .user("postgres")
        .password(password)
        .dbname(dbname)
        .application_name("hachaos-probe")
        .connect_timeout(connect_timeout);
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Runs one simple query on a fresh connection, within [`QUERY_TIMEOUT`].
pub async fn simple_query(
    host: Ipv4Addr,
    port: u16,
    password: &str,
    sql: &str,
) -> Result<Vec<SimpleQueryMessage>, ClusterError> {
    let target = format!("{host}:{port}");
    tracing::debug!(target = %target, sql, "probe query");
    let query_err = |source| ClusterError::Query {
        what: sql.to_string(),
        target: target.clone(),
        source,
    };
    let run = async {
        let client = connect(host, port, password, "postgres")
            .await
            .map_err(query_err)?;
        client.simple_query(sql).await.map_err(query_err)
    };
    tokio::time::timeout(QUERY_TIMEOUT, run)
        .await
        .map_err(|_| {
            ClusterError::Docker(crate::docker::DockerError::Timeout {
                what: format!("query `{sql}` on {target}"),
                secs: QUERY_TIMEOUT.as_secs(),
            })
        })?
}

/// `show pool_nodes` through pgpool at `host`.
pub async fn pool_nodes(
    host: Ipv4Addr,
    port: u16,
    password: &str,
) -> Result<Vec<PoolNode>, ClusterError> {
    Ok(parse_pool_nodes(
        &simple_query(host, port, password, "show pool_nodes").await?,
    ))
}

/// One row of `pg_stat_replication`: a standby connected to this primary.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WalSender {
    /// The standby's `application_name` (our node name).
    pub application_name: String,
    /// `streaming`, `catchup`, ...
    pub state: String,
    /// `sync`, `async`, `potential`, ...
    pub sync_state: String,
    /// Bytes of WAL the standby has not replayed yet.
    pub lag_bytes: Option<i64>,
}

/// `pg_stat_replication` on a primary.
pub async fn replication(
    host: Ipv4Addr,
    port: u16,
    password: &str,
) -> Result<Vec<WalSender>, ClusterError> {
    let sql = "select application_name, state, sync_state, \
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint \
               from pg_stat_replication";
    Ok(simple_query(host, port, password, sql)
        .await?
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(WalSender {
                application_name: r.get(0).unwrap_or("").to_string(),
                state: r.get(1).unwrap_or("").to_string(),
                sync_state: r.get(2).unwrap_or("").to_string(),
                lag_bytes: r.get(3).and_then(|v| v.parse().ok()),
            }),
            _ => None,
        })
        .collect())
}

/// Whether `container` has `vip` on any interface (the interface name is never assumed: after a
/// disconnect + reconnect eth0 becomes eth1). Read from the host when it can
/// ([`crate::docker::local`]: no exec, which the role poller would otherwise run twice a second per
/// node); a paused or stopped container is an error either way, as an exec into it would be.
pub async fn holds_vip(
    docker: &Docker,
    container: &str,
    vip: Ipv4Addr,
) -> Result<bool, ClusterError> {
    use crate::docker::local::{look, Local};
    match look(docker, container).await {
        Local::Running(proc) => {
            if let Ok(holds) = proc.has_local_address(vip).await {
                return Ok(holds);
            }
        }
        Local::Paused | Local::Stopped => {
            return Err(ClusterError::Command {
                command: "ip -o -4 addr show".into(),
                container: container.to_string(),
                output: "the container is paused or not running".into(),
            })
        }
        Local::Unavailable => {}
    }
    let out = exec(
        docker,
        container,
        &["ip", "-o", "-4", "addr", "show"],
        Duration::from_secs(5),
    )
    .await?;
    if !out.success() {
        return Err(ClusterError::Command {
            command: "ip -o -4 addr show".into(),
            container: container.to_string(),
            output: out.stderr.trim().to_string(),
        });
    }
    Ok(parse_has_address(&out.stdout, vip))
}

/// Whether `ip -o -4 addr show` output lists `addr`.
pub fn parse_has_address(ip_output: &str, addr: Ipv4Addr) -> bool {
    let needle = format!("inet {addr}/");
    ip_output.lines().any(|l| l.contains(&needle))
}

/// Whether the node's pgpool has started its heartbeat life-check (it logs "watchdog: lifecheck
/// started" some seconds after the watchdog comes up).
pub async fn lifecheck_started(docker: &Docker, container: &str) -> bool {
    const LOG: &str = "/var/log/hachaos/pgpool.log";
    const LINE: &[u8] = b"watchdog: lifecheck started";
    // Asked about once a second per node while a cluster boots: read on the host when possible.
    use crate::docker::local::{look, Local};
    match look(docker, container).await {
        Local::Running(proc) => {
            if let Ok(log) = proc.read_from(LOG, 0).await {
                return memchr::memmem::find(&log, LINE).is_some();
            }
        }
        Local::Paused | Local::Stopped => return false,
        Local::Unavailable => {}
    }
    exec(
        docker,
        container,
        &[
            "grep",
            "-q",
            "watchdog: lifecheck started",
            "/var/log/hachaos/pgpool.log",
        ],
        Duration::from_secs(5),
    )
    .await
    .is_ok_and(|o| o.success())
}

/// The watchdog leader's node name as `pcp_watchdog_info -v` inside `container` reports it.
pub async fn watchdog_leader(
    docker: &Docker,
    container: &str,
) -> Result<Option<String>, ClusterError> {
    let out = exec(
        docker,
        container,
        &[
            "pcp_watchdog_info",
            "-h",
            // Not `localhost`: it resolves to ::1 and IPv6 is off in the node.
            "127.0.0.1",
            "-p",
            "9898",
            "-U",
            "pcp",
            "-w",
            "-v",
        ],
        Duration::from_secs(5),
    )
    .await?;
    if !out.success() {
        return Err(ClusterError::Command {
            command: "pcp_watchdog_info -v".into(),
            container: container.to_string(),
            output: format!("{}{}", out.stdout.trim(), out.stderr.trim()),
        });
    }
    Ok(parse_watchdog_leader(&out.stdout))
}

/// Extracts the leader from `pcp_watchdog_info -v` output (`Leader Node Name` in 4.2+,
/// `Master Node Name` before). The name is pgpool's `<host>:<port> Linux <hostname>`; we keep the
/// host part, which is our node name.
pub fn parse_watchdog_leader(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        if key != "Leader Node Name" && key != "Master Node Name" {
            return None;
        }
        let value = value.trim();
        let host = value.split([':', ' ']).next()?.trim();
        (!host.is_empty() && host != "Not_Set").then(|| host.to_string())
    })
}

/// One node as `hachaos status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NodeStatus {
    /// Node name (`node1`).
    pub name: NodeName,
    /// Its fixed address.
    pub address: String,
    /// What the server itself says (`down` when its container is not running).
    pub role: ServerRole,
    /// pgpool's status of this backend (`up`, `down`, ...), as seen through the VIP.
    pub backend_status: Option<String>,
    /// The container's state (`running`, `exited`, `paused`).
    pub container_state: String,
}

/// The VIP and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VipStatus {
    /// The delegate IP.
    pub address: String,
    /// The single holder, if exactly one node holds it.
    pub holder: Option<NodeName>,
    /// Every node holding it (two means split brain).
    pub holders: Vec<NodeName>,
}

/// A snapshot of the whole cluster from live queries.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClusterStatus {
    /// The run id.
    pub run: String,
    /// Each node.
    pub nodes: Vec<NodeStatus>,
    /// The VIP.
    pub vip: VipStatus,
    /// The watchdog leader, if any node reports one.
    pub watchdog_leader: Option<NodeName>,
    /// Bytes the standby's replay lags behind the primary, if replication is up.
    pub replication_lag_bytes: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vip_is_found_on_any_interface_name() {
        let out = "1: lo    inet 127.0.0.1/8 scope host lo\n\
                   52: eth1    inet 10.77.3.11/24 brd 10.77.3.255 scope global eth1\n\
                   52: eth1    inet 10.77.3.100/24 scope global secondary eth1:0\n";
        assert!(parse_has_address(out, "10.77.3.100".parse().unwrap()));
        assert!(!parse_has_address(out, "10.77.3.10".parse().unwrap()));
    }

    #[test]
    fn the_watchdog_leader_is_read_from_verbose_pcp_output() {
        let out = "Watchdog Cluster Information \nTotal Nodes              : 2\n\
                   Remote Nodes             : 1\nQuorum state             : QUORUM EXIST\n\
                   Leader Node Name         : node2:9999 Linux node2\n\
                   Leader Host Name         : node2\n";
        assert_eq!(parse_watchdog_leader(out).as_deref(), Some("node2"));
        let none = "Leader Node Name         : Not_Set\n";
        assert_eq!(parse_watchdog_leader(none), None);
        let old = "Master Node Name         : node1:9999 Linux node1\n";
        assert_eq!(parse_watchdog_leader(old).as_deref(), Some("node1"));
    }
}
