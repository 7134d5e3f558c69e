//! The exploration record (`exploration.json`, versioned, schema in `docs/schemas/`) and its
//! renderings: the text summary and JUnit (one test case per schedule). Reporters only render a
//! finished record; they decide nothing.

use super::invariants::{Invariant, Judgement};
use crate::suite::Outcome;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// The version of the `exploration.json` format; it changes when a field changes meaning or
/// disappears, not when one is added.
pub const EXPLORATION_FORMAT_VERSION: u32 = 1;

/// One exploration: what was drawn, what each run showed, what was shrunk.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExplorationRecord {
    /// See [`EXPLORATION_FORMAT_VERSION`].
    pub format_version: u32,
    /// The harness that drew and judged the schedules (schedules are reproducible per version).
    pub harness_version: String,
    /// The exploration's id (its folder under `reports/explore/`).
    pub id: String,
    /// The seed.
    pub seed: u64,
    /// The release the schedules ran on.
    pub release: String,
    /// `--set` overrides, as given.
    pub config: BTreeMap<String, String>,
    /// The fault kinds drawn from.
    pub faults: Vec<String>,
    /// The settle time every `recover` allowed, in seconds (derived from the configuration).
    pub settle_s: f64,
    /// The command line.
    pub command: String,
    /// RFC 3339 start.
    pub started_at: String,
    /// Wall time of the whole exploration (runs, shrinking, repeats), in milliseconds.
    pub duration_ms: u64,
    /// Wall time of the schedules' runs alone (what schedules per hour is computed from).
    pub schedules_ms: u64,
    /// Clusters at once.
    pub jobs: u32,
    /// Whether Ctrl-C / SIGTERM cut it short (what finished is still here).
    pub interrupted: bool,
    /// Every schedule run, in order.
    pub schedules: Vec<ScheduleRecord>,
    /// One entry per distinct failure (first schedule that showed it, shrunk).
    pub failures: Vec<FailureRecord>,
    /// The totals.
    pub totals: Totals,
}

/// One schedule's run.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScheduleRecord {
    /// Its number within the exploration (its generator stream).
    pub number: u32,
    /// Its scenario file, relative to the exploration folder.
    pub file: String,
    /// Number of fault steps.
    pub faults: usize,
    /// Its moves, one line each.
    pub moves: Vec<String>,
    /// How the run ended (`fail` also when only a non-invariant check failed).
    pub outcome: Outcome,
    /// The run directory, relative to the exploration folder.
    pub run_dir: Option<String>,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
    /// Why the run ended early or could not start.
    pub error: Option<String>,
    /// What the invariants say.
    pub judgement: Judgement,
    /// The command that replays it.
    pub reproduce: String,
}

impl ScheduleRecord {
    /// Whether the schedule broke an invariant.
    pub fn broke(&self) -> bool {
        !self.judgement.broken.is_empty()
    }
}

/// One distinct failure, shrunk.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailureRecord {
    /// The invariant that identifies it.
    pub invariant: Invariant,
    /// The schedules that broke it (numbers).
    pub schedules: Vec<u32>,
    /// The first such schedule's scenario file (relative to the exploration folder).
    pub original_file: String,
    /// Its moves.
    pub original: Vec<String>,
    /// Its fault steps.
    pub original_faults: usize,
    /// The shrunk scenario file (relative).
    pub minimal_file: String,
    /// Its moves.
    pub minimal: Vec<String>,
    /// Its fault steps.
    pub minimal_faults: usize,
    /// Shrinking runs made, and how many of them still broke the invariant.
    pub shrink_runs: u32,
    /// Of those, the reproducing ones.
    pub shrink_reproduced: u32,
    /// Whether the run budget ran out before a local minimum.
    pub shrink_budget_spent: bool,
    /// Whether Ctrl-C / SIGTERM stopped the shrinking before a local minimum.
    #[serde(default)]
    pub shrink_interrupted: bool,
    /// The minimal schedule re-run `--repeat` times: runs made.
    pub repeat_runs: u32,
    /// And how many broke the invariant again.
    pub repeat_reproduced: u32,
    /// The command that replays the minimal scenario.
    pub reproduce: String,
}

