//! Run identity and the labels every Docker object we create carries.
//!
//! The reaper needs to know whether the run that created an object is still alive, even after that
//! run was killed with SIGKILL. We record the owner's PID and its kernel start time (field 22 of
//! `/proc/<pid>/stat`), which together identify a process even after PID reuse. A cluster left up
//! on purpose (`hachaos up`, `--keep`) carries [`LABEL_KEEP`] from its creation, but is kept only
//! once it is whole: [`crate::cluster::Cluster::keep`] then creates its marker volume
//! ([`kept_marker_name`], labelled [`LABEL_KEPT`]). Until then the reaper treats it like any other
//! run whose owner died, so an `up` killed half-way through its boot leaves nothing behind; a
//! marked cluster is only removed by `down` or `clean --all`. (Labels cannot be changed after
//! creation, hence a separate object.)

use crate::{LABEL_MANAGED_BY, LABEL_RUN_ID, MANAGED_BY_VALUE};
use std::collections::HashMap;
use std::fmt;

/// The label holding the PID of the process that owns a run.
pub const LABEL_OWNER_PID: &str = "org.hachaos.owner-pid";
/// The label holding the owner's start time in clock ticks since boot.
pub const LABEL_OWNER_START: &str = "org.hachaos.owner-start";
/// Present (`true`) on objects of a cluster meant to be left up on purpose.
pub const LABEL_KEEP: &str = "org.hachaos.keep";
/// Present (`true`) on the marker volume of a kept cluster that finished its boot.
pub const LABEL_KEPT: &str = "org.hachaos.kept";

/// The marker volume's name for `run`: it holds no data, its existence says "kept".
pub fn kept_marker_name(run: &RunId) -> String {
    format!("hachaos-{run}-kept")
}

/// The labels of `run`'s marker volume: the run's, without an owner (the marker outlives the
/// process that made it, by design), with [`LABEL_KEEP`] and [`LABEL_KEPT`].
pub fn kept_marker_labels(run: &RunId) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_MANAGED_BY.to_string(), MANAGED_BY_VALUE.to_string()),
        (LABEL_RUN_ID.to_string(), run.to_string()),
        (LABEL_KEEP.to_string(), "true".to_string()),
        (LABEL_KEPT.to_string(), "true".to_string()),
    ])
}

/// Identifies one run: short, lowercase, safe in container and network names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RunId(String);

impl RunId {
    /// A fresh id: `r` + 8 random hex digits.
    pub fn generate() -> RunId {
        RunId(format!("r{:08x}", rand::random::<u32>()))
    }

    /// Accepts an id given by a user (`hachaos down --run r1a2b3c4d`).
    pub fn parse(s: &str) -> Option<RunId> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        ok.then(|| RunId(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The labels for an object of `run`, owned by this process.
pub fn labels_for(run: &RunId, keep: bool) -> HashMap<String, String> {
    let mut labels = HashMap::from([
        (LABEL_MANAGED_BY.to_string(), MANAGED_BY_VALUE.to_string()),
        (LABEL_RUN_ID.to_string(), run.to_string()),
        (LABEL_OWNER_PID.to_string(), std::process::id().to_string()),
    ]);
    if let Some(start) = process_start_ticks(std::process::id()) {
        labels.insert(LABEL_OWNER_START.to_string(), start.to_string());
    }
    if keep {
        labels.insert(LABEL_KEEP.to_string(), "true".to_string());
    }
    labels
}

/// The start time of `pid` in clock ticks since boot, if the process exists.
pub(crate) fn process_start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    // rest starts at field 3 (state); starttime is field 22, i.e. index 19 here.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `labels` name an owner process that is gone. An object without owner labels (made
/// by hand or by `compose/`) has no known owner and is never called dead: only `clean` removes it.
pub(crate) fn owner_dead(labels: &HashMap<String, String>) -> bool {
    labels.contains_key(LABEL_OWNER_PID) && !owner_alive(labels)
}

/// Whether the owner recorded in `labels` is still running (false without owner labels).
pub(crate) fn owner_alive(labels: &HashMap<String, String>) -> bool {
    let Some(pid) = labels
        .get(LABEL_OWNER_PID)
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return false;
    };
    match (
        process_start_ticks(pid),
        labels
            .get(LABEL_OWNER_START)
            .and_then(|s| s.parse::<u64>().ok()),
    ) {
        (Some(now), Some(recorded)) => now == recorded,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_run_ids_are_valid_and_distinct() {
        let a = RunId::generate();
        let b = RunId::generate();
        assert_ne!(a, b);
        assert_eq!(RunId::parse(a.as_str()), Some(a));
        assert_eq!(RunId::parse("Bad Id"), None);
        assert_eq!(RunId::parse(""), None);
    }

    #[test]
    fn labels_carry_managed_by_run_id_and_owner() {
        let run = RunId::parse("r1").unwrap();
        let labels = labels_for(&run, false);
        assert_eq!(labels[LABEL_MANAGED_BY], "hachaos");
        assert_eq!(labels[LABEL_RUN_ID], "r1");
        assert!(owner_alive(&labels), "this process is alive");
        assert!(!labels.contains_key(LABEL_KEEP));
        assert_eq!(labels_for(&run, true)[LABEL_KEEP], "true");
    }

    #[test]
    fn an_owner_whose_start_time_differs_is_dead() {
        let mut labels = labels_for(&RunId::parse("r1").unwrap(), false);
        labels.insert(LABEL_OWNER_START.into(), "1".into());
        assert!(!owner_alive(&labels));
        labels.insert(LABEL_OWNER_PID.into(), "4000000000".into());
        assert!(!owner_alive(&labels));
        assert!(owner_dead(&labels));
    }

    #[test]
    fn an_object_without_an_owner_is_never_called_dead() {
        let labels = HashMap::from([(LABEL_MANAGED_BY.to_string(), "hachaos".to_string())]);
        assert!(!owner_dead(&labels));
    }
}
