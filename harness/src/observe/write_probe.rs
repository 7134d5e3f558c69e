//! The write probe: a bounded insert loop through the VIP whose acknowledged writes form a ledger.
//!
//! Every row carries the server's `clock_timestamp()`, the server's address (which backend pgpool
//! routed it to) and the WAL timeline it was written on, so promotion time and lost writes are
//! computed from server-side facts across the timeline switch (as CloudNativePG's fast-failover
//! test does), not from client stopwatches.

use crate::cluster::probe::connect_within;
use crate::cluster::probe_connect;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The table the probe writes into.
pub const LEDGER_TABLE: &str = "hachaos_ledger";

/// One acknowledged write.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Ack {
    /// The probe's sequence number (the row's primary key).
    pub seq: i64,
    /// Milliseconds since the run started when the insert was sent.
    pub sent_ms: u64,
    /// Milliseconds since the run started when the acknowledgement arrived.
    pub acked_ms: u64,
    /// The server's `clock_timestamp()` as text.
    pub server_time: String,
    /// The backend that executed it (`inet_server_addr()`).
    pub server_addr: String,
    /// The WAL timeline it was written on.
    pub timeline: i32,
    /// The server's WAL insert position right after the write (`pg_current_wal_insert_lsn()`,
    /// as a byte position), so the two sides of a split can be compared. Absent in ledgers
    /// recorded before it was measured.
    #[serde(default)]
    pub lsn: Option<u64>,
}

/// A write that was not acknowledged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct WriteFailure {
    /// The sequence number attempted.
    pub seq: i64,
    /// Milliseconds since the run started when it was sent.
    pub sent_ms: u64,
    /// Why (connect error, query error, timeout).
    pub error: String,
}

/// Everything the probe saw.
#[derive(
    Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Ledger {
    /// Acknowledged writes through the VIP, in send order.
    pub acks: Vec<Ack>,
    /// Failed attempts through the VIP, in send order.
    pub failures: Vec<WriteFailure>,
    /// The session pinned directly to the node that was primary when the first fault fired
    /// (opened before it), if one was opened: how long the old primary kept acknowledging.
    /// Absent in ledgers recorded before the pinned session existed.
    #[serde(default)]
    pub pinned: Option<PinnedSession>,
}

/// What the session pinned to one node saw. It is the one session a client opened before the
/// fault: it is never reopened, so a node that restarts later is not counted as still
/// acknowledging on it.
#[derive(
    Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct PinnedSession {
    /// The node it is connected to (directly, not through pgpool).
    pub node: String,
    /// Milliseconds since the run started when it was opened.
    pub opened_ms: u64,
    /// Its acknowledged writes (sequence numbers from [`PINNED_SEQ_BASE`]), in send order.
    pub acks: Vec<Ack>,
    /// Its failed attempts, in send order.
    pub failures: Vec<WriteFailure>,
    /// When the server closed it (ms since start), if it did.
    pub closed_ms: Option<u64>,
}

/// How long a write through the VIP waits for the TCP handshake before it counts as failed and
/// is retried. A node holding the VIP answers a SYN from its kernel at once, even on a loaded
/// machine; while nobody holds it, or while the client's neighbour entry still points at a node
/// that is gone, the SYN is never answered. The probe then retries every `interval` plus this,
/// so the first write through a new VIP holder is seen within about 0.4 s of it being possible.
/// With the 2 s socket timeout of the other probes the retries came 2.1 s apart and `promote` /
/// `vip_outage` fell into modes a retry apart (the recorded run
/// `tests/data/runs/pg17-pgpool46-primary-crash-evidence`: connects timed out at 241.4, 243.5,
/// 245.6, 247.7 and 249.8 s, the next one went through at 251.9 s).
pub const VIP_CONNECT_TIMEOUT: Duration = Duration::from_millis(300);

/// Sequence numbers of the pinned session start here, so its rows and the VIP probe's share
/// one table without colliding.
pub const PINNED_SEQ_BASE: i64 = 1_000_000_000;

/// The probe's insert: the row records who wrote it on which timeline and returns the server's
/// time, address, timeline and WAL position.
fn insert_sql() -> String {
    format!(
        "insert into {LEDGER_TABLE} (seq, server, tli) values ($1, inet_server_addr(), \
         ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int) \
         returning at::text, host(server), tli, pg_current_wal_insert_lsn()::text"
    )
}

