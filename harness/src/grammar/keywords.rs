//! Finding a profile's keywords (and the secret triggers) in a chunk of log.
//!
//! What is found: at every position where some keyword starts, the longest keyword starting
//! there. (The scanner needs every keyword that starts inside another one, so it cannot take
//! non-overlapping matches; keywords that share a start are reduced to the longest.)
//!
//! How: one Aho-Corasick automaton over all the literals uses "fat" Teddy (SIMD fingerprints of
//! each literal's first three bytes in 16 buckets) once there are more than 32 of them. With the
//! pgpool profile's 62 literals, about four share each bucket, and common first bytes (`is `,
//! `sta`, `rec`) sent most positions of a log to verification: 16 instructions per byte, a
//! quarter of the analyser's instructions on an event-dense log. Searching the literals in
//! groups of at most [`GROUP`], each with its own "slim" Teddy (twice the bytes per step), costs
//! half the instructions in total although the chunk is read once per group (measured with
//! callgrind on the 20 MB dense log: 319 M instructions in one automaton, 150 M in four groups;
//! 16-literal groups stay best up to ~12 groups). The groups are Teddy searchers built
//! directly: an automaton over a small group may pick a single-byte prefilter instead, which
//! on common first bytes (`s`, `t`, `w`) was five times slower than one automaton. When Teddy
//! is not available (no SIMD), the single automaton is used.

use aho_corasick::{packed, AhoCorasick, BuildError, MatchKind};

/// Most literals in one Teddy group.
const GROUP: usize = 16;

/// The keyword searcher of one grammar.
#[derive(Clone, Debug)]
pub(super) struct Keywords {
    /// Each group's searcher and the literal index of each of its patterns.
    groups: Vec<(packed::Searcher, Vec<u32>)>,
    /// Byte length of each literal (to keep the longest of those starting at one position).
    lens: Vec<usize>,
    /// All literals in one automaton: used when the groups could not be built.
    automaton: AhoCorasick,
}

impl Keywords {
    /// A searcher for `literals` (non-empty strings); a literal's index is its id in hits.
    pub(super) fn new(literals: &[String]) -> Result<Keywords, BuildError> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(literals)?;
        // Sorted, so that literals with the same first bytes share a group (and its buckets)
        // rather than crowding every group.
        let mut order: Vec<u32> = (0..literals.len() as u32).collect();
        order.sort_by(|a, b| literals[*a as usize].cmp(&literals[*b as usize]));
        let count = literals.len().div_ceil(GROUP).max(1);
        let per = literals.len().div_ceil(count).max(1);
        let groups: Option<Vec<_>> = order
            .chunks(per)
            .map(|ids| {
                let mut builder = packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostLongest)
                    .builder();
                builder.extend(ids.iter().map(|&i| &literals[i as usize]));
                builder.build().map(|s| (s, ids.to_vec()))
            })
            .collect();
        Ok(Keywords {
            groups: groups.unwrap_or_default(),
            lens: literals.iter().map(String::len).collect(),
            automaton,
        })
    }

    /// Appends to `hits` (position, literal index) for every position of `buf` where a literal
    /// starts, with the longest literal starting there, in position order.
    pub(super) fn find_all(&self, buf: &[u8], hits: &mut Vec<(usize, u32)>) {
        if self.groups.is_empty() {
            find_each_start(buf, hits, |at| {
                self.automaton
                    .find(aho_corasick::Input::new(buf).span(at..buf.len()))
                    .map(|m| (m.start(), m.pattern().as_u32()))
            });
            return;
        }
        let from = hits.len();
        for (searcher, ids) in &self.groups {
            find_each_start(buf, hits, |at| {
                searcher
                    .find_in(buf, aho_corasick::Span::from(at..buf.len()))
                    .map(|m| (m.start(), ids[m.pattern().as_usize()]))
            });
        }
        if self.groups.len() > 1 {
            // Each group is in order and holds its own longest per position; across groups,
            // the longest at a position wins (two literals of one length at one position are
            // the same literal, which is in one group only).
            hits[from..].sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(self.lens[b.1 as usize].cmp(&self.lens[a.1 as usize]))
            });
            let mut kept = from;
            for i in from..hits.len() {
                if kept == from || hits[kept - 1].0 != hits[i].0 {
                    hits[kept] = hits[i];
                    kept += 1;
                }
            }
            hits.truncate(kept);
        }
    }
}

/// Calls `find` from position 0, then one byte after each match's start: every start is
/// visited once, which an overlapping search would do without the SIMD prefilter (it cost 4/5
/// of the run time).
fn find_each_start(
    buf: &[u8],
    hits: &mut Vec<(usize, u32)>,
    mut find: impl FnMut(usize) -> Option<(usize, u32)>,
) {
    let mut at = 0usize;
    while at < buf.len() {
        let Some(hit) = find(at) else { break };
        hits.push(hit);
        at = hit.0 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single automaton's answer, which the groups must reproduce exactly.
    fn reference(literals: &[String], buf: &[u8]) -> Vec<(usize, u32)> {
        let k = Keywords {
            groups: Vec::new(),
            ..Keywords::new(literals).unwrap()
        };
        let mut hits = Vec::new();
        k.find_all(buf, &mut hits);
        hits
    }

    fn literals(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn groups_find_the_longest_keyword_at_every_start_like_one_automaton() {
        // 40 literals (three groups), some sharing starts, some inside others, across groups.
        let mut words: Vec<String> = (0..34).map(|i| format!("kw{i:02} word")).collect();
        words.extend(literals(&[
            "failover",
            "failover done",
            "over",
            "done",
            "a",
            "ab",
        ]));
        let text = b"x failover done kw07 word kw33 wordab a over kw00 word\nfailoverdone abab";
        let k = Keywords::new(&words).unwrap();
        assert!(k.groups.len() > 1, "the test must exercise several groups");
        let mut hits = Vec::new();
        k.find_all(text, &mut hits);
        assert_eq!(hits, reference(&words, text));
        assert!(
            hits.contains(&(2, 35)),
            "`failover done` beats `failover`: {hits:?}"
        );
    }

    #[test]
    fn groups_match_one_automaton_on_every_recorded_file() {
        for name in super::super::BUILTIN_NAMES {
            let profile = super::super::GrammarDef::builtin(name).unwrap();
            let mut words: Vec<String> = Vec::new();
            for r in &profile.rules {
                for k in &r.keywords {
                    if !words.contains(k) {
                        words.push(k.clone());
                    }
                }
            }
            for t in super::super::redact::TRIGGERS {
                if !words.iter().any(|w| w == t) {
                    words.push(t.to_string());
                }
            }
            let k = Keywords::new(&words).unwrap();
            let mut dirs =
                vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")];
            let mut files = 0;
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    let bytes = std::fs::read(&path).unwrap();
                    let mut hits = Vec::new();
                    k.find_all(&bytes, &mut hits);
                    assert_eq!(
                        hits,
                        reference(&words, &bytes),
                        "{name}: {}",
                        path.display()
                    );
                    files += 1;
                }
            }
            assert!(files > 50, "recorded files found: {files}");
        }
    }
}
