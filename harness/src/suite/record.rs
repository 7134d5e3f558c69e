//! The suite record: every case of one `hachaos run` over many scenarios (or of merged shards),
//! the single input of the suite reporters. `suite.json` is this structure serialised.

use super::case::{Case, Shard};
use crate::checks::Verdict;
use crate::exit_code::ExitCode;
use crate::measure::MeasurementKind;
use crate::record::{RunRecord, RunTimings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the `suite.json` format; it changes when a field changes meaning or
/// disappears, not when one is added.
pub const SUITE_FORMAT_VERSION: u32 = 1;

/// How a case ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed.
    Pass,
    /// A check failed.
    Fail,
    /// A check could not decide.
    Unknown,
    /// The case never ran its steps: the cluster did not come up, the run directory could not
    /// be written (an environment problem).
    Environment,
    /// Not started: the suite stopped first (a failure without `--keep-going`, or Ctrl-C).
    NotRun,
    /// Started, then Ctrl-C / SIGTERM: its faults were healed and its cluster removed.
    Interrupted,
}

impl Outcome {
    /// The verdict's outcome (an interrupted run's record says so in its error).
    pub fn of(record: &RunRecord, interrupted: bool) -> Outcome {
        if interrupted {
            return Outcome::Interrupted;
        }
        match record.verdict {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail => Outcome::Fail,
            Verdict::Unknown => Outcome::Unknown,
        }
    }

    /// Lowercase name, as in `suite.json`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
            Outcome::Environment => "environment",
            Outcome::NotRun => "not_run",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// One case as it ended.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseRecord {
    /// Which case.
    pub case: Case,
    /// Its stable name ([`Case::name`]).
    pub name: String,
    /// The scenario file.
    pub file: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Its run id (none when it never booted).
    pub run_id: Option<String>,
    /// Its run directory, relative to the suite directory when inside it.
    pub run_dir: Option<String>,
    /// Wall time of the case, in milliseconds.
    pub duration_ms: u64,
    /// Where that time went (from its run record).
    pub timings: Option<RunTimings>,
    /// Each measured phase, in seconds from the fault (absent: not observed).
    pub measurements: BTreeMap<String, f64>,
    /// Checks that did not pass, by name.
    pub failed_checks: Vec<String>,
    /// Why it ended early or failed to start.
    pub error: Option<String>,
    /// The command that reproduces it.
    pub reproduce: String,
}

impl CaseRecord {
    /// A case that has a run record.
    pub fn from_run(
        case: Case,
        record: &RunRecord,
        interrupted: bool,
        suite_dir: &std::path::Path,
    ) -> CaseRecord {
        let run_dir = std::path::Path::new(&record.run_dir);
        let rel = run_dir
            .strip_prefix(suite_dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| record.run_dir.clone());
        CaseRecord {
            name: case.name(),
            case,
            file: record.scenario.file.clone(),
            outcome: Outcome::of(record, interrupted),
            run_id: Some(record.run_id.clone()),
            run_dir: Some(rel),
            duration_ms: record.duration_ms,
            timings: record.timings.clone(),
            measurements: record
                .measurements
                .iter()
                .filter_map(|m| Some((m.kind.name().to_string(), m.seconds?)))
                .collect(),
            failed_checks: record
                .checks
                .iter()
                .filter(|c| c.verdict != Verdict::Pass)
                .map(|c| c.name.clone())
                .collect(),
            error: record.error.clone(),
            reproduce: record.reproduce.clone(),
        }
    }

    /// A case without a run record (environment error, not run).
    pub fn without_run(
        case: Case,
        file: String,
        outcome: Outcome,
        error: Option<String>,
        reproduce: String,
    ) -> CaseRecord {
        CaseRecord {
            name: case.name(),
            case,
            file,
            outcome,
            run_id: None,
            run_dir: None,
            duration_ms: 0,
            timings: None,
            measurements: BTreeMap::new(),
            failed_checks: Vec::new(),
            error,
            reproduce,
        }
    }
}

