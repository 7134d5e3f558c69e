//! The scanner never panics: arbitrary bytes, huge lines, invalid UTF-8.

use hachaos::grammar::{Grammar, GrammarDef, MAX_LINE};
use proptest::prelude::*;

fn grammars() -> &'static [Grammar] {
    static GRAMMARS: std::sync::OnceLock<Vec<Grammar>> = std::sync::OnceLock::new();
    GRAMMARS.get_or_init(|| {
        ["pgpool", "kingbase-v8r3"]
            .iter()
            .map(|n| {
                Grammar::new(GrammarDef::builtin(n).unwrap(), &["s3cret".to_string()]).unwrap()
            })
            .collect()
    })
}

/// Fragments that steer random input into the interesting paths (prefixes, keywords, secrets).
const PIECES: &[&str] = &[
    "2022-08-30 15:39:23: pid 17547: LOG:  ",
    "2026-11-25 12:00:01.123: main pid 7: LOG:  ",
    "2026-11-25 12:00:01.123 UTC [42] LOG:  ",
    "-----2022-08-30 15:39:23 ",
    "15:39:33: pid 1: LOG: ",
    "setting backend node 0 status to NODE DOWN",
    "execute command: /x/failover.sh",
    "failover done",
    "=== Failover done. shutdown host a(5432) ===",
    "health check retrying on DB node: 0 (round:",
    "requesting to become a lock",
    "-W ",
    "password=",
    "s3cret",
    "\n",
    "\r\n",
    "\u{fffd}",
    "\u{4e2d}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for g in grammars().iter() {
            let scan = g.scan_bytes(&bytes, "n", "f");
            prop_assert_eq!(scan.stats.lines, scan.stats.parsed + scan.stats.unparsed);
        }
    }

    #[test]
    fn log_shaped_noise_never_panics_or_leaks_a_secret(
        parts in proptest::collection::vec((0..PIECES.len(), proptest::collection::vec(any::<u8>(), 0..8)), 0..200)
    ) {
        let mut bytes = Vec::new();
        for (i, junk) in parts {
            bytes.extend_from_slice(PIECES[i].as_bytes());
            bytes.extend(junk.into_iter().filter(|b| *b != 0));
        }
        for g in grammars().iter() {
            let scan = g.scan_bytes(&bytes, "n", "f");
            for e in &scan.events {
                prop_assert!(!e.text.contains("s3cret"), "{}", e.text);
            }
        }
    }
}

#[test]
fn a_huge_line_is_cut_and_the_next_line_still_parses() {
    let mut bytes = b"2022-08-30 15:39:23: pid 1: LOG: ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 5 * (1 << 20)));
    bytes.extend_from_slice(b" failover done\n2022-08-30 15:39:24: pid 1: LOG: setting backend node 0 status to NODE DOWN\n");
    for g in grammars().iter() {
        let scan = g.scan_bytes(&bytes, "n", "f");
        assert_eq!(scan.stats.lines, 2);
        assert_eq!(scan.stats.truncated_lines, 1);
        assert!(scan.events.iter().all(|e| e.text.len() <= MAX_LINE));
    }
    let kb = &grammars()[1];
    let scan = kb.scan_bytes(&bytes, "n", "f");
    assert_eq!(scan.events.len(), 1, "the keyword past the cut is not seen");
    assert_eq!(scan.events[0].line, 2);
}

#[test]
fn a_huge_line_without_any_newline_does_not_panic() {
    let bytes = vec![b'a'; 3 * (1 << 20) + 17];
    for g in grammars().iter() {
        let scan = g.scan_bytes(&bytes, "n", "f");
        assert_eq!(scan.stats.lines, 1);
    }
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let bytes =
        b"2022-08-30 15:39:23: pid 1: LOG: \xff\xfe setting backend node 3 status to NODE DOWN\n";
    let g = &grammars()[1];
    let scan = g.scan_bytes(bytes, "n", "f");
    assert_eq!(scan.events.len(), 1);
    assert_eq!(scan.events[0].attrs["node_id"], 3);
}
