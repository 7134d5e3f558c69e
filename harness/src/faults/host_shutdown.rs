//! `host-shutdown` / `host-start`: a graceful `docker stop`, like `shutdown -h now`.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host;
use super::host_crash::Start;
use super::kind::FaultKind;
use std::time::Duration;

/// SIGTERM to the entrypoint (which stops pgpool, announcing it to its peer, and postgres), then
/// SIGKILL after `grace`.
#[derive(Debug, Clone)]
pub struct HostShutdown {
    /// How long `docker stop` waits before SIGKILL.
    pub grace: Duration,
}

#[async_trait::async_trait]
impl Fault for HostShutdown {
    fn kind(&self) -> FaultKind {
        FaultKind::HostShutdown
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
        let stopped = ctx
            .docker
            .stop_container(
                &container,
                Some(bollard::query_parameters::StopContainerOptions {
                    signal: None,
                    t: Some(self.grace.as_secs().max(1) as i32),
                }),
            )
            .await;
        match stopped {
            Ok(()) => Ok(injected),
            Err(source) => Err(super::fault::forget(
                injected,
                FaultError::Docker {
                    call: "stop",
                    container,
                    source,
                },
            )),
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::verify_state(ctx, self.kind(), "exited").await
    }
}