/// Parses PostgreSQL's `pg_lsn` text (`16/B374D848`) into a byte position.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

fn ack_from_row(seq: i64, sent_ms: u64, acked_ms: u64, row: &tokio_postgres::Row) -> Ack {
    Ack {
        seq,
        sent_ms,
        acked_ms,
        server_time: row.get(0),
        server_addr: row.get(1),
        timeline: row.get(2),
        lsn: row
            .get::<_, Option<String>>(3)
            .as_deref()
            .and_then(parse_lsn),
    }
}

impl Ledger {
    /// The first acknowledged write sent at or after `after_ms` on a timeline other than
    /// `old_timeline` or by a server other than `old_server` (i.e. by the new primary).
    pub fn first_ack_by_new_primary(
        &self,
        after_ms: u64,
        old_server: &str,
        old_timeline: i32,
    ) -> Option<&Ack> {
        self.acks.iter().find(|a| {
            a.sent_ms >= after_ms && (a.server_addr != old_server || a.timeline != old_timeline)
        })
    }

    /// The last acknowledged write before `before_ms`.
    pub fn last_ack_before(&self, before_ms: u64) -> Option<&Ack> {
        self.acks.iter().rev().find(|a| a.sent_ms < before_ms)
    }
}

/// Acknowledged writes missing from the surviving primary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LostWrites {
    /// How many acknowledged writes through the VIP were checked.
    pub acknowledged: usize,
    /// Their sequence numbers that are missing.
    pub missing: Vec<i64>,
    /// Sequence numbers the pinned session got acknowledged that are missing (kept apart from
    /// `missing`; the lost-write damage check fails on either).
    pub missing_pinned: Vec<i64>,
}

/// Why the write probe could not prepare, pin a session, or read the ledger back.
#[derive(Debug, thiserror::Error)]
pub enum WriteProbeError {
    /// No connection.
    #[error("cannot connect to {target}")]
    Connect {
        /// Where.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement failed.
    #[error("cannot {what} on {target}")]
    Query {
        /// What was done.
        what: &'static str,
        /// Where.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No answer in time.
    #[error("no {what} within {secs} s")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        secs: u64,
    },
}

/// A running write probe. [`WriteProbe::stop`] ends it and returns the ledger.
pub struct WriteProbe {
    stop: Arc<tokio::sync::Notify>,
    ledger: Arc<Mutex<Ledger>>,
    task: JoinHandle<()>,
    /// The pinned session's loop, once [`WriteProbe::pin`] opened it.
    pinned: Option<(Arc<tokio::sync::Notify>, JoinHandle<()>)>,
}

impl WriteProbe {
    /// Creates the ledger table through `host:port` (the VIP) if needed.
    pub async fn prepare(host: Ipv4Addr, port: u16, password: &str) -> Result<(), WriteProbeError> {
        let target = format!("{host}:{port}");
        let client = probe_connect(host, port, password, "postgres")
            .await
            .map_err(|source| WriteProbeError::Connect {
                target: target.clone(),
                source,
            })?;
        client
            .batch_execute(&format!(
                "create table if not exists {LEDGER_TABLE} (seq bigint primary key, \
                 at timestamptz not null default clock_timestamp(), server inet, tli int)"
            ))
            .await
            .map_err(|source| WriteProbeError::Query {
                what: "create the ledger table",
                target,
                source,
            })
    }

