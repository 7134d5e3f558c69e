//! Finds the line of a YAML key path after parsing, so that semantic (post-parse) errors point at
//! the line of the offending value just as parse errors do.
//!
//! serde_yaml's `Value` carries no spans. Instead of re-scanning text by hand we replay the
//! document through serde_yaml's own deserializer with a seed that follows the path and fails on
//! purpose at the node it names: serde_yaml stamps that error with the node's position.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
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
/// document does not parse or has no such node.
pub fn locate(text: &str, path: &YamlPath) -> Option<(usize, usize)> {
    let found = Cell::new(false);
    let de = serde_yaml::Deserializer::from_str(text);
    let err = Locate {
        rest: &path.0,
        found: &found,
    }
    .deserialize(de)
    .err()?;
    if !found.get() {
        return None;
    }
    err.location().map(|l| (l.line(), l.column()))
}

struct Locate<'a> {
    rest: &'a [Seg],
    found: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.rest.is_empty() {
            self.found.set(true);
            // `Here` implements no visit method, so whatever the node is, the deserializer
            // reports an error stamped with the node's position.
            return d.deserialize_any(Here);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping or a sequence")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Seg::Key(want) = &self.rest[0] else {
            return Err(de::Error::custom("not a sequence"));
        };
        while let Some(key) = map.next_key::<KeyText>()? {
            if key.0.as_deref() == Some(want.as_str()) {
                return map.next_value_seed(Locate {
                    rest: &self.rest[1..],
                    found: self.found,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom("no such key"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Seg::Index(want) = self.rest[0] else {
            return Err(de::Error::custom("not a mapping"));
        };
        for _ in 0..want {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom("no such index"));
            }
        }
        seq.next_element_seed(Locate {
            rest: &self.rest[1..],
            found: self.found,
        })?
        .ok_or_else(|| de::Error::custom("no such index"))
    }
}

struct Here;

impl Visitor<'_> for Here {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing (locating)")
    }
}

/// A mapping key as text, when it is a scalar (other keys never match a path).
struct KeyText(Option<String>);

impl<'de> de::Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml::Value::deserialize(d)?;
        Ok(KeyText(match v {
            serde_yaml::Value::String(s) => Some(s),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            serde_yaml::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }))
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
