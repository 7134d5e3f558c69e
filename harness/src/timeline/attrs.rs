//! An event's typed details, stored compactly: a year of a busy cluster's log holds hundreds of
//! thousands of events with one or two details each.

use super::Name;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{LazyLock, RwLock};

/// An attribute name (`node_id`, `from`, ...), interned: 4 bytes in an event instead of a
/// 16-byte `Arc<str>`.
///
/// Every distinct name is stored once for the life of the process (the profiles' attribute
/// names, the scanner's own, and those read back from recorded JSON: a few dozen), so a key
/// is an index into that list. Two keys are equal exactly when their names are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(u32);

/// The names behind the keys; only ever grows.
struct Interner {
    names: Vec<&'static str>,
    index: HashMap<&'static str, u32>,
}

static KEYS: LazyLock<RwLock<Interner>> = LazyLock::new(|| {
    RwLock::new(Interner {
        names: Vec::new(),
        index: HashMap::new(),
    })
});

fn names() -> std::sync::RwLockReadGuard<'static, Interner> {
    KEYS.read().unwrap_or_else(|p| p.into_inner())
}

impl Key {
    /// The key of `name`, added to the list the first time it is seen (the name's bytes are
    /// kept for the life of the process: names are few).
    pub fn new(name: &str) -> Key {
        if let Some(&i) = names().index.get(name) {
            return Key(i);
        }
        let mut keys = KEYS.write().unwrap_or_else(|p| p.into_inner());
        if let Some(&i) = keys.index.get(name) {
            return Key(i);
        }
        let i = u32::try_from(keys.names.len()).expect("fewer than 2^32 attribute names");
        let name: &'static str = Box::leak(name.into());
        keys.names.push(name);
        keys.index.insert(name, i);
        Key(i)
    }

    /// The name.
    pub fn name(self) -> &'static str {
        names().names[self.0 as usize]
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Key {
        Key::new(name)
    }
}

impl From<String> for Key {
    fn from(name: String) -> Key {
        Key::new(&name)
    }
}

impl From<&String> for Key {
    fn from(name: &String) -> Key {
        Key::new(name)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name(), f)
    }
}

/// One detail: its name and its value, in 16 bytes (the tag, the 4-byte key beside it, and an
/// 8-byte value). The common values (integers, strings, booleans) are kept typed; anything
/// else a JSON record may hold (a float, an integer beyond `i64`, an array, an object) is a
/// boxed JSON value, so every JSON value reads back and writes out as it was.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Null(Key),
    Bool(Key, bool),
    Int(Key, i64),
    /// A string; the scanner shares one [`Name`] between the events with the same value.
    Str(Key, Name),
    /// Never null, a boolean, an `i64` or a string: those have their own variants, so that two
    /// equal values are always the same variant.
    Json(Key, Box<Value>),
}

impl Entry {
    fn of(key: Key, value: Value) -> Entry {
        match value {
            Value::Null => Entry::Null(key),
            Value::Bool(b) => Entry::Bool(key, b),
            Value::String(s) => Entry::Str(key, Name::from(s)),
            Value::Number(n) if n.is_i64() => Entry::Int(key, n.as_i64().expect("is i64")),
            other => Entry::Json(key, Box::new(other)),
        }
    }

    fn key(&self) -> Key {
        match self {
            Entry::Null(k)
            | Entry::Bool(k, _)
            | Entry::Int(k, _)
            | Entry::Str(k, _)
            | Entry::Json(k, _) => *k,
        }
    }

    fn value(&self) -> AttrValue<'_> {
        match self {
            Entry::Null(_) => AttrValue::Null,
            Entry::Bool(_, b) => AttrValue::Bool(*b),
            Entry::Int(_, i) => AttrValue::Int(*i),
            Entry::Str(_, s) => AttrValue::Str(s),
            Entry::Json(_, v) => AttrValue::Json(v),
        }
    }
}

