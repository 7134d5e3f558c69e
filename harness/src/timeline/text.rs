//! An event's text: held by the event, or the place in a log file to read it from again.
//!
//! Why: a year of a busy cluster's log holds hundreds of thousands of events, and their texts
//! (about 100 bytes each, plus the allocator's 8-16) were a third of the analyser's memory,
//! although a report prints only a few of them (the steps, the first 200 other events, the
//! evidence of a check); only `--format json` and the HTML timeline print every one, and they
//! can read them again one by one as they write. So an event scanned from a log file keeps only
//! where its text is: the byte range of its line and, when pgpool broke the line in two, of the
//! continuation joined to it, in the file it was scanned from (the same open file: renaming or
//! rotating the log afterwards does not change what is read). [`Text::read`] reads those bytes
//! again and redacts them with the redactor the scanner used, which gives back exactly the text
//! the scanner matched its rules against.

use crate::grammar::Redactor;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// An event's text, with secrets redacted: held (harness and live observers' events, a record
/// read back from JSON, lines scanned from memory) or a place in a log file
/// ([`Text::in_log`]).
#[derive(Clone)]
pub struct Text(Repr);

///
/// 24 bytes: the common place, a single line less than 16 MiB long starting in the first TiB of
/// its file, is packed into one word beside the file; a joined line (pgpool broke it in two) or
/// an outsized one has a block of its own. One word per event less than the whole place is
/// 2 MB on the dense 200 MB benchmark's 277 k events.
#[derive(Clone)]
enum Repr {
    /// The redacted text itself, without spare capacity.
    Held(Box<str>),
    /// A single line: `(at << LEN_BITS) | len`.
    Line(Arc<LogFile>, u64),
    /// Any other place in a log file.
    InLog(Box<LogSpan>),
}

/// Bits of [`Repr::Line`]'s word that hold the line's length; the rest hold its offset.
const LEN_BITS: u32 = 24;

/// A log line's place in its file: `log[at .. at + first]` followed by
/// `log[at + cont_at .. at + cont_at + cont_len]` (the continuation; empty when there is none),
/// each read as lossy UTF-8, then trimmed at the end and redacted.
#[derive(Clone)]
struct LogSpan {
    log: Arc<LogFile>,
    at: u64,
    first: u32,
    cont_at: u32,
    cont_len: u32,
}

impl LogSpan {
    /// Reads `log[at .. at + first]` and `log[at + cont_at ..][.. cont_len]` again, joins them,
    /// trims the end and redacts: the text the scanner matched.
    fn read(
        log: &LogFile,
        at: u64,
        first: u32,
        cont_at: u32,
        cont_len: u32,
    ) -> std::io::Result<Cow<'static, str>> {
        let mut raw = String::with_capacity((first + cont_len) as usize);
        let read = log
            .append(at, first as usize, &mut raw)
            .and_then(|()| log.append(at + u64::from(cont_at), cont_len as usize, &mut raw));
        read.map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", log.path.display())))?;
        let trimmed = raw.trim_end();
        let text = match log.redactor.redact(trimmed).0 {
            Cow::Owned(t) => t,
            Cow::Borrowed(t) => t.to_string(),
        };
        Ok(Cow::Owned(text))
    }
}

/// Bytes read at once when a text is read again: texts are read in file order (JSON, HTML), so
/// one read serves the next few hundred events.
const WINDOW: usize = 64 << 10;

/// A log file that events read their texts from: the file scanned (kept open) and the
/// redactor the scanner used.
pub struct LogFile {
    path: PathBuf,
    file: File,
    redactor: Arc<Redactor>,
    /// The last bytes read (start offset, bytes).
    window: Mutex<(u64, Vec<u8>)>,
}

impl LogFile {
    /// `file`, open on `path`, whose texts are redacted with `redactor`.
    pub fn new(path: PathBuf, file: File, redactor: Arc<Redactor>) -> LogFile {
        LogFile {
            path,
            file,
            redactor,
            window: Mutex::new((0, Vec::new())),
        }
    }

    /// Reads `len` bytes at `at` and appends them to `out` as lossy UTF-8.
    fn append(&self, at: u64, len: usize, out: &mut String) -> std::io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let (start, bytes) = &mut *window;
        let inside = at >= *start && at + len as u64 <= *start + bytes.len() as u64;
        if !inside {
            bytes.resize(WINDOW.max(len), 0);
            let mut got = 0;
            while got < bytes.len() {
                match self.file.read_at(&mut bytes[got..], at + got as u64) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        bytes.clear();
                        return Err(e);
                    }
                }
            }
            bytes.truncate(got);
            *start = at;
            if got < len {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file is shorter than when it was analysed",
                ));
            }
        }
        let from = (at - *start) as usize;
        out.push_str(&crate::grammar::lossy(&bytes[from..from + len]));
        Ok(())
    }
}