/// The totals of an exploration.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Totals {
    /// Schedules that ran (not interrupted, not environment errors).
    pub schedules_run: usize,
    /// Schedules that broke at least one invariant.
    pub schedules_broken: usize,
    /// Broken invariants counted per invariant (a schedule counts once per invariant).
    pub invariants_broken: BTreeMap<String, usize>,
    /// Distinct failures (by their identifying invariant).
    pub distinct_failures: usize,
    /// Schedules that could not run (environment) or were interrupted.
    pub not_run: usize,
    /// Schedules per hour of schedule running (excluding shrinking and repeats).
    pub schedules_per_hour: f64,
}

impl Totals {
    /// Adds up `schedules`; `failures` and `ms` (the runs' wall time) give the rest.
    pub fn of(schedules: &[ScheduleRecord], failures: usize, ms: u64) -> Totals {
        let ran: Vec<&ScheduleRecord> = schedules
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Pass | Outcome::Fail | Outcome::Unknown))
            .collect();
        let mut invariants_broken = BTreeMap::new();
        for s in &ran {
            for i in s.judgement.invariants() {
                *invariants_broken.entry(i.name().to_string()).or_insert(0) += 1;
            }
        }
        Totals {
            schedules_run: ran.len(),
            schedules_broken: ran.iter().filter(|s| s.broke()).count(),
            invariants_broken,
            distinct_failures: failures,
            not_run: schedules.len() - ran.len(),
            schedules_per_hour: if ms == 0 {
                0.0
            } else {
                ran.len() as f64 * 3_600_000.0 / ms as f64
            },
        }
    }
}

