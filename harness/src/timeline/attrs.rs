//! An event's typed details, stored compactly: a year of a busy cluster's log holds hundreds of
//! thousands of events with one or two details each.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The typed details of an [`super::Event`] (`node_id`, `round`, `from`/`to`, `command`, ...):
/// a map from name to JSON value, in name order like the `BTreeMap` it replaces, and serialised
/// the same way (a JSON object, keys sorted).
///
/// Why not a `BTreeMap`: its first entry allocates a whole node (eleven keys and values, about
/// 640 bytes) for the one or two details an event has, which was two thirds of the analyser's
/// memory on an event-dense log. Here the entries sit in one exact-size vector, and a name is an
/// `Arc<str>` that the grammar shares between all the events it produces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs {
    /// Sorted by name, names unique.
    entries: Vec<(Arc<str>, Value)>,
}

impl Attrs {
    /// No details.
    pub fn new() -> Attrs {
        Attrs::default()
    }

    /// No details yet, room for `n` without growing.
    pub fn with_capacity(n: usize) -> Attrs {
        Attrs {
            entries: Vec::with_capacity(n),
        }
    }

    /// Gives back room reserved and not used.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`, returning its previous value. Grows by exactly one entry: events are many
    /// and their details few.
    /// The key is a concrete type so that `insert("name".into(), v)` reads as it did on a map.
    pub fn insert(&mut self, key: Arc<str>, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.reserve_exact(1);
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Names and values, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// How many details there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `attrs["node_id"]`, like a map: panics when the key is missing.
impl std::ops::Index<&str> for Attrs {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no attribute {key:?} in {self:?}"))
    }
}

/// Collects like a map: a later value for the same name replaces an earlier one.
impl<K: Into<Arc<str>>> FromIterator<(K, Value)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Attrs {
        let mut attrs = Attrs::new();
        for (k, v) in iter {
            attrs.insert(k.into(), v);
        }
        attrs
    }
}

impl From<BTreeMap<String, Value>> for Attrs {
    fn from(map: BTreeMap<String, Value>) -> Attrs {
        let mut entries: Vec<(Arc<str>, Value)> = Vec::with_capacity(map.len());
        entries.extend(map.into_iter().map(|(k, v)| (Arc::from(k), v)));
        Attrs { entries }
    }
}

impl Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(&**k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Attrs, D::Error> {
        BTreeMap::<String, Value>::deserialize(d).map(Attrs::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_keep_name_order_and_the_last_value_like_a_map() {
        let a: Attrs = [
            ("to", Value::from("x")),
            ("from", 1.into()),
            ("to", 2.into()),
        ]
        .into_iter()
        .collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a["to"], 2);
        assert_eq!(a.get("from"), Some(&Value::from(1)));
        assert!(!a.contains_key("round"));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"from":1,"to":2}"#,
            "serialised as a map in name order"
        );
        let back: Attrs = serde_json::from_str(r#"{"to":2,"from":1}"#).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn attrs_order_names_by_bytes_like_the_btreemap_they_replace() {
        let names = [
            "time_inherited",
            "node_id",
            "Node",
            "node",
            "a_b",
            "ab",
            "é",
        ];
        let a: Attrs = names.iter().map(|n| (*n, Value::Null)).collect();
        let m: BTreeMap<String, Value> =
            names.iter().map(|n| (n.to_string(), Value::Null)).collect();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
    }
}
