//! `host-crash` / `host-start`: SIGKILL of the whole container. The kernel still closes every
//! socket, so peers see FIN/RST at once; nothing is flushed or announced.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host;
use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::FaultKind;

/// `docker kill -s KILL`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostCrash {}

impl Catalogued for HostCrash {
    const ROW: Row = Row {
        name: "host-crash",
        heal: "host-start",
        mechanism: "docker kill -s KILL: every process dies at once, nothing is flushed or \
                    announced; the kernel still closes the sockets",
        heal_mechanism: "docker start (crash recovery of postgres from WAL); done once the node has booted (its entrypoint started pgpool)",
        peer_sees: PeerSees::FinRst,
        heal_restarts: true,
        stops: Service::ALL,
        ..Row::BASE
    };
}

pub(crate) struct Start {
    pub container: String,
}

#[async_trait::async_trait]
impl Undo for Start {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        host::start(&ctx.docker, &self.container).await?;
        host::await_boot(ctx, &self.container, "docker start").await
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
