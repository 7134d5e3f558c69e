//! The one place that parses YAML.
//!
//! `serde_yaml` 0.9.34 is archived upstream; keeping every YAML read behind this module means a
//! replacement (e.g. `serde_yml` or `serde_norway`) is a one-file change.

mod index;

pub use index::{scan, YamlIndex, MAX_DEPTH, MAX_EXPANDED};

use serde::de::DeserializeOwned;
use std::io::Read;
use std::path::Path;

/// The largest YAML input read (scenario, release, grammar and threshold files are a few KB).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// How much of an offending value a message echoes.
pub const MAX_ECHO_CHARS: usize = 120;

/// `s` cut to at most `max` characters, saying how long it really was: messages never echo a
/// whole file or a 50 MB scalar.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

/// Clips every run of text between double quotes or backticks in a parser message, and the
/// message itself, so the offending input is shown but bounded.
fn clip_message(msg: &str) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[i] as char;
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        match rest.find(quote) {
            Some(j) => {
                out.push_str(&clip(&rest[..j], MAX_ECHO_CHARS));
                out.push(quote);
                rest = &rest[j + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    clip(&out, 10 * MAX_ECHO_CHARS)
}

/// Where in a YAML document something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The file (or a label such as `<builtin:pgpool>`).
    pub file: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    /// 1-based column, when the parser knows it.
    pub column: Option<usize>,
    /// Dotted key path inside the document (`steps[2].target`), when known.
    pub path: String,
    /// The parser's message.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.path.is_empty() && self.path != "." {
            write!(f, ": at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parses `text` (from `file`, used only for messages) into `T`, reporting the key path of the
/// first error.
///
/// Before serde sees the text, a byte-order mark is dropped and [`scan`] refuses inputs larger
/// than [`MAX_FILE_BYTES`], deeper than [`MAX_DEPTH`], expanding past [`MAX_EXPANDED`] or
/// repeating a key, so that no input costs more than a few megabytes.
pub fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(file, text.len()));
    }
    tracing::debug!(file, bytes = text.len(), "parsing YAML");
    let index = scan(file, text)?;
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // serde_yaml stamps some errors with the enclosing mapping's position (a step read
        // through a buffer): the node at the error's path is where the offending value is.
        let loc = index
            .get(&path)
            .or_else(|| inner.location().map(|l| (l.line(), l.column())));
        // serde_yaml prefixes its message with (part of) the key path, which we print once.
        let message = inner.to_string();
        let message = strip_path_prefix(&message, &path);
        YamlError {
            file: file.to_string(),
            line: loc.map(|l| l.0),
            column: loc.map(|l| l.1),
            path,
            message: clip_message(message),
        }
    })
}

/// `message` without a leading `p: ` where `p` is `path` or one of its ancestors.
fn strip_path_prefix<'a>(message: &'a str, path: &str) -> &'a str {
    if let Some((head, rest)) = message.split_once(": ") {
        if !head.is_empty()
            && path.starts_with(head)
            && matches!(path.as_bytes().get(head.len()), None | Some(b'.' | b'['))
        {
            return rest;
        }
    }
    message
}

fn too_large(file: &str, len: usize) -> YamlError {
    YamlError {
        file: file.to_string(),
        line: None,
        column: None,
        path: String::new(),
        message: format!("too large: more than {MAX_FILE_BYTES} bytes (read {len})"),
    }
}

/// Reads a YAML file as text: at most [`MAX_FILE_BYTES`] (a larger file is refused without
/// reading it all), UTF-8 (else the byte offset and line of the first bad byte), without a
/// byte-order mark.
pub fn read_text(path: &Path) -> Result<String, YamlError> {
    let file = path.display().to_string();
    let fail = |message: String| YamlError {
        file: file.clone(),
        line: None,
        column: None,
        path: String::new(),
        message,
    };
    let f = std::fs::File::open(path)
        .map_err(|e| fail(format!("cannot read: {}", e.to_string().to_lowercase())))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {}", e.to_string().to_lowercase())))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(fail(format!("too large: more than {MAX_FILE_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        let column = at
            - bytes[..at]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        YamlError {
            line: Some(line),
            column: Some(column),
            ..fail(format!(
                "not UTF-8: invalid byte 0x{:02x} at byte offset {at}",
                bytes[at]
            ))
        }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Reads and parses a YAML file.
pub fn from_path<T: DeserializeOwned>(path: &Path) -> Result<T, YamlError> {
    let text = read_text(path)?;
    from_str(&path.display().to_string(), &text)
}

/// Parses YAML text into a generic value tree (for files whose shape is checked by hand, e.g. to
/// find the line of a key).
pub fn value_from_str(file: &str, text: &str) -> Result<serde_yaml::Value, YamlError> {
    from_str(file, text)
}

/// Writes a value as YAML (the explorer's scenario files). Serializing plain data types (strings,
/// integers, maps, sequences) cannot fail; a value that does is a bug, so this panics.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).expect("plain data serializes to YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        steps: Vec<Step>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Step {
        action: String,
    }

    #[test]
    fn an_unknown_key_reports_file_line_and_path() {
        let err = from_str::<Doc>("s.yaml", "name: x\nsteps:\n  - action: a\n  - actoin: b\n")
            .unwrap_err();
        assert_eq!(err.file, "s.yaml");
        assert_eq!(err.line, Some(4));
        assert_eq!(err.path, "steps[1].actoin");
        assert!(
            err.message.contains("unknown field `actoin`"),
            "{}",
            err.message
        );
    }
}
