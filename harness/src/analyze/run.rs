//! The offline pipeline: choose a profile, stream every file through the grammar, merge one
//! timeline, run the checkers, summarise.

use super::error::AnalyzeError;
use super::input::Input;
use super::outcome::{check_outcome, classify, Expect};
use crate::checks::{self, Check, Expectations, FailoverKind, Verdict};
use crate::grammar::{self, Grammar, GrammarDef};
use crate::record::analysis::{
    AnalysisRecord, FailoverSummary, InputSummary, SkippedInput, StepRecord, FORMAT_VERSION,
};
use crate::timeline::{Event, Timeline};
use std::io::Read;
use std::path::PathBuf;

/// Bytes of each file read to guess the profile.
const DETECT_SAMPLE: u64 = 1 << 20;

/// Which profile to use.
#[derive(Clone, Debug)]
pub enum GrammarChoice {
    /// Pick a built-in one from the files' content.
    Auto,
    /// A built-in profile by name.
    Builtin(String),
    /// A profile file.
    File(PathBuf),
    /// A profile already loaded (live runs).
    Given(Box<GrammarDef>),
}

/// Knobs of an analysis besides inputs and profile.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// What the checkers expect; `None` = [`Expectations::for_profile`] of the profile used.
    pub expectations: Option<Expectations>,
    /// Literal secrets (configured passwords) to mask besides the built-in shapes.
    pub extra_secrets: Vec<String>,
    /// What the user expects to have happened (`--expect`); `None` = the outcome is reported
    /// but not judged (live runs judge with their own expectations).
    pub expect: Option<Expect>,
    /// PANIC lines are expected (`--allow-panic`: PostgreSQL PANICs by design on a read-only
    /// or full disk); the forbidden-pattern check then reports them instead of failing, like a
    /// live scenario's `expected_damage: [panic]`. Other forbidden patterns still fail.
    pub allow_panic: bool,
}

fn resolve_profile(inputs: &[Input], choice: &GrammarChoice) -> Result<GrammarDef, AnalyzeError> {
    match choice {
        GrammarChoice::Builtin(name) => Ok(GrammarDef::builtin(name)?),
        GrammarChoice::File(path) => Ok(GrammarDef::from_path(path)?),
        GrammarChoice::Given(p) => Ok((**p).clone()),
        GrammarChoice::Auto => {
            let mut samples = Vec::new();
            for input in inputs {
                let mut sample = Vec::new();
                // An unreadable file is skipped later with its reason; it has no vote here.
                if std::fs::File::open(&input.path)
                    .and_then(|f| f.take(DETECT_SAMPLE).read_to_end(&mut sample))
                    .is_ok()
                {
                    samples.push(sample);
                }
            }
            let refs: Vec<&[u8]> = samples.iter().map(|s| s.as_slice()).collect();
            grammar::detect(&refs)?.ok_or_else(|| {
                AnalyzeError::UnknownFormat(inputs.iter().map(|i| i.path.clone()).collect())
            })
        }
    }
}

/// Log files read through a grammar: their events, not yet judged.
#[derive(Clone, Debug)]
pub struct LogScan {
    /// The profile (grammar) used.
    pub profile: GrammarDef,
    /// Every event recognised, from every file, in file order.
    pub events: Vec<Event>,
    /// Each file read.
    pub inputs: Vec<InputSummary>,
    /// Files left out, with the reason.
    pub skipped: Vec<SkippedInput>,
    /// Secrets masked.
    pub redactions: u64,
}

