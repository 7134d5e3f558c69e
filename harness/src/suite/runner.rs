//! Running a suite's cases side by side: up to `jobs` at once in this process, each on its own
//! fresh cluster, and never more clusters on the machine than its slots allow (each boot takes a
//! slot, [`crate::slots`]). The runner only emits events; the console and the reports render
//! them.

use super::case::Case;
use super::record::{CaseRecord, Outcome};
use crate::grammar::GrammarDef;
use crate::release::Release;
use crate::run::{execute, RunOptions};
use crate::scenario::Plan;
use bollard::Docker;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::path::PathBuf;
use tokio::sync::{mpsc, watch};

/// A release the suite runs on, with its image ready.
#[derive(Clone, Debug)]
pub struct Target {
    /// How cases and run folders name this target: the release's name, unless two targets run
    /// the same release (a qualification of a release against itself), where each gets its own.
    pub label: String,
    /// The release.
    pub release: Release,
    /// Its grammar.
    pub grammar: GrammarDef,
    /// Its node image.
    pub image: String,
    /// The command line that reproduces one run (`{scenario}` becomes the scenario file).
    pub reproduce: String,
}

/// One case to run: which, its plan, and the index of its [`Target`].
#[derive(Clone, Debug)]
pub struct Job {
    /// Which case.
    pub case: Case,
    /// Its plan (a matrix case's own).
    pub plan: Plan,
    /// Index into the targets.
    pub target: usize,
}

/// How the suite runs.
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    /// Cases at once in this process (the machine's slots may allow fewer).
    pub jobs: u32,
    /// Start the remaining cases after one failed (else they are reported as not run).
    pub keep_going: bool,
    /// The suite's folder (case records name run directories relative to it).
    pub dir: PathBuf,
    /// Runs go to `<runs_dir>/<target label>/<scenario>/<run-id>/` (a suite: `<dir>/runs`).
    pub runs_dir: PathBuf,
    /// Becomes `true` on Ctrl-C / SIGTERM: running cases heal and tear down, no new one starts.
    pub cancel: watch::Receiver<bool>,
}

/// What happens, in order, for the console.
#[derive(Debug)]
pub enum SuiteEvent<'a> {
    /// A case started (it may still wait for a slot).
    Started {
        /// Its index in the job list.
        index: usize,
        /// Which.
        case: &'a Case,
    },
    /// A case said what it does now (a step, waiting for a slot, tearing down ...).
    Progress {
        /// Its index.
        index: usize,
        /// Which.
        case: &'a Case,
        /// What.
        message: &'a str,
    },
    /// A case ended.
    Finished {
        /// Its index.
        index: usize,
        /// How.
        record: &'a CaseRecord,
    },
}

/// Runs `jobs` and returns one record per job, in job order.
pub async fn run_cases(
    docker: &Docker,
    targets: &[Target],
    jobs: Vec<Job>,
    opts: &SuiteOptions,
    on_event: &mut dyn FnMut(SuiteEvent),
) -> Vec<CaseRecord> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, String)>();
    let mut results: Vec<Option<CaseRecord>> = vec![None; jobs.len()];
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    let mut stop = false;
    let cancelled = |c: &watch::Receiver<bool>| *c.borrow();
    loop {
        while !stop
            && !cancelled(&opts.cancel)
            && next < jobs.len()
            && running.len() < opts.jobs as usize
        {
            let index = next;
            next += 1;
            on_event(SuiteEvent::Started {
                index,
                case: &jobs[index].case,
            });
            running.push(run_one(
                docker,
                &targets[jobs[index].target],
                &jobs[index],
                index,
                opts,
                tx.clone(),
            ));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((index, record)) = running.next() => {
                while let Ok((i, m)) = rx.try_recv() {
                    on_event(SuiteEvent::Progress { index: i, case: &jobs[i].case, message: &m });
                }
                if !opts.keep_going && record.outcome != Outcome::Pass {
                    stop = true;
                }
                on_event(SuiteEvent::Finished { index, record: &record });
                results[index] = Some(record);
            }
            Some((i, m)) = rx.recv() => {
                on_event(SuiteEvent::Progress { index: i, case: &jobs[i].case, message: &m });
            }
        }
    }
    results
        .into_iter()
        .zip(&jobs)
        .map(|(r, job)| {
            r.unwrap_or_else(|| {
                let why = if cancelled(&opts.cancel) {
                    "not started: interrupted (Ctrl-C / SIGTERM)"
                } else {
                    "not started: an earlier case did not pass (use --keep-going to run every case)"
                };
                CaseRecord::without_run(
                    job.case.clone(),
                    job.plan.file.clone(),
                    Outcome::NotRun,
                    Some(why.into()),
                    targets[job.target]
                        .reproduce
                        .replace("{scenario}", &job.plan.file),
                )
            })
        })
        .collect()
}

async fn run_one(
    docker: &Docker,
    target: &Target,
    job: &Job,
    index: usize,
    opts: &SuiteOptions,
    tx: mpsc::UnboundedSender<(usize, String)>,
) -> (usize, CaseRecord) {
    let reproduce = target.reproduce.replace("{scenario}", &job.plan.file);
    let run_opts = RunOptions {
        image: target.image.clone(),
        release: target.release.clone(),
        grammar: target.grammar.clone(),
        reports_dir: opts.runs_dir.join(&target.label),
        keep: false,
        reproduce: reproduce.clone(),
        cancel: opts.cancel.clone(),
    };
    let mut say = move |m: &str| {
        let _ = tx.send((index, m.to_string()));
    };
    let record = match execute(docker, &job.plan, run_opts, &mut say).await {
        Ok(done) => {
            if let Err(e) = crate::report::store_run(&done.record, &done.evidence, &done.secrets) {
                tracing::warn!("{}", crate::ErrorChain(&e).to_string());
            }
            let record = done.record;
            let interrupted = *opts.cancel.borrow()
                && record
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains("interrupted"));
            CaseRecord::from_run(job.case.clone(), &record, interrupted, &opts.dir)
        }
        Err(e) => CaseRecord::without_run(
            job.case.clone(),
            job.plan.file.clone(),
            if *opts.cancel.borrow() {
                Outcome::Interrupted
            } else {
                Outcome::Environment
            },
            Some(crate::ErrorChain(&e).to_string()),
            reproduce,
        ),
    };
    (index, record)
}
