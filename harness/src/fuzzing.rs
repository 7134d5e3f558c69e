//! Entry points shared by the fuzz targets (`fuzz/`, cargo-afl) and the replay of their
//! regression corpus (`tests/fuzz_corpus.rs`): each feeds arbitrary bytes to one parser of
//! input a user did not necessarily write and must return, Ok or Err, without panicking and
//! within bounded memory. Keeping them here means the corpus replay exercises exactly what was
//! fuzzed.

use std::path::Path;
use std::sync::OnceLock;

/// A scenario file: YAML pre-pass, serde, validation into a plan, its matrix cases.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) =
        crate::scenario::load("fuzz.yaml", text, &crate::scenario::Capabilities::default())
    {
        let _ = plan.summary();
        let _ = plan.cases();
    }
}

/// A release file (bring your own image). Grammar profiles go through the same YAML loader
/// but are not fuzzed here: compiling their regexes makes each execution ~100 times slower.
pub fn release(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::release::Release::from_str("fuzz.yaml", text);
}

/// Log bytes through both built-in grammars (line splitting, prefixes, timestamps, rules,
/// redaction).
pub fn log_scan(data: &[u8]) {
    static GRAMMARS: OnceLock<Vec<crate::grammar::Grammar>> = OnceLock::new();
    let grammars = GRAMMARS.get_or_init(|| {
        crate::grammar::BUILTIN_NAMES
            .iter()
            .map(|n| {
                let profile =
                    crate::grammar::GrammarDef::builtin(n).expect("built-in profiles load");
                crate::grammar::Grammar::new(profile, &[]).expect("built-in grammars compile")
            })
            .collect()
    });
    for g in grammars {
        let _ = g.scan_bytes(data, "node1", "fuzz.log");
    }
}

/// A `run.json`: version check, the record, and its console summary.
pub fn run_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(record) = crate::report::parse_run(text, Path::new("fuzz/run.json")) {
        let _ = crate::report::summary(&record, false);
    }
}

/// One fuzz entry point.
pub type Entry = fn(&[u8]);

/// The targets by name, as `fuzz/` builds them and `fuzz/corpus/<name>/` holds their inputs.
pub const TARGETS: &[(&str, Entry)] = &[
    ("scenario", scenario),
    ("release", release),
    ("log_scan", log_scan),
    ("run_json", run_json),
];
