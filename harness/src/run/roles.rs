//! Who plays which role right now, from live probes: each server's own `pg_is_in_recovery()`,
//! pgpool's view through the VIP (to break a tie between two primaries), the VIP holders and the
//! watchdog leader.

use crate::cluster::{probe, Cluster};
use crate::scenario::{NodeRole, RoleSnapshot};
use std::collections::BTreeMap;

/// One round of role probes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// What each server says about itself (`Down` when it does not answer).
    pub node_roles: BTreeMap<String, NodeRole>,
    /// Nodes holding the VIP.
    pub vip_holders: Vec<String>,
    /// The watchdog leader, if any node reports one.
    pub leader: Option<String>,
    /// pgpool's primary through the VIP, if the VIP answers.
    pub pgpool_primary: Option<String>,
}

impl Observed {
    /// The role snapshot targets resolve against.
    pub fn snapshot(&self) -> RoleSnapshot {
        let primaries: Vec<&String> = self
            .node_roles
            .iter()
            .filter(|(_, r)| **r == NodeRole::Primary)
            .map(|(n, _)| n)
            .collect();
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
            .find(|(_, r)| **r == NodeRole::Standby)
            .map(|(n, _)| n.clone())
            .or_else(|| {
                // A standby that is down is still "the standby" for targeting purposes.
                let p = primary.as_ref()?;
                self.node_roles.keys().find(|n| *n != p).cloned()
            });
        RoleSnapshot {
            primary,
            standby,
            vip_holder: (self.vip_holders.len() == 1).then(|| self.vip_holders[0].clone()),
            watchdog_leader: self.leader.clone(),
        }
    }
}

/// Probes every node once, all nodes and the VIP at the same time: a dead node costs one
/// connect timeout per round, not one per probe.
pub async fn observe(cluster: &Cluster) -> Observed {
    let pw = &cluster.secrets().db_password;
    let vip = cluster.topology().vip;
    let release = cluster.release();
    let per_node = cluster.nodes().iter().map(|n| async move {
        let (role, holds, leader) = tokio::join!(
            probe::server_role(n.address, release.ports.database, pw, &release.role_query),
            probe::holds_vip(cluster.docker(), &n.container, vip),
            probe::watchdog_leader(cluster.docker(), &n.container),
        );
        let role = match role.as_deref() {
            Ok("primary") => NodeRole::Primary,
            Ok("standby") => NodeRole::Standby,
            _ => NodeRole::Down,
        };
        (
            n.name.clone(),
            role,
            holds == Ok(true),
            leader.ok().flatten(),
        )
    });
    let (nodes, pool) = tokio::join!(
        futures_util::future::join_all(per_node),
        probe::pool_nodes(vip, release.ports.pool, pw)
    );
    let mut out = Observed::default();
    for (name, role, holds, leader) in nodes {
        out.node_roles.insert(name.clone(), role);
        if holds {
            out.vip_holders.push(name);
        }
        if out.leader.is_none() {
            out.leader = leader;
        }
    }
    if let Ok(rows) = pool {
        out.pgpool_primary = rows
            .iter()
            .find(|r| r.role == "primary" && r.status == "up")
            .map(|r| r.hostname.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(roles: &[(&str, NodeRole)], pgpool: Option<&str>) -> Observed {
        Observed {
            node_roles: roles.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
            vip_holders: vec!["node1".into()],
            leader: Some("node1".into()),
            pgpool_primary: pgpool.map(String::from),
        }
    }

    #[test]
    fn a_healthy_pair_resolves_primary_and_standby() {
        let s = observed(
            &[("node1", NodeRole::Primary), ("node2", NodeRole::Standby)],
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
            &[("node1", NodeRole::Primary), ("node2", NodeRole::Primary)],
            Some("node2"),
        )
        .snapshot();
        assert_eq!(s.primary.as_deref(), Some("node2"));
        assert_eq!(s.standby.as_deref(), Some("node1"));
    }

    #[test]
    fn a_down_standby_is_still_the_standby() {
        let s = observed(
            &[("node1", NodeRole::Primary), ("node2", NodeRole::Down)],
            None,
        )
        .snapshot();
        assert_eq!(s.standby.as_deref(), Some("node2"));
    }
}