impl fmt::Debug for LogFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogFile").field("path", &self.path).finish()
    }
}

impl Text {
    /// The text at bytes `at .. at + first` of `log`, joined with the continuation at
    /// `at + cont_at .. at + cont_at + cont_len` (`cont_len` 0: none). It must be what the
    /// scanner redacted and matched: [`Text::read`] reads it the same way.
    pub fn in_log(log: Arc<LogFile>, at: u64, first: u32, cont_at: u32, cont_len: u32) -> Text {
        if cont_len == 0 && first < 1 << LEN_BITS && at < 1 << (64 - LEN_BITS) {
            return Text(Repr::Line(log, at << LEN_BITS | u64::from(first)));
        }
        Text(Repr::InLog(Box::new(LogSpan {
            log,
            at,
            first,
            cont_at,
            cont_len,
        })))
    }

    /// The text; read again from its log file (and redacted again) when the event does not
    /// hold it. An error when that file cannot be read any more, or is shorter than when it
    /// was scanned.
    pub fn read(&self) -> std::io::Result<Cow<'_, str>> {
        match &self.0 {
            Repr::Held(s) => Ok(Cow::Borrowed(s)),
            Repr::Line(log, word) => {
                let first = (word & ((1 << LEN_BITS) - 1)) as u32;
                LogSpan::read(log, word >> LEN_BITS, first, 0, 0)
            }
            Repr::InLog(span) => {
                LogSpan::read(&span.log, span.at, span.first, span.cont_at, span.cont_len)
            }
        }
    }

    /// The text, or when it cannot be read again, a note saying so (text reports, evidence).
    pub fn get(&self) -> Cow<'_, str> {
        self.read()
            .unwrap_or_else(|e| Cow::Owned(format!("[text not readable: {e}]")))
    }

    /// Whether the event holds its text (rather than reading it from a log file).
    pub fn is_held(&self) -> bool {
        matches!(self.0, Repr::Held(_))
    }
}

impl Default for Text {
    fn default() -> Text {
        Text(Repr::Held(Box::default()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Repr::Held(s.into()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Repr::Held(s.into()))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(Repr::Held(s.as_str().into()))
    }
}

/// Texts are equal when they read the same (a held text and the same text in a log are).
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.get() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.get() == *other
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.get())
    }
}

/// Shown like the string it reads as.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.get(), f)
    }
}

/// A plain JSON string. A text that cannot be read again is an error, never a wrong string.
impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.read().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

// Read back as a held text, described as a string.
reads_as_string!(Text);

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_text_in_a_log_reads_back_joined_trimmed_and_redacted() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"line one\nstart pcp -W \r\nsecret rest  \nlast")
            .unwrap();
        let log = Arc::new(LogFile::new(
            f.path().to_path_buf(),
            f.reopen().unwrap(),
            Arc::new(Redactor::new(&[])),
        ));
        let one = Text::in_log(log.clone(), 0, 8, 0, 0);
        assert_eq!(one.read().unwrap(), "line one");
        // "start pcp -W " then the next line, after "\r\n".
        let two = Text::in_log(log.clone(), 9, 13, 15, 13);
        assert_eq!(two.read().unwrap(), "start pcp -W *** rest");
        assert_eq!(two, Text::from("start pcp -W *** rest"));
        assert_eq!(
            serde_json::to_string(&two).unwrap(),
            "\"start pcp -W *** rest\""
        );
        assert!(!two.is_held() && Text::from("x").is_held());
        let past = Text::in_log(log.clone(), 38, 100, 0, 0);
        assert!(past.read().is_err());
        assert!(past.get().starts_with("[text not readable: "));
        assert!(serde_json::to_string(&past).is_err());
        // Places too large to pack read the same way.
        let far = Text::in_log(log.clone(), 1 << 40, 8, 0, 0);
        assert!(matches!(far.0, Repr::InLog(_)) && far.read().is_err());
        assert!(matches!(one.0, Repr::Line(..)) && matches!(two.0, Repr::InLog(_)));
        assert_eq!(std::mem::size_of::<Text>(), 24);
    }
}
