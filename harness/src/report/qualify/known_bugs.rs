//! What a qualification says about known upstream bugs and the workarounds each release needed.
//!
//! - Per known bug (a scenario with `known_bug:`, `faults/known-bugs/`): what each release's runs
//!   showed (`present`, `fixed`, or `new` when a run did not behave as the scenario declares for
//!   that release, `unknown` when a run could not exercise the bug: a step's action failed),
//!   and one line for the candidate: **present** (the candidate still has it), **fixed** (the
//!   baseline has it, the candidate does not), **absent** (neither release has it: nothing was
//!   fixed between them), **new** (the candidate behaves in a way the scenario does not
//!   foresee: read its checks) or **unknown**, with the evidence of the candidate's first run
//!   (the check of its first expectation that tells present from fixed).
//! - Per release: the workarounds its runs declared and whether they were applied, so a reader
//!   sees that the baseline needed the heartbeat DNAT and the candidate did not.
//!
//! Pure: everything comes from the run records (`run.json` `known_bug`, `workarounds`).

use crate::record::RunRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// One known bug across both releases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KnownBugRow {
    /// The bug's id.
    pub id: String,
    /// The scenario that shows it.
    pub scenario: String,
    /// The upstream fix (version and release-note line), or `not fixed upstream`.
    pub upstream_fix: String,
    /// What the baseline's runs showed (`present`, `fixed`, `new`, mixed as `present 2, new 1`),
    /// or `not run`.
    pub baseline: String,
    /// What the candidate's runs showed.
    pub candidate: String,
    /// The candidate's state: `present`, `fixed` (the baseline had it), `absent` (neither had
    /// it), `new`, `unknown` (or `not run`).
    pub verdict: String,
    /// The first bug-specific expectation's evidence in the candidate's first run.
    pub evidence: String,
}

/// One release's workarounds over its runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WorkaroundUse {
    /// The release.
    pub release: String,
    /// Workaround name -> `applied in N of M runs` (withheld runs are known-bug scenarios).
    pub workarounds: BTreeMap<String, String>,
    /// The bug each one hides.
    pub hides: BTreeMap<String, String>,
}

/// The known-bug rows of two sides' runs, by bug id.
pub fn known_bug_rows(baseline: &[RunRecord], candidate: &[RunRecord]) -> Vec<KnownBugRow> {
    let mut ids: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in baseline.iter().chain(candidate) {
        if let Some(k) = &r.known_bug {
            ids.entry(k.id.clone())
                .or_insert_with(|| (r.scenario.name.clone(), k.upstream_fix.clone()));
        }
    }
    ids.into_iter()
        .map(|(id, (scenario, upstream_fix))| {
            let runs_of = |side: &[RunRecord]| -> Vec<RunRecord> {
                side.iter()
                    .filter(|r| r.known_bug.as_ref().is_some_and(|k| k.id == id))
                    .cloned()
                    .collect()
            };
            let (b, c) = (runs_of(baseline), runs_of(candidate));
            let verdict = match (side_state(&b).as_str(), side_state(&c)) {
                ("fixed", c) if c == "fixed" => "absent".to_string(),
                (_, c) => c,
            };
            KnownBugRow {
                id,
                scenario,
                upstream_fix,
                baseline: summary(&b),
                candidate: summary(&c),
                verdict,
                evidence: c.first().map(evidence).unwrap_or_default(),
            }
        })
        .collect()
}

/// `present` / `fixed` when every run agrees, `new` when any run showed new behaviour, else the
/// majority; `not run` for no runs.
fn side_state(runs: &[RunRecord]) -> String {
    let observed: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.known_bug.as_ref().map(|k| k.observed.as_str()))
        .collect();
    if observed.is_empty() {
        return "not run".into();
    }
    // A run that could not exercise the bug (a step's action failed) says nothing about it.
    let observed: Vec<&str> = observed.into_iter().filter(|o| *o != "unknown").collect();
    if observed.is_empty() {
        return "unknown".into();
    }
    if observed.contains(&"new") {
        return "new".into();
    }
    let present = observed.iter().filter(|o| **o == "present").count();
    if present * 2 >= observed.len() {
        "present".into()
    } else {
        "fixed".into()
    }
}

fn summary(runs: &[RunRecord]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in runs {
        if let Some(k) = &r.known_bug {
            *counts.entry(k.observed.as_str()).or_default() += 1;
        }
    }
    match counts.len() {
        0 => "not run".into(),
        1 if runs.len() == 1 => counts.keys().next().unwrap().to_string(),
        _ => counts
            .iter()
            .map(|(k, n)| format!("{k} {n}/{}", runs.len()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The evidence of the run's first expectation check (the bug-specific ones come from the
/// scenario's steps), with its verdict.
fn evidence(r: &RunRecord) -> String {
    // The first expectation that tells present from fixed; else the first expectation at all.
    let telling = r
        .known_bug
        .as_ref()
        .and_then(|k| k.evidence_lines.first())
        .map(|line| format!("expect line {line}:"));
    r.checks
        .iter()
        .find(|c| {
            telling
                .as_ref()
                .is_some_and(|t| c.name.starts_with(t.as_str()))
        })
        .or_else(|| r.checks.iter().find(|c| c.name.starts_with("expect line")))
        .map(|c| format!("{} ({}): {}", c.name, c.verdict, c.evidence))
        .unwrap_or_default()
}

/// The workarounds of one release's runs.
pub fn workaround_use(release: &str, runs: &[RunRecord]) -> WorkaroundUse {
    let mut applied: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut hides = BTreeMap::new();
    for r in runs {
        for w in &r.workarounds {
            let e = applied.entry(w.name.clone()).or_default();
            e.1 += 1;
            if w.applied {
                e.0 += 1;
            }
            hides.insert(w.name.clone(), w.hides.clone());
        }
    }
    WorkaroundUse {
        release: release.to_string(),
        workarounds: applied
            .into_iter()
            .map(|(name, (a, n))| (name, format!("applied in {a} of {n} runs")))
            .collect(),
        hides,
    }
}

/// One line per release for the text report: `pg17-pgpool46: heartbeat-loopback (applied in 3
/// of 4 runs)` or `pg18-pgpool47: none`.
pub fn workaround_line(w: &WorkaroundUse) -> String {
    if w.workarounds.is_empty() {
        return format!("{}: none", w.release);
    }
    let list: Vec<String> = w
        .workarounds
        .iter()
        .map(|(name, use_)| format!("{name} ({use_}; hides {})", w.hides[name]))
        .collect();
    format!("{}: {}", w.release, list.join("; "))
}
