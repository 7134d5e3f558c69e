//! The streaming scanner: log bytes in, events out, in constant memory.
//!
//! How it stays fast and small (like ripgrep): the file is read in fixed 1 MiB chunks; one
//! Aho-Corasick pass over each chunk finds every rule keyword and secret trigger; lines are then
//! walked with `memchr`, and only lines holding a keyword are decoded and matched against regexes.
//! Memory is the chunk plus the events found, whatever the file's size.
//!
//! Line assembly rules (the seed's quirks):
//! - a line starting with a timestamp opens a record; the next line joins it (no separator) when
//!   it is non-empty, has no timestamp, is not a glued line, and the record's prefix allows
//!   continuation: a message broken across two physical lines;
//! - a line without a leading timestamp that contains the profile's `glued` prefix is read from
//!   that embedded prefix on (the seed's "failover done" line glued to an unprefixed copy);
//! - lines are cut at [`MAX_LINE`] bytes; bytes that are not UTF-8 are decoded lossily.
//!
//! Time rule: an event takes the time of its own prefix. A glued prefix with only a time of day
//! takes the date of the nearest earlier timestamped line. An event without any time takes the
//! time of the nearest earlier timestamped line of the same file (attr `time_inherited: true`),
//! or, when none precedes it, of the first later one; with no timestamp anywhere it has none.

use super::error::{ProfileError, ScanError};
use super::profile::Profile;
use super::redact::{Redactor, TRIGGERS};
use super::spec::AttrType;
use super::time::{leading_time, parse_datetime, parse_time_of_day, timestamp_start};
use crate::timeline::{Event, WallTime};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// Bytes read per chunk.
const CHUNK: usize = 1 << 20;
/// Longest line kept; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 64 << 10;
/// Bytes looked at for NUL to call a file binary.
const BINARY_SNIFF: usize = 8 << 10;

/// What a keyword found by the automaton means.
#[derive(Clone, Debug, Default)]
struct PatternInfo {
    /// Rules (indices into the profile) to try on a line holding it.
    rules: Vec<usize>,
    /// Whether it can announce a secret.
    secret: bool,
}

/// Counts for one scanned file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileStats {
    /// Physical lines.
    pub lines: u64,
    /// Lines recognised: timestamped, continuing a timestamped line, or yielding an event.
    pub parsed: u64,
    /// `lines - parsed` (prose, command output, blank lines).
    pub unparsed: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Secrets masked in this file's lines that carried a keyword.
    pub redactions: u64,
    /// Lines longer than [`MAX_LINE`], cut.
    pub truncated_lines: u64,
}

/// The events and counts of one file.
#[derive(Clone, Debug, Default)]
pub struct FileScan {
    /// Events in line order.
    pub events: Vec<Event>,
    /// Counts.
    pub stats: FileStats,
}

/// A profile made executable: its keyword automaton, rules and the redactor.
#[derive(Clone, Debug)]
pub struct Grammar {
    profile: Profile,
    automaton: AhoCorasick,
    patterns: Vec<PatternInfo>,
    redactor: Redactor,
}

impl Grammar {
    /// Builds the grammar of `profile`; `extra_secrets` are literal strings (known passwords) to
    /// mask in every output besides the built-in secret shapes.
    pub fn new(profile: Profile, extra_secrets: &[String]) -> Result<Grammar, ProfileError> {
        let redactor = Redactor::new(extra_secrets);
        let mut literals: Vec<String> = Vec::new();
        let mut patterns: Vec<PatternInfo> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut slot = |lit: &str, literals: &mut Vec<String>, patterns: &mut Vec<PatternInfo>| {
            *index.entry(lit.to_string()).or_insert_with(|| {
                literals.push(lit.to_string());
                patterns.push(PatternInfo::default());
                literals.len() - 1
            })
        };
        for (i, rule) in profile.rules.iter().enumerate() {
            for k in &rule.keywords {
                let s = slot(k, &mut literals, &mut patterns);
                if !patterns[s].rules.contains(&i) {
                    patterns[s].rules.push(i);
                }
            }
        }
        let triggers = TRIGGERS
            .iter()
            .map(|s| s.to_string())
            .chain(redactor.literals().iter().cloned());
        for t in triggers {
            let s = slot(&t, &mut literals, &mut patterns);
            patterns[s].secret = true;
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&literals)
            .map_err(ProfileError::Keywords)?;
        Ok(Grammar {
            profile,
            automaton,
            patterns,
            redactor,
        })
    }