/// An attribute's value, borrowed from its event: what [`Attrs::get`] gives. It reads like the
/// `serde_json::Value` it stands for (`as_str`, `as_i64`, `as_u64`, `as_bool`, `as_f64`,
/// `is_null`, `== "DEAD"`, `== 3`) and serialises as that value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttrValue<'a> {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// A string.
    Str(&'a str),
    /// Any other JSON value (a float, a larger integer, an array, an object).
    Json(&'a Value),
}

impl<'a> AttrValue<'a> {
    /// The string, when it is one.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            AttrValue::Str(s) => Some(s),
            AttrValue::Json(v) => v.as_str(),
            _ => None,
        }
    }

    /// The integer, when it is one that fits an `i64`.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(i),
            AttrValue::Json(v) => v.as_i64(),
            _ => None,
        }
    }

    /// The integer, when it is one that fits a `u64`.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            AttrValue::Int(i) => u64::try_from(i).ok(),
            AttrValue::Json(v) => v.as_u64(),
            _ => None,
        }
    }

    /// The number as a float, when it is a number (as `serde_json::Value::as_f64`).
    pub fn as_f64(self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(i as f64),
            AttrValue::Json(v) => v.as_f64(),
            _ => None,
        }
    }

    /// The boolean, when it is one.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(b),
            AttrValue::Json(v) => v.as_bool(),
            _ => None,
        }
    }

    /// Whether it is JSON `null`.
    pub fn is_null(self) -> bool {
        matches!(self, AttrValue::Null)
    }

    /// The value as an owned JSON value.
    pub fn to_json(self) -> Value {
        match self {
            AttrValue::Null => Value::Null,
            AttrValue::Bool(b) => Value::Bool(b),
            AttrValue::Int(i) => Value::from(i),
            AttrValue::Str(s) => Value::from(s),
            AttrValue::Json(v) => v.clone(),
        }
    }
}

impl Serialize for AttrValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            AttrValue::Null => s.serialize_unit(),
            AttrValue::Bool(b) => s.serialize_bool(b),
            AttrValue::Int(i) => s.serialize_i64(i),
            AttrValue::Str(t) => s.serialize_str(t),
            AttrValue::Json(v) => v.serialize(s),
        }
    }
}

impl fmt::Display for AttrValue<'_> {
    /// As JSON (a string quoted), like `serde_json::Value`'s `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_json(), f)
    }
}

impl PartialEq<Value> for AttrValue<'_> {
    fn eq(&self, other: &Value) -> bool {
        self.to_json() == *other
    }
}

impl PartialEq<str> for AttrValue<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for AttrValue<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for AttrValue<'_> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<bool> for AttrValue<'_> {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

macro_rules! eq_int {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for AttrValue<'_> {
            /// As `serde_json::Value == n`: an integer (never a float) of that value.
            fn eq(&self, other: &$t) -> bool {
                let n = i128::from(*other);
                self.as_i64().map(i128::from) == Some(n) || self.as_u64().map(i128::from) == Some(n)
            }
        }
    )*};
}

eq_int!(i32, i64, u32, u64);

/// The typed details of an [`super::Event`] (`node_id`, `round`, `from`/`to`, `command`, ...):
/// a map from name to JSON value, in name order like the `BTreeMap` it once was, and serialised
/// the same way (a JSON object, keys sorted).
///
/// Why so compact: an event-dense log gives hundreds of thousands of events, nearly all with
/// one or two details (a `node_id`, a `from` and a `to`). As a `BTreeMap` each event allocated
/// a whole node (about 640 bytes); as a vector of `(Arc<str>, serde_json::Value)` still 48
/// bytes a detail, a heap block per event and one per string value. Here up to two details
/// sit in the event itself (32 bytes, no allocation; an interned [`Key`] and a typed value
/// each), and only an event with three or more has a block of its own.
#[derive(Clone)]
pub struct Attrs(Repr);

#[derive(Clone)]
enum Repr {
    /// At most two entries, filled from the first slot, in name order.
    Few([Option<Entry>; 2]),
    /// Three or more, in name order.
    Many(Box<[Entry]>),
}

impl Default for Attrs {
    fn default() -> Attrs {
        Attrs(Repr::Few([None, None]))
    }
}

impl Attrs {
    /// No details.
    pub fn new() -> Attrs {
        Attrs::default()
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        let (few, many): (&[Option<Entry>], &[Entry]) = match &self.0 {
            Repr::Few(few) => (few, &[]),
            Repr::Many(many) => (&[], many),
        };
        few.iter().flatten().chain(many)
    }

