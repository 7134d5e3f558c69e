//! `hachaos explore`: seeded random fault schedules on fresh clusters, judged by invariants; a
//! schedule that breaks one is written as a scenario file and shrunk, the minimal one re-run
//! `--repeat` times. Everything is checked before anything starts (exit 2); Ctrl-C heals and
//! removes the running clusters and still writes what finished.
//!
//! Folder: `reports/explore/<id>/` with `schedules/NNNN.yaml` (every schedule, replayable with
//! `hachaos run`), `runs/` (every run directory), `failures/<invariant>/{original,minimal}.yaml`
//! and the shrinking and repeat scenarios beside them, `exploration.json`, `summary.txt` and
//! `junit.xml`.

use super::output::{errln, out, outln};
use super::runtime::runtime;
use crate::docker::{containers_labelled, sweep, RunId, SweepScope};
use crate::exit_code::{ExitCode, ExitStatus};
use crate::explore::{
    generate, judge, junit, settle, shrink, smallest, text, to_yaml, ConfigScalar,
    ExplorationRecord, FailureRecord, GenOptions, Invariant, RenderContext, Schedule,
    ScheduleRecord, Totals, EXPLORATION_FORMAT_VERSION,
};
use crate::faults::FaultKind;
use crate::scenario::{known_settings, load, load_path, Capabilities, DurationSpec};
use crate::suite::{run_cases, Case, Job, Outcome, SuiteOptions, Target};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `hachaos explore`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos explore --seed 42 --plan-only --schedules 5     # print 5 schedules, start nothing\n  hachaos explore --seed 42 --duration 30m --jobs 1\n  hachaos explore --seed 7 --schedules 10 --faults network-blackhole,host-hang --set trusted_servers=none\n\nExit codes: 0 no invariant broken, 1 an invariant broken (see failures/), 2 bad input (nothing started), 3 environment, 130 interrupted."
)]
pub struct ExploreArgs {
    /// The seed: the same seed, options and harness version draw the same schedules (default: the
    /// current time, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep drawing schedules while the next one still fits in this time (`30m`, `1h`).
    #[arg(long, conflicts_with = "schedules", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Run this many schedules (default 10 when --duration is not given).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub schedules: Option<u32>,
    /// Fault kinds to draw from, comma-separated (default: every kind the explorer draws; see
    /// `hachaos list-faults`).
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub faults: Vec<String>,
    /// A pgpool setting for every schedule (`--set trusted_servers=none`); repeatable. The keys
    /// are those a scenario's `config:` takes.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Which release to run against.
    #[command(flatten)]
    pub release: super::release_arg::ReleaseArgs,
    /// Clusters at once.
    #[command(flatten)]
    pub jobs: super::jobs_arg::JobsArgs,
    /// Print the schedules as scenario files (YAML documents separated by `---`) and start
    /// nothing.
    #[arg(long)]
    pub plan_only: bool,
    /// At most this many runs to shrink each distinct failure.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub shrink_runs: u32,
    /// Re-run each minimal scenario this many times and report how often it reproduces.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub repeat: u32,
    /// At most this many fault episodes (fault, hold, heal, recover) per schedule.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub max_episodes: u32,
    /// Never two faults open at once.
    #[arg(long)]
    pub no_overlap: bool,
    /// Root of the exploration folders (`<dir>/explore/<id>/`).
    #[arg(long, default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Output: a readable summary, or the exploration record as JSON on stdout.
    #[arg(long, value_enum, default_value_t = super::output::OutputFormat::Text)]
    pub format: super::output::OutputFormat,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    DurationSpec::parse(s)
        .map(|d| d.0)
        .map_err(|e| e.to_string())
}

/// Everything checked, before anything starts.
struct Setup {
    seed: u64,
    gen: GenOptions,
    config: BTreeMap<String, String>,
    ctx: RenderContext,
    chosen: super::release_arg::Chosen,
    release_flag: String,
    budget: Budget,
}

/// How many schedules to run.
#[derive(Clone, Copy, Debug)]
enum Budget {
    Count(u32),
    Time(Duration),
}

