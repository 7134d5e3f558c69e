//! `network-blackhole` / `network-unblackhole`: silent packet loss. iptables DROP of everything
//! but loopback in the node's network namespace; the interface stays up, so nothing inside the
//! node notices until a timeout.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host::{self, Chains};
use super::kind::FaultKind;

/// DROP all but loopback, via `nsenter -t <pid> -n iptables` from the host.
#[derive(Debug, Clone, Default)]
pub struct NetworkBlackhole;

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
