//! `host-shutdown` / `host-start`: a graceful `docker stop`, like `shutdown -h now`.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host;
use super::host_crash::Start;
use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::FaultKind;
use std::time::Duration;

/// The default grace period of `host-shutdown` (Docker's own default).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// SIGTERM to the entrypoint (which stops pgpool, announcing it to its peer, and postgres), then
/// SIGKILL after `grace`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostShutdown {
    /// How long `docker stop` waits before SIGKILL (`grace: 30s`; default [`DEFAULT_GRACE`]).
    #[serde(
        default = "default_grace",
        deserialize_with = "crate::duration::deserialize"
    )]
    pub grace: Duration,
}

fn default_grace() -> Duration {
    DEFAULT_GRACE
}

impl Default for HostShutdown {
    fn default() -> Self {
        HostShutdown {
            grace: DEFAULT_GRACE,
        }
    }
}

impl Catalogued for HostShutdown {
    const ROW: Row = Row {
        name: "host-shutdown",
        heal: "host-start",
        mechanism: "docker stop with a grace period: SIGTERM to the entrypoint, which stops \
                    pgpool (it tells its watchdog peer it is leaving) and postgres (fast \
                    shutdown); SIGKILL after the grace period",
        heal_mechanism: "docker start (same container, same PGDATA volume); done once the node has booted (its entrypoint started pgpool)",
        peer_sees: PeerSees::FinRst,
        announced: true,
        heal_restarts: true,
        stops: Service::ALL,
        ..Row::BASE
    };
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