    fn find(&self, key: &str) -> Option<&Entry> {
        let names = names();
        self.entries()
            .find(|e| names.names[e.key().0 as usize] == key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<AttrValue<'_>> {
        self.find(key).map(Entry::value)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: Key, value: Value) {
        self.put(Entry::of(key, value));
    }

    /// Sets `key` to the integer `value` (what `insert` does with `Value::from(value)`).
    pub fn insert_int(&mut self, key: Key, value: i64) {
        self.put(Entry::Int(key, value));
    }

    /// Sets `key` to the string `value`, sharing it (what `insert` does with a JSON string).
    pub fn insert_str(&mut self, key: Key, value: Name) {
        self.put(Entry::Str(key, value));
    }

    /// Sets `key` to the boolean `value`.
    pub fn insert_bool(&mut self, key: Key, value: bool) {
        self.put(Entry::Bool(key, value));
    }

    fn put(&mut self, new: Entry) {
        let key = new.key();
        let names = names();
        let name = |k: Key| names.names[k.0 as usize];
        match &mut self.0 {
            Repr::Few(slots) => {
                if let Some(e) = slots.iter_mut().flatten().find(|e| e.key() == key) {
                    *e = new;
                    return;
                }
                match slots {
                    [None, _] => slots[0] = Some(new),
                    [Some(a), None] => {
                        if name(key) < name(a.key()) {
                            slots[1] = slots[0].replace(new);
                        } else {
                            slots[1] = Some(new);
                        }
                    }
                    [Some(_), Some(_)] => {
                        let mut all: Vec<Entry> =
                            slots.iter_mut().filter_map(Option::take).collect();
                        let at = all.partition_point(|e| name(e.key()) < name(key));
                        all.insert(at, new);
                        self.0 = Repr::Many(all.into_boxed_slice());
                    }
                }
            }
            Repr::Many(many) => {
                if let Some(e) = many.iter_mut().find(|e| e.key() == key) {
                    *e = new;
                } else {
                    let mut all = std::mem::take(many).into_vec();
                    let at = all.partition_point(|e| name(e.key()) < name(key));
                    all.insert(at, new);
                    *many = all.into_boxed_slice();
                }
            }
        }
    }

    /// Names and values, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, AttrValue<'_>)> {
        self.entries().map(|e| (e.key().name(), e.value()))
    }

    /// How many details there are.
    pub fn len(&self) -> usize {
        self.entries().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries().next().is_none()
    }
}

/// Equal when they hold the same names with the same values.
impl PartialEq for Attrs {
    fn eq(&self, other: &Attrs) -> bool {
        self.entries().eq(other.entries())
    }
}

/// Shown as the map it stands for.
impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Collects like a map: a later value for the same name replaces an earlier one.
impl<K: Into<Key>> FromIterator<(K, Value)> for Attrs {
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
        map.into_iter().collect()
    }
}

impl Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, &v)?;
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
        assert_eq!(a.get("to").unwrap(), 2);
        assert_eq!(a.get("from"), Some(AttrValue::Int(1)));
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
        // Inserted one by one in every rotation, so each slot and the move to a block of
        // their own meet every order.
        for r in 0..names.len() {
            let mut a = Attrs::new();
            for n in names.iter().cycle().skip(r).take(names.len()) {
                a.insert(Key::new(n), Value::Null);
            }
            let m: BTreeMap<String, Value> =
                names.iter().map(|n| (n.to_string(), Value::Null)).collect();
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&m).unwrap()
            );
        }
    }

    #[test]
    fn every_json_value_reads_back_and_writes_out_as_it_was() {
        let json = r#"{"a":null,"b":true,"c":-3,"d":"x","e":1.5,"f":18446744073709551615,"g":[1,{"h":"i"}],"j":1.0}"#;
        let a: Attrs = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), json);
        let m: BTreeMap<String, Value> = serde_json::from_str(json).unwrap();
        for (k, v) in &m {
            assert_eq!(a.get(k).unwrap(), *v, "{k}");
            assert_eq!(a.get(k).unwrap().as_u64(), v.as_u64(), "{k}");
            assert_eq!(a.get(k).unwrap().as_i64(), v.as_i64(), "{k}");
            assert_eq!(a.get(k).unwrap().as_f64(), v.as_f64(), "{k}");
            assert_eq!(a.get(k).unwrap().as_str(), v.as_str(), "{k}");
            assert_eq!(a.get(k).unwrap().as_bool(), v.as_bool(), "{k}");
        }
    }

    #[test]
    fn two_details_fit_in_the_event() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        assert_eq!(std::mem::size_of::<Attrs>(), 32);
    }
}
