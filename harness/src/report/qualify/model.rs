//! The qualification itself: two sides of run records grouped by scenario, compared scenario by
//! scenario, with every regression rule evaluated and recorded.

use super::sequence::{node_sequences, sequence_diffs, SequenceDiff};
use super::thresholds::QualifyThresholds;
use crate::checks::Verdict;
use crate::measure::MeasurementKind;
use crate::record::RunRecord;
use crate::report::compare::{
    check_deltas, measurement_delta, pass_rate, CheckDelta, MeasurementDelta, Threshold,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of `qualification.json`.
pub const QUALIFY_FORMAT_VERSION: u32 = 1;

/// Pass rates are fractions; differences below this are rounding, not a drop.
const RATE_EPSILON: f64 = 1e-9;

/// One release's runs: the release name and its run records (any scenarios, any repeats).
#[derive(Clone, Debug)]
pub struct Side {
    /// The release (`pg17-pgpool46`), as the report names it.
    pub release: String,
    /// Sorted by scenario name, then start time, so each scenario's runs are one slice.
    runs: Vec<RunRecord>,
}

impl Side {
    /// A side from its release name and runs in any order.
    pub fn new(release: impl Into<String>, mut runs: Vec<RunRecord>) -> Side {
        runs.sort_by(|a, b| {
            (a.scenario.name.as_str(), a.started_at.as_str())
                .cmp(&(b.scenario.name.as_str(), b.started_at.as_str()))
        });
        Side {
            release: release.into(),
            runs,
        }
    }

    /// Every run, grouped by scenario (name order), oldest first within a scenario.
    pub fn runs(&self) -> &[RunRecord] {
        &self.runs
    }

    /// The runs of each scenario.
    pub fn scenarios(&self) -> BTreeMap<&str, &[RunRecord]> {
        self.runs
            .chunk_by(|a, b| a.scenario.name == b.scenario.name)
            .map(|chunk| (chunk[0].scenario.name.as_str(), chunk))
            .collect()
    }
}

/// A candidate release compared with a baseline release, scenario by scenario.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Qualification {
    /// Always [`QUALIFY_FORMAT_VERSION`].
    pub format_version: u32,
    /// The baseline's release, run and scenario counts.
    pub baseline: SideSummary,
    /// The candidate's.
    pub candidate: SideSummary,
    /// The rules applied.
    pub thresholds: QualifyThresholds,
    /// One entry per scenario on either side, by name.
    pub scenarios: Vec<ScenarioQualification>,
    /// Every regression rule evaluated, passed or not, scenario by scenario.
    pub checks: Vec<RegressionCheck>,
    /// Whether any of `checks` failed.
    pub regressed: bool,
    /// Known upstream bugs the scenarios show: present / fixed / absent / new / unknown on the candidate.
    pub known_bugs: Vec<super::known_bugs::KnownBugRow>,
    /// The workarounds each release's runs declared, and whether they were applied.
    pub workarounds: Vec<super::known_bugs::WorkaroundUse>,
    /// The harness build that judged (each run's own `run.json` says where it ran).
    pub provenance: crate::provenance::Provenance,
}

/// A side in numbers.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SideSummary {
    /// The release name.
    pub release: String,
    /// How many runs.
    pub runs: usize,
    /// How many distinct scenarios.
    pub scenarios: usize,
}

/// One scenario, baseline against candidate.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScenarioQualification {
    /// The scenario's name.
    pub scenario: String,
    /// The baseline's runs of it (`None`: the baseline did not run it).
    pub baseline: Option<ReleaseRuns>,
    /// The candidate's runs of it (`None`: the candidate did not run it).
    pub candidate: Option<ReleaseRuns>,
    /// One row per measured phase (empty unless both sides ran the scenario); p50/p95/max per
    /// side, candidate − baseline deltas, and why it regressed.
    pub measurements: Vec<MeasurementRow>,
    /// One row per check name on either side, verdicts and pass rates per side.
    pub checks: Vec<CheckDelta>,
    /// Nodes whose event sequence differs between the representative runs.
    pub sequences: Vec<SequenceDiff>,
}