fn setup(args: &ExploreArgs, jobs: u32) -> Result<Setup, ExitCode> {
    // Fault kinds: names of the catalogue, each drawable.
    let (drawable, excluded) = crate::explore::drawable();
    let mut kinds: Vec<FaultKind> = Vec::new();
    let mut bad = false;
    for name in args
        .faults
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        match FaultKind::ALL.iter().find(|k| k.name() == name) {
            Some(k) if drawable.contains(k) => {
                if !kinds.contains(k) {
                    kinds.push(*k)
                }
            }
            Some(k) => {
                let why = excluded
                    .iter()
                    .find(|(x, _)| x == k)
                    .map(|(_, w)| *w)
                    .unwrap_or("");
                errln!("error: --faults: `{name}` is not drawn by the explorer: {why}");
                bad = true;
            }
            None => {
                errln!(
                    "error: --faults: unknown fault kind `{name}` (known: {})",
                    drawable
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                bad = true;
            }
        }
    }
    if kinds.is_empty() && !bad {
        kinds = drawable;
    }
    // --set: known keys, then the values as a scenario's config takes them.
    let mut config = BTreeMap::new();
    for s in &args.set {
        let Some((k, v)) = s.split_once('=') else {
            errln!("error: --set `{s}`: expected KEY=VALUE (e.g. trusted_servers=none)");
            bad = true;
            continue;
        };
        let k = k.trim();
        if !known_settings().any(|known| known == k) {
            errln!(
                "error: --set `{s}`: unknown pgpool setting `{k}` (known: {})",
                known_settings().collect::<Vec<_>>().join(", ")
            );
            bad = true;
            continue;
        }
        config.insert(k.to_string(), v.trim().to_string());
    }
    if bad {
        return Err(ExitCode::BadInput);
    }
    let settle = settle(&config).map_err(|e| {
        errln!("error: --set: {e}");
        e.exit_code()
    })?;
    let chosen = args.release.choose(crate::release::DEFAULT_RELEASE)?;
    let gen = GenOptions {
        kinds,
        max_episodes: args.max_episodes,
        overlap: !args.no_overlap,
        ..GenOptions::default()
    };
    let ctx = RenderContext {
        name: String::new(),
        release: chosen.release.name.clone(),
        config: config
            .iter()
            .map(|(k, v)| (k.clone(), ConfigScalar::parse(v)))
            .collect(),
        settle,
        comments: Vec::new(),
    };
    // The values of --set are checked the way a scenario's are: render the smallest schedule.
    let probe = to_yaml(
        &smallest(&gen),
        &RenderContext {
            name: "explore-probe".into(),
            ..ctx.clone()
        },
    );
    if let Err(errs) = load("--set", &probe, &Capabilities::default()) {
        for e in &errs.0 {
            errln!("error: --set: {}: {}", e.path, e.message);
        }
        return Err(errs.exit_code());
    }
    let budget = match (args.duration, args.schedules) {
        (Some(d), _) => {
            let min = smallest(&gen).estimate();
            if d < min {
                errln!(
                    "error: --duration {}: cannot fit one schedule (the smallest takes about {} with boot and teardown)",
                    crate::scenario::render_duration(d),
                    crate::scenario::render_duration(min)
                );
                return Err(ExitCode::BadInput);
            }
            Budget::Time(d)
        }
        (None, Some(n)) => Budget::Count(n),
        (None, None) => Budget::Count(10),
    };
    let _ = jobs;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    });
    Ok(Setup {
        seed,
        gen,
        config,
        ctx,
        release_flag: args.release.as_flag(),
        chosen,
        budget,
    })
}

/// The name of schedule `n`.
fn schedule_name(seed: u64, n: u32) -> String {
    format!("explore-{seed}-{n:04}")
}

impl Setup {
    /// The scenario text of `s`, named `name`, with `comments` after the standard ones.
    fn render(&self, s: &Schedule, name: &str, file: &str, comments: &[String]) -> String {
        let mut c = vec![
            format!(
                "Drawn by hachaos explore {} (seed {}, schedule {}): {}.",
                env!("CARGO_PKG_VERSION"),
                s.seed,
                s.number,
                s.lines().join("; ")
            ),
            format!("Replay: hachaos run {file} {}", self.release_flag),
        ];
        c.extend_from_slice(comments);
        to_yaml(
            s,
            &RenderContext {
                name: name.to_string(),
                comments: c,
                ..self.ctx.clone()
            },
        )
    }

