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
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::qualify::{render_text, write_qualification, Qualification, Side};
use crate::scenario::{load_path, Capabilities, Plan};
use std::path::{Path, PathBuf};

/// The scenario set `qualify` runs when none is named (one file name per line).
pub const DEFAULT_SET: &str = include_str!("../../../faults/sets/qualify.txt");

/// Arguments of `hachaos qualify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Runs every scenario (default: the set in faults/sets/qualify.txt) --repeat times on each\nrelease, alternating baseline and candidates so that a slow spell of the machine hits all, then\nwrites qualification.{txt,json,xml,html} (several candidates: one vs-<candidate>/ folder each, and\n--format json prints an array) and keeps every run directory under\n<reports-dir>/qualify/<id>/<release>/. A release against itself names its sides\n<release>-baseline and <release>-candidate: it shows how far identical runs differ here.\n\nExit codes: 0 no regression, 1 regression, 2 bad input, 3 environment, 130 interrupted.\n\nExamples:\n  hachaos qualify --baseline pg15-pgpool43 --candidate pg17-pgpool46\n  hachaos qualify --baseline pg15-pgpool43 --candidate pg17-pgpool46 --repeat 3 --threshold 30%\n  hachaos qualify --baseline pg17-pgpool46 --candidate-file vendor/release.yaml faults/primary-crash.yaml\n  hachaos qualify --baseline pg17-pgpool46 --candidate pg18-pgpool47 --candidate pg15-pgpool43\n  hachaos qualify --baseline pg17-pgpool46 --candidate pg17-pgpool46 --repeat 5"
)]
pub struct QualifyArgs {
    /// The baseline release (a folder of images/).
    #[arg(long, required_unless_present = "baseline_file")]
    pub baseline: Option<String>,
    /// ... or a release file of your own for the baseline.
    #[arg(long, conflicts_with = "baseline")]
    pub baseline_file: Option<PathBuf>,
    /// A candidate release; repeat the flag to qualify several candidates against one baseline
    /// (each gets its own report). The baseline's own name is allowed: a release against itself
    /// shows how much the phases move between identical runs on this machine.
    #[arg(long, required_unless_present = "candidate_file")]
    pub candidate: Vec<String>,
    /// ... or a release file of your own for a candidate (repeatable, after the named ones).
    #[arg(long)]
    pub candidate_file: Vec<PathBuf>,
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
            return e.exit_code();
        }
    };
    // clap requires a name or a file for the baseline and at least one candidate.
    let mut sides = vec![ReleaseArgs {
        release: args.baseline.clone(),
        release_file: args.baseline_file.clone(),
    }];
    sides.extend(args.candidate.iter().map(|c| ReleaseArgs {
        release: Some(c.clone()),
        release_file: None,
    }));
    sides.extend(args.candidate_file.iter().map(|f| ReleaseArgs {
        release: None,
        release_file: Some(f.clone()),
    }));
    let mut chosen = Vec::with_capacity(sides.len());
    for side in &sides {
        match side.choose(crate::release::DEFAULT_RELEASE) {
            Ok(c) => chosen.push(c),
            Err(code) => return code,
        }
    }
    let names: Vec<&str> = chosen.iter().map(|c| c.release.name.as_str()).collect();
    let labels = side_labels(&names);
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
                return errs.exit_code();
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
        for ((chosen, side), label) in chosen.into_iter().zip(&sides).zip(&labels) {
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
                reports_dir: root.join(label),
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
            .zip(&labels)
            .map(|(r, label)| crate::suite::Target {
                label: label.clone(),
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
                            release: t.label.clone(),
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
        let mut records: Vec<Vec<_>> = vec![Vec::new(); targets.len()];
        let mut environment = false;
        for case in &cases {
            let side = labels
                .iter()
                .position(|l| *l == case.case.release)
                .unwrap_or_default();
            match case
                .run_dir
                .as_ref()
                .map(|d| crate::report::read_run(&root.join(d)))
            {
                Some(Ok(r)) => records[side].push(r),
                // A record this qualification has just written and cannot read back is the
                // environment's doing, whatever the error says about the file.
                Some(Err(e)) => {
                    super::report_error(&e);
                    environment = true;
                }
                None => {
                    errln!(
                        "error: {}: {}",
                        case.name,
                        case.error.as_deref().unwrap_or("did not run")
                    );
                    environment = true;
                }
            }
        }
        // Cases that did not run (a cluster that failed to boot, say) make the qualification
        // incomplete, not void: the report of the runs that did run is still written, the
        // missing ones were named above, and the exit code says environment (3).
        if environment {
            let ran: usize = records.iter().map(Vec::len).sum();
            errln!(
                "qualification incomplete: {} of {} run(s) did not run or could not be read; the report covers the {ran} that did",
                cases.len() - ran,
                cases.len()
            );
        }
        let mut records = records.into_iter();
        let baseline = Side::new(&labels[0], records.next().unwrap_or_default());
        let several = labels.len() > 2;
        let mut regressed = false;
        let mut json = Vec::new();
        for (label, runs) in labels[1..].iter().zip(records) {
            let candidate = Side::new(label, runs);
            let q = Qualification::new(&baseline, &candidate, &thresholds);
            regressed |= q.regressed;
            match args.format {
                super::qualify_report_cmd::QualifyFormat::Text => {
                    if several {
                        super::output::outln!("== {} against {} ==", label, labels[0]);
                    }
                    out!("{}", render_text(&q))
                }
                super::qualify_report_cmd::QualifyFormat::Json => json.push(q.clone()),
            }
            // One candidate: the reports at the top of the qualification's folder (as always);
            // several: one folder per candidate, so no report overwrites another.
            let dir = if several {
                root.join(format!("vs-{label}"))
            } else {
                root.clone()
            };
            match write_qualification(&dir, &q, baseline.runs(), candidate.runs()) {
                Ok(files) => {
                    for f in files {
                        errln!("wrote {}", f.display());
                    }
                }
                Err(e) => {
                    super::report_error(&e);
                    return e.exit_code();
                }
            }
        }
        if let super::qualify_report_cmd::QualifyFormat::Json = args.format {
            // One candidate: the qualification itself (unchanged); several: a JSON array of them,
            // in the order the candidates were named.
            let text = if several {
                let docs: Vec<String> = json
                    .iter()
                    .map(crate::report::qualify::render_json)
                    .collect();
                format!("[{}]", docs.join(","))
            } else {
                json.first()
                    .map(crate::report::qualify::render_json)
                    .unwrap_or_default()
            };
            super::output::outln!("{text}");
        }
        if environment {
            ExitCode::Environment
        } else if regressed {
            ExitCode::ScenarioFailed
        } else {
            ExitCode::Pass
        }
    })
}

