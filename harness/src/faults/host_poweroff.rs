//! `host-poweroff` / `host-start`: a silent death. Everything but loopback is dropped in the
//! node's network namespace first, then the container is SIGKILLed: the FIN/RST of the dying
//! sockets never leaves, so peers see only silence, as after a power cut.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host::{self, Chains};
use super::host_crash::Start;
use super::catalogue::{Catalogued, HostNeed, PeerSees, Row, Service};
use super::FaultKind;

/// DROP all, then `docker kill -s KILL`. The rules die with the namespace; `host-start` gets a
/// fresh one.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPoweroff {}

impl Catalogued for HostPoweroff {
    const ROW: Row = Row {
        name: "host-poweroff",
        heal: "host-start",
        mechanism: "nsenter -t <pid> -n iptables: DROP all input and output but loopback in the \
                    node's network namespace, then docker kill -s KILL; the FIN/RST of the dying \
                    sockets is dropped, so peers see what a power cut shows",
        heal_mechanism: "docker start (a fresh network namespace without the rules); done once the node has booted (its entrypoint started pgpool)",
        peer_sees: PeerSees::Silence,
        needs: &[HostNeed::NetnsIptables],
        heal_restarts: true,
        stops: Service::ALL,
        ..Row::BASE
    };
}

#[async_trait::async_trait]
impl Fault for HostPoweroff {
    fn kind(&self) -> FaultKind {
        FaultKind::HostPoweroff
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::require_running(ctx, self.kind(), None).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let chains = Chains::drop_all("hachaos-poweroff");
        chains.install(pid).await?;
        if let Err(e) = host::kill(&ctx.docker, &t.container).await {
            let _ = chains.remove(pid).await;
            return Err(e);
        }
        Ok(Injected::new(
            self.kind(),
            ctx,
            Box::new(Start {
                container: t.container.clone(),
            }),
        ))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::verify_state(ctx, self.kind(), "exited").await
    }
}