    /// The schedules a plan-only run prints: `--schedules N`, or as many as fit `--duration`
    /// by their estimates at `jobs` at once.
    fn planned(&self, jobs: u32) -> Vec<Schedule> {
        match self.budget {
            Budget::Count(n) => (1..=n).map(|i| generate(self.seed, i, &self.gen)).collect(),
            Budget::Time(d) => {
                let mut out = Vec::new();
                let mut total = Duration::ZERO;
                for i in 1.. {
                    let s = generate(self.seed, i, &self.gen);
                    total += s.estimate();
                    if total / jobs.max(1) > d {
                        break;
                    }
                    out.push(s);
                }
                out
            }
        }
    }
}

/// Runs `hachaos explore`.
pub(crate) fn run(args: ExploreArgs) -> ExitCode {
    let jobs = match args.jobs.apply() {
        Ok(j) => j,
        Err(code) => return code,
    };
    let setup = match setup(&args, jobs) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.plan_only {
        for (i, s) in setup.planned(jobs).iter().enumerate() {
            if i > 0 {
                outln!("---");
            }
            let name = schedule_name(setup.seed, s.number);
            out!("{}", setup.render(s, &name, &format!("{name}.yaml"), &[]));
        }
        return ExitCode::Pass;
    }
    if let Err(code) = super::doctor_cmd::preflight(&setup.gen.kinds) {
        return code;
    }
    let id = RunId::generate();
    let dir = args.reports_dir.join("explore").join(id.as_str());
    for sub in ["schedules", "runs", "failures"] {
        if let Err(e) = std::fs::create_dir_all(dir.join(sub)) {
            errln!("error: cannot create {}: {e}", dir.join(sub).display());
            return ExitCode::Environment;
        }
    }
    let command = std::iter::once("hachaos".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    errln!(
        "explore {id}: seed {}, release {}, faults {}{}; settle {} s; up to {jobs} at once; reports in {}",
        setup.seed,
        setup.chosen.release.name,
        setup
            .gen
            .kinds
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(","),
        setup
            .config
            .iter()
            .map(|(k, v)| format!(", {k}={v}"))
            .collect::<String>(),
        setup.ctx.settle.as_secs(),
        dir.display()
    );
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let format = args.format;
    runtime().block_on(async move {
        let docker = match crate::docker::connect().await {
            Ok(d) => d,
            Err(e) => return super::cluster_cmds::fail(&e.into()),
        };
        let mut progress = super::output::Progress::new();
        let image =
            match super::image_for(&docker, &setup.chosen.release, None, &mut progress).await {
                Ok(tag) => tag,
                Err(code) => return code,
            };
        if let Ok(r) = sweep(&docker, &SweepScope::Stale).await {
            super::cluster_cmds::report_reaped(&r);
        }
        let cancel = super::runtime::cancel_on_signal();
        let target = Target {
            label: setup.chosen.release.name.clone(),
            release: setup.chosen.release.clone(),
            grammar: setup.chosen.grammar.clone(),
            image,
            reproduce: format!("hachaos run {{scenario}} {}", setup.release_flag),
        };
        let runner = Runner {
            docker: &docker,
            target: &target,
            setup: &setup,
            dir: &dir,
            jobs,
            cancel: cancel.clone(),
        };
        let cancelled = || *cancel.borrow();

        // The schedules, a batch of `jobs` at a time.
        let mut schedules: Vec<ScheduleRecord> = Vec::new();
        let mut drawn: Vec<Schedule> = Vec::new();
        let runs_started = Instant::now();
        let mut next = 1u32;
        while !cancelled() {
            let mut batch = Vec::new();
            while batch.len() < jobs as usize {
                let s = generate(setup.seed, next, &setup.gen);
                let fits = match setup.budget {
                    Budget::Count(n) => next <= n,
                    Budget::Time(d) => runs_started.elapsed() + s.estimate() <= d,
                };
                if !fits {
                    break;
                }
                next += 1;
                let name = schedule_name(setup.seed, s.number);
                let file = format!("schedules/{:04}.yaml", s.number);
                batch.push((s, name, file, Vec::new()));
            }
            if batch.is_empty() {
                break;
            }
            for r in runner.run(&batch).await {
                outln!("{}", line(&r));
                schedules.push(r);
            }
            drawn.extend(batch.into_iter().map(|(s, ..)| s));
        }
        let schedules_ms = runs_started.elapsed().as_millis() as u64;

        // Each distinct failure: its first schedule, shrunk, the minimal one repeated.
        let mut by_invariant: BTreeMap<Invariant, Vec<u32>> = BTreeMap::new();
        for r in &schedules {
            if let Some(sig) = r.judgement.signature() {
                by_invariant.entry(sig).or_default().push(r.number);
            }
        }
        let mut failures = Vec::new();
        for (invariant, numbers) in &by_invariant {
            if cancelled() {
                break;
            }
            let first = &schedules[schedules
                .iter()
                .position(|r| r.number == numbers[0])
                .unwrap()];
            let original = drawn
                .iter()
                .find(|s| s.number == numbers[0])
                .unwrap()
                .clone();
            failures.push(
                runner
                    .failure(
                        *invariant,
                        numbers.clone(),
                        &original,
                        first,
                        args.shrink_runs,
                        args.repeat,
                    )
                    .await,
            );
        }

        let record = ExplorationRecord {
            format_version: EXPLORATION_FORMAT_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            id: id.to_string(),
            seed: setup.seed,
            release: setup.chosen.release.name.clone(),
            config: setup.config.clone(),
            faults: setup
                .gen
                .kinds
                .iter()
                .map(|k| k.name().to_string())
                .collect(),
            settle_s: setup.ctx.settle.as_secs_f64(),
            command,
            started_at: started_at.to_rfc3339(),
            duration_ms: started.elapsed().as_millis() as u64,
            schedules_ms,
            jobs,
            interrupted: cancelled(),
            totals: Totals::of(&schedules, failures.len(), schedules_ms),
            schedules,
            failures,
        };
        finish(&record, &dir, format)
    })
}

/// One line per finished schedule.
fn line(r: &ScheduleRecord) -> String {
    let verdict = if r.broke() {
        format!(
            "BROKE {}: {}",
            r.judgement
                .invariants()
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", "),
            r.judgement
                .broken
                .first()
                .map(|b| crate::loader::clip(b.evidence.lines().next().unwrap_or_default(), 200))
                .unwrap_or_default()
        )
    } else if matches!(r.outcome, Outcome::Pass | Outcome::Fail | Outcome::Unknown) {
        "invariants kept".to_string()
    } else {
        format!(
            "{}: {}",
            r.outcome.name(),
            r.error.as_deref().unwrap_or_default()
        )
    };
    format!(
        "schedule {:>4} ({} fault(s), {:.0} s): {verdict}",
        r.number,
        r.faults,
        r.duration_ms as f64 / 1000.0
    )
}

