//! The streaming scanner: log bytes in, events out, in constant memory.
//!
//! How it stays fast and small (like ripgrep): the file is read in fixed 1 MiB chunks; one
//! keyword search over each chunk ([`super::keywords`]) finds every rule keyword and secret trigger; lines are then
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

use super::definition::GrammarDef;
use super::error::{GrammarError, ScanError};
use super::keywords::Keywords;
use super::redact::{Redactor, TRIGGERS};
use super::spec::AttrType;
use super::time::{leading_time, parse_datetime, parse_time_of_day, timestamp_start};
use crate::timeline::{Attrs, Event, Key, LogFile, Name, Text, WallTime};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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
    /// Secrets masked in this file's events (the only text that is ever output).
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

/// A profile regex, plus the same pattern compiled without Unicode for ASCII text.
///
/// Why: `\d`, `\s` and `\S` are Unicode classes, which make the automaton large; capturing
/// with it cleared a visited set as large as the automaton for every event line (8 % of the
/// instructions on an event-dense log, the capture itself another 20 %). On ASCII text the two
/// compile to the same matches: every Unicode class, case fold or word boundary differs from its
/// ASCII form only on characters that are not ASCII. A pattern that needs Unicode (`\p{L}`) has no twin and always runs whole; text
/// that is not ASCII always runs the Unicode pattern.
#[derive(Clone, Debug)]
struct Matcher {
    full: regex::Regex,
    ascii: Option<regex::bytes::Regex>,
}

impl Matcher {
    fn new(re: &regex::Regex) -> Matcher {
        Matcher {
            full: re.clone(),
            ascii: regex::bytes::RegexBuilder::new(re.as_str())
                .unicode(false)
                .build()
                .ok(),
        }
    }

    fn is_match(&self, text: &str) -> bool {
        match &self.ascii {
            Some(a) if text.is_ascii() => a.is_match(text.as_bytes()),
            _ => self.full.is_match(text),
        }
    }

    /// Room for this matcher's groups, reused for every line of a scan.
    fn slots(&self) -> Slots {
        Slots {
            ascii: self.ascii.as_ref().map(|a| a.capture_locations()),
            full: self.full.capture_locations(),
        }
    }

    /// The groups (by number) of the leftmost-first match, written into `slots`: no allocation
    /// per line (a `Captures` and a copy of its ranges were two per event, with a third for
    /// the prefix).
    fn captures<'s>(&self, text: &str, slots: &'s mut Slots) -> Option<Groups<'s>> {
        match (&self.ascii, &mut slots.ascii) {
            (Some(a), Some(locs)) if text.is_ascii() => {
                a.captures_read(locs, text.as_bytes())?;
                Some(Groups::Ascii(locs))
            }
            _ => {
                self.full.captures_read(&mut slots.full, text)?;
                Some(Groups::Full(&slots.full))
            }
        }
    }
}

/// Room for the groups of one [`Matcher`]'s match.
struct Slots {
    ascii: Option<regex::bytes::CaptureLocations>,
    full: regex::CaptureLocations,
}

/// A match's groups, as byte ranges of the text it was found in.
enum Groups<'s> {
    Ascii(&'s regex::bytes::CaptureLocations),
    Full(&'s regex::CaptureLocations),
}

impl Groups<'_> {
    fn range(&self, group: usize) -> Option<std::ops::Range<usize>> {
        let (start, end) = match self {
            Groups::Ascii(l) => l.get(group)?,
            Groups::Full(l) => l.get(group)?,
        };
        Some(start..end)
    }

    fn get<'t>(&self, text: &'t str, group: Option<usize>) -> Option<&'t str> {
        text.get(self.range(group?)?)
    }

    fn end(&self) -> usize {
        self.range(0).map_or(0, |r| r.end)
    }
}

/// A prefix format made executable: its matcher and where its `time` and `pid` groups are.
#[derive(Clone, Debug)]
struct PrefixMatcher {
    matcher: Matcher,
    time: Option<usize>,
    pid: Option<usize>,
}

fn group_index(re: &regex::Regex, name: &str) -> Option<usize> {
    re.capture_names().position(|n| n == Some(name))
}

