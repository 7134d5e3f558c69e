//! Targets: a role (`primary`, ...) resolved when a step fires, or a fixed node name.

use crate::timeline::{Event, EventKind, WallTime};
use serde::de::{self, Deserialize, Deserializer};
use serde::Serialize;

/// A role a node plays at some moment. Scenario files name roles, not nodes, so that
/// `target: primary` means "whoever is primary when this step fires".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The writable PostgreSQL (`pg_is_in_recovery() = false`, as pgpool reports it).
    Primary,
    /// The streaming standby.
    Standby,
    /// The node holding the delegate IP.
    VipHolder,
    /// The pgpool watchdog leader.
    WatchdogLeader,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[
        Role::Primary,
        Role::Standby,
        Role::VipHolder,
        Role::WatchdogLeader,
    ];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Standby => "standby",
            Role::VipHolder => "vip-holder",
            Role::WatchdogLeader => "watchdog-leader",
        }
    }

    fn from_name(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.name() == s)
    }
}

/// Who a step acts on or an expectation looks at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Whoever plays this role when the step fires.
    Role(Role),
    /// A fixed node (`node1`); validated against the cluster's nodes.
    Node(String),
    /// The delegate IP itself (only for `sql`: connect through pgpool's VIP).
    Vip,
    /// Any node (only for `log` expectations; the default there).
    Any,
    /// The node this step acts on (in expectations of faults, heals and `recover`; for a heal,
    /// the node its fault was injected into; for `recover`, the node being rejoined).
    StepTarget,
}

/// A spelling that is neither a role nor a node name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target `{written}`: expected a role ({roles}) or a node name like `node1`")]
pub struct TargetError {
    /// What was written.
    pub written: String,
    /// The roles, comma-separated.
    roles: String,
}

impl Target {
    /// Parses the scenario-file spelling.
    pub fn parse(s: &str) -> Result<Target, TargetError> {
        if let Some(r) = Role::from_name(s) {
            return Ok(Target::Role(r));
        }
        match s {
            "vip" => return Ok(Target::Vip),
            "any" => return Ok(Target::Any),
            "target" => return Ok(Target::StepTarget),
            _ => {}
        }
        let ok = s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(Target::Node(s.to_string()))
        } else {
            Err(TargetError {
                written: s.to_string(),
                roles: Role::ALL
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    /// The scenario-file spelling.
    pub fn spelling(&self) -> String {
        match self {
            Target::Role(r) => r.name().to_string(),
            Target::Node(n) => n.clone(),
            Target::Vip => "vip".into(),
            Target::Any => "any".into(),
            Target::StepTarget => "target".into(),
        }
    }

    /// Resolves this target against the roles observed when the step fired; `step_target` is
    /// the node the step itself acts on (needed for [`Target::StepTarget`]).
    pub fn resolve(
        &self,
        roles: &RoleSnapshot,
        step_target: Option<&str>,
    ) -> Result<Resolved, ResolveError> {
        match self {
            Target::StepTarget => step_target
                .map(|n| Resolved::Node(n.to_string()))
                .ok_or(ResolveError::NoStepTarget),
            Target::Node(n) => Ok(Resolved::Node(n.clone())),
            Target::Vip => Ok(Resolved::Vip),
            Target::Any => Ok(Resolved::Any),
            Target::Role(r) => roles.get(*r).map(|n| Resolved::Node(n.to_string())).ok_or(
                ResolveError::NobodyHasRole {
                    role: *r,
                    roles: roles.clone(),
                },
            ),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.spelling())
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.spelling())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Target::parse(&s).map_err(de::Error::custom)
    }
}

/// A target after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A concrete node.
    Node(String),
    /// The delegate IP.
    Vip,
    /// Any node.
    Any,
}

/// Who played which role at one instant, as the executor's probes saw it (pgpool's `show
/// pool_nodes` for primary/standby, the VIP poller, `pcp_watchdog_info`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleSnapshot {
    /// The primary, if one is known.
    pub primary: Option<String>,
    /// The standby, if one is known.
    pub standby: Option<String>,
    /// The VIP holder, if exactly one holds it.
    pub vip_holder: Option<String>,
    /// The watchdog leader, if known.
    pub watchdog_leader: Option<String>,
}

