//! Matching one expected sequence (a profile's `sequences` entry) against one node's events
//! inside a window, in time linear in the window.

use crate::grammar::Sequence;
use crate::timeline::{Event, EventKind, Timeline};

/// Each node's event indices, in timeline order, so windowed searches never scan other nodes.
pub struct NodeIndex<'a> {
    /// (node, its indices); a cluster has a handful of nodes.
    by_node: Vec<(&'a str, Vec<usize>)>,
}

impl<'a> NodeIndex<'a> {
    /// Indexes `timeline` by node.
    pub fn new(timeline: &'a Timeline) -> NodeIndex<'a> {
        let mut by_node: Vec<(&str, Vec<usize>)> = Vec::new();
        let mut last = 0usize;
        for (i, e) in timeline.events().iter().enumerate() {
            if by_node.get(last).is_none_or(|(n, _)| *n != e.node) {
                last = match by_node.iter().position(|(n, _)| *n == e.node) {
                    Some(at) => at,
                    None => {
                        by_node.push((e.node.as_str(), Vec::new()));
                        by_node.len() - 1
                    }
                };
            }
            by_node[last].1.push(i);
        }
        NodeIndex { by_node }
    }

    /// The first event of `kind` on `node` at index `from..=end`.
    pub fn first_in(
        &self,
        events: &[Event],
        node: &str,
        kind: EventKind,
        from: usize,
        end: usize,
    ) -> Option<usize> {
        let list = &self.by_node.iter().find(|(n, _)| *n == node)?.1;
        let start = list.partition_point(|&i| i < from);
        list[start..]
            .iter()
            .take_while(|&&i| i <= end)
            .find(|&&i| events[i].kind == kind)
            .copied()
    }
}

/// The result of matching one sequence.
#[derive(Debug, Default)]
pub struct VariantMatch {
    /// The first matched event (the failover's first sign).
    pub first: Option<usize>,
    /// Matched indices per step.
    pub matched: Vec<Vec<usize>>,
    /// What is missing or out of order (empty = matched).
    pub problems: Vec<String>,
}

/// Matches `seq` on `node` within `from..=end`: each step's required kinds after the previous
/// step's last match, then the unordered kinds after the first match and up to `beside_end`.
pub fn match_variant(
    index: &NodeIndex<'_>,
    events: &[Event],
    node: &str,
    (from, end, beside_end): (usize, usize, usize),
    seq: &Sequence,
) -> VariantMatch {
    let mut out = VariantMatch::default();
    let mut at = from;
    for (n, step) in seq.steps.iter().enumerate() {
        let mut matched = Vec::new();
        for kind in &step.required {
            match index.first_in(events, node, *kind, at, end) {
                Some(i) => matched.push(i),
                None => {
                    let earlier = index.first_in(events, node, *kind, from, end).is_some();
                    out.problems.push(if earlier {
                        format!(
                            "step {} ({}): {kind} only before step {n}",
                            n + 1,
                            step.title
                        )
                    } else {
                        format!("step {} ({}): missing {kind}", n + 1, step.title)
                    });
                }
            }
        }
        if let Some(last) = matched.iter().max() {
            at = at.max(*last);
        }
        out.matched.push(matched);
    }
    out.first = out.matched.iter().flatten().min().copied();
    let begin = out.first.unwrap_or(from);
    for kind in &seq.unordered {
        if index
            .first_in(events, node, *kind, begin, beside_end.max(end))
            .is_none()
        {
            out.problems
                .push(format!("missing {kind} after step 1 began"));
        }
    }
    out
}