/// How a rule's match becomes attributes, prepared once: every event of a dense log shares
/// these names instead of allocating its own.
#[derive(Clone, Debug)]
struct RuleAttrs {
    /// The rule's regex.
    matcher: Matcher,
    /// (capture group index, attribute name, type) of each named group.
    groups: Vec<(usize, Key, AttrType)>,
    /// Constant attributes.
    set: Vec<(Key, Name)>,
}

/// Attribute names the scanner adds itself.
#[derive(Clone, Debug)]
struct ScanKeys {
    time_inherited: Key,
    time_invalid: Key,
    year_assumed: Key,
}

/// A profile made executable: its keyword automaton, rules and the redactor.
#[derive(Clone, Debug)]
pub struct Grammar {
    profile: GrammarDef,
    keywords: Keywords,
    patterns: Vec<PatternInfo>,
    /// Shared with the log files whose events read their text again ([`LogFile`]).
    redactor: Arc<Redactor>,
    rule_attrs: Vec<RuleAttrs>,
    prefixes: Vec<PrefixMatcher>,
    keys: ScanKeys,
}

impl Grammar {
    /// Builds the grammar of `profile`; `extra_secrets` are literal strings (known passwords) to
    /// mask in every output besides the built-in secret shapes.
    pub fn new(profile: GrammarDef, extra_secrets: &[String]) -> Result<Grammar, GrammarError> {
        let redactor = Arc::new(Redactor::new(extra_secrets));
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
        let keywords = Keywords::new(&literals).map_err(GrammarError::Keywords)?;
        let rule_attrs = profile
            .rules
            .iter()
            .map(|rule| RuleAttrs {
                matcher: Matcher::new(&rule.regex),
                groups: rule
                    .regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        let name = name?;
                        let ty = rule
                            .attr_types
                            .iter()
                            .find(|(n, _)| n == name)
                            .map_or(AttrType::String, |(_, t)| *t);
                        Some((i, Key::new(name), ty))
                    })
                    .collect(),
                set: rule
                    .set
                    .iter()
                    .map(|(k, v)| (Key::new(k), Name::from(v)))
                    .collect(),
            })
            .collect();
        let prefixes = profile
            .prefixes
            .iter()
            .map(|p| PrefixMatcher {
                matcher: Matcher::new(&p.regex),
                time: group_index(&p.regex, "time"),
                pid: group_index(&p.regex, "pid"),
            })
            .collect();
        Ok(Grammar {
            profile,
            keywords,
            patterns,
            redactor,
            rule_attrs,
            prefixes,
            keys: ScanKeys {
                time_inherited: Key::new("time_inherited"),
                time_invalid: Key::new("time_invalid"),
                year_assumed: Key::new("year_assumed"),
            },
        })
    }

    /// The definition this grammar runs.
    pub fn definition(&self) -> &GrammarDef {
        &self.profile
    }

    /// Scans a file; `label` is how events name it. The events do not hold their text: each
    /// names where it is in this file ([`Text::in_log`]), which stays open for them to read it
    /// again.
    pub fn scan_path(&self, path: &Path, node: &str, label: &str) -> Result<FileScan, ScanError> {
        let read_error = |source| ScanError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let log = LogFile::new(
            path.to_path_buf(),
            file.try_clone().map_err(read_error)?,
            self.redactor.clone(),
        );
        self.scan(file, node, label, Some(Arc::new(log)))
            .map_err(|e| match e {
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

    /// Scans any reader in constant memory; the events hold their text.
    pub fn scan_reader<R: Read>(
        &self,
        reader: R,
        node: &str,
        label: &str,
    ) -> Result<FileScan, ReadFailure> {
        self.scan(reader, node, label, None)
    }

    /// Scans `reader`; events name their text's place in `log` when given (it must be the
    /// file `reader` reads from its start), else hold it.
    fn scan<R: Read>(
        &self,
        mut reader: R,
        node: &str,
        label: &str,
        log: Option<Arc<LogFile>>,
    ) -> Result<FileScan, ReadFailure> {
        let mut state = FileState {
            g: self,
            node: Name::from(node),
            file: Name::from(label),
            log,
            chunk_at: 0,
            rule_slots: self.rule_attrs.iter().map(|r| r.matcher.slots()).collect(),
            prefix_slots: self.prefixes.iter().map(|p| p.matcher.slots()).collect(),
            scan: FileScan::default(),
            last_time: None,
            awaiting_time: Vec::new(),
            hits: Vec::new(),
            candidates: Vec::new(),
            values: HashSet::new(),
        };
        let mut buf = vec![0u8; CHUNK];
        let mut len = 0usize;
        let mut eof = false;
        let mut first = true;
        let mut cr_only = false;
        let mut skipping = false;
        let mut line_base = 0u64;
        loop {
            let filled_from = len;
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
                // Old Mac line endings: without this the whole file would be one line.
                cr_only = memchr::memchr(b'\n', &buf[..len]).is_none()
                    && memchr::memchr(b'\r', &buf[..len]).is_some();
            }
            if cr_only {
                for b in &mut buf[filled_from..len] {
                    if *b == b'\r' {
                        *b = b'\n';
                    }
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
            // Where the chunk starts in the file: every byte read but the `len` still in it.
            state.chunk_at = state.scan.stats.bytes - len as u64;
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

/// What a line's envelope (syslog, journald) said.
#[derive(Clone, Copy, Debug)]
struct EnvHead {
    time: Option<WallTime>,
    pid: Option<u32>,
    year_assumed: bool,
}

/// One physical line inside the current chunk.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    /// Where the log line proper starts (after an envelope; `start` without one).
    body: usize,
    /// End of kept content (no `\r\n`, capped at [`MAX_LINE`]).
    end: usize,
    /// Start of the next line (raw length = `next - start`).
    next: usize,
    no: u64,
    /// Indices into `hits` of keyword matches starting in this line.
    hits: (usize, usize),
    timed: bool,
    env: Option<EnvHead>,
}

impl Line {
    fn has_hits(&self) -> bool {
        self.hits.0 < self.hits.1
    }
}

/// The nearest timestamped line: where its log line starts, and its envelope's time.
#[derive(Clone, Copy)]
struct Timed {
    body: usize,
    env_time: Option<WallTime>,
}

struct Step {
    consumed: usize,
    line_base: u64,
    skip_rest_of_line: bool,
}

/// `value` as a [`Name`], the one already in `values` when there is one.
fn shared(values: &mut HashSet<Name>, value: &str) -> Name {
    if let Some(name) = values.get(value) {
        return name.clone();
    }
    let name = Name::from(value);
    values.insert(name.clone());
    name
}

/// Where a record's message starts and what its prefix said.
struct Head {
    time: Option<WallTime>,
    pid: Option<u32>,
    message_start: usize,
    inherited: bool,
    /// The text of a timestamp that is not a real date or time.
    invalid: Option<String>,
}

/// What one record (a line, maybe with its continuation) yields.
struct Parsed {
    rule: usize,
    attrs: Attrs,
    head: Head,
}

struct FileState<'g> {
    g: &'g Grammar,
    /// Shared by every event of the file: one allocation each, not one per event.
    node: Name,
    file: Name,
    /// The file scanned, when events are to read their text from it instead of holding it.
    log: Option<Arc<LogFile>>,
    /// Offset in the file of the chunk being processed (`buf[0]`).
    chunk_at: u64,
    /// Group room of each rule's and each prefix's matcher (by index).
    rule_slots: Vec<Slots>,
    prefix_slots: Vec<Slots>,
    scan: FileScan,
    /// Time of the last timestamped line in chunks already processed.
    last_time: Option<WallTime>,
    /// Events that had no earlier timestamped line; they take the next one's time.
    awaiting_time: Vec<usize>,
    hits: Vec<(usize, u32)>,
    candidates: Vec<usize>,
    /// The string attribute values met so far: events with the same value share one
    /// (watchdog states, hosts, commands repeat from failover to failover).
    values: HashSet<Name>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `bytes` as text, invalid UTF-8 replaced (exactly `String::from_utf8_lossy`): valid text,
/// nearly every line, is checked by `str::from_utf8`, which reads ASCII a word at a time
/// instead of a byte at a time (3 % of the instructions on an event-dense log).
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Whether a line reads like the start of a sentence ("Then the script ...", "No route ..."):
/// such a line after a complete event line is prose, not the rest of a broken line.
fn sentence_like(content: &[u8]) -> bool {
    content.len() > 2 && content[0].is_ascii_uppercase() && content[1].is_ascii_lowercase()
}

impl FileState<'_> {
    /// The envelope of a line, if one of the profile's matches: bytes to skip and what it said.
    /// A wrapper without a time of its own is only taken when a timestamp follows it.
    fn envelope(&self, content: &[u8], timed: bool) -> Option<(usize, EnvHead)> {
        let envelopes = &self.g.profile.envelopes;
        let first = *content.first()?;
        // Cheap gates: pgpool and PostgreSQL lines (timed, a space after the date) never carry
        // one, so dense logs pay nothing.
        let iso = timed && content.len() > 10 && content[10] == b'T';
        let maybe = iso
            || (!timed
                && (first.is_ascii_uppercase()
                    || matches!(first, b' ' | b'\t' | b'>' | b'`' | b'"' | b'\'')));
        if envelopes.is_empty() || !maybe {
            return None;
        }
        let head = &content[..content.len().min(512)];
        let text = match std::str::from_utf8(head) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        };
        for env in envelopes {
            let Some(caps) = env.regex.captures(text) else {
                continue;
            };
            let skip = caps.get(0).map_or(0, |m| m.end());
            if skip == 0 {
                continue;
            }
            let mut year_assumed = false;
            let time = if let Some(t) = caps.name("time") {
                parse_datetime(t.as_str().as_bytes())
            } else if let (Some(mon), Some(day), Some(tod)) =
                (caps.name("month"), caps.name("day"), caps.name("tod"))
            {
                let month = MONTHS.iter().position(|m| *m == mon.as_str())? as u32 + 1;
                let day: u32 = day.as_str().parse().ok()?;
                let (tod, precision, _) = parse_time_of_day(tod.as_str().as_bytes())?;
                let year = match self.last_time {
                    Some(t) => chrono::Datelike::year(&t.at),
                    None => {
                        year_assumed = true;
                        chrono::Datelike::year(&chrono::Utc::now())
                    }
                };
                chrono::NaiveDate::from_ymd_opt(year, month, day).map(|d| WallTime {
                    at: d.and_time(tod),
                    precision,
                })
            } else {
                None
            };
            if time.is_none() && timestamp_start(&content[skip..]).is_none() {
                continue;
            }
            let pid = caps.name("pid").and_then(|m| m.as_str().parse().ok());
            return Some((
                skip,
                EnvHead {
                    time,
                    pid,
                    year_assumed,
                },
            ));
        }
        None
    }

    fn process(&mut self, buf: &[u8], eof: bool, line_base: u64) -> Step {
        self.hits.clear();
        // Every keyword start, even inside another keyword; only keywords sharing a start are
        // reduced to one (the longest), and rules sharing a keyword are all listed on it.
        self.g.keywords.find_all(buf, &mut self.hits);
        let mut hi = 0usize;
        let mut pos = 0usize;
        let mut no = line_base;
        let mut pending: Option<Line> = None;
        let mut last_timed: Option<Timed> = None;
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
            let content = &buf[pos..end];
            let mut timed = timestamp_start(content).is_some();
            let mut body = pos;
            let mut env = None;
            if let Some((skip, e)) = self.envelope(content, timed) {
                body = pos + skip;
                timed = e.time.is_some() || timestamp_start(&buf[body..end]).is_some();
                env = Some(e);
            }
            let line = Line {
                start: pos,
                body,
                end,
                next,
                no,
                hits: (h0, hi),
                timed,
                env,
            };
            pos = next;
            if let Some(p) = pending.take() {
                if self.may_continue(buf, &p, &line) && self.should_join(buf, &p, &line, last_timed)
                {
                    self.flush(buf, &p, Some(&line), last_timed);
                    continue;
                }
                self.flush(buf, &p, None, last_timed);
            }
            if line.timed {
                let t = Timed {
                    body: line.body,
                    env_time: line.env.and_then(|e| e.time),
                };
                last_timed = Some(t);
                if !self.awaiting_time.is_empty() {
                    self.resolve_awaiting(time_of(buf, t, line.end));
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
        if let Some(t) = last_timed.and_then(|t| time_of(buf, t, buf.len())) {
            self.last_time = Some(t);
        }
        Step {
            consumed,
            line_base: next_base,
            skip_rest_of_line,
        }
    }

    /// Whether `next` may be the second half of the broken line `first` (by its shape only).
    fn may_continue(&self, buf: &[u8], first: &Line, next: &Line) -> bool {
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
                if glued.is_match(&lossy(content)) {
                    return false;
                }
            }
        }
        let text = lossy(&buf[first.body..first.end]);
        self.g
            .profile
            .prefixes
            .iter()
            .find(|p| p.regex.is_match(&text))
            .is_some_and(|p| p.continuation)
    }

    /// Whether joining `next` to `first` is needed: a secret runs across the break, only the
    /// joined text is an event, or both are and `next` is not prose that merely follows a
    /// complete line (a sentence: "Then the script hung.").
    fn should_join(&mut self, buf: &[u8], first: &Line, next: &Line, lt: Option<Timed>) -> bool {
        if !first.has_hits() && !next.has_hits() {
            return true;
        }
        let one = lossy(&buf[first.body..first.end]).into_owned();
        let mut joined = one.clone();
        joined.push_str(&lossy(&buf[next.start..next.end]));
        let cut = one.len();
        if self
            .g
            .redactor
            .spans(&joined)
            .iter()
            .any(|r| r.start < cut && r.end > cut)
        {
            return true;
        }
        let alone = self.parse(&one, buf, first, None, lt);
        let both = self.parse(&joined, buf, first, Some(next), lt);
        match (alone, both) {
            (None, Some(_)) => true,
            (Some(_), Some(_)) => !sentence_like(&buf[next.start..next.end]),
            _ => false,
        }
    }

    fn resolve_awaiting(&mut self, time: Option<WallTime>) {
        let Some(time) = time else { return };
        for i in self.awaiting_time.drain(..) {
            let e = &mut self.scan.events[i];
            e.time = Some(time);
            e.attrs.insert_bool(self.g.keys.time_inherited, true);
        }
    }

    fn inherited_time(&self, buf: &[u8], last_timed: Option<Timed>) -> Option<WallTime> {
        last_timed
            .and_then(|t| time_of(buf, t, buf.len()))
            .or(self.last_time)
    }

    /// Matches a record's text against its candidate rules (set in `self.candidates`).
    fn parse(
        &mut self,
        text: &str,
        buf: &[u8],
        first: &Line,
        cont: Option<&Line>,
        last_timed: Option<Timed>,
    ) -> Option<Parsed> {
        self.collect_candidates(first, cont);
        if self.candidates.is_empty() {
            return None;
        }
        let head = self.head(text, buf, first, last_timed);
        let message = &text[head.message_start.min(text.len())..];
        let g = self.g;
        for &ri in &self.candidates {
            let prepared = &g.rule_attrs[ri];
            let mut attrs = Attrs::new();
            if prepared.groups.is_empty() {
                // Nothing to capture: the lazy DFA's yes or no is the whole answer, without the
                // backtracking pass a capture costs.
                if !prepared.matcher.is_match(message) {
                    continue;
                }
            } else {
                let Some(caps) = prepared.matcher.captures(message, &mut self.rule_slots[ri])
                else {
                    continue;
                };
                for (group, name, ty) in &prepared.groups {
                    let Some(m) = caps.get(message, Some(*group)) else {
                        continue;
                    };
                    match ty {
                        AttrType::Int => match m.parse::<i64>() {
                            Ok(i) => attrs.insert_int(*name, i),
                            Err(_) => attrs.insert_str(*name, shared(&mut self.values, m)),
                        },
                        AttrType::String => attrs.insert_str(*name, shared(&mut self.values, m)),
                    }
                }
            }
            for (k, v) in &prepared.set {
                attrs.insert_str(*k, v.clone());
            }
            return Some(Parsed {
                rule: ri,
                attrs,
                head,
            });
        }
        None
    }

    /// Fills `self.candidates`; returns whether a secret trigger is in the record.
    fn collect_candidates(&mut self, first: &Line, cont: Option<&Line>) -> bool {
        let hit_range = (first.hits.0, cont.map_or(first.hits.1, |c| c.hits.1));
        let in_content = |pos: usize| {
            (pos >= first.body && pos < first.end)
                || cont.is_some_and(|c| pos >= c.start && pos < c.end)
        };
        self.candidates.clear();
        let mut secret = false;
        for &(pos, pat) in &self.hits[hit_range.0..hit_range.1] {
            if in_content(pos) {
                let info = &self.g.patterns[pat as usize];
                secret |= info.secret;
                self.candidates.extend_from_slice(&info.rules);
            }
        }
        self.candidates.sort_unstable();
        self.candidates.dedup();
        secret
    }

    /// Turns one record (a line, maybe with its continuation) into at most one event.
    fn flush(&mut self, buf: &[u8], first: &Line, cont: Option<&Line>, last_timed: Option<Timed>) {
        let lines = 1 + u64::from(cont.is_some());
        let mut parsed = first.timed;
        let secret = self.collect_candidates(first, cont);
        if self.candidates.is_empty() && !secret {
            if parsed {
                self.scan.stats.parsed += lines;
            }
            return;
        }
        // Borrowed from the chunk unless joined or not UTF-8: an event read from a file keeps
        // only where its text is, so the common line costs no allocation at all.
        let mut raw = lossy(&buf[first.body..first.end]);
        if let Some(c) = cont {
            raw.to_mut().push_str(&lossy(&buf[c.start..c.end]));
        }
        // Redacted before matching, so no attribute can carry a secret either.
        let (text, redacted) = self.g.redactor.redact(raw.trim_end());
        // Secrets are counted on every line that carries one, shown or not.
        self.scan.stats.redactions += redacted;
        if let Some(p) = self.parse(&text, buf, first, cont, last_timed) {
            let text = match &self.log {
                // The bytes `text` was made of; reading them again gives `text` back.
                Some(log) => Text::in_log(
                    log.clone(),
                    self.chunk_at + first.body as u64,
                    (first.end - first.body) as u32,
                    cont.map_or(0, |c| (c.start - first.body) as u32),
                    cont.map_or(0, |c| (c.end - c.start) as u32),
                ),
                None => Text::from(text.into_owned()),
            };
            let mut attrs = p.attrs;
            let head = p.head;
            if head.inherited {
                attrs.insert_bool(self.g.keys.time_inherited, true);
            }
            if let Some(bad) = &head.invalid {
                attrs.insert_str(self.g.keys.time_invalid, Name::from(bad.as_str()));
            } else if head.time.is_none() {
                self.awaiting_time.push(self.scan.events.len());
            }
            if first.env.is_some_and(|e| e.year_assumed) && head.time.is_some() {
                attrs.insert_bool(self.g.keys.year_assumed, true);
            }
            self.scan.events.push(Event {
                node: self.node.clone(),
                file: self.file.clone(),
                line: first.no,
                time: head.time,
                offset_ms: None,
                kind: self.g.profile.rules[p.rule].kind,
                attrs,
                pid: head.pid.or(first.env.and_then(|e| e.pid)),
                text,
            });
            parsed = true;
        }
        if parsed {
            self.scan.stats.parsed += lines;
        }
    }

    /// Reads the record's prefix (or glued prefix) for time, pid and where the message starts.
    /// A timestamp that is not a real time (`2026-13-45 25:61:99`) leaves the time unknown and
    /// is reported, never replaced by a neighbour's.
    fn head(&mut self, text: &str, buf: &[u8], first: &Line, last_timed: Option<Timed>) -> Head {
        let profile = &self.g.profile;
        let env_time = first.env.and_then(|e| e.time);
        let invalid_at = |s: &str| {
            let b = s.as_bytes();
            let at = timestamp_start(b)?;
            if parse_datetime(&b[at..]).is_some() {
                return None;
            }
            Some(s[at..s.len().min(at + 23)].trim_end().to_string())
        };
        let g = self.g;
        for (p, slots) in g.prefixes.iter().zip(&mut self.prefix_slots) {
            if let Some(caps) = p.matcher.captures(text, slots) {
                let stamp = caps.get(text, p.time);
                let own = stamp.and_then(|m| parse_datetime(m.as_bytes()));
                let invalid = match (stamp, own) {
                    (Some(s), None) => Some(s.to_string()),
                    _ => None,
                };
                let time = own.or_else(|| leading_time(text.as_bytes())).or(env_time);
                let inherited = time.is_none() && invalid.is_none();
                let pid = caps.get(text, p.pid).and_then(|m| m.parse().ok());
                let message_start = caps.end();
                return Head {
                    time: if invalid.is_some() {
                        None
                    } else {
                        time.or_else(|| self.inherited_time(buf, last_timed))
                    },
                    pid,
                    message_start,
                    inherited,
                    invalid,
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
                    invalid: None,
                };
            }
        }
        if let Some(bad) = invalid_at(text) {
            return Head {
                time: None,
                pid: None,
                message_start: 0,
                inherited: false,
                invalid: Some(bad),
            };
        }
        let own = leading_time(text.as_bytes()).or(env_time);
        Head {
            time: own.or(inherited_time),
            pid: None,
            message_start: 0,
            inherited: own.is_none() && inherited_time.is_some(),
            invalid: None,
        }
    }
}

/// The time of a timestamped line: its own leading timestamp, else its envelope's.
fn time_of(buf: &[u8], t: Timed, end: usize) -> Option<WallTime> {
    leading_time(&buf[t.body..end.max(t.body)]).or(t.env_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of the recorded runs' logs, and lines made to tell the engines apart.
    fn lines() -> Vec<String> {
        let runs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs");
        let mut out = vec![
            "2026-11-25 12:00:01.123: watchdog pid 42: LOG:  a\u{a0}message".to_string(),
            "2026-11-25 12:00:01.123: app\u{2003}x pid 42: LOG:  b".to_string(),
            "2026-11-25 12:00:01: pid 7: FATAL:\tPassWord=x".to_string(),
        ];
        for run in std::fs::read_dir(runs).unwrap() {
            let Ok(nodes) = std::fs::read_dir(run.unwrap().path().join("logs")) else {
                continue;
            };
            for node in nodes {
                for file in std::fs::read_dir(node.unwrap().path()).unwrap() {
                    let bytes = std::fs::read(file.unwrap().path()).unwrap();
                    out.extend(String::from_utf8_lossy(&bytes).lines().map(str::to_string));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn the_ascii_twin_of_every_builtin_regex_matches_exactly_like_the_unicode_one() {
        let lines = lines();
        assert!(lines.len() > 1000, "{} lines", lines.len());
        for name in crate::grammar::BUILTIN_NAMES {
            let p = GrammarDef::builtin(name).unwrap();
            let regexes = p
                .prefixes
                .iter()
                .map(|x| &x.regex)
                .chain(p.rules.iter().map(|r| &r.regex));
            for re in regexes {
                let m = Matcher::new(re);
                assert!(m.ascii.is_some(), "{name}: {re} has no ASCII twin");
                for line in &lines {
                    // The scanner matches rules against the message after the prefix too.
                    for text in [line.as_str(), line.get(20..).unwrap_or("")] {
                        let want = re.captures(text).map(|c| {
                            (0..c.len())
                                .map(|i| c.get(i).map(|m| m.range()))
                                .collect::<Vec<_>>()
                        });
                        let mut slots = m.slots();
                        let got = m.captures(text, &mut slots).map(|g| {
                            (0..want.as_ref().map_or(0, Vec::len))
                                .map(|i| g.range(i))
                                .collect::<Vec<_>>()
                        });
                        assert_eq!(got, want, "{name}: {re} on {text:?}");
                        assert_eq!(m.is_match(text), want.is_some());
                    }
                }
            }
        }
    }
}
