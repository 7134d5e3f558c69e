//! `pgpool-crash` / `pgpool-start`: SIGKILL of every pgpool process of the node (the parent, its
//! children, the watchdog, the heartbeat sender and receiver, the health checks, pcp), while
//! PostgreSQL runs on. The kernel closes pgpool's sockets, so the peer's watchdog sees its TCP
//! connections close at once; no `if_down_cmd` runs, so a leader's VIP **stays on its interface**.
//! Nothing in PostgreSQL changes: no database failover is due, only the watchdog's.
//!
//! The processes are the host processes named `pgpool` in the node's PID namespace. Each round
//! stops them all (parents first, so none forks a replacement), then kills them, and looks
//! again, until none is left. `verify` waits until no live pgpool process remains and port 9999
//! refuses connections.
//!
//! The heal starts pgpool as the entrypoint does (`hachaos-start pgpool`: `pgpool -n -D`, the
//! watchdog leader's view of the backends is the truth); it joins the watchdog cluster again.
//! With `keep_status: true` the heal leaves `-D` out (`hachaos-start pgpool --keep-status`), so
//! pgpool reads the backend status it saved in `pgpool_status`, as a pgpool started by its
//! service unit does: a backend it had detached starts down. That is how pgpool-II's
//! "health check never started for a backend that was down at start" bug (fixed in 4.6.6 / 4.7.1)
//! is reached (faults/known-bugs/down-backend-never-health-checked.yaml).

use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host::Probe;
use super::procs::{self, Answer, StartService};
use super::FaultKind;
use crate::damage::Damage;

/// SIGKILL of every pgpool process.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgpoolCrash {
    /// The heal starts pgpool without `-D`, so it reads the backend status it saved
    /// (`keep_status: true`; default false: `-D`, the status is discarded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_status: bool,
}

impl Catalogued for PgpoolCrash {
    const ROW: Row = Row {
        name: "pgpool-crash",
        heal: "pgpool-start",
        mechanism: "kill -STOP then kill -KILL of every process named pgpool in the node's PID \
                    namespace (parent, children, watchdog, heartbeat, health check, pcp), until \
                    none is left; postgres runs on; no if_down_cmd runs, so a leader's VIP stays \
                    on its interface",
        heal_mechanism: "hachaos-start pgpool in the node: pgpool -n -D as the entrypoint starts \
                         it; it joins the watchdog cluster again. With keep_status: true, without \
                         -D (hachaos-start pgpool --keep-status): pgpool reads the backend status \
                         it saved in pgpool_status, so a backend it had detached starts down",
        peer_sees: PeerSees::FinRst,
        postgres_survives: true,
        // The killed leader's VIP stays on its interface while the survivor brings it up
        // (faults/primary-pgpool-crash.yaml).
        may_cause: &[Damage::SplitBrain],
        needs_running: &[Service::Pgpool],
        stops: &[Service::Pgpool],
        ..Row::BASE
    };
}

/// Rounds of stop-and-kill before giving up on a pgpool that keeps forking.
const ROUNDS: usize = 5;

/// How long killed processes get to finish dying before the namespace is searched again.
const DYING: std::time::Duration = std::time::Duration::from_secs(3);

#[async_trait::async_trait]
impl Fault for PgpoolCrash {
    fn kind(&self) -> FaultKind {
        FaultKind::PgpoolCrash
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        procs::pgpool_procs(ctx, self.kind()).await?;
        procs::require_start_script(ctx, self.kind()).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let mut victims = procs::pgpool_procs(ctx, self.kind()).await?;
        let injected = Injected::new(
            self.kind(),
            ctx,
            Box::new(StartService {
                service: "pgpool",
                flags: if self.keep_status {
                    &["--keep-status"]
                } else {
                    &[]
                },
                container: ctx.target.container.clone(),
            }),
        );
        for _ in 0..ROUNDS {
            let round = async {
                procs::send(ctx, &victims, libc::SIGSTOP).await?;
                procs::send(ctx, &victims, libc::SIGKILL).await
            }
            .await;
            if let Err(e) = round {
                // Some may be dead already: the heal starts pgpool again either way.
                if let Err(h) = injected.heal(ctx).await {
                    tracing::error!(error = %h, "restarting a half-killed pgpool failed");
                }
                return Err(e);
            }
            // A killed process stays listed until the kernel has run its exit, which on a
            // loaded machine takes a moment: only what outlives that is a new (forked) victim.
            procs::wait_gone(&victims, DYING).await;
            match procs::pgpool_procs(ctx, self.kind()).await {
                Ok(left) => victims = left,
                // None left (or the node went away): verify says which.
                Err(_) => return Ok(injected),
            }
        }
        // A pgpool that outlives every round: let the stopped ones run again and start pgpool
        // where it is missing, so nothing stays half-killed.
        let left = victims.len();
        let _ = procs::send(ctx, &victims, libc::SIGCONT).await;
        if let Err(h) = injected.heal(ctx).await {
            tracing::error!(error = %h, "restarting a half-killed pgpool failed");
        }
        Err(FaultError::NotEffective {
            kind: self.kind(),
            node: ctx.target.name.clone(),
            reason: format!("{left} pgpool process(es) still alive after {ROUNDS} rounds of kill"),
        })
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let init = procs::init_pid(ctx, self.kind()).await?;
        procs::verify(ctx, self.kind(), ctx.pool_port, Answer::Refused, || async move {
            let left = procs::named(&procs::list(init).await?, "pgpool");
            Ok(match left.first() {
                Some(p) => Probe::NotYet(format!(
                    "{} pgpool process(es) alive, e.g. pid {}",
                    left.len(),
                    p.pid
                )),
                None => Probe::Taken,
            })
        })
        .await
    }
}
