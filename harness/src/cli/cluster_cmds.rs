//! `hachaos up`, `status`, `down` and `clean`: the cluster by hand.

use super::output::OutputFormat as Format;
use super::output::{errln, outln};
use super::runtime::{runtime, until_interrupted};
use crate::cluster::{Cluster, ClusterError, ClusterSpec, ClusterStatus};
use crate::docker::{connect, sweep, RunId, SweepReport, SweepScope};
use crate::exit_code::{ExitCode, ExitStatus};
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where `down` copies logs (`<dir>/<run>/logs/<node>/`).
    #[arg(long, default_value = "reports/up")]
    pub reports_dir: PathBuf,
}

/// Maps a cluster error to the documented exit code and prints it.
pub(crate) fn fail(err: &ClusterError) -> ExitCode {
    errln!("error: {}", crate::ErrorChain(err));
    err.exit_code()
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
            errln!("error: --run {r}: not a run id (lowercase letters, digits, '-')");
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
            errln!("error: {e}");
            return ExitCode::BadInput;
        }
    };
    let chosen = match args.release.choose(crate::release::DEFAULT_RELEASE) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Err(code) = super::doctor_cmd::preflight(&[]) {
        return code;
    }
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
                    Format::Json => outln!(
                        "{}",
                        serde_json::json!({"format_version": 1, "run": run, "status": status, "timings_ms": timings, "elapsed_ms": started.elapsed().as_millis() as u64})
                    ),
                    Format::Text => {
                        print_status(&status);
                        outln!(
                            "boot: network {} ms, containers {} ms, serving after {} ms, heartbeat armed (ready) after {} ms, total {} ms",
                            timings.network_ms,
                            timings.containers_ms,
                            timings.serving_ms,
                            timings.ready_ms,
                            timings.total_ms
                        );
                        outln!("stop it with: hachaos down --run {run}");
                    }
                }
                match cluster.keep().await {
                    Ok(()) => ExitCode::Pass,
                    Err(e) => {
                        errln!("could not mark cluster {run} kept, so it was removed");
                        fail(&crate::cluster::ClusterError::from(e))
                    }
                }
            }
            Ok(Err(e)) => {
                let code = fail(&e);
                errln!("logs of the failed boot: {}", logs.display());
                code
            }
            Err(signal) => {
                // The boot future was dropped mid-flight: remove what it made, by label.
                let _ = sweep(&docker, &SweepScope::Run(run.clone())).await;
                errln!("interrupted by {}: removed everything of run {run}", signal.0);
                ExitCode::Interrupted
            }
        }
    })
}

pub(crate) fn report_reaped(r: &SweepReport) {
    if !r.is_empty() {
        errln!(
            "reaped leftovers of dead runs: {} container(s), {} network(s), {} volume(s)",
            r.containers.len(),
            r.networks.len(),
            r.volumes.len()
        );
    }
}

/// Prints a status snapshot as text.
pub(crate) fn print_status(s: &ClusterStatus) {
    outln!("run {}", s.run);
    for n in &s.nodes {
        outln!(
            "  {:<6} {:<15} role {:<8} pgpool {:<8} container {}",
            n.name,
            n.address,
            n.role,
            n.backend_status.as_deref().unwrap_or("?"),
            n.container_state
        );
    }
    outln!(
        "  VIP {} held by {}",
        s.vip.address,
        if s.vip.holders.is_empty() {
            "nobody".to_string()
        } else {
            s.vip
                .holders
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        }
    );
    outln!(
        "  watchdog leader {}; replication lag {}",
        s.watchdog_leader.as_ref().map_or("unknown", |l| l.as_str()),
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
            Format::Json => super::output::print_json(&versioned(&status)),
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
                    errln!("warning: logs not copied: {f}");
                }
                let logs = args.reports_dir.join(run.as_str()).join("logs");
                if args.format == Format::Json {
                    super::output::print_json(&serde_json::json!({
                        "format_version": 1, "run": run.as_str(), "removed": t.removed,
                        "logs_dir": logs, "log_failures": t.log_failures,
                        "elapsed_ms": started.elapsed().as_millis() as u64,
                    }));
                    return ExitCode::Pass;
                }
                outln!(
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
    /// Also remove clusters kept on purpose (`hachaos up`, `run --keep`); without it they are
    /// spared and listed.
    #[arg(long, conflicts_with_all = ["run", "stale"])]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::output::OutputFormat::Text)]
    pub format: super::output::OutputFormat,
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
        let scope = match (run, args.stale, args.all) {
            (Some(run), _, _) => SweepScope::Run(run),
            (None, true, _) => SweepScope::Stale,
            (None, false, true) => SweepScope::All,
            (None, false, false) => SweepScope::Unkept,
        };
        match sweep(&docker, &scope).await {
            Ok(r) => {
                // What a plain `clean` spared: the kept clusters, so the user knows `--all`.
                let spared = match scope {
                    SweepScope::Unkept => kept_runs(&docker).await,
                    _ => Vec::new(),
                };
                match args.format {
                    super::output::OutputFormat::Json => super::output::print_json(
                        &serde_json::json!({"format_version": 1, "removed": r, "spared_kept_runs": spared}),
                    ),
                    super::output::OutputFormat::Text => {
                        outln!(
                            "removed {} container(s), {} network(s), {} volume(s)",
                            r.containers.len(),
                            r.networks.len(),
                            r.volumes.len()
                        );
                        if !spared.is_empty() {
                            outln!(
                                "spared kept cluster(s) {} (remove with `hachaos down --run ID` or `hachaos clean --all`)",
                                spared.join(", ")
                            );
                        }
                    }
                }
                for f in &r.failures {
                    errln!("warning: not removed: {f}");
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

/// `value` as a JSON object with `format_version` 1 first among its keys' siblings.
fn versioned(value: &impl serde::Serialize) -> serde_json::Value {
    let mut v = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    if let Some(map) = v.as_object_mut() {
        map.insert("format_version".into(), 1.into());
    }
    v
}

/// The run ids of clusters kept on purpose (containers labelled keep=true).
async fn kept_runs(docker: &bollard::Docker) -> Vec<String> {
    let filter = vec![
        format!("{}={}", crate::LABEL_MANAGED_BY, crate::MANAGED_BY_VALUE),
        format!("{}=true", crate::docker::LABEL_KEEP),
    ];
    let mut runs: Vec<String> = crate::docker::containers_labelled(docker, &filter)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.labels.and_then(|l| l.get(crate::LABEL_RUN_ID).cloned()))
        .collect();
    runs.sort();
    runs.dedup();
    runs
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