/// Reads log files through the chosen grammar: the first half of [`analyze()`], which live runs
/// call on the logs they copied out (their events join the harness's before anything is judged).
///
/// Files found by listing a directory are kept only when the profile's `files` patterns match
/// their names; explicitly named files are always read. A file that cannot be read, is binary,
/// yields no event the profile recognises, or repeats an input already given is listed in
/// `skipped` with the reason and the rest is read; only when no file is left is it an error.
pub fn read_logs(
    inputs: &[Input],
    choice: &GrammarChoice,
    extra_secrets: &[String],
) -> Result<LogScan, AnalyzeError> {
    if inputs.is_empty() {
        return Err(AnalyzeError::NoInputs);
    }
    let profile = resolve_profile(inputs, choice)?;
    let mut skipped: Vec<SkippedInput> = Vec::new();
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    let mut kept: Vec<&Input> = Vec::new();
    for i in inputs {
        if i.from_directory
            && !i
                .path
                .file_name()
                .is_some_and(|n| profile.wants_file(&n.to_string_lossy()))
        {
            continue;
        }
        let canonical = std::fs::canonicalize(&i.path).unwrap_or_else(|_| i.path.clone());
        if let Some((_, node)) = seen.iter().find(|(p, _)| *p == canonical) {
            skipped.push(SkippedInput::new(
                &i.node,
                &i.path,
                format!(
                    "the same file was already given as {node}={}",
                    i.path.display()
                ),
            ));
            continue;
        }
        seen.push((canonical, i.node.clone()));
        kept.push(i);
    }
    let grammar = Grammar::new(profile, extra_secrets)?;
    let mut events = Vec::new();
    let mut summaries = Vec::new();
    let mut redactions = 0;
    for input in kept {
        let label = input.path.display().to_string();
        let scan = match grammar.scan_path(&input.path, &input.node, &label) {
            Ok(scan) => scan,
            Err(e) => {
                skipped.push(SkippedInput::new(
                    &input.node,
                    &input.path,
                    crate::ErrorChain(&e).to_string(),
                ));
                continue;
            }
        };
        // A run's logs/ folder holds every log a node may write; one it never wrote to (the
        // recovery log of a node that was not recovered) is empty, not unparsable.
        if input.from_directory && scan.stats.lines == 0 {
            continue;
        }
        if scan.events.is_empty() && scan.stats.parsed == 0 {
            skipped.push(SkippedInput::new(
                &input.node,
                &input.path,
                format!(
                    "no line the {} profile recognises ({} lines, none with its timestamp or prefix)",
                    grammar.definition().name,
                    scan.stats.lines,
                ),
            ));
            continue;
        }
        redactions += scan.stats.redactions;
        summaries.push(InputSummary {
            node: input.node.clone(),
            path: label,
            lines: scan.stats.lines,
            parsed: scan.stats.parsed,
            unparsed: scan.stats.unparsed,
        });
        // Moved, not copied, when it is the first: a copy would hold every event twice.
        if events.is_empty() {
            events = scan.events;
        } else {
            events.extend(scan.events);
        }
    }
    // Timestamped lines alone do not make a log of this product (a dpkg log that mentions
    // pgpool once has them too): at least one file must hold an event.
    if events.is_empty() {
        return Err(AnalyzeError::NothingUsable {
            profile: grammar.definition().name.clone(),
            skipped: skipped
                .iter()
                .map(|s| format!("{}={}: {}", s.node, s.path, s.reason))
                .collect(),
        });
    }
    Ok(LogScan {
        profile: grammar.definition().clone(),
        events,
        inputs: summaries,
        skipped,
        redactions,
    })
}

/// Analyses log files: the library entry point behind `hachaos analyze` ([`read_logs`], then
/// [`judge`]).
pub fn analyze(
    inputs: &[Input],
    choice: &GrammarChoice,
    options: &AnalyzeOptions,
) -> Result<AnalysisRecord, AnalyzeError> {
    let scan = read_logs(inputs, choice, &options.extra_secrets)?;
    let LogScan {
        profile,
        events,
        inputs: summaries,
        skipped,
        redactions,
    } = scan;
    let timeline = Timeline::from_unsorted(events);
    let name = profile.name.clone();
    let exp = options.expectations.clone().unwrap_or_else(|| {
        let mut e = Expectations::from_profile(&profile);
        e.failover_expected = options.expect == Some(Expect::Failover);
        e
    });
    let mut record = judge(name, summaries, timeline, &exp, redactions, options.expect);
    record.skipped = skipped;
    if options.allow_panic {
        let only_panics = record
            .timeline
            .events()
            .iter()
            .filter(|e| e.is_forbidden())
            .all(|e| e.forbidden_pattern() == Some("PANIC"));
        for c in &mut record.checks {
            if c.name == "forbidden_patterns" && c.verdict == Verdict::Fail && only_panics {
                c.verdict = Verdict::Pass;
                c.evidence = format!("PANIC allowed (--allow-panic): {}", c.evidence);
            }
        }
        record.verdict = checks::worst(&record.checks);
    }
    Ok(record)
}