    /// Starts inserting through `host:port` every `interval`, for at most `max_duration` (the
    /// loop is bounded in time and count and stops by itself). Offsets are measured from `epoch`.
    pub fn start(
        host: Ipv4Addr,
        port: u16,
        password: String,
        epoch: Instant,
        interval: Duration,
        max_duration: Duration,
    ) -> WriteProbe {
        let stop = Arc::new(tokio::sync::Notify::new());
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let (stop2, ledger2) = (stop.clone(), ledger.clone());
        let task = tokio::spawn(async move {
            let deadline = Instant::now() + max_duration;
            let max_count = (max_duration.as_millis() / interval.as_millis().max(1)) as i64 + 1;
            let mut client = None;
            let sql = insert_sql();
            let mut seq: i64 = 0;
            while Instant::now() < deadline && seq < max_count {
                seq += 1;
                let sent_ms = epoch.elapsed().as_millis() as u64;
                let attempt = async {
                    if client.is_none() {
                        client = Some(
                            connect_within(host, port, &password, "postgres", VIP_CONNECT_TIMEOUT)
                                .await?,
                        );
                    }
                    let c = client.as_ref().expect("connected");
                    c.query_one(&sql, &[&seq]).await
                };
                // A failed write is data (the ledger's failures), kept as the text it printed.
                let result = match tokio::time::timeout(Duration::from_secs(3), attempt).await {
                    Ok(r) => r.map_err(|e| crate::ErrorChain(&e).to_string()),
                    Err(_) => Err("no answer within 3 s".to_string()),
                };
                let acked_ms = epoch.elapsed().as_millis() as u64;
                {
                    let mut l = ledger2.lock().expect("ledger lock");
                    match result {
                        Ok(row) => l.acks.push(ack_from_row(seq, sent_ms, acked_ms, &row)),
                        Err(error) => {
                            // A broken session is not reused: reconnect on the next attempt.
                            client = None;
                            l.failures.push(WriteFailure {
                                seq,
                                sent_ms,
                                error,
                            })
                        }
                    }
                }
                tokio::select! {
                    _ = stop2.notified() => break,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
        });
        WriteProbe {
            stop,
            ledger,
            task,
            pinned: None,
        }
    }

    /// The node the pinned session is connected to, if one is open (its loop still running).
    pub fn pinned_node(&self) -> Option<String> {
        if self.pinned.as_ref()?.1.is_finished() {
            return None;
        }
        let l = self.ledger.lock().expect("ledger lock");
        l.pinned.as_ref().map(|p| p.node.clone())
    }

    /// Opens a session directly to `node` at `host:port` (the database port, not pgpool's),
    /// writes once on it so it is known to work, then keeps writing every `interval` until the
    /// probe stops. Opened with the write load, on the primary, and checked again when the
    /// first fault fires: its acknowledgements after the fault are the old primary still
    /// accepting writes. The session is never reopened: a write without an answer within 3 s
    /// is a failure but the session stays (the server may answer later, e.g. once synchronous
    /// replication is switched off); a session the server closed ends the loop. One session
    /// is pinned at a time: pinning another node replaces it.
    #[allow(clippy::too_many_arguments)]
    pub async fn pin(
        &mut self,
        node: &str,
        host: Ipv4Addr,
        port: u16,
        password: &str,
        epoch: Instant,
        interval: Duration,
        max_duration: Duration,
    ) -> Result<(), WriteProbeError> {
        if self.pinned_node().as_deref() == Some(node) {
            return Ok(());
        }
        // Pinned to another node (the primary changed before the first fault): that session
        // is not the old primary's, so it is replaced.
        if let Some((stop, task)) = self.pinned.take() {
            stop.notify_one();
            let _ = task.await;
        }
        let sql = insert_sql();
        let opened_ms = epoch.elapsed().as_millis() as u64;
        let target = format!("{node} ({host}:{port})");
        let client = tokio::time::timeout(
            Duration::from_secs(5),
            probe_connect(host, port, password, "postgres"),
        )
        .await
        .map_err(|_| WriteProbeError::Timeout {
            what: format!("a session to {node}"),
            secs: 5,
        })?
        .map_err(|source| WriteProbeError::Connect {
            target: target.clone(),
            source,
        })?;
        let first = PINNED_SEQ_BASE + 1;
        let row = tokio::time::timeout(Duration::from_secs(3), client.query_one(&sql, &[&first]))
            .await
            .map_err(|_| WriteProbeError::Timeout {
                what: format!("an answer to the first write pinned to {node}"),
                secs: 3,
            })?
            .map_err(|source| WriteProbeError::Query {
                what: "the first pinned write",
                target,
                source,
            })?;
        let acked_ms = epoch.elapsed().as_millis() as u64;
        self.ledger.lock().expect("ledger lock").pinned = Some(PinnedSession {
            node: node.to_string(),
            opened_ms,
            acks: vec![ack_from_row(first, opened_ms, acked_ms, &row)],
            failures: Vec::new(),
            closed_ms: None,
        });
        let stop = Arc::new(tokio::sync::Notify::new());
        let (stop2, ledger) = (stop.clone(), self.ledger.clone());
        let task = tokio::spawn(async move {
            let deadline = Instant::now() + max_duration;
            let max_count = (max_duration.as_millis() / interval.as_millis().max(1)) as i64 + 1;
            let mut seq = first;
            loop {
                tokio::select! {
                    _ = stop2.notified() => break,
                    _ = tokio::time::sleep(interval) => {}
                }
                if Instant::now() >= deadline || seq - PINNED_SEQ_BASE >= max_count {
                    break;
                }
                seq += 1;
                let sent_ms = epoch.elapsed().as_millis() as u64;
                let result =
                    tokio::time::timeout(Duration::from_secs(3), client.query_one(&sql, &[&seq]))
                        .await;
                let acked_ms = epoch.elapsed().as_millis() as u64;
                let mut l = ledger.lock().expect("ledger lock");
                let Some(p) = l.pinned.as_mut() else { break };
                match result {
                    Ok(Ok(row)) => p.acks.push(ack_from_row(seq, sent_ms, acked_ms, &row)),
                    Ok(Err(e)) => p.failures.push(WriteFailure {
                        seq,
                        sent_ms,
                        error: crate::ErrorChain(&e).to_string(),
                    }),
                    Err(_) => p.failures.push(WriteFailure {
                        seq,
                        sent_ms,
                        error: "no answer within 3 s".into(),
                    }),
                }
                if client.is_closed() {
                    p.closed_ms = Some(acked_ms);
                    break;
                }
            }
        });
        self.pinned = Some((stop, task));
        Ok(())
    }

    /// A copy of the ledger so far.
    pub fn snapshot(&self) -> Ledger {
        self.ledger.lock().expect("ledger lock").clone()
    }

    /// Stops the loop and returns the ledger.
    pub async fn stop(self) -> Ledger {
        self.stop.notify_one();
        let _ = self.task.await;
        if let Some((stop, task)) = self.pinned {
            stop.notify_one();
            let _ = task.await;
        }
        let ledger = self.ledger.lock().expect("ledger lock").clone();
        ledger
    }

    /// Which acknowledged writes of `ledger` are missing on the server at `host:port`.
    pub async fn lost_writes(
        ledger: &Ledger,
        host: Ipv4Addr,
        port: u16,
        password: &str,
    ) -> Result<LostWrites, WriteProbeError> {
        let target = format!("{host}:{port}");
        let client = probe_connect(host, port, password, "postgres")
            .await
            .map_err(|source| WriteProbeError::Connect {
                target: target.clone(),
                source,
            })?;
        let rows = client
            .query(&format!("select seq from {LEDGER_TABLE}"), &[])
            .await
            .map_err(|source| WriteProbeError::Query {
                what: "read the ledger table",
                target,
                source,
            })?;
        let present: std::collections::HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
        let missing = |acks: &[Ack]| -> Vec<i64> {
            acks.iter()
                .map(|a| a.seq)
                .filter(|s| !present.contains(s))
                .collect()
        };
        Ok(LostWrites {
            acknowledged: ledger.acks.len(),
            missing: missing(&ledger.acks),
            missing_pinned: ledger
                .pinned
                .as_ref()
                .map(|p| missing(&p.acks))
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(seq: i64, sent_ms: u64, server: &str, tli: i32) -> Ack {
        Ack {
            seq,
            sent_ms,
            acked_ms: sent_ms + 5,
            server_time: String::new(),
            server_addr: server.into(),
            timeline: tli,
            lsn: None,
        }
    }

    #[test]
    fn lsn_text_parses_into_a_byte_position() {
        assert_eq!(parse_lsn("0/3000060"), Some(0x0300_0060));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(parse_lsn("nonsense"), None);
        assert_eq!(parse_lsn("1/zz"), None);
    }

    #[test]
    fn the_new_primarys_first_write_is_found_across_the_timeline_switch() {
        let ledger = Ledger {
            acks: vec![
                ack(1, 100, "10.77.1.11", 1),
                ack(2, 200, "10.77.1.11", 1),
                ack(9, 9000, "10.77.1.12", 2),
                ack(10, 9100, "10.77.1.12", 2),
            ],
            failures: vec![],
            pinned: None,
        };
        assert_eq!(ledger.last_ack_before(5000).unwrap().seq, 2);
        assert_eq!(
            ledger
                .first_ack_by_new_primary(5000, "10.77.1.11", 1)
                .unwrap()
                .seq,
            9
        );
        assert!(ledger
            .first_ack_by_new_primary(9500, "10.77.1.11", 1)
            .is_none());
    }
}
