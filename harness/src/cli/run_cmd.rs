//! `hachaos run`: one scenario file against a fresh cluster.

use super::output::Progress;
use super::output::{errln, out, outln};
use super::runtime::runtime;
use crate::checks::Verdict;
use crate::docker::{sweep, SweepScope};
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::Format;
use crate::run::{execute, RunOptions, RunRecord};
use crate::scenario::{load_path, Capabilities};
use std::path::PathBuf;

/// Arguments of `hachaos run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos run faults/primary-shutdown.yaml\n  hachaos run faults/partition.yaml --format json\n  hachaos run faults/primary-crash-recover.yaml --keep\n  hachaos run faults/ --repeat 3 --keep-going          # a suite: every scenario, side by side\n  hachaos run faults/sets/qualify.txt --shard 2/3      # this CI machine's third of a suite"
)]
pub struct RunArgs {
    /// The scenario file; or several, folders of them and set files (`faults/sets/*.txt`),
    /// which make a suite (`reports/suite/<id>/`).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Clusters at once.
    #[command(flatten)]
    pub jobs: super::jobs_arg::JobsArgs,
    /// In a suite: start the remaining cases after one did not pass (default: let the running
    /// ones finish and report the rest as not run).
    #[arg(long)]
    pub keep_going: bool,
    /// In a suite: run only the k-th of n parts (by a hash of each case's name, the same on every
    /// machine); merge the parts with `hachaos report --merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::suite::Shard>,
    /// Leave the cluster up afterwards (remove it with `hachaos down`).
    #[arg(long)]
    pub keep: bool,
    /// Use this image tag instead of building the release's image.
    #[arg(long)]
    pub image: Option<String>,
    /// Which release to run against.
    #[command(flatten)]
    pub release: super::release_arg::ReleaseArgs,
    /// Root of the run directories (`<dir>/<scenario>/<run-id>/`).
    #[arg(long, default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Output on stdout: the readable summary, or the run record as JSON, JUnit XML or the HTML
    /// timeline (with `--repeat`, JSON is the repeat summary; a suite prints its suite.json,
    /// JUnit or index.html).
    #[arg(long, value_enum, default_value_t = crate::report::Format::Text)]
    pub format: crate::report::Format,
    /// Run the scenario N times, each on a fresh cluster, and report p50 / p95 / max of every
    /// measurement and the pass rate (each run keeps its own run directory).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
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
    let jobs = match args.jobs.apply() {
        Ok(j) => j,
        Err(code) => return code,
    };
    if super::suite_cmd::is_suite(&args) {
        return super::suite_cmd::run(args, jobs);
    }
    let plan = match load_path(&args.scenarios[0], &Capabilities::default()) {
        Ok(p) => p,
        Err(errs) => {
            for e in &errs.0 {
                super::report_error(e);
            }
            return ExitCode::BadInput;
        }
    };
    for w in &plan.warnings {
        errln!("warning: {w}");
    }
    let chosen = match args.release.choose(&plan.release) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Refuse before booting anything when the runner lacks what these faults need.
    if let Err(code) = super::doctor_cmd::preflight(&super::doctor_cmd::fault_kinds(&plan)) {
        return code;
    }
    let reproduce = std::iter::once("hachaos".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    runtime().block_on(async move {
        let (docker, mut progress, image) =
            match super::engine_and_image(&chosen.release, args.image.as_deref()).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            super::cluster_cmds::report_reaped(&r);
        }
        // Ctrl-C / SIGTERM ask the executor to stop; it heals every fault and tears down itself.
        let cancel_rx = super::runtime::cancel_on_signal();
        let runner = CaseRunner {
            docker: &docker,
            image,
            chosen,
            reproduce,
            reports_dir: args.reports_dir.clone(),
            cancel: cancel_rx.clone(),
        };
        let cases = plan.cases();
        let mut worst = Verdict::Pass;
        for plan in &cases {
            if *cancel_rx.borrow() {
                break;
            }
            if cases.len() > 1 {
                progress.phase(&format!("case {}", plan.name));
            }
            match run_case(&runner, plan, &args, &mut progress).await {
                Ok(v) => worst = worst.max(v),
                Err(code) => return code,
            }
        }
        if *cancel_rx.borrow() {
            return ExitCode::Interrupted;
        }
        exit_for(worst)
    })
}