/// Writes the exploration's files, prints its summary, returns its exit code.
fn finish(record: &ExplorationRecord, dir: &Path, format: super::output::OutputFormat) -> ExitCode {
    let summary = text(record);
    let files = [
        (
            "exploration.json",
            serde_json::to_string_pretty(record).unwrap_or_default(),
        ),
        ("summary.txt", summary.clone()),
        ("junit.xml", junit(record)),
    ];
    let mut code = if record.interrupted {
        ExitCode::Interrupted
    } else if record.totals.schedules_broken > 0 {
        ExitCode::ScenarioFailed
    } else if record.totals.schedules_run == 0 && record.totals.not_run > 0 {
        ExitCode::Environment
    } else {
        ExitCode::Pass
    };
    for (name, body) in files {
        let path = dir.join(name);
        match std::fs::write(&path, body) {
            Ok(()) => errln!("wrote {}", path.display()),
            Err(e) => {
                errln!("error: cannot write {}: {e}", path.display());
                code = ExitCode::Environment;
            }
        }
    }
    match format {
        super::output::OutputFormat::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(record).unwrap_or_default()
            )
        }
        super::output::OutputFormat::Text => out!("{summary}"),
    }
    code
}

/// Runs schedules on fresh clusters through the suite runner and judges them.
struct Runner<'a> {
    docker: &'a bollard::Docker,
    target: &'a Target,
    setup: &'a Setup,
    dir: &'a Path,
    jobs: u32,
    cancel: tokio::sync::watch::Receiver<bool>,
}