/// Runs the checkers over a finished timeline and assembles the record. Live runs call this with
/// the timeline they built from container logs. `expect` adds the `outcome` check.
pub fn judge(
    profile: String,
    inputs: Vec<InputSummary>,
    timeline: Timeline,
    exp: &Expectations,
    redactions: u64,
    expect: Option<Expect>,
) -> AnalysisRecord {
    // Each found once and shared with the checks: on a year of logs each is a pass over
    // hundreds of thousands of events and thousands of failovers.
    let durations = checks::durations(&timeline, exp);
    let failovers = checks::judged_failovers(&timeline, exp);
    let mut checks = checks::run_all_of(&timeline, exp, &durations, &failovers, true);
    checks.push(check_timestamps(&timeline));
    let outcome = classify(&timeline, &failovers, expect.unwrap_or_default());
    if expect.is_some() {
        checks.push(check_outcome(&outcome));
    }
    let mut executors: Vec<String> = Vec::new();
    for f in &failovers {
        if !executors.contains(&f.executor) {
            executors.push(f.executor.clone());
        }
    }
    // The headline is the first failover that moved the primary (under split brain the isolated
    // node may first detach its healthy peer), else the first one.
    let main = failovers
        .iter()
        .find(|f| f.kind == FailoverKind::PrimaryFailover)
        .or(failovers.first());
    let failover = FailoverSummary {
        executors,
        failed_node_id: main.and_then(|f| f.failed_node_id),
        new_primary_node_id: main.and_then(|f| f.new_primary_node_id),
    };
    // Steps are shown for the headline failover's own sequence.
    let mut shown = exp.clone();
    if let Some(v) = main
        .and_then(|f| f.started_by.as_ref())
        .and_then(|n| exp.variants.iter().find(|v| &v.name == n))
    {
        shown.steps = Expectations::variant_steps(v);
        shown.unordered = v.unordered.clone();
    }
    if shown.sequence_node.is_none() {
        shown.sequence_node = main.map(|f| f.executor.clone());
    }
    // Only the headline failover's own events are shown with the steps (a year of logs holds
    // thousands of failovers): from its window's start to the executor's next failover.
    let span = main.map_or((0, usize::MAX), |f| {
        let next = failovers
            .iter()
            .filter(|g| g.executor == f.executor && g.command_index > f.command_index)
            .map(|g| g.window_start.saturating_sub(1))
            .next()
            .unwrap_or(usize::MAX);
        (f.window_start, next)
    });
    let steps = group_steps(&timeline, &shown, span);
    AnalysisRecord {
        format_version: FORMAT_VERSION,
        profile,
        verdict: checks::worst(&checks),
        outcome,
        inputs,
        skipped: Vec::new(),
        timeline,
        steps,
        failover,
        failovers,
        durations,
        checks,
        redactions,
        provenance: crate::provenance::Provenance::harness(),
    }
}

/// Unknown when an event's line starts with a timestamp that is not a real date or time
/// (`2026-13-45 25:61:99`): its time is unknown, so every duration through it is too.
fn check_timestamps(timeline: &Timeline) -> Check {
    const NAME: &str = "timestamps";
    let bad: Vec<String> = timeline
        .events()
        .iter()
        .filter(|e| e.attrs.contains_key("time_invalid"))
        .map(|e| {
            format!(
                "{} ({})",
                checks::cite(e),
                e.attrs
                    .get("time_invalid")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
            )
        })
        .collect();
    if bad.is_empty() {
        Check::new(
            NAME,
            Verdict::Pass,
            "every event's timestamp is a valid time",
        )
    } else {
        Check::new(
            NAME,
            Verdict::Unknown,
            format!(
                "{} event line(s) with an impossible timestamp, first: {}",
                bad.len(),
                bad.into_iter().take(5).collect::<Vec<_>>().join(", ")
            ),
        )
    }
}

/// Assigns the sequence node's events to steps for display: an event of a later step's kind moves
/// the display to that step; a repeat of an earlier step's kind is shown where it happened.
fn group_steps(timeline: &Timeline, exp: &Expectations, span: (usize, usize)) -> Vec<StepRecord> {
    let Some(node) = checks::sequence_node(timeline, exp) else {
        return Vec::new();
    };
    let matches = checks::match_steps(timeline, exp, &node);
    let mut steps: Vec<StepRecord> = exp
        .steps
        .iter()
        .zip(&matches)
        .map(|(s, m)| StepRecord {
            number: s.number,
            title: s.title.clone(),
            node: node.clone(),
            events: Vec::new(),
            missing: m.missing.clone(),
        })
        .collect();
    let first = matches.iter().flat_map(|m| m.matched.iter()).min().copied();
    let Some(first) = first else { return steps };
    let first = first.max(span.0);
    let mut current = 0usize;
    for (i, e) in timeline.on_node(&node) {
        if i < first {
            continue;
        }
        if i > span.1 {
            break;
        }
        let Some(pos) = exp.steps.iter().position(|s| s.covers(e.kind)) else {
            continue;
        };
        if pos > current {
            current = pos;
        }
        steps[current].events.push(i);
    }
    steps
}
