//! Log sequence differences between two runs.
//!
//! A node's **sequence** is the ordered list of the distinct event kinds it logged, each at its
//! first occurrence (the record's events are in time order). Repeats (a second health-check
//! retry, another watchdog state change) are folded away so that timing noise in how often
//! something repeats does not show as a difference; what is left is *what happened, in which
//! order*.
//!
//! Two sequences are compared through their longest common subsequence (LCS). A kind outside the
//! LCS is **added** when only the candidate has it, **removed** when only the baseline has it,
//! and **moved** when both have it but in a different order relative to the rest.

use crate::record::RunRecord;
use crate::timeline::EventKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Each node's sequence of distinct event kinds in order of first occurrence.
pub fn node_sequences(run: &RunRecord) -> BTreeMap<String, Vec<EventKind>> {
    let mut out: BTreeMap<String, Vec<EventKind>> = BTreeMap::new();
    for e in &run.events {
        let seq = out.entry(e.node.to_string()).or_default();
        if !seq.contains(&e.kind) {
            seq.push(e.kind);
        }
    }
    out
}

/// How one node's sequence differs between the baseline and the candidate.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SequenceDiff {
    /// The node (`node1`, `node2`, `harness`).
    pub node: String,
    /// The baseline's sequence.
    pub baseline: Vec<EventKind>,
    /// The candidate's sequence.
    pub candidate: Vec<EventKind>,
    /// Kinds only the candidate logged.
    pub added: Vec<EventKind>,
    /// Kinds only the baseline logged.
    pub removed: Vec<EventKind>,
    /// Kinds both logged, in another order relative to the others.
    pub moved: Vec<EventKind>,
}

impl SequenceDiff {
    /// Whether the two sequences are the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.moved.is_empty()
    }

    /// One line: `node2: +peer_lost -peer_shutdown ~leader_lost`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (sign, kinds) in [("+", &self.added), ("-", &self.removed), ("~", &self.moved)] {
            parts.extend(kinds.iter().map(|k| format!("{sign}{k}")));
        }
        format!("{}: {}", self.node, parts.join(" "))
    }
}

/// Compares every node's sequence of two runs; nodes on one side only compare against an empty
/// sequence. Only nodes whose sequences differ are returned.
pub fn sequence_diffs(baseline: &RunRecord, candidate: &RunRecord) -> Vec<SequenceDiff> {
    let b = node_sequences(baseline);
    let c = node_sequences(candidate);
    let mut nodes: Vec<&String> = b.keys().chain(c.keys()).collect();
    nodes.sort();
    nodes.dedup();
    nodes
        .into_iter()
        .map(|node| {
            let empty = Vec::new();
            diff(
                node,
                b.get(node).unwrap_or(&empty),
                c.get(node).unwrap_or(&empty),
            )
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Diffs two sequences of distinct kinds.
pub fn diff(node: &str, baseline: &[EventKind], candidate: &[EventKind]) -> SequenceDiff {
    let common = lcs(baseline, candidate);
    let outside = |seq: &[EventKind]| -> Vec<EventKind> {
        seq.iter()
            .filter(|k| !common.contains(k))
            .copied()
            .collect()
    };
    let (b_out, c_out) = (outside(baseline), outside(candidate));
    SequenceDiff {
        node: node.to_string(),
        baseline: baseline.to_vec(),
        candidate: candidate.to_vec(),
        added: c_out
            .iter()
            .filter(|k| !baseline.contains(k))
            .copied()
            .collect(),
        removed: b_out
            .iter()
            .filter(|k| !candidate.contains(k))
            .copied()
            .collect(),
        moved: c_out
            .iter()
            .filter(|k| baseline.contains(k))
            .copied()
            .collect(),
    }
}

/// The longest common subsequence of `a` and `b` (classic dynamic programme; sequences are a few
/// dozen kinds long).
fn lcs(a: &[EventKind], b: &[EventKind]) -> Vec<EventKind> {
    let (n, m) = (a.len(), b.len());
    let mut len = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i][j] = if a[i] == b[j] {
                len[i + 1][j + 1] + 1
            } else {
                len[i + 1][j].max(len[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(len[0][0]);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if len[i + 1][j] >= len[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    #[test]
    fn identical_sequences_do_not_differ() {
        let s = [FaultStarted, BackendDown, FailoverDone];
        assert!(diff("node2", &s, &s).is_empty());
    }

    #[test]
    fn added_removed_and_moved_kinds_are_told_apart() {
        let b = [
            FaultStarted,
            PeerShutdown,
            LeaderLost,
            BackendDown,
            FailoverDone,
        ];
        let c = [
            FaultStarted,
            PeerLost,
            BackendDown,
            LeaderLost,
            FailoverDone,
        ];
        let d = diff("node2", &b, &c);
        assert_eq!(d.added, [PeerLost]);
        assert_eq!(d.removed, [PeerShutdown]);
        // LCS keeps fault_started, backend_down, failover_done (or leader_lost instead of
        // backend_down); the other one of the pair moved.
        assert_eq!(d.moved.len(), 1);
        assert!(matches!(d.moved[0], LeaderLost | BackendDown));
        assert_eq!(
            d.summary(),
            format!("node2: +peer_lost -peer_shutdown ~{}", d.moved[0])
        );
    }

    #[test]
    fn lcs_is_longest() {
        assert_eq!(
            lcs(
                &[Promote, NewTimeline, FailoverDone, VipAcquired],
                &[NewTimeline, Promote, FailoverDone, VipAcquired]
            )
            .len(),
            3
        );
    }
}