impl RoleSnapshot {
    /// The node playing `role`, if any.
    pub fn get(&self, role: Role) -> Option<&str> {
        match role {
            Role::Primary => self.primary.as_deref(),
            Role::Standby => self.standby.as_deref(),
            Role::VipHolder => self.vip_holder.as_deref(),
            Role::WatchdogLeader => self.watchdog_leader.as_deref(),
        }
    }
}

/// Why a role could not be resolved when a step fired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Nobody plays the role right now (e.g. no primary during a failover).
    #[error("no node is {} right now (primary: {}, standby: {}, vip-holder: {}, watchdog-leader: {})",
        role.name(), show(&roles.primary), show(&roles.standby), show(&roles.vip_holder),
        show(&roles.watchdog_leader))]
    NobodyHasRole {
        /// The role asked for.
        role: Role,
        /// What was seen.
        roles: RoleSnapshot,
    },
    /// `target` was used in a step that acts on no node.
    #[error("`target` names no node in this step")]
    NoStepTarget,
}

fn show(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("none")
}

/// The `target_resolved` event the executor appends when a step resolves a role, so the timeline
/// records who `primary` was at that moment.
pub fn resolution_event(step: usize, role: Role, node: &str) -> Event {
    let mut attrs = crate::timeline::Attrs::new();
    attrs.insert("role".into(), serde_json::json!(role.name()));
    attrs.insert("node".into(), serde_json::json!(node));
    attrs.insert("step".into(), serde_json::json!(step));
    Event {
        node: node.into(),
        file: "harness".into(),
        line: 0,
        time: Some(WallTime::now()),
        offset_ms: None,
        kind: EventKind::TargetResolved,
        attrs,
        pid: None,
        text: format!("step {step}: {} is {node}", role.name()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> RoleSnapshot {
        RoleSnapshot {
            primary: Some("node1".into()),
            standby: Some("node2".into()),
            vip_holder: Some("node1".into()),
            watchdog_leader: None,
        }
    }

    #[test]
    fn a_role_resolves_to_whoever_plays_it_now() {
        let t = Target::parse("primary").unwrap();
        assert_eq!(
            t.resolve(&snapshot(), None),
            Ok(Resolved::Node("node1".into()))
        );
        let mut after = snapshot();
        after.primary = Some("node2".into());
        assert_eq!(t.resolve(&after, None), Ok(Resolved::Node("node2".into())));
    }

    #[test]
    fn a_node_name_resolves_to_itself() {
        let t = Target::parse("node2").unwrap();
        assert_eq!(
            t.resolve(&RoleSnapshot::default(), None),
            Ok(Resolved::Node("node2".into()))
        );
    }

    #[test]
    fn a_role_nobody_plays_is_an_error_that_shows_the_roles() {
        let err = Target::parse("watchdog-leader")
            .unwrap()
            .resolve(&snapshot(), None)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("no node is watchdog-leader right now"),
            "{msg}"
        );
        assert!(msg.contains("primary: node1"), "{msg}");
    }

    #[test]
    fn target_resolves_to_the_node_the_step_acts_on() {
        let t = Target::parse("target").unwrap();
        assert_eq!(
            t.resolve(&snapshot(), Some("node2")),
            Ok(Resolved::Node("node2".into()))
        );
        assert_eq!(
            t.resolve(&snapshot(), None),
            Err(ResolveError::NoStepTarget)
        );
    }

    #[test]
    fn a_target_with_odd_characters_is_rejected() {
        assert!(Target::parse("Node 1").is_err());
    }

    #[test]
    fn a_resolution_event_records_role_and_node() {
        let e = resolution_event(3, Role::Primary, "node1");
        assert_eq!(e.kind, EventKind::TargetResolved);
        assert_eq!(e.attrs.get("role").unwrap(), "primary");
        assert_eq!(e.attrs.get("node").unwrap(), "node1");
    }
}
