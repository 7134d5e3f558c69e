//! Forbidden patterns (PANIC, segfault, "please report"): the profiles turn them into `forbidden`
//! events, so one rule set serves offline and live runs.

use super::verdict::{cite, Check, Verdict};
use crate::timeline::{EventKind, Timeline};

/// Fails when any `forbidden` event exists, citing the first few.
pub fn check_forbidden(timeline: &Timeline) -> Check {
    const NAME: &str = "forbidden_patterns";
    let hits: Vec<String> = timeline
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Forbidden)
        .map(|e| format!("{}: {}", cite(e), e.text))
        .collect();
    match hits.len() {
        0 => Check::new(
            NAME,
            Verdict::Pass,
            "no PANIC, segfault or \"please report\"",
        ),
        n => Check::new(
            NAME,
            Verdict::Fail,
            format!(
                "{n} forbidden line(s): {}",
                hits.into_iter().take(5).collect::<Vec<_>>().join(" | ")
            ),
        ),
    }
}
