//! One linear pass over a YAML document, before serde sees it: what the document may cost
//! (nesting depth, size after alias expansion), duplicate keys, and where every node is.
//!
//! serde_yaml carries no spans and expands aliases while it deserializes, so a 300 KB file that
//! repeats a 100 KB string through 50,000 aliases costs gigabytes, and finding the line of a key
//! after parsing meant replaying the whole document once per key (quadratic in the number of
//! steps). This pass uses an event parser that reports spans (`saphyr-parser`), stops at the
//! first limit it crosses, and records each node's line and column under its key path, so every
//! later lookup is a hash-map read.

use super::YamlError;
use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// How deep mappings and sequences may nest (scenario and release files need fewer than 10).
pub const MAX_DEPTH: usize = 64;
/// How many nodes plus scalar bytes a document may amount to once every alias is expanded.
pub const MAX_EXPANDED: usize = 4 * 1024 * 1024;

/// Where each node of a document is, by key path (rendered like `steps[2].target`; `.` is the
/// root). Built by [`scan`].
#[derive(Debug, Default, Clone)]
pub struct YamlIndex {
    positions: HashMap<String, (usize, usize)>,
}

impl YamlIndex {
    /// The 1-based (line, column) of the node at `path`, when the document has it.
    pub fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.positions.get(path).copied()
    }
}

/// One open mapping or sequence while walking the events.
struct Frame {
    /// The rendered path of the container itself.
    path: String,
    /// Sequence: the next index. Mapping: unused.
    next_index: usize,
    is_map: bool,
    /// Mapping: whether the next node is a key.
    expect_key: bool,
    /// Mapping: the path of the value that follows the key just read.
    pending_key: Option<String>,
    /// Mapping: keys seen so far, with their line.
    keys: HashMap<String, usize>,
    /// Anchor id of this container (0 = none) and the expanded cost when it started.
    anchor: usize,
    cost_at_start: usize,
}

fn child(parent: &str, seg: &str, is_index: bool) -> String {
    match (parent, is_index) {
        (".", false) => seg.to_string(),
        (".", true) => format!("[{seg}]"),
        (p, false) => format!("{p}.{seg}"),
        (p, true) => format!("{p}[{seg}]"),
    }
}

/// The path of the node an event starts, or `None` when the event is a mapping key.
fn node_path(stack: &mut [Frame]) -> Option<String> {
    let Some(top) = stack.last_mut() else {
        return Some(".".to_string());
    };
    if !top.is_map {
        let p = child(&top.path, &top.next_index.to_string(), true);
        top.next_index += 1;
        return Some(p);
    }
    if top.expect_key {
        return None;
    }
    top.expect_key = true;
    // A value whose key is not a scalar has no path of ours.
    Some(
        top.pending_key
            .take()
            .unwrap_or_else(|| format!("{}.?", top.path)),
    )
}

/// Takes the event as a mapping key when one is expected (returns whether it did). Only scalar
/// keys are addressable; one repeated within a mapping is refused.
fn take_key(
    stack: &mut [Frame],
    key: Option<&str>,
    file: &str,
    line: usize,
    col: usize,
) -> Result<bool, YamlError> {
    let Some(top) = stack.last_mut() else {
        return Ok(false);
    };
    if !(top.is_map && top.expect_key) {
        return Ok(false);
    }
    top.expect_key = false;
    if let Some(key) = key {
        let p = child(&top.path, key, false);
        if let Some(first) = top.keys.insert(key.to_string(), line) {
            return Err(limit_error(
                file,
                line,
                col,
                &p,
                format!(
                    "duplicate key `{}` (first at line {first})",
                    super::clip(key, 80)
                ),
            ));
        }
        top.pending_key = Some(p);
    }
    Ok(true)
}

fn limit_error(file: &str, line: usize, col: usize, path: &str, message: String) -> YamlError {
    YamlError {
        file: file.to_string(),
        line: Some(line),
        column: Some(col),
        path: path.to_string(),
        message,
    }
}

