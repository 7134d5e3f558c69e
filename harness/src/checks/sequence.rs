//! The expected ordered sequence per node: steps in order, each step's events after the previous
//! step's, optionally within a time window.

use super::expectations::Expectations;
use super::failovers::{failovers, judged_failovers, Failover, FailoverKind};
use super::verdict::{cite, list, Check, Verdict};
use crate::timeline::{seconds_between, Timeline};

/// The events that satisfied one step, by timeline index.
#[derive(Clone, Debug, PartialEq)]
pub struct StepMatch {
    /// The step number.
    pub number: u32,
    /// Timeline indices of the first matching event of each required kind (in step order).
    pub matched: Vec<usize>,
    /// Required kinds not found after the previous step.
    pub missing: Vec<String>,
}

/// The node whose sequence is checked: the expectation's, else the first failover executor, else
/// the node with most events of the expected kinds.
pub fn sequence_node(timeline: &Timeline, exp: &Expectations) -> Option<String> {
    if let Some(n) = &exp.sequence_node {
        return Some(n.clone());
    }
    // The headline is the first failover that moved the primary: under split brain the
    // isolated node may first detach its healthy peer, which is not the failover to describe.
    let all = failovers(timeline);
    if let Some(f) = all
        .iter()
        .find(|f| f.kind == FailoverKind::PrimaryFailover)
        .or(all.first())
    {
        return Some(f.executor.clone());
    }
    timeline
        .nodes()
        .into_iter()
        .map(|n| {
            let count = timeline
                .on_node(n)
                .filter(|(_, e)| exp.step_of(e.kind).is_some())
                .count();
            (count, n)
        })
        .filter(|(c, _)| *c > 0)
        .max_by_key(|(c, _)| *c)
        .map(|(_, n)| n.to_string())
}

/// Matches each step on `node`: every required kind's first occurrence after the previous
/// step's last matched event.
pub fn match_steps(timeline: &Timeline, exp: &Expectations, node: &str) -> Vec<StepMatch> {
    let mut from = 0usize;
    let mut out = Vec::new();
    for step in &exp.steps {
        let mut matched = Vec::new();
        let mut missing = Vec::new();
        for kind in &step.required {
            match timeline.first_after(node, *kind, from) {
                Some((i, _)) => matched.push(i),
                None => missing.push(kind.name().to_string()),
            }
        }
        if let Some(last) = matched.iter().max() {
            from = from.max(*last);
        }
        out.push(StepMatch {
            number: step.number,
            matched,
            missing,
        });
    }
    out
}

/// Checks the expected sequence (see the module doc).
pub fn check_sequence(timeline: &Timeline, exp: &Expectations) -> Check {
    check_sequence_of(timeline, exp, None)
}

