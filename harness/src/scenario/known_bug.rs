//! Known upstream bugs as scenarios (`faults/known-bugs/`): a scenario declares the bug it shows,
//! the releases that have it, the upstream fix, and which workarounds it withholds so the bug is
//! not hidden. Its expectations may apply only where the bug is present (`when_bug: present`) or
//! only where it is fixed (`when_bug: fixed`); the run's release decides which set is judged.

use crate::release::Workaround;
use serde::{Deserialize, Serialize};

/// `known_bug:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBugSpec {
    /// A short stable id (`heartbeat-receiver-loopback`).
    pub id: String,
    /// What goes wrong, in one line.
    pub summary: String,
    /// The pgpool-II version that fixed it; absent when upstream has not fixed it.
    pub fixed_in: Option<String>,
    /// The release-note line of the fix (required with `fixed_in`).
    pub release_note: Option<String>,
    /// The releases (folders of images/) on which the bug is expected.
    pub present_on: Vec<String>,
    /// Workarounds the release declares that would hide the bug: not applied in this scenario.
    #[serde(default)]
    pub without_workarounds: Vec<Workaround>,
    /// The bug keeps the heartbeat life-check from starting: the steps start once the cluster
    /// serves instead of waiting for the life-check (which would time out).
    #[serde(default)]
    pub start_when_serving: bool,
    /// Where the bug is present, pgpool never fails over (it does not notice the fault): the
    /// failover sequence, its budgets and ids are not judged there, and `primary_kept` checks
    /// that no failover happened. Where it is fixed, the failover is judged as usual.
    #[serde(default)]
    pub prevents_failover: bool,
}

/// Whether a known bug shows on a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BugState {
    /// The release has the bug.
    Present,
    /// The release does not have it (fixed, or never had it).
    Fixed,
}

impl BugState {
    /// `present` / `fixed`.
    pub fn name(self) -> &'static str {
        match self {
            BugState::Present => "present",
            BugState::Fixed => "fixed",
        }
    }
}

/// A validated `known_bug:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnownBug {
    /// See [`KnownBugSpec::id`].
    pub id: String,
    /// See [`KnownBugSpec::summary`].
    pub summary: String,
    /// See [`KnownBugSpec::fixed_in`].
    pub fixed_in: Option<String>,
    /// See [`KnownBugSpec::release_note`].
    pub release_note: Option<String>,
    /// See [`KnownBugSpec::present_on`].
    pub present_on: Vec<String>,
    /// See [`KnownBugSpec::without_workarounds`].
    pub without_workarounds: Vec<Workaround>,
    /// See [`KnownBugSpec::start_when_serving`].
    pub start_when_serving: bool,
    /// See [`KnownBugSpec::prevents_failover`].
    pub prevents_failover: bool,
}

impl KnownBug {
    /// Whether a failover is prevented on `release` (the bug is expected there and stops it).
    pub fn prevents_failover_on(&self, release: &str) -> bool {
        self.prevents_failover && self.expected_on(release) == BugState::Present
    }

    /// What the scenario expects on `release`.
    pub fn expected_on(&self, release: &str) -> BugState {
        if self.present_on.iter().any(|r| r == release) {
            BugState::Present
        } else {
            BugState::Fixed
        }
    }
}

/// What a run found about its scenario's known bug (`run.json` `known_bug`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnownBugRecord {
    /// The bug's id.
    pub id: String,
    /// Where upstream fixed it (`4.6.3: "Fix heartbeat receiver not working."`), or `not fixed`.
    pub upstream_fix: String,
    /// What the scenario declared for this run's release: `present` or `fixed`.
    pub expected: String,
    /// What the run showed: the expected state when every expectation of that state held,
    /// `unknown` when the run could not exercise the bug (a step's action failed, e.g. a fault
    /// that did not take effect, or the run ended early), else `new` (the release behaves as the
    /// scenario did not foresee: read the checks).
    pub observed: String,
    /// The scenario lines of the expectations judged on this run that tell present from fixed
    /// (those marked `when_bug`): the qualify report quotes the first one's check as the bug's
    /// evidence, not whatever expectation (a precondition, the fault taking effect) came first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_lines: Vec<usize>,
}

impl KnownBugRecord {
    /// The record for a run on `release` whose expectations all held (`held: Some(true)`), did
    /// not (`Some(false)`), or that could not exercise the bug (`None`); `evidence_lines` are
    /// the lines of its `when_bug` expectations.
    pub fn judge(
        bug: &KnownBug,
        release: &str,
        held: Option<bool>,
        evidence_lines: Vec<usize>,
    ) -> KnownBugRecord {
        let expected = bug.expected_on(release);
        KnownBugRecord {
            id: bug.id.clone(),
            upstream_fix: match (&bug.fixed_in, &bug.release_note) {
                (Some(v), Some(note)) => format!("{v}: \"{note}\""),
                (Some(v), None) => v.clone(),
                _ => "not fixed upstream".into(),
            },
            expected: expected.name().into(),
            observed: match held {
                Some(true) => expected.name().into(),
                Some(false) => "new".into(),
                None => "unknown".into(),
            },
            evidence_lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bug() -> KnownBug {
        KnownBug {
            id: "b".into(),
            summary: "s".into(),
            fixed_in: Some("4.6.3".into()),
            release_note: Some("Fix it.".into()),
            present_on: vec!["pg17-pgpool46".into()],
            without_workarounds: vec![Workaround::HeartbeatLoopback],
            start_when_serving: false,
            prevents_failover: false,
        }
    }

    #[test]
    fn the_release_decides_the_expected_state_and_a_failed_run_is_new_behaviour() {
        let b = bug();
        assert_eq!(b.expected_on("pg17-pgpool46"), BugState::Present);
        assert_eq!(b.expected_on("pg18-pgpool47"), BugState::Fixed);
        let r = KnownBugRecord::judge(&b, "pg17-pgpool46", Some(true), vec![12]);
        assert_eq!(
            (r.expected.as_str(), r.observed.as_str()),
            ("present", "present")
        );
        assert_eq!(r.upstream_fix, "4.6.3: \"Fix it.\"");
        assert!(!b.prevents_failover_on("pg17-pgpool46"));
        let stops = KnownBug {
            prevents_failover: true,
            ..bug()
        };
        assert!(stops.prevents_failover_on("pg17-pgpool46"));
        assert!(!stops.prevents_failover_on("pg15-pgpool43"));
        let r = KnownBugRecord::judge(&b, "pg18-pgpool47", Some(false), Vec::new());
        assert_eq!((r.expected.as_str(), r.observed.as_str()), ("fixed", "new"));
        let r = KnownBugRecord::judge(&b, "pg17-pgpool46", None, Vec::new());
        assert_eq!(r.observed, "unknown");
    }
}
