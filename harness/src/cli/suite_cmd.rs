//! `hachaos run` over many scenarios (files, folders, set files): a suite. Everything is validated
//! first (exit 2 before anything starts), then the cases run side by side up to `--jobs`, then
//! `reports/suite/<id>/{suite.json,junit.xml,index.html}` are written and the exit code
//! aggregates the cases (see [`SuiteRecord::exit_code`]).

use super::run_cmd::RunArgs;
use super::runtime::runtime;
use super::suite_progress::Console;
use crate::docker::{sweep, RunId, SweepScope};
use crate::exit_code::ExitCode;
use crate::report::suite::write_suite;
use crate::scenario::{load_path, Capabilities};
use crate::suite::{
    expand, run_cases, Case, ImageTime, Job, SuiteOptions, SuiteRecord, Target,
    SUITE_FORMAT_VERSION,
};
use std::path::Path;
use std::time::Instant;

/// Whether `hachaos run` was given a suite rather than one scenario file: several inputs, a
/// folder, a set file, or a shard.
pub(crate) fn is_suite(args: &RunArgs) -> bool {
    args.scenarios.len() > 1
        || args.shard.is_some()
        || args
            .scenarios
            .iter()
            .any(|p| p.is_dir() || p.extension().and_then(|e| e.to_str()) == Some("txt"))
}

/// Runs a suite.
pub(crate) fn run(args: RunArgs, jobs: u32) -> ExitCode {
    if args.keep {
        eprintln!("error: --keep leaves one cluster up: run one scenario file with it");
        return ExitCode::BadInput;
    }
    if args.image.is_some() {
        eprintln!("error: --image names one release's image: run one scenario file with it, or name the release with --release");
        return ExitCode::BadInput;
    }
    let inputs = match expand(&args.scenarios) {
        Ok(i) => i,
        Err(errs) => {
            for e in &errs {
                eprintln!("error: {e}");
            }
            return ExitCode::BadInput;
        }
    };
    // Every scenario validated and every release resolved before anything starts.
    let mut plans = Vec::new();
    let mut bad = false;
    for input in &inputs {
        match load_path(&input.file, &Capabilities::default()) {
            Ok(p) => {
                for w in &p.warnings {
                    eprintln!("warning: {}: {w}", input.file.display());
                }
                plans.push(p)
            }
            Err(errs) => {
                bad = true;
                for e in &errs.0 {
                    eprintln!("error: {e} (named by {})", input.origin);
                }
            }
        }
    }
    if bad {
        return ExitCode::BadInput;
    }
    let mut targets: Vec<Target> = Vec::new();
    let mut jobs_list: Vec<Job> = Vec::new();
    let command = std::iter::once("hachaos".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    for plan in &plans {
        let chosen = match args.release.choose(&plan.release) {
            Ok(c) => c,
            Err(code) => return code,
        };
        let target = match targets
            .iter()
            .position(|t| t.release.name == chosen.release.name)
        {
            Some(i) => i,
            None => {
                targets.push(Target {
                    label: chosen.release.name.clone(),
                    reproduce: format!(
                        "hachaos run {} {{scenario}}",
                        match &args.release.release_file {
                            Some(f) => format!("--release-file {}", f.display()),
                            None => format!("--release {}", chosen.release.name),
                        }
                    ),
                    release: chosen.release,
                    grammar: chosen.grammar,
                    image: String::new(),
                });
                targets.len() - 1
            }
        };
        for case in plan.cases() {
            for repeat in 1..=args.repeat {
                let c = Case {
                    scenario: case.name.clone(),
                    release: targets[target].release.name.clone(),
                    repeat,
                };
                if args.shard.is_some_and(|s| !s.contains(&c)) {
                    continue;
                }
                jobs_list.push(Job {
                    case: c,
                    plan: case.clone(),
                    target,
                });
            }
        }
    }
    if let Some(dup) = first_duplicate(&jobs_list) {
        eprintln!("error: two scenarios are both named `{dup}`: a suite tells its cases apart by scenario name");
        return ExitCode::BadInput;
    }

    let id = RunId::generate();
    let dir = args.reports_dir.join("suite").join(id.as_str());
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let format = args.format;
    runtime().block_on(async move {
        let docker = match crate::docker::connect().await {
            Ok(d) => d,
            Err(e) => return super::cluster_cmds::fail(&e.into()),
        };
        let mut progress = super::output::Progress::new();
        let mut images = Vec::new();
        for t in targets.iter_mut() {
            let t0 = Instant::now();
            t.image = match super::image_for(&docker, &t.release, None, &mut progress).await {
                Ok(tag) => tag,
                Err(code) => return code,
            };
            images.push(ImageTime {
                release: t.release.name.clone(),
                image: t.image.clone(),
                ms: t0.elapsed().as_millis() as u64,
            });
        }
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            super::cluster_cmds::report_reaped(&r);
        }
        let cancel = super::runtime::cancel_on_signal();
        let opts = SuiteOptions {
            jobs,
            keep_going: args.keep_going,
            dir: dir.clone(),
            runs_dir: dir.join("runs"),
            cancel,
        };
        eprintln!(
            "suite {id}: {} case(s){}, up to {jobs} at once; reports in {}",
            jobs_list.len(),
            args.shard
                .map(|s| format!(" (shard {s})"))
                .unwrap_or_default(),
            dir.display()
        );
        let mut console = Console::new(jobs_list.len());
        let cases = run_cases(&docker, &targets, jobs_list, &opts, &mut |e| {
            console.event(e)
        })
        .await;
        console.finish();
        let mut suite = SuiteRecord {
            format_version: SUITE_FORMAT_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            suite_id: id.to_string(),
            started_at: started_at.to_rfc3339(),
            duration_ms: started.elapsed().as_millis() as u64,
            jobs,
            shard: args.shard,
            merged_from: Vec::new(),
            images,
            cases,
            totals: Default::default(),
            counts: Default::default(),
            command,
        };
        suite.summarise();
        finish(&suite, &dir, format)
    })
}

/// Writes the suite's files, prints its summary, returns its exit code.
pub(crate) fn finish(suite: &SuiteRecord, dir: &Path, format: crate::report::Format) -> ExitCode {
    match format {
        crate::report::Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(suite).unwrap_or_default()
            )
        }
        crate::report::Format::Junit => {
            print!("{}", crate::report::suite::render_junit(suite, dir))
        }
        crate::report::Format::Html => print!("{}", crate::report::suite::render_index(suite)),
        crate::report::Format::Text => print!("{}", crate::report::suite::render_text(suite)),
    }
    match write_suite(dir, suite) {
        Ok(files) => {
            for f in files {
                eprintln!("wrote {}", f.display());
            }
        }
        Err(e) => {
            super::report_error(&e);
            return ExitCode::Environment;
        }
    }
    suite.exit_code()
}

fn first_duplicate(jobs: &[Job]) -> Option<String> {
    let mut seen = std::collections::BTreeMap::new();
    for j in jobs {
        if let Some(file) = seen.insert(j.case.name(), &j.plan.file) {
            if *file != j.plan.file {
                return Some(j.case.scenario.clone());
            }
        }
    }
    None
}
