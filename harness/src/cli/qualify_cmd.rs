//! `hachaos qualify`: the same scenarios against two releases, fresh clusters each run, then one
//! comparison report (`report::qualify`). Exit 0 when the candidate did not regress beyond the
//! thresholds, 1 when it did, 2 on bad input, 3 on an environment problem, 130 when interrupted.

use super::output::Progress;
use super::output::{errln, out};
use super::qualify_report_cmd::ThresholdArgs;
use super::release_arg::ReleaseArgs;
use super::run_cmd::CaseRunner;
use super::runtime::runtime;
use crate::docker::{connect, sweep, SweepScope};
use crate::exit_code::ExitCode;
use crate::report::qualify::{render_text, write_qualification, Qualification, Side};
use crate::scenario::{load_path, Capabilities, Plan};
use std::path::{Path, PathBuf};

/// The scenario set `qualify` runs when none is named (one file name per line).
pub const DEFAULT_SET: &str = include_str!("../../../faults/sets/qualify.txt");

/// Arguments of `hachaos qualify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Runs every scenario (default: the set in faults/sets/qualify.txt) --repeat times on each\nrelease, alternating baseline and candidate so that a slow spell of the machine hits both, then\nwrites qualification.{txt,json,xml,html} and keeps every run directory under\n<reports-dir>/qualify/<id>/<release>/.\n\nExit codes: 0 no regression, 1 regression, 2 bad input, 3 environment, 130 interrupted.\n\nExamples:\n  hachaos qualify --baseline pg15-pgpool43 --candidate pg17-pgpool46\n  hachaos qualify --baseline pg15-pgpool43 --candidate pg17-pgpool46 --repeat 3 --threshold 30%\n  hachaos qualify --baseline pg17-pgpool46 --candidate-file vendor/release.yaml faults/primary-crash.yaml"
)]
pub struct QualifyArgs {
    /// The baseline release (a folder of images/).
    #[arg(long, required_unless_present = "baseline_file")]
    pub baseline: Option<String>,
    /// ... or a release file of your own for the baseline.
    #[arg(long, conflicts_with = "baseline")]
    pub baseline_file: Option<PathBuf>,
    /// The candidate release.
    #[arg(long, required_unless_present = "candidate_file")]
    pub candidate: Option<String>,
    /// ... or a release file of your own for the candidate.
    #[arg(long, conflicts_with = "candidate")]
    pub candidate_file: Option<PathBuf>,
    /// Scenario files (default: faults/sets/qualify.txt).
    pub scenarios: Vec<PathBuf>,
    /// Runs per scenario and release, each on a fresh cluster.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// When the candidate counts as regressed.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Root of the run directories.
    #[arg(long, default_value = "reports")]
    pub reports_dir: PathBuf,
    /// What to print on stdout at the end (progress stays on stderr).
    #[arg(long, value_enum, default_value_t = super::qualify_report_cmd::QualifyFormat::Text)]
    pub format: super::qualify_report_cmd::QualifyFormat,
    /// Clusters at once.
    #[command(flatten)]
    pub jobs: super::jobs_arg::JobsArgs,
}