/// Time spent per release before any case: ensuring its node image.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageTime {
    /// The release.
    pub release: String,
    /// The image tag.
    pub image: String,
    /// How long ensuring it took (a cache hit is ~0).
    pub ms: u64,
}

/// One suite.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuiteRecord {
    /// See [`SUITE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The harness's version.
    pub harness_version: String,
    /// The suite id (the folder under `reports/suite/`).
    pub suite_id: String,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// Wall time, in milliseconds (for merged shards: the longest shard).
    pub duration_ms: u64,
    /// Clusters at once.
    pub jobs: u32,
    /// The shard this machine ran, if split.
    pub shard: Option<Shard>,
    /// The suites merged into this one (`hachaos report --merge`), by id.
    #[serde(default)]
    pub merged_from: Vec<String>,
    /// Image time per release.
    pub images: Vec<ImageTime>,
    /// Every case, in suite order.
    pub cases: Vec<CaseRecord>,
    /// The cases' timings added up.
    pub totals: RunTimings,
    /// How many cases ended how.
    pub counts: BTreeMap<String, usize>,
    /// The command line.
    pub command: String,
}

impl SuiteRecord {
    /// Fills the derived fields (totals, counts) from the cases.
    pub fn summarise(&mut self) {
        let mut totals = RunTimings::default();
        let mut counts = BTreeMap::new();
        for c in &self.cases {
            if let Some(t) = &c.timings {
                totals.add(t);
            }
            *counts.entry(c.outcome.name().to_string()).or_insert(0) += 1;
        }
        self.totals = totals;
        self.counts = counts;
    }

    /// The suite's exit code: 130 if interrupted, else 1 if any case failed, else 3 if any case
    /// hit an environment problem, else 4 if any could not be decided (or did not run), else 0.
    pub fn exit_code(&self) -> ExitCode {
        let any = |o: Outcome| self.cases.iter().any(|c| c.outcome == o);
        if any(Outcome::Interrupted) {
            ExitCode::Interrupted
        } else if any(Outcome::Fail) {
            ExitCode::ScenarioFailed
        } else if any(Outcome::Environment) {
            ExitCode::Environment
        } else if any(Outcome::Unknown) || any(Outcome::NotRun) || self.cases.is_empty() {
            ExitCode::Unknown
        } else {
            ExitCode::Pass
        }
    }

    /// Each measured phase's values over the cases of `release` and `scenario`.
    pub fn values(&self, release: &str, scenario: &str, kind: MeasurementKind) -> Vec<f64> {
        self.cases
            .iter()
            .filter(|c| c.case.release == release && c.case.scenario == scenario)
            .filter_map(|c| c.measurements.get(kind.name()).copied())
            .collect()
    }

    /// Merges shard suites into one (cases in the order of the first shard's, then the others';
    /// a case present twice keeps its first copy). `dirs` are the shard folders, so each case's
    /// run directory stays reachable from the merged report written in `into`.
    pub fn merge(
        id: &str,
        shards: &[(std::path::PathBuf, SuiteRecord)],
        into: &std::path::Path,
    ) -> SuiteRecord {
        let mut cases: Vec<CaseRecord> = Vec::new();
        let mut images: Vec<ImageTime> = Vec::new();
        for (dir, s) in shards {
            for c in &s.cases {
                if cases.iter().any(|x| x.name == c.name) {
                    continue;
                }
                let mut c = c.clone();
                if let Some(rd) = &c.run_dir {
                    let abs = if std::path::Path::new(rd).is_absolute() {
                        std::path::PathBuf::from(rd)
                    } else {
                        dir.join(rd)
                    };
                    c.run_dir = Some(relative(&abs, into));
                }
                cases.push(c);
            }
            for i in &s.images {
                if !images.iter().any(|x| x.release == i.release) {
                    images.push(i.clone());
                }
            }
        }
        let mut merged = SuiteRecord {
            format_version: SUITE_FORMAT_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            suite_id: id.to_string(),
            started_at: shards
                .iter()
                .map(|(_, s)| s.started_at.clone())
                .min()
                .unwrap_or_default(),
            duration_ms: shards.iter().map(|(_, s)| s.duration_ms).max().unwrap_or(0),
            jobs: shards.iter().map(|(_, s)| s.jobs).max().unwrap_or(0),
            shard: None,
            merged_from: shards.iter().map(|(_, s)| s.suite_id.clone()).collect(),
            images,
            cases,
            totals: RunTimings::default(),
            counts: BTreeMap::new(),
            command: shards
                .iter()
                .map(|(_, s)| s.command.clone())
                .collect::<Vec<_>>()
                .join(" ; "),
        };
        merged.summarise();
        merged
    }
}

