//! Throughput and scaling of the whole offline analysis (scan, timeline, every check) on an
//! event-dense log: a real pgpool-II 4.3 log with a failover (`tests/data/runs/
//! pg15-pgpool43-primary-crash`, node2) repeated to size, each copy shifted in time after the
//! previous one, so the result has one failover per copy (thousands of them) like a busy
//! cluster's year. Generated at bench time, never committed.
//!
//! `cargo bench --bench analyze_dense` measures 20 MB and 200 MB. To write a file for
//! `/usr/bin/time -v hachaos analyze`: `HACHAOS_BENCH_WRITE=/tmp/dense.log HACHAOS_BENCH_MB=200
//! cargo bench --bench analyze_dense` writes it and exits.

use chrono::NaiveDateTime;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hachaos::analyze::{analyze, AnalyzeOptions, Expect, GrammarChoice, Input};
use std::io::Write;

const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/runs/pg15-pgpool43-primary-crash/logs/node2/pgpool.log"
);

/// Writes `bytes` of the real log repeated, each copy's timestamps moved past the previous copy.
fn generate(mut out: impl Write, bytes: usize) -> std::io::Result<()> {
    let log = std::fs::read_to_string(SOURCE)?;
    let stamp = |l: &str| {
        let at = l.find("2026-")?;
        NaiveDateTime::parse_from_str(l.get(at..at + 23)?, "%Y-%m-%d %H:%M:%S%.3f")
            .ok()
            .map(|t| (at, t))
    };
    let times: Vec<NaiveDateTime> = log.lines().filter_map(|l| stamp(l).map(|s| s.1)).collect();
    let (first, last) = (times[0], *times.last().unwrap());
    let period = last - first + chrono::Duration::seconds(1);
    let mut written = 0usize;
    let mut copy = 0i32;
    while written < bytes {
        let shift = period * copy;
        for l in log.lines() {
            let line = match stamp(l) {
                Some((at, t)) => format!(
                    "{}{}{}",
                    &l[..at],
                    (t + shift).format("%Y-%m-%d %H:%M:%S%.3f"),
                    &l[at + 23..]
                ),
                None => l.to_string(),
            };
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            written += line.len() + 1;
        }
        copy += 1;
    }
    Ok(())
}

fn bench(c: &mut Criterion) {
    if let Ok(path) = std::env::var("HACHAOS_BENCH_WRITE") {
        let mb: usize = std::env::var("HACHAOS_BENCH_MB")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        generate(file, mb * 1_000_000).unwrap();
        eprintln!("wrote {mb} MB to {path}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("hachaos-dense-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut group = c.benchmark_group("analyze_dense");
    group.sample_size(10);
    for mb in [20usize, 200] {
        let path = dir.join(format!("dense-{mb}.log"));
        generate(
            std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
            mb * 1_000_000,
        )
        .unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        let inputs = [Input::file("node2", &path)];
        let options = AnalyzeOptions {
            expect: Some(Expect::Any),
            ..AnalyzeOptions::default()
        };
        group.throughput(Throughput::Bytes(size));
        group.bench_function(format!("pgpool43_failovers_{mb}MB"), |b| {
            b.iter(|| {
                let r =
                    analyze(&inputs, &GrammarChoice::Builtin("pgpool".into()), &options).unwrap();
                assert!(r.failovers.len() > 1);
                r.timeline.len()
            })
        });
        std::fs::remove_file(&path).ok();
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);
