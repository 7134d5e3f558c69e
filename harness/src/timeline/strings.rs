//! The name type of an [`super::Event`]: a name many events share (its node, its file). Its
//! text is a [`super::Text`].
//!
//! Why not `String`: a year of a busy cluster's log holds hundreds of thousands of events. As
//! `String`s, every event allocated its own copy of its node's and its file's name (two heap
//! blocks of about 32 bytes each, plus the allocator's overhead) and kept 24 bytes of pointer,
//! length and capacity for each. A [`Name`] is one shared `Arc<Box<str>>`: 8 bytes in the
//! event (an `Arc<str>` would be 16, pointer and length) and no allocation per event when the
//! scanner hands out clones of one name; the price, one more allocation and indirection per
//! distinct name, is paid once per file. It reads like a `String` (`&*name`, `name.as_str()`,
//! `name == "node1"`) and serialises as a plain JSON string.

use serde::Serialize;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A node or file name, shared between all the events that carry it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<Box<str>>);

macro_rules! string_like {
    ($t:ident) => {
        impl $t {
            /// The string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            fn new(s: Box<str>) -> $t {
                $t(Arc::new(s))
            }
        }

        impl Deref for $t {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self.as_str(), f)
            }
        }

        /// Shown like the `String` it replaces (`"node1"`, quoted).
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl From<&str> for $t {
            fn from(s: &str) -> $t {
                $t::new(s.into())
            }
        }

        impl From<String> for $t {
            fn from(s: String) -> $t {
                $t::new(s.into())
            }
        }

        impl From<&String> for $t {
            fn from(s: &String) -> $t {
                $t::new(s.as_str().into())
            }
        }

        impl From<$t> for String {
            fn from(s: $t) -> String {
                s.as_str().to_string()
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                *self.as_str() == *other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                *self.as_str() == **other
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                *self.as_str() == **other
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, other: &$t) -> bool {
                *self == *other.as_str()
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                **self == *other.as_str()
            }
        }

        impl PartialEq<$t> for String {
            fn eq(&self, other: &$t) -> bool {
                **self == *other.as_str()
            }
        }

        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        reads_as_string!($t);
    };
}

string_like!(Name);

impl From<Box<str>> for Name {
    fn from(s: Box<str>) -> Name {
        Name::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_compare_and_serialise_like_strings() {
        let n = Name::from("node1");
        assert_eq!(n, "node1");
        assert_eq!("node1", n);
        assert_eq!(n, String::from("node1"));
        assert_eq!(n.len(), 5);
        assert_eq!(format!("{n}/x"), "node1/x");
        assert_eq!(format!("{n:?}"), format!("{:?}", "node1"));
        let quoted = Name::from("a \"quoted\" name");
        assert_eq!(
            serde_json::to_string(&quoted).unwrap(),
            serde_json::to_string("a \"quoted\" name").unwrap()
        );
        let back: Name = serde_json::from_str("\"node1\"").unwrap();
        assert_eq!(back, n);
    }

    #[test]
    fn clones_of_a_name_share_one_allocation() {
        let n = Name::from("node1");
        let m = n.clone();
        assert!(std::ptr::eq(n.as_str(), m.as_str()));
        assert_eq!(
            std::mem::size_of::<Name>(),
            8,
            "one thin pointer in every event"
        );
    }
}