/// The text summary.
pub fn text(r: &ExplorationRecord) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nexploration {} (seed {}, {}{}), {} at once",
        r.id,
        r.seed,
        r.release,
        if r.config.is_empty() {
            String::new()
        } else {
            format!(
                ", {}",
                r.config
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        },
        r.jobs
    );
    for s in &r.schedules {
        let verdict = if s.broke() {
            format!(
                "BROKE {}",
                s.judgement
                    .invariants()
                    .iter()
                    .map(|i| i.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if !matches!(s.outcome, Outcome::Pass | Outcome::Fail | Outcome::Unknown) {
            s.outcome.name().to_string()
        } else if !s.judgement.undecided.is_empty() {
            "invariants kept, some undecided".to_string()
        } else {
            "invariants kept".to_string()
        };
        let _ = writeln!(
            o,
            "  #{:<4} {:>4.0} s  {} fault(s)  {verdict}",
            s.number,
            s.duration_ms as f64 / 1000.0,
            s.faults
        );
    }
    for f in &r.failures {
        let _ = writeln!(
            o,
            "\nfailure {}: schedules {:?}; shrunk in {} run(s) ({} reproduced{}); minimal reproduced {}/{}",
            f.invariant.name(),
            f.schedules,
            f.shrink_runs,
            f.shrink_reproduced,
            if f.shrink_interrupted {
                ", interrupted"
            } else if f.shrink_budget_spent {
                ", budget spent"
            } else {
                ""
            },
            f.repeat_reproduced,
            f.repeat_runs
        );
        let width = f.original.iter().map(|l| l.len()).max().unwrap_or(0).max(8);
        let _ = writeln!(
            o,
            "  {:<width$}  | minimal ({} fault(s))",
            format!("original ({} fault(s))", f.original_faults),
            f.minimal_faults
        );
        for i in 0..f.original.len().max(f.minimal.len()) {
            let _ = writeln!(
                o,
                "  {:<width$}  | {}",
                f.original.get(i).map(String::as_str).unwrap_or(""),
                f.minimal.get(i).map(String::as_str).unwrap_or("")
            );
        }
        let _ = writeln!(o, "  {}: {}", f.minimal_file, f.reproduce);
    }
    let t = &r.totals;
    let _ = writeln!(
        o,
        "\n{} schedule(s) run, {} broke an invariant ({}), {} distinct failure(s), {} not run; {:.1} schedules/hour ({:.0} s of runs, {:.0} s in all){}",
        t.schedules_run,
        t.schedules_broken,
        if t.invariants_broken.is_empty() {
            "none".to_string()
        } else {
            t.invariants_broken
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        t.distinct_failures,
        t.not_run,
        t.schedules_per_hour,
        r.schedules_ms as f64 / 1000.0,
        r.duration_ms as f64 / 1000.0,
        if r.interrupted { "; interrupted" } else { "" }
    );
    o
}

/// JUnit: one test case per schedule, failing when it broke an invariant.
pub fn junit(r: &ExplorationRecord) -> String {
    let mut report = Report::new(format!("hachaos explore {}", r.id));
    let mut suite = TestSuite::new(format!("explore.{}.seed-{}", r.release, r.seed));
    for s in &r.schedules {
        let name = format!("schedule-{:04}", s.number);
        let status = if s.broke() {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(
                s.judgement
                    .invariants()
                    .iter()
                    .map(|i| i.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            st.set_description(
                s.judgement
                    .broken
                    .iter()
                    .map(|b| format!("{}: {}", b.check, b.evidence))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            st
        } else if !matches!(s.outcome, Outcome::Pass | Outcome::Fail | Outcome::Unknown) {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(s.outcome.name());
            if let Some(e) = &s.error {
                st.set_description(e.as_str());
            }
            st
        } else {
            TestCaseStatus::success()
        };
        let mut tc = TestCase::new(name, status);
        tc.set_classname(format!("hachaos.explore.{}", r.release));
        tc.set_time(Duration::from_millis(s.duration_ms));
        tc.set_system_out(format!("{}\n{}", s.moves.join("\n"), s.reproduce));
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::invariants::Broken;

    fn schedule(number: u32, broken: Option<Invariant>, outcome: Outcome) -> ScheduleRecord {
        ScheduleRecord {
            number,
            file: format!("schedules/{number:04}.yaml"),
            faults: 1,
            moves: vec!["network-blackhole on standby".into(), "recover".into()],
            outcome,
            run_dir: None,
            duration_ms: 72_000,
            error: None,
            judgement: Judgement {
                broken: broken
                    .map(|i| Broken {
                        invariant: i,
                        check: "never two writable primaries".into(),
                        evidence: "node1 and node2 from 20.0 s to 40.0 s".into(),
                    })
                    .into_iter()
                    .collect(),
                ..Judgement::default()
            },
            reproduce: "hachaos run x.yaml".into(),
        }
    }

    fn record() -> ExplorationRecord {
        let schedules = vec![
            schedule(1, None, Outcome::Pass),
            schedule(2, Some(Invariant::TwoPrimaries), Outcome::Fail),
            schedule(3, None, Outcome::Interrupted),
        ];
        ExplorationRecord {
            format_version: EXPLORATION_FORMAT_VERSION,
            harness_version: "0.1.0".into(),
            id: "x".into(),
            seed: 42,
            release: "pg17-pgpool46".into(),
            config: BTreeMap::from([("trusted_servers".into(), "none".into())]),
            faults: vec!["network-blackhole".into()],
            settle_s: 93.0,
            command: "hachaos explore --seed 42".into(),
            started_at: "2026-11-30T09:00:00Z".into(),
            duration_ms: 300_000,
            schedules_ms: 144_000,
            jobs: 1,
            interrupted: true,
            totals: Totals::of(&schedules, 1, 144_000),
            schedules,
            failures: Vec::new(),
        }
    }

    #[test]
    fn totals_count_runs_broken_invariants_and_the_pace() {
        let t = record().totals;
        assert_eq!(t.schedules_run, 2);
        assert_eq!(t.schedules_broken, 1);
        assert_eq!(t.not_run, 1);
        assert_eq!(t.invariants_broken["two-primaries"], 1);
        assert!((t.schedules_per_hour - 50.0).abs() < 1e-9);
    }

    #[test]
    fn junit_has_one_case_per_schedule_and_fails_the_broken_one() {
        let x = junit(&record());
        assert_eq!(x.matches("<testcase ").count(), 3, "{x}");
        assert!(x.contains("two-primaries"), "{x}");
        assert_eq!(x.matches("<failure").count(), 1, "{x}");
        assert_eq!(x.matches("<error").count(), 1, "{x}");
    }

    #[test]
    fn the_text_names_the_broken_invariant_and_the_pace() {
        let t = text(&record());
        assert!(t.contains("#2"), "{t}");
        assert!(t.contains("BROKE two-primaries"), "{t}");
        assert!(t.contains("50.0 schedules/hour"), "{t}");
        assert!(t.contains("interrupted"), "{t}");
    }
}