/// `target` relative to `from` (both made absolute from the working directory), for links.
pub fn relative(target: &std::path::Path, from: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect::<Vec<_>>()
            .iter()
            .map(|c| c.as_os_str().to_os_string())
            .collect::<Vec<_>>()
    };
    let t = abs(target);
    let f = abs(from);
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), f.len() - common).collect();
    parts.extend(t[common..].iter().map(|c| c.to_string_lossy().into_owned()));
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(scenario: &str, outcome: Outcome) -> CaseRecord {
        CaseRecord::without_run(
            Case {
                scenario: scenario.into(),
                release: "pg17-pgpool46".into(),
                repeat: 1,
            },
            format!("faults/{scenario}.yaml"),
            outcome,
            None,
            String::new(),
        )
    }

    fn suite(cases: Vec<CaseRecord>) -> SuiteRecord {
        let mut s = SuiteRecord {
            format_version: SUITE_FORMAT_VERSION,
            harness_version: "0".into(),
            suite_id: "s".into(),
            started_at: String::new(),
            duration_ms: 0,
            jobs: 3,
            shard: None,
            merged_from: vec![],
            images: vec![],
            cases,
            totals: RunTimings::default(),
            counts: BTreeMap::new(),
            command: String::new(),
        };
        s.summarise();
        s
    }

    #[test]
    fn the_exit_code_is_the_most_important_outcome() {
        use Outcome::*;
        let code = |o: &[Outcome]| {
            suite(o.iter().map(|o| case("x", *o)).collect())
                .exit_code()
                .code()
        };
        assert_eq!(code(&[Pass, Pass]), 0);
        assert_eq!(code(&[Pass, Unknown]), 4);
        assert_eq!(code(&[Pass, Environment, Unknown]), 3);
        assert_eq!(code(&[Environment, Fail]), 1);
        assert_eq!(code(&[Fail, Interrupted, NotRun]), 130);
        assert_eq!(code(&[Pass, NotRun]), 4);
        assert_eq!(code(&[]), 4);
    }

    #[test]
    fn merging_shards_keeps_every_case_once_and_points_at_their_run_dirs() {
        let mut a = case("primary-crash", Outcome::Pass);
        a.run_dir = Some("runs/pg17-pgpool46/primary-crash/r1".into());
        a.timings = Some(RunTimings {
            boot_ms: 1000,
            ..Default::default()
        });
        let b = case("standby-shutdown", Outcome::Fail);
        let s1 = suite(vec![a.clone()]);
        let s2 = suite(vec![b, a]);
        let m = SuiteRecord::merge(
            "m",
            &[
                ("reports/suite/one".into(), s1),
                ("reports/suite/two".into(), s2),
            ],
            std::path::Path::new("reports/suite/m"),
        );
        assert_eq!(m.cases.len(), 2);
        assert_eq!(
            m.cases[0].run_dir.as_deref(),
            Some("../one/runs/pg17-pgpool46/primary-crash/r1")
        );
        assert_eq!(m.totals.boot_ms, 1000);
        assert_eq!(m.counts.get("fail"), Some(&1));
        assert_eq!(m.exit_code().code(), 1);
    }
}
