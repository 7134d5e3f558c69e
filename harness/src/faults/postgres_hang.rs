//! `postgres-hang` / `postgres-resume`: SIGSTOP of the postmaster and every process below it (a
//! process frozen by a stuck disk or a debugger, not a dead one). Sockets stay open and the
//! kernel still completes TCP handshakes on port 5432, but nothing answers: established sessions
//! and new connections wait. pgpool, its watchdog and the VIP are untouched.
//!
//! The postmaster is found as for `postgres-crash`; it is stopped first (so it forks nothing
//! while its children are being stopped), then its children, found again after it stopped.
//! `verify` waits until every one of them is in state `T` (`/proc/<pid>/stat`) and a client's
//! `SSLRequest` to port 5432 is accepted but gets no answer. The heal sends SIGCONT to the same
//! processes (by PID and start time, so a reused PID is never signalled), children first.

use super::catalogue::{Catalogued, PeerSees, Row, Service};
use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{forget, Fault, Injected};
use super::host::Probe;
use super::procs::{self, Answer, Resume};
use super::FaultKind;
use crate::damage::Damage;

/// SIGSTOP of postgres (postmaster and children).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresHang {}

impl Catalogued for PostgresHang {
    const ROW: Row = Row {
        name: "postgres-hang",
        heal: "postgres-resume",
        mechanism: "kill -STOP of the postmaster, then of every process below it: sockets stay \
                    open, the kernel still accepts connections on 5432, nothing answers; pgpool, \
                    its watchdog and the VIP stay up",
        heal_mechanism: "kill -CONT of the same processes (PID and start time), children first",
        peer_sees: PeerSees::Answers,
        pgpool_survives: true,
        // Where pgpool fails the frozen primary over (4.3), it is writable again on resume next
        // to the new primary (faults/primary-postgres-hang.yaml).
        may_cause: &[Damage::SplitBrain],
        needs_running: &[Service::Postgres],
        stops: &[Service::Postgres],
        ..Row::BASE
    };
}

#[async_trait::async_trait]
impl Fault for PostgresHang {
    fn kind(&self) -> FaultKind {
        FaultKind::PostgresHang
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let tree = procs::postgres_tree(ctx, self.kind()).await?;
        match tree.iter().find(|p| p.stopped()) {
            Some(p) => Err(FaultError::Precheck {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("postgres is already stopped (pid {} is in state T)", p.pid),
            }),
            None => Ok(()),
        }
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let first = procs::postgres_tree(ctx, self.kind()).await?;
        let resume = Resume::default();
        let injected = Injected::new(self.kind(), ctx, Box::new(resume.clone()));
        resume.add(&first[..1]);
        if let Err(e) = procs::send(ctx, &first[..1], libc::SIGSTOP).await {
            return Err(forget(injected, e));
        }
        // The postmaster forks no more: its children now are all there will be.
        let stopped = async {
            let tree = procs::postgres_tree(ctx, self.kind()).await?;
            let children = &tree[1..];
            resume.add(children);
            procs::send(ctx, children, libc::SIGSTOP).await
        }
        .await;
        match stopped {
            Ok(_) => Ok(injected),
            Err(e) => {
                // Resume what was stopped before reporting.
                if let Err(h) = injected.heal(ctx).await {
                    tracing::error!(error = %h, "resuming a half-stopped postgres failed");
                }
                Err(e)
            }
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let init = procs::init_pid(ctx, self.kind()).await?;
        let pgdata = ctx.pgdata.clone();
        procs::verify(ctx, self.kind(), ctx.db_port, Answer::Silent, || {
            let pgdata = pgdata.clone();
            async move {
                let Some(ns_pid) = procs::postmaster_ns_pid(init, &pgdata).await? else {
                    return Ok(Probe::NotYet("postmaster.pid is gone".into()));
                };
                let all = procs::list(init).await?;
                let Some(pm) = procs::postmaster(&all, ns_pid) else {
                    return Ok(Probe::NotYet("the postmaster is gone".into()));
                };
                Ok(
                    match procs::tree(&all, pm.pid).iter().find(|p| p.alive() && !p.stopped()) {
                        Some(p) => Probe::NotYet(format!(
                            "pid {} ({}) is in state {}",
                            p.pid, p.comm, p.state
                        )),
                        None => Probe::Taken,
                    },
                )
            }
        })
        .await
    }
}
