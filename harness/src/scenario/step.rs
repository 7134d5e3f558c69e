//! One scenario step as written: an envelope (`expect:`) around one action, tagged by `action:`,
//! whose variant carries its own options.
//!
//! The fault variants and the heal verbs come from the fault catalogue (`crate::faults`): a new
//! fault kind is a new action here without an edit. A step is read key by key so that an option
//! the action does not take, or a bad value, is reported at its own key path and line, with the
//! options the action does take.

use super::spec::ExpectSpec;
use super::target::Target;
use crate::duration::DurationSpec;
use crate::faults::{option_names, FaultKind, FaultSpec, HealVerb, PeerUse};
use crate::timeline::EventKind;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// One step as written.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// What the step does, with the action's own options.
    pub action: ActionSpec,
    /// What must (or must not) happen after this step fires, each with its deadline.
    pub expect: Vec<ExpectSpec>,
}

/// What a step does, tagged by `action:` in the file. Each variant carries exactly the options
/// its action accepts; anything else is refused when the file is read.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionSpec {
    /// A fault of the catalogue (`action: host-crash`), with the fault's own options.
    Fault {
        /// The fault and its options (`grace`, `direction`, ...).
        fault: FaultSpec,
        /// Who it hits: a role (resolved when the step fires) or a node name. Required (the
        /// validator says so with the line).
        target: Option<Target>,
        /// The other side, for kinds whose row takes a peer ([`PeerUse`]).
        peer: Option<Target>,
    },
    /// A heal verb of the catalogue (`action: host-start`).
    Heal {
        /// The verb.
        verb: HealVerb,
        /// Which open fault it heals, when more than one could be meant.
        target: Option<Target>,
    },
    /// Rejoin a node as standby of the current primary.
    Recover {
        /// The node (default: whichever is not the primary).
        target: Option<Target>,
        /// Start the rejoin and return at once; a later `await-recover` waits for its end, so
        /// that faults can land while it runs.
        background: Option<bool>,
    },
    /// Wait for a background `recover` to end.
    AwaitRecover {
        /// How long it may still take (default: the bound of a foreground `recover`).
        duration: Option<DurationSpec>,
        /// How it must end; another outcome fails the step.
        outcome: Option<RecoverOutcome>,
    },
    /// Let time pass.
    Wait {
        /// How long (required; the validator says so with the line). With `until`: the most
        /// it may take.
        duration: Option<DurationSpec>,
        /// End the wait as soon as the node of the running background `recover` logs this event
        /// (e.g. `rewind_started`), so that the next step lands inside that phase (a fault step
        /// right after it fires at once, not at a phase of the health check).
        until: Option<EventKind>,
    },
    /// Start the write probe.
    WriteLoadStart,
    /// Stop the write probe.
    WriteLoadStop,
    /// Run one statement.
    Sql {
        /// The statement (required, non-empty).
        statement: Option<String>,
        /// Where (default `vip`).
        target: Option<Target>,
        /// An error does not fail the step.
        allow_error: Option<bool>,
    },
}

/// The name after `action:`: a fault kind, a heal verb, or one of the harness's own actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionName {
    /// A fault kind of the catalogue.
    Fault(FaultKind),
    /// A heal verb of the catalogue.
    Heal(HealVerb),
    /// `recover`.
    Recover,
    /// `await-recover`.
    AwaitRecover,
    /// `wait`.
    Wait,
    /// `write-load-start`.
    WriteLoadStart,
    /// `write-load-stop`.
    WriteLoadStop,
    /// `sql`.
    Sql,
}

/// The harness's own actions (everything that is neither a fault nor a heal).
const OWN: [(&str, ActionName); 6] = [
    ("recover", ActionName::Recover),
    ("await-recover", ActionName::AwaitRecover),
    ("wait", ActionName::Wait),
    ("write-load-start", ActionName::WriteLoadStart),
    ("write-load-stop", ActionName::WriteLoadStop),
    ("sql", ActionName::Sql),
];

/// Options of a fault step besides the fault's own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultTarget {
    target: Option<Target>,
    peer: Option<Target>,
}