/// One phase with the threshold that judged it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MeasurementRow {
    /// Stats per side, deltas and regressions (`old` = baseline, `new` = candidate).
    #[serde(flatten)]
    pub delta: MeasurementDelta,
    /// The threshold applied to this phase (it sets the margin of `timing`).
    pub threshold: Threshold,
    /// The difference judged from the runs' spread (`timing.rs`): this decides the rule.
    pub timing: super::timing::TimingJudgement,
}

/// What one release's runs of one scenario did.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReleaseRuns {
    /// How many runs.
    pub runs: usize,
    /// How many had the overall verdict pass.
    pub passed: usize,
    /// `passed / runs`.
    pub pass_rate: f64,
    /// The worst overall verdict.
    pub worst: Verdict,
    /// Every run id, oldest first.
    pub run_ids: Vec<String>,
    /// The run whose event sequences are the most common on this side (earliest on a tie): the
    /// one the sequence diff and the HTML timeline use.
    pub representative: String,
    /// Runs that did not pass: id, verdict, checks that did not pass, error.
    pub failures: Vec<RunFailure>,
    /// Acknowledged writes lost.
    pub lost_writes: LostWrites,
    /// Damage the scenario declared as expected (union over the runs).
    pub expected_damage: Vec<String>,
}

/// A run that did not pass.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RunFailure {
    /// Its id.
    pub run_id: String,
    /// Its overall verdict.
    pub verdict: Verdict,
    /// `name: first line of evidence` of each check that did not pass.
    pub checks: Vec<String>,
    /// The error that ended it early, if any.
    pub error: Option<String>,
    /// Its reproduce line.
    pub reproduce: String,
}

/// Acknowledged writes lost over a release's runs of a scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LostWrites {
    /// Sum over the runs.
    pub sum: usize,
    /// The most any one run lost.
    pub max: usize,
    /// Runs with a write probe whose loss could not be checked.
    pub unchecked: usize,
}

/// One regression rule as evaluated (a JUnit testcase in `qualify.regressions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RegressionCheck {
    /// The scenario.
    pub scenario: String,
    /// The rule: `present on candidate`, `run errors`, `pass rate`, `check: <name>`,
    /// `measurement: <phase>`, `lost writes`, `event sequence`.
    pub name: String,
    /// Whether the candidate is within the rule.
    pub passed: bool,
    /// The numbers it was decided on.
    pub detail: String,
}

impl Qualification {
    /// Compares `candidate` with `baseline` under `thresholds`.
    pub fn new(baseline: &Side, candidate: &Side, thresholds: &QualifyThresholds) -> Qualification {
        let (b, c) = (baseline.scenarios(), candidate.scenarios());
        let mut names: Vec<&str> = b.keys().chain(c.keys()).copied().collect();
        names.sort_unstable();
        names.dedup();
        let mut scenarios = Vec::new();
        let mut checks = Vec::new();
        for name in names {
            let (s, mut rules) =
                compare_scenario(name, b.get(name).copied(), c.get(name).copied(), thresholds);
            scenarios.push(s);
            checks.append(&mut rules);
        }
        let summary = |side: &Side, n: usize| SideSummary {
            release: side.release.clone(),
            runs: side.runs.len(),
            scenarios: n,
        };
        Qualification {
            format_version: QUALIFY_FORMAT_VERSION,
            baseline: summary(baseline, b.len()),
            candidate: summary(candidate, c.len()),
            thresholds: thresholds.clone(),
            scenarios,
            regressed: checks.iter().any(|r| !r.passed),
            checks,
            known_bugs: super::known_bugs::known_bug_rows(baseline.runs(), candidate.runs()),
            workarounds: vec![
                super::known_bugs::workaround_use(&baseline.release, baseline.runs()),
                super::known_bugs::workaround_use(&candidate.release, candidate.runs()),
            ],
            provenance: crate::provenance::Provenance::harness(),
        }
    }

    /// The rules that failed.
    pub fn regressions(&self) -> impl Iterator<Item = &RegressionCheck> {
        self.checks.iter().filter(|r| !r.passed)
    }

