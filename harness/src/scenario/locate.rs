//! Finds the line of a YAML key path after parsing, so that semantic (post-parse) errors point at
//! the line of the offending value just as parse errors do.
//!
//! serde_yaml's `Value` carries no spans. The loader's pre-pass ([`crate::loader::scan`]) walks
//! the document once with an event parser that has them and indexes every node by key path; a
//! lookup is then a hash-map read (replaying the document per lookup made `validate` quadratic
//! in the number of steps).

use crate::loader::YamlIndex;
use std::fmt;

/// One step of a path inside a YAML document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based).
    Index(usize),
}

/// A key path inside a YAML document, rendered like serde_path_to_error does: `steps[2].target`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_string()));
        p
    }

    /// This path extended by a sequence index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Returns the 1-based (line, column) of the node at `path` in `text`, or `None` when the
/// document does not parse or has no such node. Each call scans the whole text: to locate many
/// paths, build one [`Locator`].
pub fn locate(text: &str, path: &YamlPath) -> Option<(usize, usize)> {
    Locator::new(text).get(path)
}

/// Every node's position in one document, from one linear scan ([`crate::loader::scan`]), so
/// that locating a path per step stays linear in the file's size.
#[derive(Debug, Default, Clone)]
pub struct Locator(YamlIndex);

impl Locator {
    /// Indexes `text` (an empty index when it does not scan: lines are then unknown).
    pub fn new(text: &str) -> Self {
        Locator(crate::loader::scan("", text).unwrap_or_default())
    }

    /// The 1-based (line, column) of the node at `path`.
    pub fn get(&self, path: &YamlPath) -> Option<(usize, usize)> {
        self.0.get(&path.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name: x\nsteps:\n  - action: host-crash\n    target: primary\n  - {action: wait, duration: 5s}\n  - action: sql\n    expect:\n      - node: standby\n        within: 3x\n";

    fn at(path: YamlPath) -> Option<usize> {
        locate(DOC, &path).map(|(l, _)| l)
    }

    #[test]
    fn a_nested_key_is_found_on_its_own_line() {
        let steps = YamlPath::root().key("steps");
        assert_eq!(at(steps.index(0).key("target")), Some(4));
        assert_eq!(
            at(steps.index(2).key("expect").index(0).key("within")),
            Some(9)
        );
        assert_eq!(at(YamlPath::root().key("name")), Some(1));
    }

    #[test]
    fn a_flow_mapping_value_is_found_on_its_line() {
        let p = YamlPath::root().key("steps").index(1).key("duration");
        assert_eq!(locate(DOC, &p), Some((5, 30)));
    }

    #[test]
    fn a_missing_path_is_none() {
        assert_eq!(at(YamlPath::root().key("steps").index(7)), None);
        assert_eq!(at(YamlPath::root().key("nope")), None);
    }

    #[test]
    fn paths_render_like_serde_path_to_error() {
        let p = YamlPath::root()
            .key("steps")
            .index(2)
            .key("expect")
            .index(0)
            .key("within");
        assert_eq!(p.to_string(), "steps[2].expect[0].within");
        assert_eq!(YamlPath::root().to_string(), ".");
    }
}
