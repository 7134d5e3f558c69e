//! The state one run's steps share: the cluster, the observers, the open faults, and what the
//! first fault anchored.

use super::error::{LostCheckError, StepError};
use crate::cluster::roles::RoleObservation;
use crate::cluster::Cluster;
use crate::faults::{FaultContext, Injected};
use crate::grammar::{Grammar, GrammarDef};
use crate::observe::{Ledger, LogLine, LogTailer, LostWrites, WriteProbe};
use crate::timeline::{Event, WallTime};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;
use tokio::sync::watch;

/// The first fault of the run: what every measurement is counted from.
pub(super) struct FaultAnchor {
    /// When it was injected (host clock, UTC).
    pub(super) at: WallTime,
    /// The same, in ms since the run started.
    pub(super) offset_ms: u64,
    /// The node it hit.
    pub(super) target: String,
    /// Whether that node was the primary (a failover is expected).
    pub(super) was_primary: bool,
    /// Who held the VIP when it hit.
    pub(super) vip_holder_before: Option<String>,
    /// Which fault it was.
    pub(super) kind: crate::faults::FaultKind,
    /// Seconds from injection until the fault really took effect: a graceful stop takes as long
    /// as pgpool and PostgreSQL need to shut down, and nothing can detect it before that.
    pub(super) effect_s: f64,
}

/// State shared by the steps of one run.
pub(super) struct Live {
    pub(super) cluster: Cluster,
    pub(super) epoch: Instant,
    pub(super) grammar: Grammar,
    /// The grammar's profile (its name picks the default expectations).
    pub(super) profile: GrammarDef,
    pub(super) tailer: LogTailer,
    /// Events read live (for expectations) — the final timeline is rebuilt from the copied logs.
    pub(super) harness_events: Vec<Event>,
    pub(super) probe: Option<WriteProbe>,
    pub(super) ledger: Ledger,
    /// (server address, timeline) of the primary's last write before the first fault.
    pub(super) old_primary: Option<(String, i32)>,
    pub(super) fault_anchor: Option<FaultAnchor>,
    pub(super) recover_time: Option<WallTime>,
    pub(super) injected: BTreeMap<usize, (Injected, FaultContext)>,
    /// The `recover` running in the background, if any (at most one: the validator says so).
    pub(super) background: Option<super::background::Background>,
    pub(super) cancel: watch::Receiver<bool>,
}

impl Live {
    pub(super) fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub(super) fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    pub(super) fn node(&self, name: &str) -> Option<&crate::cluster::NodeHandle> {
        self.cluster.nodes().iter().find(|n| n.name == name)
    }

    /// New log lines through the grammar.
    pub(super) async fn poll_events(&mut self) -> Vec<Event> {
        let lines = self.tailer.poll().await;
        live_events(&self.grammar, &lines)
    }

    pub(super) fn fault_context(
        &self,
        target: &str,
        peer: Option<&str>,
    ) -> Result<FaultContext, StepError> {
        let node = self
            .node(target)
            .ok_or_else(|| StepError::UnknownNode(target.to_string()))?
            .clone();
        let mut ctx = FaultContext::new(
            self.cluster.docker().clone(),
            self.cluster.network(),
            node,
            IpAddr::V4(self.cluster.topology().gateway),
        )
        .with_run_started(self.epoch)
        .with_ports(
            self.cluster.release().ports.database,
            self.cluster.release().ports.pool,
        )
        .with_boot_logs(self.cluster.release().logs.dir.clone());
        let peer_name = peer.map(str::to_string).or_else(|| {
            self.cluster
                .nodes()
                .iter()
                .find(|n| n.name != target)
                .map(|n| n.name.clone())
        });
        if let Some(p) = peer_name.and_then(|p| self.node(&p).cloned()) {
            ctx = ctx.with_peer(p);
        }
        Ok(ctx)
    }
}

/// Feeds tailed lines through the grammar, one chunk per (node, file).
pub(super) fn live_events(grammar: &Grammar, lines: &[LogLine]) -> Vec<Event> {
    let mut chunks: Vec<((String, String), Vec<u8>)> = Vec::new();
    for l in lines {
        let key = (l.node.clone(), l.file.clone());
        let idx = match chunks.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                chunks.push((key, Vec::new()));
                chunks.len() - 1
            }
        };
        chunks[idx].1.extend_from_slice(l.text.as_bytes());
        chunks[idx].1.push(b'\n');
    }
    chunks
        .into_iter()
        .flat_map(|((node, file), bytes)| grammar.scan_bytes(&bytes, &node, &file).events)
        .collect()
}

/// Compares the ledger with the current primary's table.
pub(super) async fn check_lost(
    live: &Live,
    observed: &RoleObservation,
) -> Result<LostWrites, LostCheckError> {
    let primary = observed
        .snapshot()
        .primary
        .ok_or(LostCheckError::NoPrimary)?;
    let node = live
        .node(&primary)
        .ok_or_else(|| LostCheckError::NotANode(primary.clone()))?;
    Ok(WriteProbe::lost_writes(
        &live.ledger,
        node.address,
        live.cluster.release().ports.database,
        &live.cluster.secrets().db_password,
    )
    .await?)
}
