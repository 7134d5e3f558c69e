//! Forbidden patterns (PANIC, segfault, "please report"): the profiles turn them into `forbidden`
//! events, so one rule set serves offline and live runs.

use super::verdict::{cite, Check, Verdict};
use crate::timeline::Timeline;

/// Fails when any `forbidden` event exists, citing the first few.
pub fn check_forbidden(timeline: &Timeline) -> Check {
    const NAME: &str = "forbidden_patterns";
    let hits: Vec<String> = timeline
        .events()
        .iter()
        .filter(|e| e.is_forbidden())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{Grammar, GrammarDef};
    use crate::timeline::EventKind;

    fn scan(text: &str) -> Timeline {
        let g = Grammar::new(GrammarDef::builtin("pgpool").unwrap(), &[]).unwrap();
        Timeline::from_unsorted(
            g.scan_bytes(text.as_bytes(), "node1", "postgresql.log")
                .events,
        )
    }

    /// Recorded in a real primary-disk-readonly run: the WAL writer was the first to write after
    /// the remount, so its PANIC was the only line naming the read-only filesystem.
    #[test]
    fn a_panic_on_the_read_only_filesystem_is_that_event_and_still_forbidden() {
        let t = scan(
            "2026-11-30 10:28:50.702 UTC [818] PANIC:  could not write to log file \
             \"000000010000000000000003\" at offset 229376, length 8192: Read-only file system\n",
        );
        let e = &t.events()[0];
        assert_eq!(e.kind, EventKind::ReadOnlyFilesystem);
        assert!(e.is_forbidden());
        assert_eq!(e.forbidden_pattern(), Some("PANIC"));
        assert_eq!(check_forbidden(&t).verdict, Verdict::Fail);
    }

    #[test]
    fn an_error_on_the_read_only_filesystem_is_not_forbidden() {
        let t = scan(
            "2026-11-30 10:28:50.702 UTC [818] ERROR:  could not extend file \"base/5/16384\": \
             Read-only file system\n",
        );
        assert_eq!(t.events()[0].kind, EventKind::ReadOnlyFilesystem);
        assert_eq!(check_forbidden(&t).verdict, Verdict::Pass);
    }

    #[test]
    fn any_other_panic_stays_a_forbidden_event() {
        let t = scan("2026-11-30 10:28:50.718 UTC [187] PANIC:  could not locate a valid checkpoint record\n");
        assert_eq!(t.events()[0].kind, EventKind::Forbidden);
        assert_eq!(check_forbidden(&t).verdict, Verdict::Fail);
    }
}
