//! `host-hang` / `host-resume`: `docker pause` freezes every process (cgroup freezer). Sockets
//! stay open and the kernel still answers TCP, but no application does.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host;
use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::FaultKind;

/// `docker pause`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostHang {}

impl Catalogued for HostHang {
    const ROW: Row = Row {
        name: "host-hang",
        heal: "host-resume",
        mechanism: "docker pause (cgroup freezer): processes frozen, sockets stay open, the \
                    kernel still ACKs TCP but no application answers",
        heal_mechanism: "docker unpause",
        peer_sees: PeerSees::Answers,
        stops: Service::ALL,
        ..Row::BASE
    };
}

struct Resume {
    container: String,
}

#[async_trait::async_trait]
impl Undo for Resume {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        ctx.docker
            .unpause_container(&self.container)
            .await
            .map_err(|source| FaultError::Docker {
                call: "unpause",
                container: self.container.clone(),
                source,
            })
    }
}

#[async_trait::async_trait]
impl Fault for HostHang {
    fn kind(&self) -> FaultKind {
        FaultKind::HostHang
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let container = ctx.target.container.clone();
        ctx.docker
            .pause_container(&container)
            .await
            .map_err(|source| FaultError::Docker {
                call: "pause",
                container: container.clone(),
                source,
            })?;
        Ok(Injected::new(
            self.kind(),
            ctx,
            Box::new(Resume { container }),
        ))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::verify_state(ctx, self.kind(), "paused").await
    }
}
