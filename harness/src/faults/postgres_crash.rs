//! `postgres-crash` / `postgres-start`: SIGKILL of the postmaster only, the way the OOM killer
//! takes a database down while the rest of the host runs on. The node's pgpool and its watchdog
//! stay up: the watchdog keeps its leader and the VIP stays where it is; only pgpool's health
//! check sees the backend go (its port refuses at once, so every retry fails fast), and the
//! failover is pgpool's health-check path alone.
//!
//! The postmaster is found from the host: `postmaster.pid` in PGDATA, read through the node's
//! root (`/proc/<init>/root`), names its PID in the node's namespace, matched to a host PID by
//! `NSpid`. Its children notice their parent's death and exit on their own (measured: all gone
//! within 0.3 s); the kernel closes the listening socket with the postmaster. `verify` waits
//! until the postmaster is gone and port 5432 refuses connections.
//!
//! The heal starts postgres again as the entrypoint does at boot (`hachaos-start postgres`): after
//! the old processes are gone, a standby (or a primary whose peer is not primary) starts as it
//! is (crash recovery from WAL); a former primary whose peer was promoted meanwhile stays
//! **fenced** (down) until `recover` rewinds it, as after `host-start`, instead of coming back
//! as a second writable primary.

use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{forget, Fault, Injected};
use super::host::Probe;
use super::procs::{self, Answer, StartService};
use super::FaultKind;

/// SIGKILL of the postmaster.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresCrash {}

impl Catalogued for PostgresCrash {
    const ROW: Row = Row {
        name: "postgres-crash",
        heal: "postgres-start",
        mechanism: "kill -KILL of the postmaster only (host PID found from postmaster.pid via \
                    /proc/<init>/root and NSpid); its children exit on their own, the port \
                    refuses at once; pgpool, its watchdog and the VIP stay up on the node",
        heal_mechanism: "hachaos-start postgres in the node: waits until the old processes are \
                         gone, then pg_ctl start as at boot (crash recovery); a former primary \
                         whose peer is primary now stays fenced until recover",
        peer_sees: PeerSees::FinRst,
        pgpool_survives: true,
        needs_running: &[Service::Postgres],
        stops: &[Service::Postgres],
        ..Row::BASE
    };
}

#[async_trait::async_trait]
impl Fault for PostgresCrash {
    fn kind(&self) -> FaultKind {
        FaultKind::PostgresCrash
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        procs::postgres_tree(ctx, self.kind()).await?;
        procs::require_start_script(ctx, self.kind()).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let tree = procs::postgres_tree(ctx, self.kind()).await?;
        let injected = Injected::new(
            self.kind(),
            ctx,
            Box::new(StartService {
                service: "postgres",
                flags: &[],
                container: ctx.target.container.clone(),
            }),
        );
        match procs::send(ctx, &tree[..1], libc::SIGKILL).await {
            Ok(1) => Ok(injected),
            Ok(_) => Err(forget(
                injected,
                FaultError::NotEffective {
                    kind: self.kind(),
                    node: ctx.target.name.clone(),
                    reason: "the postmaster exited before it could be killed".into(),
                },
            )),
            Err(e) => Err(forget(injected, e)),
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let init = procs::init_pid(ctx, self.kind()).await?;
        let pgdata = ctx.pgdata.clone();
        procs::verify(ctx, self.kind(), ctx.db_port, Answer::Refused, || {
            let pgdata = pgdata.clone();
            async move {
                let Some(ns_pid) = procs::postmaster_ns_pid(init, &pgdata).await? else {
                    return Ok(Probe::Taken);
                };
                Ok(match procs::postmaster(&procs::list(init).await?, ns_pid) {
                    Some(p) => Probe::NotYet(format!("the postmaster (pid {}) still runs", p.pid)),
                    None => Probe::Taken,
                })
            }
        })
        .await
    }
}
