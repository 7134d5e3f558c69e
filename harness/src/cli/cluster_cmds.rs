//! `hachaos up`, `status`, `down` and `clean`: the cluster by hand.

use super::runtime::{runtime, until_interrupted};
use crate::cluster::{Cluster, ClusterError, ClusterSpec, ClusterStatus};
use crate::docker::{connect, sweep, RunId, SweepReport, SweepScope};
use crate::exit_code::ExitCode;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Output format of `up` and `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    Text,
    /// JSON for scripts.
    Json,
}

/// Arguments of `hachaos up`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos up\n  hachaos up --set health_check_max_retries=5\n  hachaos status --format json\n  hachaos down"
)]
pub struct UpArgs {
    /// Clusters at once (the boot waits for a slot; the cluster holds none once this returns).
    #[command(flatten)]
    pub jobs: super::jobs_arg::JobsArgs,
    /// Which release to boot.
    #[command(flatten)]
    pub release: super::release_arg::ReleaseArgs,
    /// Use this image tag instead of building the release's image.
    #[arg(long)]
    pub image: Option<String>,
    /// pgpool setting overrides, `key=value` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Leave `trusted_servers` empty instead of the network's gateway.
    #[arg(long)]
    pub no_trusted_servers: bool,
    /// Seconds to wait for the cluster to become ready.
    #[arg(long, default_value_t = 90)]
    pub timeout: u64,
    /// Where logs go if boot fails (`<dir>/<run>/logs/<node>/`).
    #[arg(long, default_value = "reports/up")]
    pub reports_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `hachaos status` and `hachaos down`.
#[derive(Debug, clap::Args)]
pub struct SelectArgs {
    /// The run id of the cluster (needed only when several are up).
    #[arg(long)]
    pub run: Option<String>,
    /// Output format (status only).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where `down` copies logs (`<dir>/<run>/logs/<node>/`).
    #[arg(long, default_value = "reports/up")]
    pub reports_dir: PathBuf,
}

/// Maps a cluster error to the documented exit code and prints it.
pub(crate) fn fail(err: &ClusterError) -> ExitCode {
    eprintln!("error: {}", crate::cli_error_chain(err));
    match err {
        ClusterError::NotFound { .. } | ClusterError::Ambiguous(_) => ExitCode::BadInput,
        _ => ExitCode::Environment,
    }
}

fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, String> {
    sets.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| format!("--set {s}: expected KEY=VALUE"))?;
            let k = k.trim();
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("--set {s}: `{k}` is not a setting name"));
            }
            Ok((k.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn parse_run(run: &Option<String>) -> Result<Option<RunId>, ExitCode> {
    match run {
        None => Ok(None),
        Some(r) => RunId::parse(r).map(Some).ok_or_else(|| {
            eprintln!("error: --run {r}: not a run id (lowercase letters, digits, '-')");
            ExitCode::BadInput
        }),
    }
}

pub(crate) fn up(args: UpArgs) -> ExitCode {
    if let Err(code) = args.jobs.apply() {
        return code;
    }
    let overrides = match parse_sets(&args.set) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::BadInput;
        }
    };
    let chosen = match args.release.choose("pgpool") {
        Ok(c) => c,
        Err(code) => return code,
    };
    runtime().block_on(async move {
        let (docker, mut progress, image) =
            match super::engine_and_image(&chosen.release, args.image.as_deref()).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            report_reaped(&r);
        }
        let run = RunId::generate();
        let logs = args.reports_dir.join(run.as_str()).join("logs");
        let mut spec = ClusterSpec::two_nodes(run.clone(), image, logs.clone());
        spec.release = chosen.release.clone();
        spec.keep = true;
        spec.trusted_gateway = !args.no_trusted_servers;
        spec.pgpool_overrides = overrides;
        spec.ready_timeout = Duration::from_secs(args.timeout);
        let started = Instant::now();
        let booted = until_interrupted(Cluster::up(&docker, spec, &mut |p| progress.phase(p))).await;
        match booted {
            Ok(Ok(cluster)) => {
                progress.done(&format!("cluster {run} ready"));
                let status = cluster.status().await;
                let timings = cluster.timings().clone();
                match args.format {
                    Format::Json => println!(
                        "{}",
                        serde_json::json!({"run": run, "status": status, "timings_ms": timings, "elapsed_ms": started.elapsed().as_millis() as u64})
                    ),
                    Format::Text => {
                        print_status(&status);
                        println!(
                            "boot: network {} ms, containers {} ms, serving after {} ms, heartbeat armed (ready) after {} ms, total {} ms",
                            timings.network_ms,
                            timings.containers_ms,
                            timings.serving_ms,
                            timings.ready_ms,
                            timings.total_ms
                        );
                        println!("stop it with: hachaos down --run {run}");
                    }
                }
                cluster.keep();
                ExitCode::Pass
            }
            Ok(Err(e)) => {
                let code = fail(&e);
                eprintln!("logs of the failed boot: {}", logs.display());
                code
            }
            Err(signal) => {
                // The boot future was dropped mid-flight: remove what it made, by label.
                let _ = sweep(&docker, &SweepScope::Run(run.clone())).await;
                eprintln!("interrupted by {}: removed everything of run {run}", signal.0);
                ExitCode::Interrupted
            }
        }
    })
}

pub(crate) fn report_reaped(r: &SweepReport) {
    if !r.is_empty() {
        eprintln!(
            "reaped leftovers of dead runs: {} container(s), {} network(s), {} volume(s)",
            r.containers.len(),
            r.networks.len(),
            r.volumes.len()
        );
    }
}

/// Prints a status snapshot as text.
pub(crate) fn print_status(s: &ClusterStatus) {
    println!("run {}", s.run);
    for n in &s.nodes {
        println!(
            "  {:<6} {:<15} role {:<8} pgpool {:<8} container {}",
            n.name,
            n.address,
            n.role,
            n.backend_status.as_deref().unwrap_or("?"),
            n.container_state
        );
    }
    println!(
        "  VIP {} held by {}",
        s.vip.address,
        if s.vip.holders.is_empty() {
            "nobody".to_string()
        } else {
            s.vip.holders.join(" and ")
        }
    );
    println!(
        "  watchdog leader {}; replication lag {}",
        s.watchdog_leader.as_deref().unwrap_or("unknown"),
        s.replication_lag_bytes
            .map(|b| format!("{b} bytes"))
            .unwrap_or_else(|| "unknown".into())
    );
}

/// The running cluster `--run` names (or the only one), with its exit code on failure.
async fn find_cluster(run: &Option<String>) -> Result<Cluster, ExitCode> {
    let run = parse_run(run)?;
    let docker = connect().await.map_err(|e| fail(&e.into()))?;
    Cluster::find(&docker, run.as_ref())
        .await
        .map_err(|e| fail(&e))
}

pub(crate) fn status(args: SelectArgs) -> ExitCode {
    runtime().block_on(async move {
        let cluster = match find_cluster(&args.run).await {
            Ok(c) => c,
            Err(code) => return code,
        };
        let status = cluster.status().await;
        match args.format {
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&status).unwrap_or_default()
            ),
            Format::Text => print_status(&status),
        }
        ExitCode::Pass
    })
}

pub(crate) fn down(args: SelectArgs) -> ExitCode {
    runtime().block_on(async move {
        let started = Instant::now();
        let mut cluster = match find_cluster(&args.run).await {
            Ok(c) => c,
            Err(code) => return code,
        };
        let run = cluster.run().clone();
        cluster.set_logs_dir(args.reports_dir.join(run.as_str()).join("logs"));
        match cluster.down().await {
            Ok(t) => {
                for f in &t.log_failures {
                    eprintln!("warning: logs not copied: {f}");
                }
                println!(
                    "removed run {run}: {} container(s), {} network(s), {} volume(s) in {} ms; logs in {}",
                    t.removed.containers.len(),
                    t.removed.networks.len(),
                    t.removed.volumes.len(),
                    started.elapsed().as_millis(),
                    args.reports_dir.join(run.as_str()).join("logs").display()
                );
                ExitCode::Pass
            }
            Err(e) => fail(&e),
        }
    })
}

/// Arguments of `hachaos clean`.
#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Only remove leftovers of runs whose process is gone (what the reaper does), sparing
    /// clusters left up on purpose.
    #[arg(long, conflicts_with = "run")]
    pub stale: bool,
    /// Only remove the objects of this run.
    #[arg(long)]
    pub run: Option<String>,
}

pub(crate) fn clean(args: CleanArgs) -> ExitCode {
    let run = match parse_run(&args.run) {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime().block_on(async move {
        let docker = match connect().await {
            Ok(d) => d,
            Err(e) => return fail(&e.into()),
        };
        let scope = match (run, args.stale) {
            (Some(run), _) => SweepScope::Run(run),
            (None, true) => SweepScope::Stale,
            (None, false) => SweepScope::All,
        };
        match sweep(&docker, &scope).await {
            Ok(r) => {
                println!(
                    "removed {} container(s), {} network(s), {} volume(s)",
                    r.containers.len(),
                    r.networks.len(),
                    r.volumes.len()
                );
                for f in &r.failures {
                    eprintln!("warning: not removed: {f}");
                }
                if r.failures.is_empty() {
                    ExitCode::Pass
                } else {
                    ExitCode::Environment
                }
            }
            Err(e) => fail(&e.into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arguments_must_name_a_setting() {
        assert_eq!(
            parse_sets(&["health_check_max_retries=5".into()]).unwrap(),
            vec![("health_check_max_retries".into(), "5".into())]
        );
        assert!(parse_sets(&["nonsense".into()])
            .unwrap_err()
            .contains("KEY=VALUE"));
        assert!(parse_sets(&["a b=1".into()]).is_err());
    }
}
