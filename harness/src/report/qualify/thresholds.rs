//! What counts as a regression when a candidate release is qualified against a baseline, and the
//! YAML file that sets it (parsed through [`crate::loader`], so an error names the file, the line,
//! the key and the offending value).
//!
//! ```yaml
//! relative: 20%            # a phase may get this much slower (or 0.2) ...
//! floor: 0.5s              # ... and by at least this much (seconds, or 500ms / 1s)
//! measurements:            # per-phase overrides of the two above
//!   promote: {relative: 30%, floor: 1s}
//! max_lost_writes: 0       # acknowledged writes a candidate run may lose
//! pass_rate_drop: 0%       # how far the candidate's pass rate may fall below the baseline's
//! allow_sequence_changes: false   # event-sequence differences are reported, not regressions
//! ```
//!
//! Every key is optional; an unknown key is an error, not a silently ignored typo.

use crate::loader::{self, YamlError};
use crate::measure::MeasurementKind;
use crate::report::compare::{parse_relative, Threshold};
use crate::report::error::ThresholdError;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The qualification's regression rules. [`Default`] is the documented default.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct QualifyThresholds {
    /// The slowdown allowed for every phase without an override (as `hachaos compare`).
    pub default: Threshold,
    /// Per-phase overrides of `default`.
    pub measurements: BTreeMap<MeasurementKind, Threshold>,
    /// Acknowledged writes one candidate run may lose (scenarios that declare `lost-writes`
    /// as expected damage are exempt).
    pub max_lost_writes: usize,
    /// How far (a fraction, 0.1 = 10 points) the candidate's pass rate may fall below the
    /// baseline's, overall and per check.
    pub pass_rate_drop: f64,
    /// When true, differences in the event sequences are reported but do not regress.
    pub allow_sequence_changes: bool,
}

impl Default for QualifyThresholds {
    fn default() -> QualifyThresholds {
        QualifyThresholds {
            default: Threshold::default(),
            measurements: BTreeMap::new(),
            max_lost_writes: 0,
            pass_rate_drop: 0.0,
            allow_sequence_changes: false,
        }
    }
}

impl QualifyThresholds {
    /// The threshold that applies to `kind`.
    pub fn for_measurement(&self, kind: MeasurementKind) -> Threshold {
        self.measurements
            .get(&kind)
            .copied()
            .unwrap_or(self.default)
    }

    /// Parses a thresholds document (`file` names it in errors). Missing keys keep the defaults.
    pub fn from_yaml(file: &str, text: &str) -> Result<QualifyThresholds, YamlError> {
        let raw: RawThresholds = loader::from_str(file, text)?;
        Ok(raw.into_thresholds())
    }

    /// Reads and parses a thresholds file.
    pub fn from_path(path: &Path) -> Result<QualifyThresholds, YamlError> {
        let raw: RawThresholds = loader::from_path(path)?;
        Ok(raw.into_thresholds())
    }
}

/// The file as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    relative: Option<Relative>,
    floor: Option<Seconds>,
    #[serde(default)]
    measurements: BTreeMap<Phase, RawThreshold>,
    max_lost_writes: Option<usize>,
    pass_rate_drop: Option<Rate>,
    allow_sequence_changes: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    relative: Option<Relative>,
    floor: Option<Seconds>,
}

impl RawThresholds {
    fn into_thresholds(self) -> QualifyThresholds {
        let d = QualifyThresholds::default();
        let default = Threshold {
            relative: self.relative.map_or(d.default.relative, |r| r.0),
            floor_s: self.floor.map_or(d.default.floor_s, |s| s.0),
        };
        QualifyThresholds {
            default,
            measurements: self
                .measurements
                .into_iter()
                .map(|(Phase(kind), t)| {
                    (
                        kind,
                        Threshold {
                            relative: t.relative.map_or(default.relative, |r| r.0),
                            floor_s: t.floor.map_or(default.floor_s, |s| s.0),
                        },
                    )
                })
                .collect(),
            max_lost_writes: self.max_lost_writes.unwrap_or(d.max_lost_writes),
            pass_rate_drop: self.pass_rate_drop.map_or(d.pass_rate_drop, |r| r.0),
            allow_sequence_changes: self
                .allow_sequence_changes
                .unwrap_or(d.allow_sequence_changes),
        }
    }
}

/// A phase name as a map key. Read as a string (not through the enum's derive) so that error
/// paths name the key (`measurements.promote.floor`) and an unknown name lists the known ones.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Phase(MeasurementKind);

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Phase, D::Error> {
        let name = String::deserialize(d)?;
        MeasurementKind::ALL
            .iter()
            .find(|k| k.name() == name)
            .map(|k| Phase(*k))
            .ok_or_else(|| {
                let known: Vec<&str> = MeasurementKind::ALL.iter().map(|k| k.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown measurement {name:?}, expected one of {}",
                    known.join(", ")
                ))
            })
    }
}

/// A number or a string, as YAML gives either for `0.2` / `20%` / `1s`.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(f64),
    Text(String),
}

/// A fraction written `20%` or `0.2`.
#[derive(Debug, Clone, Copy)]
struct Relative(f64);

