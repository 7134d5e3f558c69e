//! `network-blackhole` / `network-unblackhole`: silent packet loss. iptables DROP of everything
//! but loopback in the node's network namespace; the interface stays up, so nothing inside the
//! node notices until a timeout.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host::{self, Chains};
use super::catalogue::{Catalogued, HostNeed, PeerSees, Row};
use super::FaultKind;
use crate::damage::Damage;

/// DROP all but loopback, via `nsenter -t <pid> -n iptables` from the host.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkBlackhole {}

impl Catalogued for NetworkBlackhole {
    const ROW: Row = Row {
        name: "network-blackhole",
        heal: "network-unblackhole",
        mechanism: "nsenter -t <pid> -n iptables: DROP all input and output but loopback in the \
                    node's network namespace; the interface stays up",
        heal_mechanism: "delete the hachaos chain from INPUT and OUTPUT",
        peer_sees: PeerSees::Silence,
        needs: &[HostNeed::NetnsIptables],
        // The isolated primary stays primary until `recover` rewinds it (faults/primary-*.yaml).
        may_cause: &[Damage::SplitBrain],
        only_on_primary: &[Damage::SplitBrain],
        ..Row::BASE
    };
}

const PREFIX: &str = "hachaos-blackhole";

struct RemoveRules {
    pid: i64,
}

#[async_trait::async_trait]
impl Undo for RemoveRules {
    async fn undo(self: Box<Self>, _ctx: &FaultContext) -> Result<(), FaultError> {
        Chains::drop_all(PREFIX).remove(self.pid).await
    }
}

#[async_trait::async_trait]
impl Fault for NetworkBlackhole {
    fn kind(&self) -> FaultKind {
        FaultKind::NetworkBlackhole
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::require_running(ctx, self.kind(), None).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        Chains::drop_all(PREFIX).install(pid).await?;
        Ok(Injected::new(
            self.kind(),
            ctx,
            Box::new(RemoveRules { pid }),
        ))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let gw = ctx.gateway.to_string();
        if host::can_ping(&ctx.docker, &ctx.target.container, &gw).await? {
            return Err(FaultError::NotEffective {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("the gateway {gw} still answers ping"),
            });
        }
        Ok(())
    }
}