    /// The scenario named `name`.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioQualification> {
        self.scenarios.iter().find(|s| s.scenario == name)
    }
}

/// One scenario's comparison and the rules evaluated on it.
fn compare_scenario(
    name: &str,
    baseline: Option<&[RunRecord]>,
    candidate: Option<&[RunRecord]>,
    t: &QualifyThresholds,
) -> (ScenarioQualification, Vec<RegressionCheck>) {
    let mut rules = Rules {
        scenario: name,
        out: Vec::new(),
    };
    let mut q = ScenarioQualification {
        scenario: name.to_string(),
        baseline: baseline.map(release_runs),
        candidate: candidate.map(release_runs),
        measurements: Vec::new(),
        checks: Vec::new(),
        sequences: Vec::new(),
    };
    let (b, c, br, cr) = match (baseline, candidate, &q.baseline, &q.candidate) {
        (Some(b), Some(c), Some(br), Some(cr)) => (b, c, br.clone(), cr.clone()),
        (Some(_), None, Some(br), _) => {
            let passed_before = br.passed > 0;
            rules.push(
                "present on candidate",
                !passed_before,
                if passed_before {
                    "passed on the baseline, not run on the candidate".to_string()
                } else {
                    "not run on the candidate; it never passed on the baseline".to_string()
                },
            );
            return (q, rules.out);
        }
        _ => {
            rules.push(
                "present on baseline",
                true,
                "new scenario: not run on the baseline, nothing to compare".to_string(),
            );
            return (q, rules.out);
        }
    };

    // Runs that ended early.
    let errors = |runs: &[RunRecord]| runs.iter().filter(|r| r.error.is_some()).count();
    let (be, ce) = (errors(b), errors(c));
    let error_share = |e: usize, n: usize| e as f64 / n.max(1) as f64;
    rules.push(
        "run errors",
        error_share(ce, c.len()) <= error_share(be, b.len()) + RATE_EPSILON,
        format!(
            "runs ended by an error: baseline {be} of {}, candidate {ce} of {}{}",
            b.len(),
            c.len(),
            first_error(c)
        ),
    );

    // Overall pass rate.
    rules.push(
        "pass rate",
        br.pass_rate - cr.pass_rate <= t.pass_rate_drop + RATE_EPSILON,
        format!(
            "baseline {} ({} of {}), candidate {} ({} of {}), allowed drop {}",
            percent(br.pass_rate),
            br.passed,
            br.runs,
            percent(cr.pass_rate),
            cr.passed,
            cr.runs,
            percent(t.pass_rate_drop)
        ),
    );

    // Each check's verdicts.
    q.checks = check_deltas(b, c);
    for d in &q.checks {
        let (passed, detail) = match (d.old_pass_rate, d.new_pass_rate) {
            (Some(o), Some(n)) => {
                // A drop in the pass rate is judged against the allowance; at an equal pass
                // rate, the non-passing verdicts getting worse (unknown -> fail) regresses.
                let dropped = o - n > t.pass_rate_drop + RATE_EPSILON;
                let worse = worst(&d.new) > worst(&d.old) && (o - n).abs() <= RATE_EPSILON;
                let ok = !dropped && !worse;
                (ok, format!("{} -> {}", verdicts(&d.old), verdicts(&d.new)))
            }
            (Some(_), None) => (true, "not evaluated on the candidate".to_string()),
            (None, _) => (true, "new on the candidate".to_string()),
        };
        rules.push(&format!("check: {}", d.name), passed, detail);
    }

    // Each measured phase.
    for &kind in MeasurementKind::ALL {
        let threshold = t.for_measurement(kind);
        let Some(delta) = measurement_delta(b, c, kind, threshold) else {
            continue;
        };
        let values = |runs: &[RunRecord]| -> Vec<f64> {
            crate::report::compare::measurement_values(runs, kind)
                .into_iter()
                .flatten()
                .collect()
        };
        let timing = super::timing::judge(&values(b), &values(c), threshold);
        // A phase no longer observed at all is a hard rule; a slower one must be shown slower
        // by the spread of the runs, not by two medians.
        let vanished = delta
            .regressions
            .iter()
            .any(|r| r.starts_with("observed before"));
        rules.push(
            &format!("measurement: {}", kind.name()),
            !vanished && timing.verdict != super::timing::TimingVerdict::Regressed,
            format!(
                "{}{}; {}",
                if vanished {
                    "observed before, not observed now; "
                } else {
                    ""
                },
                timing.detail,
                measurement_detail(&delta, threshold)
            ),
        );
        q.measurements.push(MeasurementRow {
            delta,
            threshold,
            timing,
        });
    }

    // Acknowledged writes lost.
    let expected = cr.expected_damage.iter().any(|d| d == "lost-writes");
    let (bl, cl) = (br.lost_writes, cr.lost_writes);
    let numbers = format!(
        "lost per run: baseline max {} (sum {}), candidate max {} (sum {})",
        bl.max, bl.sum, cl.max, cl.sum
    );
    if expected {
        rules.push(
            "lost writes",
            true,
            format!("lost-writes is this scenario's expected damage; {numbers}"),
        );
    } else {
        rules.push(
            "lost writes",
            cl.max <= t.max_lost_writes,
            format!("{numbers}; allowed {}", t.max_lost_writes),
        );
    }

    // Event sequences of the representative runs. A difference that one side also showed in
    // one of its own runs (the candidate's usual sequence in a baseline run, or the other way)
    // is that side's own run-to-run variation, not a change: a release against itself over 5
    // repeats differed in a reordered vip_acquired and a missing health-check retry
    // (self-qualification r82de918f) and was called regressed.
    let mut varies_within = None;
    if let (Some(brun), Some(crun)) = (
        run_by_id(b, &br.representative),
        run_by_id(c, &cr.representative),
    ) {
        q.sequences = sequence_diffs(brun, crun);
        if !q.sequences.is_empty() {
            let (bs, cs) = (node_sequences(brun), node_sequences(crun));
            varies_within = b
                .iter()
                .find(|r| node_sequences(r) == cs)
                .map(|r| format!("baseline run {} showed the candidate's sequence", r.run_id))
                .or_else(|| {
                    c.iter().find(|r| node_sequences(r) == bs).map(|r| {
                        format!("candidate run {} showed the baseline's sequence", r.run_id)
                    })
                });
        }
    }
    let detail = if q.sequences.is_empty() {
        format!(
            "same sequence of event kinds on every node (runs {} and {})",
            br.representative, cr.representative
        )
    } else {
        let diffs: Vec<String> = q.sequences.iter().map(SequenceDiff::summary).collect();
        format!(
            "runs {} and {} differ: {}{}",
            br.representative,
            cr.representative,
            diffs.join("; "),
            if t.allow_sequence_changes {
                " (allowed)"
            } else {
                ""
            }
        )
    };
    // A known-bug scenario declared to behave differently on the two releases (the bug present
    // on one, fixed on the other) is expected to log a different sequence: that is the bug.
    let expected_state = |runs: &[RunRecord]| {
        runs.iter()
            .find_map(|r| r.known_bug.as_ref().map(|k| k.expected.clone()))
    };
    let bug_states_differ = matches!(
        (expected_state(b), expected_state(c)),
        (Some(x), Some(y)) if x != y
    );
    let detail = if bug_states_differ && !q.sequences.is_empty() {
        format!("{detail} (expected: the scenario's known bug is declared present on one release and fixed on the other)")
    } else if let Some(v) = &varies_within {
        format!("{detail} (within the runs' own variation: {v})")
    } else {
        detail
    };
    rules.push(
        "event sequence",
        q.sequences.is_empty()
            || t.allow_sequence_changes
            || bug_states_differ
            || varies_within.is_some(),
        detail,
    );
    (q, rules.out)
}