/// [`check_sequence`], given the [`judged_failovers`] of `timeline` when the caller has them
/// already (judging a year of logs finds them once, not once per use).
pub(crate) fn check_sequence_of(
    timeline: &Timeline,
    exp: &Expectations,
    judged: Option<&[Failover]>,
) -> Check {
    const NAME: &str = "sequence";
    if !exp.variants.is_empty() {
        return match judged {
            Some(all) => check_each_failover(timeline, all),
            None => check_each_failover(timeline, &judged_failovers(timeline, exp)),
        };
    }
    if exp.steps.is_empty() {
        return Check::new(NAME, Verdict::Pass, "no sequence expected");
    }
    let Some(node) = sequence_node(timeline, exp) else {
        return Check::new(
            NAME,
            Verdict::Fail,
            "no node logged any of the expected events",
        );
    };
    let matches = match_steps(timeline, exp, &node);
    let events = timeline.events();
    let mut problems = Vec::new();
    let mut prev_last: Option<usize> = None;
    for (step, m) in exp.steps.iter().zip(&matches) {
        for kind in &m.missing {
            let earlier = timeline
                .on_node(&node)
                .any(|(_, e)| e.kind.name() == kind.as_str());
            problems.push(if earlier {
                format!(
                    "step {} ({}): {kind} only before step {}",
                    step.number,
                    step.title,
                    step.number.saturating_sub(1)
                )
            } else {
                format!("step {} ({}): missing {kind}", step.number, step.title)
            });
        }
        let last = m.matched.iter().max().copied();
        if let (Some(limit), Some(p), Some(l)) = (step.within_secs, prev_last, last) {
            match seconds_between(&events[p], &events[l]) {
                Some(s) if s > limit => problems.push(format!(
                    "step {} ({}) took {s:.3}s after step {}, limit {limit}s ({})",
                    step.number,
                    step.title,
                    step.number - 1,
                    cite(&events[l])
                )),
                None => problems.push(format!(
                    "step {}: no times to check its window",
                    step.number
                )),
                _ => {}
            }
        }
        if last.is_some() {
            prev_last = last;
        }
    }
    // Kinds that run beside the later steps must still occur after the sequence began.
    let begin = matches
        .iter()
        .flat_map(|m| m.matched.iter().copied())
        .min()
        .unwrap_or(0);
    for kind in &exp.unordered {
        if timeline.first_after(&node, *kind, begin).is_none() {
            problems.push(format!("missing {} after step 1 began", kind.name()));
        }
    }
    if problems.is_empty() {
        let all: Vec<usize> = matches
            .iter()
            .flat_map(|m| m.matched.iter().copied())
            .collect();
        let span = match (all.iter().min(), all.iter().max()) {
            (Some(a), Some(b)) => format!(
                " ({} .. {})",
                events[*a].time.map_or("?".into(), |t| t.render()),
                events[*b].time.map_or("?".into(), |t| t.render())
            ),
            _ => String::new(),
        };
        Check::new(
            NAME,
            Verdict::Pass,
            format!("{} steps in order on {node}{span}", exp.steps.len()),
        )
    } else {
        Check::new(
            NAME,
            Verdict::Fail,
            format!("on {node}: {}", problems.join("; ")),
        )
    }
}

/// With a profile's sequences: every failover, on its own executor, must follow one of them.
fn check_each_failover(timeline: &Timeline, all: &[Failover]) -> Check {
    const NAME: &str = "sequence";
    if all.is_empty() {
        return Check::new(NAME, Verdict::Pass, "no failover to check");
    }
    let events = timeline.events();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut undecided = Vec::new();
    // An event whose timestamp is no real time sorts nowhere: on its node, order cannot be
    // judged. (One pass; looked up only for failovers that matched no sequence.)
    let mut invalid_on: std::collections::HashMap<&str, &crate::timeline::Event> =
        std::collections::HashMap::new();
    for e in events
        .iter()
        .filter(|e| e.attrs.contains_key("time_invalid"))
    {
        invalid_on.entry(e.node.as_str()).or_insert(e);
    }
    for f in all {
        let at = cite(&events[f.command_index]);
        let untimed = if f.started_by.is_none() {
            invalid_on.get(f.executor.as_str()).copied()
        } else {
            None
        };
        match (&f.started_by, untimed) {
            (Some(name), _) => good.push(format!("{} {name} ({at})", f.executor)),
            (None, Some(e)) => undecided.push(format!(
                "failover on {} ({at}): order unknown, {} has an impossible timestamp",
                f.executor,
                cite(e)
            )),
            (None, None) => bad.push(format!(
                "failover on {} ({at}) follows no known sequence: {}",
                f.executor,
                f.sequence_problems.join("; ")
            )),
        }
    }
    if bad.is_empty() && !undecided.is_empty() {
        return Check::new(NAME, Verdict::Unknown, list(&undecided, " | ", 10));
    }
    if bad.is_empty() {
        Check::new(
            NAME,
            Verdict::Pass,
            format!(
                "{} failover(s) in a known order: {}",
                all.len(),
                list(&good, ", ", 10)
            ),
        )
    } else {
        Check::new(NAME, Verdict::Fail, list(&bad, " | ", 10))
    }
}
