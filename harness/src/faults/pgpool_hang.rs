//! `pgpool-hang` / `pgpool-resume`: SIGSTOP of every pgpool process of the node (parent,
//! children, watchdog, heartbeat, health checks, pcp), while PostgreSQL runs on. Sockets stay
//! open and the kernel still accepts connections on 9999 and the watchdog port, but nothing
//! answers and no heartbeat leaves: the peer's watchdog learns it only from the heartbeat
//! deadtime. A leader keeps the VIP on its interface while frozen.
//!
//! The processes are the host processes named `pgpool` in the node's PID namespace; the parent
//! is stopped first (it forks no replacements), and the namespace is searched again until every
//! pgpool process is stopped. `verify` waits until all are in state `T` (`/proc/<pid>/stat`) and
//! a client's `SSLRequest` to port 9999 is accepted but gets no answer. The heal sends SIGCONT to
//! the same processes (by PID and start time), children first: the frozen pgpool wakes with its
//! old view of the cluster and the watchdogs settle who leads.

use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected};
use super::host::Probe;
use super::procs::{self, Answer, Resume};
use super::FaultKind;
use crate::damage::Damage;

/// SIGSTOP of every pgpool process.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgpoolHang {}

impl Catalogued for PgpoolHang {
    const ROW: Row = Row {
        name: "pgpool-hang",
        heal: "pgpool-resume",
        mechanism: "kill -STOP of every process named pgpool in the node's PID namespace, parent \
                    first: sockets stay open, the kernel accepts connections on 9999, nothing \
                    answers and no heartbeat leaves; postgres runs on; a leader keeps the VIP",
        heal_mechanism: "kill -CONT of the same processes (PID and start time), children first",
        peer_sees: PeerSees::Answers,
        postgres_survives: true,
        // The frozen leader keeps the VIP while the survivor brings it up
        // (faults/primary-pgpool-hang.yaml).
        may_cause: &[Damage::SplitBrain],
        needs_running: &[Service::Pgpool],
        stops: &[Service::Pgpool],
        ..Row::BASE
    };
}

/// Searches of the namespace for pgpool processes forked while the others were being stopped.
const ROUNDS: usize = 5;

#[async_trait::async_trait]
impl Fault for PgpoolHang {
    fn kind(&self) -> FaultKind {
        FaultKind::PgpoolHang
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let all = procs::pgpool_procs(ctx, self.kind()).await?;
        match all.iter().find(|p| p.stopped()) {
            Some(p) => Err(FaultError::Precheck {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("pgpool is already stopped (pid {} is in state T)", p.pid),
            }),
            None => Ok(()),
        }
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let mut todo = procs::pgpool_procs(ctx, self.kind()).await?;
        let resume = Resume::default();
        let injected = Injected::new(self.kind(), ctx, Box::new(resume.clone()));
        for _ in 0..ROUNDS {
            resume.add(&todo);
            if let Err(e) = procs::send(ctx, &todo, libc::SIGSTOP).await {
                if let Err(h) = injected.heal(ctx).await {
                    tracing::error!(error = %h, "resuming a half-stopped pgpool failed");
                }
                return Err(e);
            }
            todo = match procs::pgpool_procs(ctx, self.kind()).await {
                Ok(all) => all.into_iter().filter(|p| !p.stopped()).collect(),
                Err(_) => Vec::new(),
            };
            if todo.is_empty() {
                return Ok(injected);
            }
        }
        let left = todo.len();
        if let Err(h) = injected.heal(ctx).await {
            tracing::error!(error = %h, "resuming a half-stopped pgpool failed");
        }
        Err(FaultError::NotEffective {
            kind: self.kind(),
            node: ctx.target.name.clone(),
            reason: format!("{left} pgpool process(es) still running after {ROUNDS} rounds of stop"),
        })
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let init = procs::init_pid(ctx, self.kind()).await?;
        procs::verify(ctx, self.kind(), ctx.pool_port, Answer::Silent, || async move {
            let all = procs::named(&procs::list(init).await?, "pgpool");
            if all.is_empty() {
                return Ok(Probe::NotYet("no pgpool process".into()));
            }
            Ok(match all.iter().find(|p| !p.stopped()) {
                Some(p) => Probe::NotYet(format!("pid {} (pgpool) is in state {}", p.pid, p.state)),
                None => Probe::Taken,
            })
        })
        .await
    }
}
