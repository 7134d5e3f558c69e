//! `hachaos run`: one scenario file against a fresh cluster.

use super::output::Progress;
use super::output::{errln, out, outln};
use super::runtime::runtime;
use crate::checks::Verdict;
use crate::docker::{sweep, SweepScope};
use crate::exit_code::ExitCode;
use crate::measure::MeasurementKind;
use crate::report::compare::{measurement_values, pass_rate, stats, Stats};
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
    /// Output: a readable summary, or the run record as JSON on stdout.
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
    let chosen = match args.release.choose(&plan.profile) {
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
                    ExitCode::Environment
                }
            })?;
        if let Err(e) = crate::report::store_run(&done.record, &done.evidence, &done.secrets) {
            errln!("warning: {}", crate::cli_error_chain(&e));
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
            let repeat = repeat_summary(&records);
            match args.format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&repeat).unwrap_or_default()
                ),
                _ => print_repeat(&repeat),
            }
        }
        Ok(records
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Unknown))
    }
}

/// What `--repeat N` reports: each measurement's order statistics and the pass rate.
#[derive(Debug, serde::Serialize)]
pub(crate) struct RepeatSummary {
    /// Bumped on any incompatible change of this document.
    format_version: u32,
    scenario: String,
    runs: Vec<RepeatRun>,
    measurements: Vec<(MeasurementKind, Stats)>,
    pass_rate: Option<f64>,
}

#[derive(Debug, serde::Serialize)]
struct RepeatRun {
    run_id: String,
    verdict: Verdict,
    run_dir: String,
}

fn repeat_summary(records: &[RunRecord]) -> RepeatSummary {
    RepeatSummary {
        format_version: 1,
        scenario: records
            .first()
            .map(|r| r.scenario.name.clone())
            .unwrap_or_default(),
        runs: records
            .iter()
            .map(|r| RepeatRun {
                run_id: r.run_id.clone(),
                verdict: r.verdict,
                run_dir: r.run_dir.clone(),
            })
            .collect(),
        measurements: MeasurementKind::ALL
            .iter()
            .map(|k| (*k, stats(&measurement_values(records, *k))))
            .filter(|(_, s)| s.observed > 0)
            .collect(),
        pass_rate: pass_rate(&records.iter().map(|r| r.verdict).collect::<Vec<_>>()),
    }
}

fn print_repeat(r: &RepeatSummary) {
    let s = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
    outln!("\n{} x{}", r.scenario, r.runs.len());
    outln!(
        "  {:<15} {:>8} {:>8} {:>8}  observed",
        "measurement",
        "p50",
        "p95",
        "max"
    );
    for (kind, st) in &r.measurements {
        outln!(
            "  {:<15} {:>8} {:>8} {:>8}  {}/{}",
            kind.name(),
            s(st.p50),
            s(st.p95),
            s(st.max),
            st.observed,
            st.runs
        );
    }
    outln!(
        "  pass rate: {}",
        r.pass_rate
            .map(|p| format!("{:.0}%", p * 100.0))
            .unwrap_or_else(|| "-".into())
    );
}

/// The end-of-run summary (see [`crate::report::summary`]); colours only on a terminal without
/// `NO_COLOR`.
pub(crate) fn print_summary(r: &RunRecord) {
    out!(
        "{}",
        crate::report::summary(r, super::report_cmd::colour_stdout())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_runs_report_order_statistics_and_the_pass_rate() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/runs/primary-shutdown-first");
        let mut slow = crate::report::read_run(&dir).expect("recorded run");
        let fast = slow.clone();
        for m in slow.measurements.iter_mut() {
            m.seconds = m.seconds.map(|s| s + 10.0);
        }
        slow.verdict = Verdict::Pass;
        let r = repeat_summary(&[fast.clone(), slow.clone(), fast.clone()]);
        assert_eq!(r.runs.len(), 3);
        let promote = r
            .measurements
            .iter()
            .find(|(k, _)| *k == MeasurementKind::Promote)
            .expect("promote measured")
            .1;
        let base = fast
            .measurements
            .iter()
            .find(|m| m.kind == MeasurementKind::Promote)
            .and_then(|m| m.seconds)
            .unwrap();
        assert_eq!(promote.p50, Some(base));
        assert_eq!(promote.max, Some(base + 10.0));
        // The recorded run failed (a second primary after host-start), the edited one passed.
        assert_eq!(r.pass_rate, Some(1.0 / 3.0));
    }
}