pub(crate) fn run(args: QualifyArgs) -> ExitCode {
    let slots = match args.jobs.apply() {
        Ok(j) => j,
        Err(code) => return code,
    };
    let thresholds = match args.thresholds.resolve() {
        Ok(t) => t,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::BadInput;
        }
    };
    // clap requires a name or a file for each side.
    let sides = [
        ReleaseArgs {
            release: args.baseline.clone(),
            release_file: args.baseline_file.clone(),
        },
        ReleaseArgs {
            release: args.candidate.clone(),
            release_file: args.candidate_file.clone(),
        },
    ];
    let baseline = match sides[0].choose(crate::release::DEFAULT_RELEASE) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let candidate = match sides[1].choose(crate::release::DEFAULT_RELEASE) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if baseline.release.name == candidate.release.name {
        errln!(
            "error: baseline and candidate are both `{}`: qualify compares two releases (to compare two runs of one, use `hachaos run --repeat` and `hachaos compare`)",
            baseline.release.name
        );
        return ExitCode::BadInput;
    }
    let files = match scenario_files(&args.scenarios) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::BadInput;
        }
    };
    let mut plans: Vec<Plan> = Vec::new();
    for f in &files {
        match load_path(f, &Capabilities::default()) {
            Ok(p) => plans.extend(p.cases()),
            Err(errs) => {
                for e in &errs.0 {
                    super::report_error(e);
                }
                return ExitCode::BadInput;
            }
        }
    }
    let kinds: Vec<_> = plans
        .iter()
        .flat_map(super::doctor_cmd::fault_kinds)
        .collect();
    if let Err(code) = super::doctor_cmd::preflight(&kinds) {
        return code;
    }
    let id = crate::docker::RunId::generate();
    let root = args.reports_dir.join("qualify").join(id.as_str());
    runtime().block_on(async move {
        let docker = match connect().await {
            Ok(d) => d,
            Err(e) => return super::cluster_cmds::fail(&e.into()),
        };
        let mut progress = Progress::new();
        let mut runners = Vec::new();
        // Ctrl-C / SIGTERM stop the current run in order (faults healed, cluster removed).
        let cancel_rx = super::runtime::cancel_on_signal();
        for (chosen, side) in [baseline, candidate].into_iter().zip(&sides) {
            let image = match super::image_for(&docker, &chosen.release, None, &mut progress).await
            {
                Ok(tag) => tag,
                Err(code) => return code,
            };
            let reproduce = format!(
                "hachaos run {} {{scenario}}  # qualification {id}",
                side.as_flag()
            );
            runners.push(CaseRunner {
                docker: &docker,
                image,
                reports_dir: root.join(&chosen.release.name),
                chosen,
                reproduce,
                cancel: cancel_rx.clone(),
            });
        }
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            super::cluster_cmds::report_reaped(&r);
        }

        // Every run on a fresh cluster, side by side up to the cluster slots (the suite runner),
        // in the order baseline, candidate, baseline, ... so a slow spell hits both.
        let targets: Vec<crate::suite::Target> = runners
            .iter()
            .map(|r| crate::suite::Target {
                release: r.chosen.release.clone(),
                grammar: r.chosen.grammar.clone(),
                image: r.image.clone(),
                reproduce: r.reproduce.clone(),
            })
            .collect();
        let mut jobs = Vec::new();
        for plan in &plans {
            for i in 0..args.repeat {
                for (side, t) in targets.iter().enumerate() {
                    jobs.push(crate::suite::Job {
                        case: crate::suite::Case {
                            scenario: plan.name.clone(),
                            release: t.release.name.clone(),
                            repeat: i + 1,
                        },
                        plan: plan.clone(),
                        target: side,
                    });
                }
            }
        }
        let opts = crate::suite::SuiteOptions {
            jobs: slots,
            keep_going: true,
            dir: root.clone(),
            runs_dir: root.clone(),
            cancel: cancel_rx.clone(),
        };
        progress.phase(&format!(
            "qualify {id}: {} run(s), up to {slots} at once",
            jobs.len()
        ));
        let mut console = super::suite_progress::Console::new(jobs.len());
        let cases =
            crate::suite::run_cases(&docker, &targets, jobs, &opts, &mut |e| console.event(e))
                .await;
        console.finish();
        if runners[0].cancelled() {
            return ExitCode::Interrupted;
        }
        let mut records = [Vec::new(), Vec::new()];
        let mut environment = false;
        for case in &cases {
            let side = usize::from(case.case.release != targets[0].release.name);
            match case
                .run_dir
                .as_ref()
                .map(|d| crate::report::read_run(&root.join(d)))
            {
                Some(Ok(r)) => records[side].push(r),
                Some(Err(e)) => {
                    super::report_error(&e);
                    environment = true;
                }
                None => {
                    eprintln!(
                        "error: {}: {}",
                        case.name,
                        case.error.as_deref().unwrap_or("did not run")
                    );
                    environment = true;
                }
            }
        }
        if environment {
            return ExitCode::Environment;
        }
        let [b, c] = records;
        let baseline = Side::new(&runners[0].chosen.release.name, b);
        let candidate = Side::new(&runners[1].chosen.release.name, c);
        let q = Qualification::new(&baseline, &candidate, &thresholds);
        match args.format {
            super::qualify_report_cmd::QualifyFormat::Text => out!("{}", render_text(&q)),
            super::qualify_report_cmd::QualifyFormat::Json => {
                super::output::outln!("{}", crate::report::qualify::render_json(&q))
            }
        }
        match write_qualification(&root, &q, baseline.runs(), candidate.runs()) {
            Ok(files) => {
                for f in files {
                    errln!("wrote {}", f.display());
                }
            }
            Err(e) => {
                super::report_error(&e);
                return ExitCode::Environment;
            }
        }
        if q.regressed {
            ExitCode::ScenarioFailed
        } else {
            ExitCode::Pass
        }
    })
}

/// The scenario files: the ones given, else the default set (relative to `faults/`, found from
/// the working directory or, for `cargo run`, the workspace).
fn scenario_files(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let dir = ["faults", concat!(env!("CARGO_MANIFEST_DIR"), "/../faults")]
        .iter()
        .map(Path::new)
        .find(|d| d.join("sets/qualify.txt").is_file())
        .ok_or("no scenario files given and no faults/ folder here: name the scenario files")?;
    Ok(default_set_names()
        .into_iter()
        .map(|n| dir.join(n))
        .collect())
}

/// The file names of the default set.
pub fn default_set_names() -> Vec<&'static str> {
    DEFAULT_SET
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_names_existing_scenarios_that_validate() {
        let names = default_set_names();
        assert!(names.len() >= 3, "{names:?}");
        let faults = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults");
        for n in names {
            let p = faults.join(n);
            load_path(&p, &Capabilities::default())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
}