impl Runner<'_> {
    /// Writes each `(schedule, name, file, comments)` and runs them side by side.
    async fn run(&self, batch: &[(Schedule, String, String, Vec<String>)]) -> Vec<ScheduleRecord> {
        let mut jobs = Vec::new();
        let mut out: Vec<Option<ScheduleRecord>> = vec![None; batch.len()];
        for (i, (s, name, file, comments)) in batch.iter().enumerate() {
            let path = self.dir.join(file);
            let text = self
                .setup
                .render(s, name, &path.display().to_string(), comments);
            let plan = std::fs::write(&path, &text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
                .and_then(|()| {
                    load_path(&path, &Capabilities::default()).map_err(|errs| {
                        errs.0
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                });
            match plan {
                Ok(plan) => jobs.push((
                    i,
                    Job {
                        case: Case {
                            scenario: name.clone(),
                            release: self.target.release.name.clone(),
                            repeat: 1,
                        },
                        plan,
                        target: 0,
                    },
                )),
                // A generated file the validator refuses is a harness bug: say so, run nothing.
                Err(e) => {
                    out[i] = Some(self.record(s, file, None, Outcome::Environment, Some(e)));
                }
            }
        }
        let (index, jobs): (Vec<usize>, Vec<Job>) = jobs.into_iter().unzip();
        let opts = SuiteOptions {
            jobs: self.jobs,
            keep_going: true,
            dir: self.dir.to_path_buf(),
            runs_dir: self.dir.join("runs"),
            cancel: self.cancel.clone(),
        };
        let mut console = super::suite_progress::Console::new(jobs.len());
        let cases = run_cases(
            self.docker,
            std::slice::from_ref(self.target),
            jobs,
            &opts,
            &mut |e| console.event(e),
        )
        .await;
        console.finish();
        for (i, case) in index.into_iter().zip(cases) {
            let (s, _, file, _) = &batch[i];
            let checks = case
                .run_dir
                .as_ref()
                .and_then(|d| crate::report::read_run(&self.dir.join(d)).ok())
                .map(|r| r.checks)
                .unwrap_or_default();
            let leftovers = match &case.run_id {
                Some(run) => {
                    containers_labelled(self.docker, &[format!("{}={run}", crate::LABEL_RUN_ID)])
                        .await
                        .map(|v| {
                            v.into_iter()
                                .flat_map(|c| c.names.unwrap_or_default())
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            let mut r = self.record(s, file, case.run_dir.clone(), case.outcome, case.error);
            r.duration_ms = case.duration_ms;
            if matches!(
                case.outcome,
                Outcome::Pass | Outcome::Fail | Outcome::Unknown
            ) {
                r.judgement = judge(&checks, s, &leftovers);
            }
            out[i] = Some(r);
        }
        out.into_iter().flatten().collect()
    }

    fn record(
        &self,
        s: &Schedule,
        file: &str,
        run_dir: Option<String>,
        outcome: Outcome,
        error: Option<String>,
    ) -> ScheduleRecord {
        ScheduleRecord {
            number: s.number,
            file: file.to_string(),
            faults: s.faults(),
            moves: s.lines(),
            outcome,
            run_dir,
            duration_ms: 0,
            error,
            judgement: Default::default(),
            reproduce: format!(
                "hachaos run {} {}",
                self.dir.join(file).display(),
                self.setup.release_flag
            ),
        }
    }

    /// Writes the original, shrinks it, writes the minimal, repeats it.
    async fn failure(
        &self,
        invariant: Invariant,
        numbers: Vec<u32>,
        original: &Schedule,
        first: &ScheduleRecord,
        budget: u32,
        repeat: u32,
    ) -> FailureRecord {
        let folder = format!("failures/{}", invariant.name());
        let _ = std::fs::create_dir_all(self.dir.join(&folder));
        let provenance = vec![
            format!(
                "Broke {} in the exploration's schedule {} ({}); original run: {}.",
                invariant.name(),
                original.number,
                first.file,
                first
                    .run_dir
                    .as_deref()
                    .map(|d| self.dir.join(d).display().to_string())
                    .unwrap_or_default()
            ),
            first
                .judgement
                .broken
                .iter()
                .find(|b| b.invariant == invariant)
                .map(|b| {
                    format!(
                        "Evidence: {}: {}",
                        b.check,
                        crate::loader::clip(&b.evidence, 300)
                    )
                })
                .unwrap_or_default(),
        ];
        let original_file = format!("{folder}/original.yaml");
        let name = format!(
            "{}-{}-original",
            schedule_name(original.seed, original.number),
            invariant.name()
        );
        let text = self.setup.render(
            original,
            &name,
            &self.dir.join(&original_file).display().to_string(),
            &provenance,
        );
        let _ = std::fs::write(self.dir.join(&original_file), text);
        errln!(
            "failure {}: shrinking schedule {} ({} fault(s)) with at most {budget} run(s)",
            invariant.name(),
            original.number,
            original.faults()
        );

        let tried = Cell::new(0u32);
        let cancel = self.cancel.clone();
        let shrunk = shrink(
            original,
            budget,
            |candidate| {
                tried.set(tried.get() + 1);
                let n = tried.get();
                let folder = folder.clone();
                async move {
                    let name = format!(
                        "{}-{}-shrink{n:02}",
                        schedule_name(candidate.seed, candidate.number),
                        invariant.name()
                    );
                    let file = format!("{folder}/shrink-{n:02}.yaml");
                    let r = self
                        .run(&[(
                            candidate,
                            name,
                            file,
                            vec![format!(
                                "Shrinking candidate {n} of the {} failure.",
                                invariant.name()
                            )],
                        )])
                        .await
                        .remove(0);
                    let reproduced = r.judgement.invariants().contains(&invariant);
                    errln!(
                        "  shrink {n}: {} fault(s), {} move(s): {}",
                        r.faults,
                        r.moves.len(),
                        if reproduced {
                            "still breaks it"
                        } else if matches!(
                            r.outcome,
                            Outcome::Pass | Outcome::Fail | Outcome::Unknown
                        ) {
                            "does not"
                        } else {
                            r.outcome.name()
                        }
                    );
                    (reproduced, r)
                }
            },
            || *cancel.borrow(),
        )
        .await;
        let minimal = shrunk.minimal.clone();
        let minimal_file = format!("{folder}/minimal.yaml");
        let min_name = format!(
            "{}-{}-minimal",
            schedule_name(minimal.seed, minimal.number),
            invariant.name()
        );
        let mut comments = provenance.clone();
        comments.push(format!(
            "Shrunk from {} fault(s) and {} move(s) to {} and {} in {} run(s) ({} still broke it{}).",
            original.faults(),
            original.moves.len(),
            minimal.faults(),
            minimal.moves.len(),
            shrunk.attempts.len(),
            shrunk.attempts.iter().filter(|a| a.reproduced).count(),
            if shrunk.stopped {
                "; interrupted"
            } else if shrunk.budget_spent {
                "; run budget spent"
            } else {
                ""
            }
        ));
        let minimal_path = self.dir.join(&minimal_file);
        let _ = std::fs::write(
            &minimal_path,
            self.setup.render(
                &minimal,
                &min_name,
                &minimal_path.display().to_string(),
                &comments,
            ),
        );

        // How often the minimal one reproduces.
        let mut repeat_runs = 0;
        let mut repeat_reproduced = 0;
        for k in 1..=repeat {
            if *self.cancel.borrow() {
                break;
            }
            let r = self
                .run(&[(
                    minimal.clone(),
                    format!("{min_name}-repeat{k}"),
                    format!("{folder}/repeat-{k}.yaml"),
                    vec![format!(
                        "Repeat {k} of the minimal {} scenario.",
                        invariant.name()
                    )],
                )])
                .await
                .remove(0);
            if matches!(r.outcome, Outcome::Pass | Outcome::Fail | Outcome::Unknown) {
                repeat_runs += 1;
                if r.judgement.invariants().contains(&invariant) {
                    repeat_reproduced += 1;
                }
            }
        }
        FailureRecord {
            invariant,
            schedules: numbers,
            original_file,
            original: original.lines(),
            original_faults: original.faults(),
            minimal_file: minimal_file.clone(),
            minimal: minimal.lines(),
            minimal_faults: minimal.faults(),
            shrink_runs: shrunk.attempts.len() as u32,
            shrink_reproduced: shrunk.attempts.iter().filter(|a| a.reproduced).count() as u32,
            shrink_budget_spent: shrunk.budget_spent,
            shrink_interrupted: shrunk.stopped,
            repeat_runs,
            repeat_reproduced,
            reproduce: format!(
                "hachaos run {} {}",
                minimal_path.display(),
                self.setup.release_flag
            ),
        }
    }
}
