//! Throughput of the streaming scanner on a generated pgpool-II 4.x log (mostly heartbeat and
//! connection noise, a failover burst every few thousand lines), in MB/s.
//!
//! `cargo bench --bench analyze_throughput`. To produce a large file for RSS and `grep -c`
//! comparisons: `HACHAOS_BENCH_WRITE=/tmp/big.log HACHAOS_BENCH_MB=1024 cargo bench --bench
//! analyze_throughput` writes it and exits.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hachaos::grammar::{Grammar, GrammarDef};
use std::io::Write;

const NOISE: &[&str] = &[
    "2026-11-25 12:00:00.123: watchdog pid 51: LOG:  new IPC connection received",
    "2026-11-25 12:00:00.124: child pid 1203: LOG:  pool_reuse_block: blockid: 0",
    "2026-11-25 12:00:00.125: child pid 1204: DETAIL:  backend pid 3301 is terminated",
    "2026-11-25 12:00:00.126: heart_beat_receiver pid 55: LOG:  received heartbeat signal from \"node1:9694\"",
    "2026-11-25 12:00:00.127: psql pid 1207: LOG:  statement: SELECT count(*) FROM bench_accounts WHERE aid = 42",
    "2026-11-25 12:00:00.128 UTC [3301] LOG:  connection authorized: user=app database=app application_name=pgbench",
];

const BURST: &[&str] = &[
    "2026-11-25 12:00:00.100: watchdog pid 51: LOG:  remote node \"node1:9999 Linux node1\" is shutting down",
    "2026-11-25 12:00:00.101: watchdog pid 51: LOG:  watchdog cluster has lost the coordinator node",
    "2026-11-25 12:00:01.000: health_check0 pid 60: LOG:  health check retrying on DB node: 0 (round:1)",
    "2026-11-25 12:00:16.001: health_check0 pid 60: LOG:  received degenerate backend request for node_id: 0 from pid [60]",
    "2026-11-25 12:00:16.012: main pid 40: LOG:  === Starting degeneration. shutdown host node1(5432) ===",
    "2026-11-25 12:00:16.014: main pid 40: LOG:  execute command: /etc/pgpool-II/failover.sh 0 node1 5432 /data 1 node2",
    "2026-11-25 12:00:18.511: main pid 40: LOG:  failover: set new primary node: 1",
    "2026-11-25 12:00:18.601: main pid 40: LOG:  === Failover done. shutdown host node1(5432) ===",
];

/// Lines between two failover bursts.
const BURST_EVERY: usize = 20_000;

fn generate(mut out: impl Write, bytes: usize) -> std::io::Result<()> {
    let mut written = 0usize;
    let mut i = 0usize;
    while written < bytes {
        let line = if i % BURST_EVERY < BURST.len() {
            BURST[i % BURST_EVERY]
        } else {
            NOISE[i % NOISE.len()]
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        written += line.len() + 1;
        i += 1;
    }
    Ok(())
}

fn bench(c: &mut Criterion) {
    if let Ok(path) = std::env::var("HACHAOS_BENCH_WRITE") {
        let mb: usize = std::env::var("HACHAOS_BENCH_MB")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1024);
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        generate(file, mb << 20).unwrap();
        eprintln!("wrote {mb} MiB to {path}");
        return;
    }
    let mut log = Vec::new();
    generate(&mut log, 64 << 20).unwrap();
    let grammar = Grammar::new(GrammarDef::builtin("pgpool").unwrap(), &[]).unwrap();
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(10);
    group.bench_function("pgpool_64MiB", |b| {
        b.iter(|| {
            let scan = grammar.scan_bytes(&log, "node2", "pgpool.log");
            assert!(!scan.events.is_empty());
            scan.stats.lines
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
