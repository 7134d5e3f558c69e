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
                prop_assert!(!e.text.get().contains("s3cret"), "{}", e.text);
            }
        }
    }
}

/// What `hachaos analyze` scans (a file, whose events read their text again from it) gives the
/// same events, texts included, as the same bytes scanned from memory.
fn same_from_file_and_memory(g: &Grammar, bytes: &[u8]) -> Result<(), TestCaseError> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    let Ok(from_file) = g.scan_path(file.path(), "n", "f") else {
        // Binary: scan_bytes gives nothing either.
        prop_assert!(g.scan_bytes(bytes, "n", "f").events.is_empty());
        return Ok(());
    };
    let in_memory = g.scan_bytes(bytes, "n", "f");
    prop_assert_eq!(&from_file.stats, &in_memory.stats);
    prop_assert_eq!(from_file.events.len(), in_memory.events.len());
    for (a, b) in from_file.events.iter().zip(&in_memory.events) {
        prop_assert!(!a.text.is_held() && b.text.is_held());
        prop_assert_eq!(a, b);
        prop_assert!(!a.text.get().contains("s3cret"), "{}", a.text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_file_reads_back_the_texts_scanned_from_memory(
        parts in proptest::collection::vec((0..PIECES.len(), proptest::collection::vec(any::<u8>(), 0..8)), 0..200)
    ) {
        let mut bytes = Vec::new();
        for (i, junk) in parts {
            bytes.extend_from_slice(PIECES[i].as_bytes());
            bytes.extend(junk.into_iter().filter(|b| *b != 0));
        }
        // Old Mac line endings too (CR only: the scanner turns them into line breaks).
        let cr_only: Vec<u8> = bytes.iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect();
        for g in grammars().iter() {
            same_from_file_and_memory(g, &bytes)?;
            same_from_file_and_memory(g, &cr_only)?;
        }
    }
}

#[test]
fn every_recorded_log_reads_back_the_texts_scanned_from_memory() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(data)];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "log" || x == "txt") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "{files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        for g in grammars().iter() {
            same_from_file_and_memory(g, &bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
        assert!(scan.events.iter().all(|e| e.text.get().len() <= MAX_LINE));
        same_from_file_and_memory(g, &bytes).unwrap();
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
    assert_eq!(scan.events[0].attrs.get("node_id").unwrap(), 3);
}