    /// The profile this grammar runs.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Scans a file; `label` is how events name it.
    pub fn scan_path(&self, path: &Path, node: &str, label: &str) -> Result<FileScan, ScanError> {
        let file = std::fs::File::open(path).map_err(|source| ScanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.scan_reader(file, node, label).map_err(|e| match e {
            ReadFailure::Io(source) => ScanError::Read {
                path: path.to_path_buf(),
                source,
            },
            ReadFailure::Binary => ScanError::Binary {
                path: path.to_path_buf(),
            },
        })
    }

    /// Scans bytes already in memory (tests, live observers holding a log tail).
    /// Binary-looking input yields no events rather than an error.
    pub fn scan_bytes(&self, bytes: &[u8], node: &str, label: &str) -> FileScan {
        self.scan_reader(bytes, node, label).unwrap_or_default()
    }

    /// Scans any reader in constant memory.
    pub fn scan_reader<R: Read>(
        &self,
        mut reader: R,
        node: &str,
        label: &str,
    ) -> Result<FileScan, ReadFailure> {
        let mut state = FileState {
            g: self,
            node,
            file: label,
            scan: FileScan::default(),
            last_time: None,
            awaiting_time: Vec::new(),
            hits: Vec::new(),
            candidates: Vec::new(),
        };
        let mut buf = vec![0u8; CHUNK];
        let mut len = 0usize;
        let mut eof = false;
        let mut first = true;
        let mut skipping = false;
        let mut line_base = 0u64;
        loop {
            while len < CHUNK && !eof {
                match reader.read(&mut buf[len..]) {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        len += n;
                        state.scan.stats.bytes += n as u64;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(ReadFailure::Io(e)),
                }
            }
            if first {
                first = false;
                if memchr::memchr(0, &buf[..len.min(BINARY_SNIFF)]).is_some() {
                    return Err(ReadFailure::Binary);
                }
            }
            if skipping {
                match memchr::memchr(b'\n', &buf[..len]) {
                    Some(i) => {
                        buf.copy_within(i + 1..len, 0);
                        len -= i + 1;
                    }
                    None => {
                        len = 0;
                        if eof {
                            break;
                        }
                        continue;
                    }
                }
            }
            if len == 0 && eof {
                break;
            }
            let step = state.process(&buf[..len], eof, line_base);
            line_base = step.line_base;
            skipping = step.skip_rest_of_line;
            buf.copy_within(step.consumed..len, 0);
            len -= step.consumed;
            if eof && len == 0 {
                break;
            }
        }
        let stats = &mut state.scan.stats;
        stats.lines = line_base;
        stats.parsed = stats.parsed.min(stats.lines);
        stats.unparsed = stats.lines - stats.parsed;
        Ok(state.scan)
    }
}

/// Why [`Grammar::scan_reader`] stopped.
#[derive(Debug)]
pub enum ReadFailure {
    /// The reader failed.
    Io(std::io::Error),
    /// NUL bytes near the start: not a text log.
    Binary,
}

/// One physical line inside the current chunk.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    /// End of kept content (no `\r\n`, capped at [`MAX_LINE`]).
    end: usize,
    /// Start of the next line (raw length = `next - start`).
    next: usize,
    no: u64,
    /// Indices into `hits` of keyword matches starting in this line.
    hits: (usize, usize),
    timed: bool,
}

impl Line {
    fn has_hits(&self) -> bool {
        self.hits.0 < self.hits.1
    }
}

struct Step {
    consumed: usize,
    line_base: u64,
    skip_rest_of_line: bool,
}

/// Where a record's message starts and what its prefix said.
struct Head {
    time: Option<WallTime>,
    pid: Option<u32>,
    message_start: usize,
    inherited: bool,
}

struct FileState<'g> {
    g: &'g Grammar,
    node: &'g str,
    file: &'g str,
    scan: FileScan,
    /// Time of the last timestamped line in chunks already processed.
    last_time: Option<WallTime>,
    /// Events that had no earlier timestamped line; they take the next one's time.
    awaiting_time: Vec<usize>,
    hits: Vec<(usize, u32)>,
    candidates: Vec<usize>,
}