/// Collects one scenario's rule outcomes.
struct Rules<'a> {
    scenario: &'a str,
    out: Vec<RegressionCheck>,
}

impl Rules<'_> {
    fn push(&mut self, name: &str, passed: bool, detail: String) {
        self.out.push(RegressionCheck {
            scenario: self.scenario.to_string(),
            name: name.to_string(),
            passed,
            detail,
        });
    }
}

fn release_runs(runs: &[RunRecord]) -> ReleaseRuns {
    let passed = runs.iter().filter(|r| r.verdict == Verdict::Pass).count();
    let mut lost = LostWrites::default();
    let mut expected_damage: Vec<String> = Vec::new();
    for r in runs {
        if r.writes.probed {
            match &r.writes.lost {
                Some(l) => {
                    lost.sum += l.len();
                    lost.max = lost.max.max(l.len());
                }
                None => lost.unchecked += 1,
            }
        }
        for d in &r.expected_damage {
            if !expected_damage.contains(d) {
                expected_damage.push(d.clone());
            }
        }
    }
    ReleaseRuns {
        runs: runs.len(),
        passed,
        pass_rate: pass_rate(&runs.iter().map(|r| r.verdict).collect::<Vec<_>>()).unwrap_or(0.0),
        worst: runs
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Pass),
        run_ids: runs.iter().map(|r| r.run_id.clone()).collect(),
        representative: representative(runs)
            .map(|r| r.run_id.clone())
            .unwrap_or_default(),
        failures: runs
            .iter()
            .filter(|r| r.verdict != Verdict::Pass || r.error.is_some())
            .map(|r| RunFailure {
                run_id: r.run_id.clone(),
                verdict: r.verdict,
                checks: r
                    .checks
                    .iter()
                    .filter(|c| c.verdict != Verdict::Pass)
                    .map(|c| {
                        format!(
                            "{} ({}): {}",
                            c.name,
                            c.verdict,
                            c.evidence.lines().next().unwrap_or("")
                        )
                    })
                    .collect(),
                error: r.error.clone(),
                reproduce: r.reproduce.clone(),
            })
            .collect(),
        lost_writes: lost,
        expected_damage,
    }
}