impl<'de> Deserialize<'de> for Relative {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Relative, D::Error> {
        let text = match NumberOrText::deserialize(d)? {
            NumberOrText::Number(n) => n.to_string(),
            NumberOrText::Text(t) => t,
        };
        parse_relative(&text)
            .map(Relative)
            .map_err(serde::de::Error::custom)
    }
}

/// A pass-rate drop written `10%` or `0.1`, at most 100%.
#[derive(Debug, Clone, Copy)]
struct Rate(f64);

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        let text = match NumberOrText::deserialize(d)? {
            NumberOrText::Number(n) => n.to_string(),
            NumberOrText::Text(t) => t,
        };
        parse_rate(&text)
            .map(Rate)
            .map_err(serde::de::Error::custom)
    }
}

/// Seconds written `0.5`, `500ms` or `1s`.
#[derive(Debug, Clone, Copy)]
struct Seconds(f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Seconds, D::Error> {
        match NumberOrText::deserialize(d)? {
            NumberOrText::Number(n) => parse_seconds(&n.to_string()),
            NumberOrText::Text(t) => parse_seconds(&t),
        }
        .map(Seconds)
        .map_err(serde::de::Error::custom)
    }
}

/// Parses a pass-rate drop: a fraction of runs, `10%` or `0.1`, between 0 and 1 (a pass rate
/// cannot drop by more than all of it).
pub fn parse_rate(text: &str) -> Result<f64, ThresholdError> {
    let v = crate::report::compare::parse_relative(text)?;
    if v > 1.0 {
        return Err(ThresholdError::RateAboveAll(text.to_string()));
    }
    Ok(v)
}

/// Parses a non-negative duration: a plain number of seconds (`0.5`) or a humantime duration
/// (`500ms`, `1s`, `1m 30s`).
pub fn parse_seconds(text: &str) -> Result<f64, ThresholdError> {
    let t = text.trim();
    let secs = match t.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) => humantime::parse_duration(t).ok().map(|d| d.as_secs_f64()),
    };
    match secs {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(ThresholdError::NotDuration(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_keeps_every_default() {
        let t = QualifyThresholds::from_yaml("t.yaml", "{}").unwrap();
        assert_eq!(t, QualifyThresholds::default());
    }

    #[test]
    fn a_damage_window_takes_a_threshold_of_its_own() {
        let t = QualifyThresholds::from_yaml(
            "t.yaml",
            "measurements:\n  two_primaries: {relative: 0%, floor: 0}\n  vip_outage: {floor: 5s}\n",
        )
        .unwrap();
        let two = t.for_measurement(MeasurementKind::TwoPrimaries);
        assert_eq!((two.relative, two.floor_s), (0.0, 0.0));
        assert_eq!(t.for_measurement(MeasurementKind::VipOutage).floor_s, 5.0);
    }

    #[test]
    fn overrides_inherit_the_top_level_values_they_do_not_set() {
        let t = QualifyThresholds::from_yaml(
            "t.yaml",
            "relative: 10%\nfloor: 250ms\nmeasurements:\n  promote: {relative: 30%, floor: 1s}\n  vip: {floor: 2}\nmax_lost_writes: 3\npass_rate_drop: 0.25\nallow_sequence_changes: true\n",
        )
        .unwrap();
        assert_eq!(t.default.relative, 0.10);
        assert_eq!(t.default.floor_s, 0.25);
        let promote = t.for_measurement(MeasurementKind::Promote);
        assert_eq!((promote.relative, promote.floor_s), (0.30, 1.0));
        let vip = t.for_measurement(MeasurementKind::Vip);
        assert_eq!((vip.relative, vip.floor_s), (0.10, 2.0));
        assert_eq!(t.for_measurement(MeasurementKind::Detect), t.default);
        assert_eq!(t.max_lost_writes, 3);
        assert_eq!(t.pass_rate_drop, 0.25);
        assert!(t.allow_sequence_changes);
    }

    #[test]
    fn an_unknown_key_names_the_file_the_line_and_the_key() {
        let err = QualifyThresholds::from_yaml("q.yaml", "relative: 20%\nmax_lost_write: 1\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("q.yaml:2:"), "{msg}");
        assert!(msg.contains("unknown field `max_lost_write`"), "{msg}");
    }

    #[test]
    fn a_bad_value_names_the_key_path_and_the_value() {
        let err =
            QualifyThresholds::from_yaml("q.yaml", "measurements:\n  promote: {relative: fast}\n")
                .unwrap_err();
        assert_eq!(err.path, "measurements.promote.relative");
        let msg = err.to_string();
        assert!(msg.contains("at `measurements.promote.relative`"), "{msg}");
        assert!(msg.contains("\"fast\""), "{msg}");

        let err = QualifyThresholds::from_yaml("q.yaml", "floor: -1s\n").unwrap_err();
        assert_eq!(err.path, "floor");
        assert!(err.to_string().contains("\"-1s\""), "{err}");

        let err =
            QualifyThresholds::from_yaml("q.yaml", "measurements:\n  promot: {}\n").unwrap_err();
        assert!(
            err.message
                .contains("unknown measurement \"promot\", expected one of detect"),
            "{err}"
        );
    }

    #[test]
    fn seconds_parse_as_numbers_or_durations() {
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        assert_eq!(parse_seconds("500ms"), Ok(0.5));
        assert_eq!(parse_seconds("1m 30s"), Ok(90.0));
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("-2").is_err());
    }
}