impl FileState<'_> {
    fn process(&mut self, buf: &[u8], eof: bool, line_base: u64) -> Step {
        self.hits.clear();
        // Overlapping search has no SIMD prefilter (it cost 4/5 of the run time); restarting a
        // leftmost search one byte after each hit keeps the prefilter and still finds a keyword
        // that starts inside another one. Only keywords sharing a start are reduced to one,
        // and rules sharing a keyword are all listed on it.
        let mut at = 0usize;
        while at < buf.len() {
            let Some(m) = self
                .g
                .automaton
                .find(aho_corasick::Input::new(buf).span(at..buf.len()))
            else {
                break;
            };
            self.hits.push((m.start(), m.pattern().as_u32()));
            at = m.start() + 1;
        }
        let mut hi = 0usize;
        let mut pos = 0usize;
        let mut no = line_base;
        let mut pending: Option<Line> = None;
        let mut last_timed: Option<usize> = None;
        let mut skip_rest_of_line = false;
        while pos < buf.len() {
            let (raw_end, next) = match memchr::memchr(b'\n', &buf[pos..]) {
                Some(i) => (pos + i, pos + i + 1),
                None if eof => (buf.len(), buf.len()),
                None if buf.len() - pos > MAX_LINE => {
                    skip_rest_of_line = true;
                    (buf.len(), buf.len())
                }
                None => break,
            };
            no += 1;
            let mut end = raw_end;
            if end > pos && buf[end - 1] == b'\r' {
                end -= 1;
            }
            if end - pos > MAX_LINE {
                end = pos + MAX_LINE;
                self.scan.stats.truncated_lines += 1;
            }
            let h0 = hi;
            while hi < self.hits.len() && self.hits[hi].0 < next {
                hi += 1;
            }
            let line = Line {
                start: pos,
                end,
                next,
                no,
                hits: (h0, hi),
                timed: timestamp_start(&buf[pos..end]).is_some(),
            };
            pos = next;
            if let Some(p) = pending.take() {
                if self.continues(buf, &p, &line) {
                    self.flush(buf, &p, Some(&line), last_timed);
                    continue;
                }
                self.flush(buf, &p, None, last_timed);
            }
            if line.timed {
                last_timed = Some(line.start);
                if !self.awaiting_time.is_empty() {
                    self.resolve_awaiting(leading_time(&buf[line.start..line.end]));
                }
                pending = Some(line);
            } else {
                self.flush(buf, &line, None, last_timed);
            }
        }
        let mut consumed = pos;
        let mut next_base = no;
        if let Some(p) = pending {
            if eof || p.next - p.start > MAX_LINE {
                self.flush(buf, &p, None, last_timed);
            } else {
                // Keep the line for the next chunk: its continuation may be there.
                consumed = p.start;
                next_base = p.no - 1;
            }
        }
        if let Some(t) = last_timed.and_then(|s| leading_time(&buf[s..])) {
            self.last_time = Some(t);
        }
        Step {
            consumed,
            line_base: next_base,
            skip_rest_of_line,
        }
    }

    /// Whether `next` is the second half of the broken line `first`.
    fn continues(&self, buf: &[u8], first: &Line, next: &Line) -> bool {
        let content = &buf[next.start..next.end];
        if next.timed || content.iter().all(|b| b.is_ascii_whitespace()) {
            return false;
        }
        if !first.has_hits() && !next.has_hits() {
            // Nothing to find in either: joining only affects the parsed count.
            return true;
        }
        if next.has_hits() {
            if let Some(glued) = &self.g.profile.glued {
                if glued.is_match(&String::from_utf8_lossy(content)) {
                    return false;
                }
            }
        }
        let text = String::from_utf8_lossy(&buf[first.start..first.end]);
        self.g
            .profile
            .prefixes
            .iter()
            .find(|p| p.regex.is_match(&text))
            .is_some_and(|p| p.continuation)
    }

    fn resolve_awaiting(&mut self, time: Option<WallTime>) {
        let Some(time) = time else { return };
        for i in self.awaiting_time.drain(..) {
            let e = &mut self.scan.events[i];
            e.time = Some(time);
            e.attrs
                .insert("time_inherited".to_string(), serde_json::Value::Bool(true));
        }
    }

    fn inherited_time(&self, buf: &[u8], last_timed: Option<usize>) -> Option<WallTime> {
        last_timed
            .and_then(|s| leading_time(&buf[s..]))
            .or(self.last_time)
    }

    /// Turns one record (a line, maybe with its continuation) into at most one event.
    fn flush(&mut self, buf: &[u8], first: &Line, cont: Option<&Line>, last_timed: Option<usize>) {
        let lines = 1 + u64::from(cont.is_some());
        let mut parsed = first.timed;
        let hit_range = (first.hits.0, cont.map_or(first.hits.1, |c| c.hits.1));
        let in_content =
            |pos: usize| (pos < first.end) || cont.is_some_and(|c| pos >= c.start && pos < c.end);
        self.candidates.clear();
        let mut secret = false;
        for &(pos, pat) in &self.hits[hit_range.0..hit_range.1] {
            if !in_content(pos) {
                continue;
            }
            let info = &self.g.patterns[pat as usize];
            secret |= info.secret;
            self.candidates.extend_from_slice(&info.rules);
        }
        if self.candidates.is_empty() && !secret {
            if parsed {
                self.scan.stats.parsed += lines;
            }
            return;
        }
        self.candidates.sort_unstable();
        self.candidates.dedup();
        let mut raw = String::from_utf8_lossy(&buf[first.start..first.end]).into_owned();
        if let Some(c) = cont {
            raw.push_str(&String::from_utf8_lossy(&buf[c.start..c.end]));
        }
        let trimmed = raw.trim_end();
        let (text, redacted) = if secret {
            self.g.redactor.redact(trimmed)
        } else {
            (std::borrow::Cow::Borrowed(trimmed), 0)
        };
        self.scan.stats.redactions += redacted;
        if !self.candidates.is_empty() {
            let head = self.head(&text, buf, first, last_timed);
            let message = &text[head.message_start..];
            let rules = &self.g.profile.rules;
            for &ri in &self.candidates {
                let rule = &rules[ri];
                let Some(caps) = rule.regex.captures(message) else {
                    continue;
                };
                let mut attrs = BTreeMap::new();
                for name in rule.regex.capture_names().flatten() {
                    let Some(m) = caps.name(name) else { continue };
                    let ty = rule
                        .attr_types
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or(AttrType::String, |(_, t)| *t);
                    let value = match ty {
                        AttrType::Int => m
                            .as_str()
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(m.as_str())),
                        AttrType::String => serde_json::Value::from(m.as_str()),
                    };
                    attrs.insert(name.to_string(), value);
                }
                for (k, v) in &rule.set {
                    attrs.insert(k.clone(), serde_json::Value::from(v.as_str()));
                }
                if head.inherited {
                    attrs.insert("time_inherited".to_string(), serde_json::Value::Bool(true));
                }
                if head.time.is_none() {
                    self.awaiting_time.push(self.scan.events.len());
                }
                self.scan.events.push(Event {
                    node: self.node.to_string(),
                    file: self.file.to_string(),
                    line: first.no,
                    time: head.time,
                    offset_ms: None,
                    kind: rule.kind,
                    attrs,
                    pid: head.pid,
                    text: text.to_string(),
                });
                parsed = true;
                break;
            }
        }
        if parsed {
            self.scan.stats.parsed += lines;
        }
    }

    /// Reads the record's prefix (or glued prefix) for time, pid and where the message starts.
    fn head(&self, text: &str, buf: &[u8], first: &Line, last_timed: Option<usize>) -> Head {
        let profile = &self.g.profile;
        for p in &profile.prefixes {
            if let Some(caps) = p.regex.captures(text) {
                let own = caps
                    .name("time")
                    .and_then(|m| parse_datetime(m.as_str().as_bytes()));
                let time = own.or_else(|| leading_time(&buf[first.start..first.end]));
                let inherited = time.is_none();
                return Head {
                    time: time.or_else(|| self.inherited_time(buf, last_timed)),
                    pid: caps.name("pid").and_then(|m| m.as_str().parse().ok()),
                    message_start: caps.get(0).map_or(0, |m| m.end()),
                    inherited,
                };
            }
        }
        let inherited_time = self.inherited_time(buf, last_timed);
        if !first.timed {
            if let Some(caps) = profile.glued.as_ref().and_then(|g| g.captures(text)) {
                let time = caps.name("time").and_then(|m| {
                    let s = m.as_str().as_bytes();
                    parse_datetime(s).or_else(|| {
                        let (tod, precision, _) = parse_time_of_day(s)?;
                        let date = inherited_time?.at.date();
                        Some(WallTime {
                            at: date.and_time(tod),
                            precision,
                        })
                    })
                });
                let inherited = time.is_none();
                return Head {
                    time: time.or(inherited_time),
                    pid: caps.name("pid").and_then(|m| m.as_str().parse().ok()),
                    message_start: caps.get(0).map_or(0, |m| m.end()),
                    inherited,
                };
            }
        }
        let own = leading_time(&buf[first.start..first.end]);
        Head {
            time: own.or(inherited_time),
            pid: None,
            message_start: 0,
            inherited: own.is_none() && inherited_time.is_some(),
        }
    }
}
