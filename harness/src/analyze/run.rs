//! The offline pipeline: choose a profile, stream every file through the grammar, merge one
//! timeline, run the checkers, summarise.

use super::error::AnalyzeError;
use super::input::Input;
use super::record::{AnalysisRecord, FailoverSummary, InputSummary, StepRecord, FORMAT_VERSION};
use crate::checks::{self, Expectations};
use crate::grammar::{self, Grammar, Profile};
use crate::timeline::Timeline;
use std::io::Read;
use std::path::PathBuf;

/// Bytes of each file read to guess the profile.
const DETECT_SAMPLE: u64 = 1 << 20;

/// Which profile to use.
#[derive(Clone, Debug)]
pub enum ProfileChoice {
    /// Pick a built-in one from the files' content.
    Auto,
    /// A built-in profile by name.
    Builtin(String),
    /// A profile file.
    File(PathBuf),
    /// A profile already loaded (live runs).
    Given(Box<Profile>),
}

/// Knobs of an analysis besides inputs and profile.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// What the checkers expect; `None` = [`Expectations::for_profile`] of the profile used.
    pub expectations: Option<Expectations>,
    /// Literal secrets (configured passwords) to mask besides the built-in shapes.
    pub extra_secrets: Vec<String>,
}

fn resolve_profile(inputs: &[Input], choice: &ProfileChoice) -> Result<Profile, AnalyzeError> {
    match choice {
        ProfileChoice::Builtin(name) => Ok(Profile::builtin(name)?),
        ProfileChoice::File(path) => Ok(Profile::from_path(path)?),
        ProfileChoice::Given(p) => Ok((**p).clone()),
        ProfileChoice::Auto => {
            let mut samples = Vec::new();
            for input in inputs {
                let mut sample = Vec::new();
                std::fs::File::open(&input.path)
                    .and_then(|f| f.take(DETECT_SAMPLE).read_to_end(&mut sample))
                    .map_err(|source| grammar::ScanError::Read {
                        path: input.path.clone(),
                        source,
                    })?;
                samples.push(sample);
            }
            let refs: Vec<&[u8]> = samples.iter().map(|s| s.as_slice()).collect();
            grammar::detect(&refs)?.ok_or_else(|| {
                AnalyzeError::UnknownFormat(inputs.iter().map(|i| i.path.clone()).collect())
            })
        }
    }
}

/// Analyses log files: the library entry point behind `hachaos analyze`.
///
/// Files found by listing a directory are kept only when the profile's `files` patterns match
/// their names; explicitly named files are always read. Every kept file must have at least one
/// parsable line.
pub fn analyze(
    inputs: &[Input],
    choice: &ProfileChoice,
    options: &AnalyzeOptions,
) -> Result<AnalysisRecord, AnalyzeError> {
    if inputs.is_empty() {
        return Err(AnalyzeError::NoInputs);
    }
    let profile = resolve_profile(inputs, choice)?;
    let kept: Vec<&Input> = inputs
        .iter()
        .filter(|i| {
            !i.from_directory
                || i.path
                    .file_name()
                    .is_some_and(|n| profile.wants_file(&n.to_string_lossy()))
        })
        .collect();
    if kept.is_empty() {
        return Err(AnalyzeError::NoInputs);
    }
    let grammar = Grammar::new(profile, &options.extra_secrets)?;
    let mut events = Vec::new();
    let mut summaries = Vec::new();
    let mut redactions = 0;
    for input in kept {
        let label = input.path.display().to_string();
        let scan = grammar.scan_path(&input.path, &input.node, &label)?;
        // A run's logs/ folder holds every log a node may write; one it never wrote to (the
        // recovery log of a node that was not recovered) is empty, not unparsable.
        if input.from_directory && scan.stats.lines == 0 {
            continue;
        }
        if scan.stats.parsed == 0 && scan.events.is_empty() {
            return Err(AnalyzeError::Unparsable {
                path: input.path.clone(),
                profile: grammar.profile().name.clone(),
            });
        }
        redactions += scan.stats.redactions;
        summaries.push(InputSummary {
            node: input.node.clone(),
            path: label,
            lines: scan.stats.lines,
            parsed: scan.stats.parsed,
            unparsed: scan.stats.unparsed,
        });
        events.extend(scan.events);
    }
    let timeline = Timeline::from_unsorted(events);
    let name = grammar.profile().name.clone();
    let exp = options
        .expectations
        .clone()
        .unwrap_or_else(|| Expectations::for_profile(&name));
    Ok(judge(name, summaries, timeline, &exp, redactions))
}

/// Runs the checkers over a finished timeline and assembles the record. Live runs call this with
/// the timeline they built from container logs.
pub fn judge(
    profile: String,
    inputs: Vec<InputSummary>,
    timeline: Timeline,
    exp: &Expectations,
    redactions: u64,
) -> AnalysisRecord {
    let checks = checks::run_all(&timeline, exp);
    let durations = checks::durations(&timeline, exp);
    let failovers = checks::failovers(&timeline);
    let mut executors: Vec<String> = Vec::new();
    for f in &failovers {
        if !executors.contains(&f.executor) {
            executors.push(f.executor.clone());
        }
    }
    let failover = FailoverSummary {
        executors,
        failed_node_id: failovers.first().and_then(|f| f.failed_node_id),
        new_primary_node_id: failovers.first().and_then(|f| f.new_primary_node_id),
    };
    let steps = group_steps(&timeline, exp);
    AnalysisRecord {
        format_version: FORMAT_VERSION,
        profile,
        verdict: checks::worst(&checks),
        inputs,
        timeline,
        steps,
        failover,
        failovers,
        durations,
        checks,
        redactions,
    }
}

/// Assigns the sequence node's events to steps for display: an event of a later step's kind moves
/// the display to that step; a repeat of an earlier step's kind is shown where it happened.
fn group_steps(timeline: &Timeline, exp: &Expectations) -> Vec<StepRecord> {
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
    let mut current = 0usize;
    for (i, e) in timeline.on_node(&node) {
        if i < first {
            continue;
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
