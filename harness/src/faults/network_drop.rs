//! `network-drop` / `network-restore`: link down. The container is disconnected from the cluster
//! network and later reconnected with the same address and aliases (the interface inside may
//! come back under a new name: nothing may hard-code `eth0`).

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host;
use super::catalogue::{Catalogued, PeerSees, Row};
use super::FaultKind;
use crate::damage::Damage;
use bollard::models::{
    EndpointIpamConfig, EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest,
};

/// `docker network disconnect`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkDrop {}

impl Catalogued for NetworkDrop {
    const ROW: Row = Row {
        name: "network-drop",
        heal: "network-restore",
        mechanism: "docker network disconnect: the interface disappears (link down); the node's \
                    own sockets fail, peers' packets get no answer",
        heal_mechanism: "docker network connect with the same address and aliases (the \
                         interface inside may get a new name)",
        peer_sees: PeerSees::Silence,
        // The isolated primary stays primary until `recover` rewinds it (faults/primary-*.yaml).
        may_cause: &[Damage::SplitBrain],
        only_on_primary: &[Damage::SplitBrain],
        ..Row::BASE
    };
}

struct Reconnect {
    container: String,
    network: String,
    ipv4: Option<String>,
    aliases: Vec<String>,
}

#[async_trait::async_trait]
impl Undo for Reconnect {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        let req = NetworkConnectRequest {
            container: self.container.clone(),
            endpoint_config: Some(EndpointSettings {
                ipam_config: Some(EndpointIpamConfig {
                    ipv4_address: self.ipv4.clone(),
                    ..Default::default()
                }),
                aliases: Some(self.aliases.clone()),
                ..Default::default()
            }),
        };
        ctx.docker
            .connect_network(&self.network, req)
            .await
            .map_err(|source| FaultError::Docker {
                call: "network connect",
                container: self.container.clone(),
                source,
            })
    }
}

/// Aliases to restore: Docker adds the short container id itself on connect.
pub(crate) fn aliases_to_restore(aliases: &[String], container_id: &str) -> Vec<String> {
    let short = &container_id[..container_id.len().min(12)];
    aliases
        .iter()
        .filter(|a| !short.is_empty() && a.as_str() != short && a.as_str() != container_id)
        .cloned()
        .collect()
}

#[async_trait::async_trait]
impl Fault for NetworkDrop {
    fn kind(&self) -> FaultKind {
        FaultKind::NetworkDrop
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let info = host::inspect(&ctx.docker, &ctx.target.container).await?;
        let attached = info
            .network_settings
            .and_then(|n| n.networks)
            .is_some_and(|n| n.contains_key(&ctx.network));
        if attached {
            Ok(())
        } else {
            Err(FaultError::Precheck {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("not attached to network `{}`", ctx.network),
            })
        }
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let t = &ctx.target;
        let info = host::inspect(&ctx.docker, &t.container).await?;
        let id = info.id.clone().unwrap_or_default();
        let endpoint = info
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(&ctx.network))
            .unwrap_or_default();
        let ipv4 = endpoint
            .ipam_config
            .and_then(|c| c.ipv4_address)
            .or(endpoint.ip_address.filter(|a| !a.is_empty()));
        let aliases = aliases_to_restore(&endpoint.aliases.unwrap_or_default(), &id);
        ctx.docker
            .disconnect_network(
                &ctx.network,
                NetworkDisconnectRequest {
                    container: t.container.clone(),
                    force: Some(true),
                },
            )
            .await
            .map_err(|source| FaultError::Docker {
                call: "network disconnect",
                container: t.container.clone(),
                source,
            })?;
        Ok(Injected::new(
            self.kind(),
            ctx,
            Box::new(Reconnect {
                container: t.container.clone(),
                network: ctx.network.clone(),
                ipv4,
                aliases,
            }),
        ))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let info = host::inspect(&ctx.docker, &ctx.target.container).await?;
        let still = info
            .network_settings
            .and_then(|n| n.networks)
            .is_some_and(|n| n.contains_key(&ctx.network));
        if still {
            return Err(FaultError::NotEffective {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("still attached to `{}`", ctx.network),
            });
        }
        if let Some(peer) = &ctx.peer {
            let addr = ctx.target.address.to_string();
            if host::can_ping(&ctx.docker, &peer.container, &addr)
                .await
                .unwrap_or(false)
            {
                return Err(FaultError::NotEffective {
                    kind: self.kind(),
                    node: ctx.target.name.clone(),
                    reason: format!("{} still answers ping from {}", addr, peer.name),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_container_id_alias_is_not_restored() {
        let id = "0123456789abcdef0123";
        let got = aliases_to_restore(&["node1".into(), "0123456789ab".into()], id);
        assert_eq!(got, vec!["node1".to_string()]);
    }
}