/// The run whose per-node event sequences occur most often among `runs` (earliest on a tie).
pub fn representative(runs: &[RunRecord]) -> Option<&RunRecord> {
    let sequences: Vec<_> = runs.iter().map(node_sequences).collect();
    let count = |i: usize| sequences.iter().filter(|s| **s == sequences[i]).count();
    // max_by_key keeps the last maximum; iterate in reverse so the earliest run wins a tie.
    (0..runs.len())
        .rev()
        .max_by_key(|&i| count(i))
        .map(|i| &runs[i])
}

/// The run with id `id` among `runs`.
pub(super) fn run_by_id<'a>(runs: &'a [RunRecord], id: &str) -> Option<&'a RunRecord> {
    runs.iter().find(|r| r.run_id == id)
}

fn worst(v: &[Verdict]) -> Verdict {
    v.iter().copied().max().unwrap_or(Verdict::Pass)
}

/// `pass` for one run, `67% pass (worst fail)` for several.
pub(super) fn verdicts(v: &[Verdict]) -> String {
    match v {
        [] => "absent".to_string(),
        [one] => one.to_string(),
        many => format!(
            "{} pass (worst {})",
            percent(pass_rate(many).unwrap_or(0.0)),
            worst(many)
        ),
    }
}

/// `67%`.
pub(super) fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

fn first_error(runs: &[RunRecord]) -> String {
    runs.iter()
        .find_map(|r| r.error.as_ref().map(|e| format!("; {}: {e}", r.run_id)))
        .unwrap_or_default()
}

fn measurement_detail(d: &MeasurementDelta, t: Threshold) -> String {
    let s = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2} s"));
    let limit = format!("threshold +{} and +{:.2} s", percent(t.relative), t.floor_s);
    if d.regressions.is_empty() {
        format!(
            "p50 {} -> {}, p95 {} -> {}; {limit}",
            s(d.old.p50),
            s(d.new.p50),
            s(d.old.p95),
            s(d.new.p95)
        )
    } else {
        format!("{}; {limit}", d.regressions.join("; "))
    }
}