/// How reports and run folders name each side: its release name, unless another side runs the
/// same release (a release against itself), where each gets `<release>-baseline` or
/// `<release>-candidate` (numbered when the same release is named as several candidates).
pub fn side_labels(names: &[&str]) -> Vec<String> {
    let count = |n: &str| names.iter().filter(|m| **m == n).count();
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if count(n) == 1 {
                return (*n).to_string();
            }
            if i == 0 {
                return format!("{n}-baseline");
            }
            let k = seen.entry(n).or_default();
            *k += 1;
            let dup_candidates = names[1..].iter().filter(|m| *m == n).count();
            if dup_candidates == 1 {
                format!("{n}-candidate")
            } else {
                format!("{n}-candidate{k}")
            }
        })
        .collect()
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
    fn sides_are_named_after_their_release_unless_a_release_is_named_twice() {
        assert_eq!(
            side_labels(&["pg17-pgpool46", "pg18-pgpool47", "pg15-pgpool43"]),
            ["pg17-pgpool46", "pg18-pgpool47", "pg15-pgpool43"]
        );
        assert_eq!(
            side_labels(&["pg17-pgpool46", "pg17-pgpool46"]),
            ["pg17-pgpool46-baseline", "pg17-pgpool46-candidate"]
        );
        assert_eq!(
            side_labels(&["a", "b", "a", "a"]),
            ["a-baseline", "b", "a-candidate1", "a-candidate2"]
        );
    }

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
