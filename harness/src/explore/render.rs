//! A schedule as an ordinary scenario file: typed values serialized to YAML (never pasted
//! strings), with comments saying where it came from. `hachaos run` replays it as it is.
//!
//! The file carries no hand-written expectation: every `recover` expects what a healthy cluster
//! shows within the settle time (the rejoined node a streaming standby of the one primary, a
//! write through the VIP acknowledged); the run's own checks judge the rest (two primaries or VIP
//! holders and lost writes beyond the declared damage, final roles, forbidden patterns).

use super::schedule::{Move, Schedule};
use crate::scenario::{render_duration, Damage};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A `config:` value as the scenario format takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ConfigScalar {
    /// Timers and counts.
    Int(i64),
    /// `on`/`off` and text.
    Text(String),
}

impl ConfigScalar {
    /// `3` is an integer, anything else text (`on`, `gateway`).
    pub fn parse(raw: &str) -> ConfigScalar {
        match raw.trim().parse::<i64>() {
            Ok(i) => ConfigScalar::Int(i),
            Err(_) => ConfigScalar::Text(raw.trim().to_string()),
        }
    }
}

/// The scenario file as the explorer writes it (a subset of the format in `faults/README.md`).
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioDoc {
    /// The scenario's name.
    pub name: String,
    /// Where it came from, in words.
    pub description: String,
    /// The release the exploration ran on.
    pub release: String,
    /// `--set` overrides.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, ConfigScalar>,
    /// Damage the schedule's faults are known to cause.
    pub expected_damage: Vec<Damage>,
    /// The steps.
    pub steps: Vec<StepDoc>,
}

/// One step.
#[derive(Clone, Debug, Serialize)]
pub struct StepDoc {
    /// The action (a fault kind, a heal verb, `wait`, `recover`, `write-load-start`).
    pub action: String,
    /// A role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For `wait`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// What must hold afterwards.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<ExpectDoc>,
}

/// One expectation.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectDoc {
    /// For `log`: on which node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// An event of the grammar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Roles by target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeMap<String, String>>,
    /// `accepted` / `intact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<String>,
    /// The deadline.
    pub within: String,
}

/// What a rendering needs besides the schedule.
#[derive(Clone, Debug)]
pub struct RenderContext {
    /// The scenario's name.
    pub name: String,
    /// The release.
    pub release: String,
    /// `--set` overrides.
    pub config: BTreeMap<String, ConfigScalar>,
    /// How long a healthy cluster may take to show itself after `recover` fired.
    pub settle: Duration,
    /// Comment lines at the top (without `# `).
    pub comments: Vec<String>,
}

impl ExpectDoc {
    fn empty(within: Duration) -> ExpectDoc {
        ExpectDoc {
            node: None,
            log: None,
            roles: None,
            writes: None,
            within: render_duration(within),
        }
    }
}

/// The settle expectations of every `recover`: the rejoined node streams from the one primary
/// and a write through the VIP is acknowledged.
fn settled(within: Duration) -> Vec<ExpectDoc> {
    vec![
        ExpectDoc {
            roles: Some(BTreeMap::from([
                ("target".to_string(), "standby".to_string()),
                ("primary".to_string(), "primary".to_string()),
            ])),
            ..ExpectDoc::empty(within)
        },
        ExpectDoc {
            node: Some("target".into()),
            log: Some("replication_started".into()),
            ..ExpectDoc::empty(within)
        },
        ExpectDoc {
            writes: Some("accepted".into()),
            ..ExpectDoc::empty(within)
        },
    ]
}

/// The schedule as a scenario document.
pub fn to_doc(schedule: &Schedule, ctx: &RenderContext) -> ScenarioDoc {
    let step = |action: &str, target: Option<&str>| StepDoc {
        action: action.to_string(),
        target: target.map(String::from),
        duration: None,
        expect: Vec::new(),
    };
    let mut steps = vec![step("write-load-start", None)];
    for m in &schedule.moves {
        steps.push(match m {
            Move::Inject { kind, role } => step(kind.name(), Some(role.name())),
            Move::Heal { kind, role } => step(kind.inverse().name(), Some(role.name())),
            Move::Wait(d) => StepDoc {
                duration: Some(render_duration(*d)),
                ..step("wait", None)
            },
            Move::Recover => StepDoc {
                expect: settled(ctx.settle),
                ..step("recover", None)
            },
        });
    }
    let faults = schedule
        .moves
        .iter()
        .filter_map(|m| match m {
            Move::Inject { kind, role } => Some(format!("{kind} on the {}", role.name())),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ");
    ScenarioDoc {
        name: ctx.name.clone(),
        description: format!(
            "Explored schedule {} of seed {}: {faults}; each healed, then recover and settle.",
            schedule.number, schedule.seed
        ),
        release: ctx.release.clone(),
        config: ctx.config.clone(),
        expected_damage: schedule.declared_damage(),
        steps,
    }
}

/// The scenario file's text: the comments, then the serialized document.
pub fn to_yaml(schedule: &Schedule, ctx: &RenderContext) -> String {
    let mut out = String::new();
    for c in &ctx.comments {
        out.push_str("# ");
        out.push_str(c);
        out.push('\n');
    }
    out.push_str(&crate::loader::to_yaml(&to_doc(schedule, ctx)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::generator::{generate, GenOptions};
    use crate::scenario::{load, Action, Capabilities};

    fn ctx() -> RenderContext {
        RenderContext {
            name: "explore-42-1".into(),
            release: "pg17-pgpool46".into(),
            config: BTreeMap::from([
                ("trusted_servers".into(), ConfigScalar::parse("none")),
                ("health_check_max_retries".into(), ConfigScalar::parse("2")),
            ]),
            settle: Duration::from_secs(93),
            comments: vec!["seed 42".into()],
        }
    }

    #[test]
    fn every_rendered_schedule_is_a_valid_scenario_with_the_same_steps() {
        let o = GenOptions::default();
        for n in 1..60 {
            let s = generate(42, n, &o);
            let text = to_yaml(&s, &ctx());
            let plan = load("x.yaml", &text, &Capabilities::default())
                .unwrap_or_else(|e| panic!("{text}\n{e:?}"));
            // write-load-start, then one step per move; nothing appended by the validator.
            assert_eq!(plan.steps.len(), s.moves.len() + 1, "{text}");
            assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
            let injects = plan
                .steps
                .iter()
                .filter(|st| matches!(st.action, Action::Inject { .. }))
                .count();
            assert_eq!(injects, s.faults());
            assert_eq!(plan.expected_damage, s.declared_damage());
            assert_eq!(plan.config["health_check_max_retries"], "2");
        }
    }

    #[test]
    fn the_text_starts_with_its_comments() {
        let s = generate(42, 1, &GenOptions::default());
        let text = to_yaml(&s, &ctx());
        assert!(text.starts_with("# seed 42\n"), "{text}");
    }
}
