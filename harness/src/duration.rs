//! Durations as scenario files write them: `30s`, `1m 30s`, `500ms`, always with a unit.

use serde::de::{self, Deserialize, Deserializer};
use std::time::Duration;

/// A duration read from YAML. A bare number is rejected: `30` could be seconds or milliseconds,
/// and a scenario must not be ambiguous about a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationSpec(pub Duration);

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing but whitespace.
    #[error("empty duration")]
    Empty,
    /// A bare number: seconds or milliseconds?
    #[error("duration `{0}` has no unit (write e.g. `{0}s` or `{0}ms`)")]
    NoUnit(String),
    /// Not humantime syntax.
    #[error("invalid duration `{text}`: {reason}")]
    Invalid {
        /// What was written.
        text: String,
        /// humantime's reason, lowercased.
        reason: String,
    },
}

impl DurationSpec {
    /// Parses `text` (humantime syntax, a unit required).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DurationError::Empty);
        }
        if t.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(DurationError::NoUnit(t.to_string()));
        }
        humantime::parse_duration(t)
            .map(DurationSpec)
            .map_err(|e| DurationError::Invalid {
                text: t.to_string(),
                reason: e.to_string().to_lowercase(),
            })
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = DurationSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a duration with a unit, like `30s` or `500ms`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationSpec, E> {
                DurationSpec::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DurationSpec, E> {
                DurationSpec::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationSpec, E> {
                DurationSpec::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DurationSpec, E> {
                DurationSpec::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a [`Duration`] written the way [`DurationSpec`] reads it, for option structs
/// (`#[serde(deserialize_with = "crate::duration::deserialize")]`).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    DurationSpec::deserialize(d).map(|d| d.0)
}

/// Renders a duration the way scenario files write it (`1m 30s`, `500ms`).
pub fn render(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_units_parse() {
        assert_eq!(
            DurationSpec::parse("30s").unwrap().0,
            Duration::from_secs(30)
        );
        assert_eq!(
            DurationSpec::parse("1m 30s").unwrap().0,
            Duration::from_secs(90)
        );
        assert_eq!(
            DurationSpec::parse("500ms").unwrap().0,
            Duration::from_millis(500)
        );
    }

    #[test]
    fn a_bare_number_is_rejected_as_ambiguous() {
        let e = DurationSpec::parse("30").unwrap_err();
        assert_eq!(e, DurationError::NoUnit("30".into()));
        assert!(e.to_string().contains("has no unit"), "{e}");
    }

    #[test]
    fn a_bad_unit_is_rejected() {
        let e = DurationSpec::parse("3x").unwrap_err().to_string();
        assert!(e.starts_with("invalid duration `3x`"), "{e}");
    }
}
