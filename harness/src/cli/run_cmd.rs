//! `hachaos run`: one scenario file against a fresh cluster.

use super::cluster_cmds::fail;
use super::output::Progress;
use super::runtime::runtime;
use crate::checks::Verdict;
use crate::docker::{connect, sweep, SweepScope};
use crate::exit_code::ExitCode;
use crate::run::{execute, RunOptions, RunRecord};
use crate::scenario::{load_path, Capabilities};
use std::path::PathBuf;

/// Arguments of `hachaos run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos run faults/primary-shutdown.yaml\n  hachaos run faults/partition.yaml --format json\n  hachaos run faults/primary-crash-recover.yaml --keep"
)]
pub struct RunArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Leave the cluster up afterwards (remove it with `hachaos down`).
    #[arg(long)]
    pub keep: bool,
    /// Use this image tag instead of building the scenario's release image.
    #[arg(long)]
    pub image: Option<String>,
    /// Root of the run directories (`<dir>/<scenario>/<run-id>/`).
    #[arg(long, default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Output: a readable summary, or the run record as JSON on stdout.
    #[arg(long, value_enum, default_value_t = super::cluster_cmds::Format::Text)]
    pub format: super::cluster_cmds::Format,
}

/// The exit code for a verdict.
pub(crate) fn exit_for(verdict: Verdict) -> ExitCode {
    match verdict {
        Verdict::Pass => ExitCode::Pass,
        Verdict::Fail => ExitCode::ScenarioFailed,
        Verdict::Unknown => ExitCode::Unknown,
    }
}

pub(crate) fn run(args: RunArgs) -> ExitCode {
    let plan = match load_path(&args.scenario, &Capabilities::default()) {
        Ok(p) => p,
        Err(errs) => {
            for e in &errs.0 {
                super::report_error(e);
            }
            return ExitCode::BadInput;
        }
    };
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    let reproduce = std::iter::once("hachaos".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    runtime().block_on(async move {
        let docker = match connect().await {
            Ok(d) => d,
            Err(e) => return fail(&e.into()),
        };
        let mut progress = Progress::new();
        let image =
            match super::image_for(&docker, &plan.profile, args.image.as_deref(), &mut progress)
                .await
            {
                Ok(tag) => tag,
                Err(code) => return code,
            };
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            if !r.is_empty() {
                eprintln!(
                    "reaped leftovers of dead runs: {} container(s)",
                    r.containers.len()
                );
            }
        }
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        // Ctrl-C / SIGTERM ask the executor to stop; it heals every fault and tears down itself.
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            eprintln!("interrupted: healing faults and tearing down");
            let _ = cancel_tx.send(true);
        });
        let opts = RunOptions {
            image,
            reports_dir: args.reports_dir.clone(),
            keep: args.keep,
            reproduce,
            cancel: cancel_rx.clone(),
        };
        let mut say = |m: &str| progress.phase(m);
        match execute(&docker, &plan, opts, &mut say).await {
            Ok(record) => {
                match args.format {
                    super::cluster_cmds::Format::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(&record).unwrap_or_default()
                    ),
                    super::cluster_cmds::Format::Text => print_summary(&record),
                }
                if *cancel_rx.borrow() {
                    ExitCode::Interrupted
                } else {
                    exit_for(record.verdict)
                }
            }
            Err(e) => {
                super::report_error(&e);
                if *cancel_rx.borrow() {
                    ExitCode::Interrupted
                } else {
                    ExitCode::Environment
                }
            }
        }
    })
}

/// The end-of-run summary (see [`crate::report::summary`]); colours only on a terminal without
/// `NO_COLOR`.
pub(crate) fn print_summary(r: &RunRecord) {
    print!(
        "{}",
        crate::report::summary(r, super::report_cmd::colour_stdout())
    );
}