/// Options of heals.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetOnly {
    target: Option<Target>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverOptions {
    target: Option<Target>,
    background: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwaitRecoverOptions {
    duration: Option<DurationSpec>,
    outcome: Option<RecoverOutcome>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitOptions {
    duration: Option<DurationSpec>,
    until: Option<EventKind>,
}

/// How a background `recover` ended (the rejoin script's exit status: 0, or anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecoverOutcome {
    /// It exited 0: the node streams and is attached.
    Succeeded,
    /// It exited non-zero or could not be run.
    Failed,
}

impl RecoverOutcome {
    /// The name scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            RecoverOutcome::Succeeded => "succeeded",
            RecoverOutcome::Failed => "failed",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlOptions {
    statement: Option<String>,
    target: Option<Target>,
    allow_error: Option<bool>,
}

impl ActionName {
    /// Every action: faults, heals, then the harness's own, in catalogue order.
    pub fn all() -> Vec<ActionName> {
        let mut out: Vec<ActionName> = FaultKind::ALL
            .iter()
            .map(|k| ActionName::Fault(*k))
            .collect();
        out.extend(HealVerb::all().into_iter().map(ActionName::Heal));
        out.extend(OWN.iter().map(|(_, a)| *a));
        out
    }

    /// The names of [`ActionName::all`], for messages.
    pub fn names() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| {
            ActionName::all()
                .into_iter()
                .map(ActionName::name)
                .collect()
        })
    }

    /// The action called `name`.
    pub fn parse(name: &str) -> Option<ActionName> {
        ActionName::all().into_iter().find(|a| a.name() == name)
    }

    /// The name scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            ActionName::Fault(k) => k.name(),
            ActionName::Heal(v) => v.name(),
            own => OWN
                .iter()
                .find(|(_, a)| *a == own)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }

    /// The options a step of this action takes (besides `action` and `expect`).
    pub fn options(self) -> Vec<&'static str> {
        match self {
            ActionName::Fault(k) => {
                let mut out = vec!["target"];
                if k.row().peer != PeerUse::None {
                    out.push("peer");
                }
                out.extend(k.option_names());
                out
            }
            ActionName::Heal(_) => option_names::<TargetOnly>().to_vec(),
            ActionName::Recover => option_names::<RecoverOptions>().to_vec(),
            ActionName::AwaitRecover => option_names::<AwaitRecoverOptions>().to_vec(),
            ActionName::Wait => option_names::<WaitOptions>().to_vec(),
            ActionName::Sql => option_names::<SqlOptions>().to_vec(),
            ActionName::WriteLoadStart | ActionName::WriteLoadStop => Vec::new(),
        }
    }

    /// Why `key` is refused for this action: which actions take it, and what this one takes.
    fn refuse(self, key: &str) -> String {
        let takes = match self.options().as_slice() {
            [] => "it takes no options besides `expect`".to_string(),
            opts => format!("it takes: {}", opts.join(", ")),
        };
        let all = ActionName::all();
        let others: Vec<ActionName> = all
            .iter()
            .copied()
            .filter(|a| a.options().contains(&key))
            .collect();
        if others.is_empty() {
            return format!("unknown option `{key}` for `{}` ({takes})", self.name());
        }
        let every = |group: &dyn Fn(&ActionName) -> bool| {
            let of_group: Vec<&ActionName> = all.iter().filter(|a| group(a)).collect();
            of_group.len() > 1 && of_group.iter().all(|a| others.contains(a))
        };
        let is_fault = |a: &ActionName| matches!(a, ActionName::Fault(_));
        let is_heal = |a: &ActionName| matches!(a, ActionName::Heal(_));
        let (all_faults, all_heals) = (every(&is_fault), every(&is_heal));
        let mut only: Vec<String> = Vec::new();
        if all_faults {
            only.push("faults".into());
        }
        if all_heals {
            only.push("heals".into());
        }
        only.extend(
            others
                .iter()
                .filter(|a| {
                    let summarised = (all_faults && is_fault(a)) || (all_heals && is_heal(a));
                    !summarised
                })
                .map(|a| a.name().to_string()),
        );
        let only = match only.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => only.join(""),
        };
        format!(
            "`{key}` does not apply to `{}` (only to {only}); {takes}",
            self.name()
        )
    }

    /// Reads the options of one step of this action (keys already checked against
    /// [`ActionName::options`]).
    fn build(self, options: Map<String, Value>) -> Result<ActionSpec, serde_json::Error> {
        Ok(match self {
            ActionName::Fault(kind) => {
                let FaultTarget { target, peer } = pick(&options)?;
                let own: Map<String, Value> = options
                    .into_iter()
                    .filter(|(k, _)| k != "target" && k != "peer")
                    .collect();
                let fault = kind.plan(Value::Object(own))?;
                ActionSpec::Fault {
                    fault,
                    target,
                    peer,
                }
            }
            ActionName::Heal(verb) => {
                let TargetOnly { target } = pick(&options)?;
                ActionSpec::Heal { verb, target }
            }
            ActionName::Recover => {
                let RecoverOptions { target, background } = pick(&options)?;
                ActionSpec::Recover { target, background }
            }
            ActionName::AwaitRecover => {
                let AwaitRecoverOptions { duration, outcome } = pick(&options)?;
                ActionSpec::AwaitRecover { duration, outcome }
            }
            ActionName::Wait => {
                let WaitOptions { duration, until } = pick(&options)?;
                ActionSpec::Wait { duration, until }
            }
            ActionName::Sql => {
                let SqlOptions {
                    statement,
                    target,
                    allow_error,
                } = pick(&options)?;
                ActionSpec::Sql {
                    statement,
                    target,
                    allow_error,
                }
            }
            ActionName::WriteLoadStart => ActionSpec::WriteLoadStart,
            ActionName::WriteLoadStop => ActionSpec::WriteLoadStop,
        })
    }
}