/// Runs scenario cases on fresh clusters of one release, one run at a time.
pub(crate) struct CaseRunner<'a> {
    /// The engine.
    pub docker: &'a bollard::Docker,
    /// The node image.
    pub image: String,
    /// The release and its grammar.
    pub chosen: super::release_arg::Chosen,
    /// The command line that reproduces a run (`{scenario}` becomes the scenario file).
    pub reproduce: String,
    /// Root of the run directories.
    pub reports_dir: std::path::PathBuf,
    /// Becomes `true` on Ctrl-C / SIGTERM.
    pub cancel: tokio::sync::watch::Receiver<bool>,
}

impl CaseRunner<'_> {
    /// Whether Ctrl-C / SIGTERM came.
    pub(crate) fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    /// One run of `plan`; an error that kept it from running is printed and becomes the exit
    /// code (130 when interrupted, else 3).
    pub(crate) async fn once(
        &self,
        plan: &crate::scenario::Plan,
        keep: bool,
        progress: &mut Progress,
    ) -> Result<RunRecord, ExitCode> {
        let opts = RunOptions {
            image: self.image.clone(),
            release: self.chosen.release.clone(),
            grammar: self.chosen.grammar.clone(),
            reports_dir: self.reports_dir.clone(),
            keep,
            reproduce: self.reproduce.replace("{scenario}", &plan.file),
            cancel: self.cancel.clone(),
        };
        let mut say = |m: &str| progress.phase(m);
        let done = execute(self.docker, plan, opts, &mut say)
            .await
            .map_err(|e| {
                super::report_error(&e);
                if self.cancelled() {
                    ExitCode::Interrupted
                } else {
                    e.exit_code()
                }
            })?;
        if let Err(e) = crate::report::store_run(&done.record, &done.evidence, &done.secrets) {
            errln!("warning: {}", crate::ErrorChain(&e));
        }
        Ok(done.record)
    }
}

/// Runs one case `--repeat` times; returns its worst verdict.
async fn run_case(
    runner: &CaseRunner<'_>,
    plan: &crate::scenario::Plan,
    args: &RunArgs,
    progress: &mut Progress,
) -> Result<Verdict, ExitCode> {
    {
        let mut records = Vec::new();
        for i in 0..args.repeat {
            if runner.cancelled() {
                break;
            }
            if args.repeat > 1 {
                progress.phase(&format!("run {} of {}", i + 1, args.repeat));
            }
            match runner
                .once(plan, args.keep && i + 1 == args.repeat, progress)
                .await
            {
                Ok(record) => {
                    match args.format {
                        Format::Text => print_summary(&record),
                        // With --repeat, JSON is the repeat summary below.
                        Format::Json if args.repeat > 1 => {}
                        f => out!(
                            "{}",
                            crate::report::Render::render(&record, f, &Default::default())
                        ),
                    }
                    records.push(record);
                }
                Err(code) => return Err(code),
            }
        }
        if args.repeat > 1 {
            let repeat = crate::report::repeat_summary(&records);
            match args.format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&repeat).unwrap_or_default()
                ),
                _ => out!("{}", crate::report::render_repeat(&repeat)),
            }
        }
        Ok(records
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Unknown))
    }
}

/// The end-of-run summary (see [`crate::report::summary`]); colours only on a terminal without
/// `NO_COLOR`.
pub(crate) fn print_summary(r: &RunRecord) {
    out!(
        "{}",
        crate::report::summary(r, super::report_cmd::colour_stdout())
    );
}
