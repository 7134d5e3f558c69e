//! `host-crash` / `host-start`: SIGKILL of the whole container. The kernel still closes every
//! socket, so peers see FIN/RST at once; nothing is flushed or announced.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host;
use super::kind::FaultKind;

/// `docker kill -s KILL`.
#[derive(Debug, Clone, Default)]
pub struct HostCrash;

pub(crate) struct Start {
    pub container: String,
}

#[async_trait::async_trait]
impl Undo for Start {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        host::start(&ctx.docker, &self.container).await
    }
}

#[async_trait::async_trait]
impl Fault for HostCrash {
    fn kind(&self) -> FaultKind {
        FaultKind::HostCrash
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let container = ctx.target.container.clone();
        let injected = Injected::new(
            self.kind(),
            ctx,
            Box::new(Start {
                container: container.clone(),
            }),
        );
        // On error the container was not killed: drop the handle quietly by healing nothing.
        match host::kill(&ctx.docker, &container).await {
            Ok(()) => Ok(injected),
            Err(e) => Err(super::fault::forget(injected, e)),
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::verify_state(ctx, self.kind(), "exited").await
    }
}