impl std::fmt::Display for ActionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads `T` from the options that are its fields.
fn pick<T: DeserializeOwned>(options: &Map<String, Value>) -> Result<T, serde_json::Error> {
    let fields = option_names::<T>();
    let mine: Map<String, Value> = options
        .iter()
        .filter(|(k, _)| fields.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    T::deserialize(Value::Object(mine))
}

impl ActionSpec {
    /// The action's name.
    pub fn name(&self) -> ActionName {
        match self {
            ActionSpec::Fault { fault, .. } => ActionName::Fault(fault.kind()),
            ActionSpec::Heal { verb, .. } => ActionName::Heal(*verb),
            ActionSpec::Recover { .. } => ActionName::Recover,
            ActionSpec::AwaitRecover { .. } => ActionName::AwaitRecover,
            ActionSpec::Wait { .. } => ActionName::Wait,
            ActionSpec::WriteLoadStart => ActionName::WriteLoadStart,
            ActionSpec::WriteLoadStop => ActionName::WriteLoadStop,
            ActionSpec::Sql { .. } => ActionName::Sql,
        }
    }
}

impl<'de> Deserialize<'de> for ActionName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        ActionName::parse(&name)
            .ok_or_else(|| de::Error::unknown_variant(&name, ActionName::names()))
    }
}

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(StepVisitor)
    }
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = StepSpec;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a step: a map with `action:` and that action's options")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepSpec, A::Error> {
        let mut action: Option<ActionName> = None;
        let mut expect: Option<Vec<ExpectSpec>> = None;
        let mut options = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "action" => action = Some(map.next_value()?),
                "expect" => expect = Some(map.next_value()?),
                _ => {
                    // Checked inside the value so that an error carries the key's path.
                    let value = map.next_value_seed(OptionSeed { action, key: &key })?;
                    options.insert(key, value);
                }
            }
        }
        let action = action.ok_or_else(|| de::Error::missing_field("action"))?;
        // Options written before `action:` could not be checked as they came.
        if let Some(key) = options
            .keys()
            .find(|k| !action.options().contains(&k.as_str()))
        {
            return Err(de::Error::custom(action.refuse(key)));
        }
        let action = action.build(options).map_err(de::Error::custom)?;
        Ok(StepSpec {
            action,
            expect: expect.unwrap_or_default(),
        })
    }
}

/// Reads one option's value, refusing it if the step's action (when already known) does not
/// take it or cannot read it.
struct OptionSeed<'a> {
    action: Option<ActionName>,
    key: &'a str,
}

impl<'de> DeserializeSeed<'de> for OptionSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if let Some(a) = self.action {
            if !a.options().contains(&self.key) {
                return Err(de::Error::custom(a.refuse(self.key)));
            }
        }
        let value = Value::deserialize(d)?;
        if let Some(a) = self.action {
            let mut one = Map::new();
            one.insert(self.key.to_string(), value.clone());
            a.build(one).map_err(de::Error::custom)?;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_name_parses_back() {
        for a in ActionName::all() {
            assert_eq!(ActionName::parse(a.name()), Some(a));
        }
        assert_eq!(ActionName::names().len(), ActionName::all().len());
    }

    #[test]
    fn every_fault_kind_is_an_action_taking_a_target() {
        for k in FaultKind::ALL {
            let a = ActionName::Fault(*k);
            assert!(a.options().contains(&"target"), "{a}");
            assert_eq!(
                a.options().contains(&"peer"),
                k.row().peer != PeerUse::None,
                "{a}"
            );
        }
    }

    #[test]
    fn a_refused_option_names_who_takes_it_and_what_the_action_takes() {
        let crash = ActionName::parse("host-crash").unwrap();
        assert_eq!(
            crash.refuse("peer"),
            "`peer` does not apply to `host-crash` (only to network-partition, network-loss, \
             heartbeat-drop and network-delay); it takes: target"
        );
        let wait = ActionName::Wait;
        assert_eq!(
            wait.refuse("target"),
            "`target` does not apply to `wait` (only to faults, heals, recover and sql); \
             it takes: duration, until"
        );
        assert_eq!(
            ActionName::WriteLoadStart.refuse("colour"),
            "unknown option `colour` for `write-load-start` (it takes no options besides `expect`)"
        );
    }
}