/// Walks the first document of `text`: refuses nesting deeper than [`MAX_DEPTH`], an expanded
/// size above [`MAX_EXPANDED`] and a key repeated within one mapping, and returns where every
/// node is. Syntax errors are left to serde_yaml (it reports them with its own wording); on one,
/// the index holds what was seen before it.
pub fn scan(file: &str, text: &str) -> Result<YamlIndex, YamlError> {
    let mut index = YamlIndex::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut cost: usize = 0;
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ev) => ev,
            // The event parser caps flow nesting itself (at 255): the same limit, in our words.
            Err(e) if e.info().contains("recursion limit") => {
                let path = stack.last().map(|f| f.path.as_str()).unwrap_or(".");
                return Err(limit_error(
                    file,
                    e.marker().line(),
                    e.marker().col() + 1,
                    path,
                    format!("nested deeper than {MAX_DEPTH} levels"),
                ));
            }
            Err(_) => break,
        };
        let line = span.start.line();
        let col = span.start.col() + 1;
        match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
            Event::DocumentEnd | Event::StreamEnd => break,
            Event::Scalar(value, _, anchor, _) => {
                cost = cost.saturating_add(1 + value.len());
                if anchor != 0 {
                    anchors.insert(anchor, 1 + value.len());
                }
                if !take_key(&mut stack, Some(&value), file, line, col)? {
                    if let Some(p) = node_path(&mut stack) {
                        index.positions.entry(p).or_insert((line, col));
                    }
                }
            }
            Event::Alias(id) => {
                cost = cost.saturating_add(anchors.get(&id).copied().unwrap_or(1));
                if !take_key(&mut stack, None, file, line, col)? {
                    if let Some(p) = node_path(&mut stack) {
                        index.positions.entry(p).or_insert((line, col));
                    }
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                cost = cost.saturating_add(1);
                let path = if take_key(&mut stack, None, file, line, col)? {
                    String::from("?")
                } else {
                    node_path(&mut stack).unwrap_or_else(|| "?".into())
                };
                index.positions.entry(path.clone()).or_insert((line, col));
                if stack.len() >= MAX_DEPTH {
                    return Err(limit_error(
                        file,
                        line,
                        col,
                        &path,
                        format!("nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(Frame {
                    path,
                    next_index: 0,
                    is_map,
                    expect_key: true,
                    pending_key: None,
                    keys: HashMap::new(),
                    anchor,
                    cost_at_start: cost,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = stack.pop() {
                    if f.anchor != 0 {
                        anchors.insert(f.anchor, cost - f.cost_at_start + 1);
                    }
                }
            }
        }
        if cost > MAX_EXPANDED {
            let path = stack.last().map(|f| f.path.as_str()).unwrap_or(".");
            return Err(limit_error(
                file,
                line,
                col,
                path,
                format!(
                    "the document expands to more than {MAX_EXPANDED} nodes and bytes (aliases repeat too much)"
                ),
            ));
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name: x\nsteps:\n  - action: host-crash\n    target: primary\n  - {action: wait, duration: 5s}\n  - action: sql\n    expect:\n      - node: standby\n        within: 3x\n";

    #[test]
    fn every_node_is_indexed_by_its_key_path() {
        let ix = scan("s.yaml", DOC).unwrap();
        assert_eq!(ix.get("name"), Some((1, 7)));
        assert_eq!(ix.get("steps[0].target").map(|p| p.0), Some(4));
        assert_eq!(ix.get("steps[1].duration"), Some((5, 30)));
        assert_eq!(ix.get("steps[2].expect[0].within").map(|p| p.0), Some(9));
        assert_eq!(ix.get("steps[7]"), None);
    }

    #[test]
    fn a_repeated_key_is_refused_at_its_second_line() {
        let err = scan("s.yaml", "config:\n  a: 1\n  b: 2\n  a: 3\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.path, "config.a");
        assert!(err.message.contains("first at line 2"), "{}", err.message);
    }

    #[test]
    fn the_same_key_in_two_mappings_is_fine() {
        scan("s.yaml", "a: {x: 1}\nb: {x: 2}\n").unwrap();
    }

    #[test]
    fn deep_nesting_is_refused_early() {
        let text = "[".repeat(100_000);
        let err = scan("s.yaml", &text).unwrap_err();
        assert!(err.message.contains("deeper than 64"), "{}", err.message);
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let mut text = format!("a: &x \"{}\"\nb: [", "y".repeat(100_000));
        for _ in 0..1000 {
            text.push_str("*x, ");
        }
        text.push_str("]\n");
        let err = scan("s.yaml", &text).unwrap_err();
        assert!(err.message.contains("aliases"), "{}", err.message);
        // Nested anchors multiply: a billion laughs.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert!(scan("s.yaml", &laughs).is_err());
    }
}
