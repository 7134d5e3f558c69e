//! The raw shape of a scenario file (`*Spec`: serde input, `deny_unknown_fields` everywhere).
//! Nothing here is trusted; [`super::validate`] turns it into a [`super::Plan`].

use super::target::Target;
use crate::duration::DurationSpec;
use crate::timeline::EventKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Short name (defaults to the file stem); used in reports and test names.
    pub name: Option<String>,
    /// What the scenario shows, for humans and reports.
    #[serde(default)]
    pub description: String,
    /// The release to run on (a folder of `images/`, e.g. `pg15-pgpool43`); default: the default
    /// release. `--release` on the command line overrides it.
    #[serde(default)]
    pub release: Option<String>,
    /// The old spelling of `release` (`pgpool` meant the default release): still read, with a
    /// deprecation warning.
    #[serde(default)]
    pub profile: Option<String>,
    /// pgpool settings overriding the release's tuned defaults.
    #[serde(default)]
    pub config: BTreeMap<String, ConfigValueSpec>,
    /// Settings to vary: each combination of the listed values is a separate case (its own
    /// cluster, run directory and report entry), e.g.
    /// `{enable_consensus_with_half_votes: [on, off], trusted_servers: [gateway, none]}`.
    #[serde(default)]
    pub matrix: BTreeMap<String, Vec<ConfigValueSpec>>,
    /// Overrides of the budgets derived from the rendered config.
    #[serde(default)]
    pub budgets: BudgetsSpec,
    /// Damage this scenario deliberately causes, which checks then count instead of failing on.
    #[serde(default)]
    pub expected_damage: Vec<Damage>,
    /// The upstream bug this scenario shows (`faults/known-bugs/`), if any.
    #[serde(default)]
    pub known_bug: Option<super::known_bug::KnownBugSpec>,
    /// The ordered steps.
    pub steps: Vec<StepSpec>,
}

/// A pgpool setting's value: a scalar, rendered into `pgpool.conf` by the cluster.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ConfigValueSpec {
    /// `on`/`off` are strings in YAML 1.2; `true`/`false` are booleans; both are accepted.
    Bool(bool),
    /// Integers (seconds for pgpool's timers).
    Int(i64),
    /// Anything else.
    Text(String),
}

/// Budget overrides; unset ones are derived from the rendered config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetsSpec {
    /// Fault → first health-check failure.
    pub detect: Option<DurationSpec>,
    /// Fault → backend marked down / degenerate request.
    pub node_down: Option<DurationSpec>,
    /// Fault → failover command started.
    pub failover_start: Option<DurationSpec>,
    /// Fault → VIP up on the new holder.
    pub vip: Option<DurationSpec>,
    /// Fault → first write acknowledged through the VIP by the new primary.
    pub promote: Option<DurationSpec>,
    /// Fault → failover done.
    pub failover_done: Option<DurationSpec>,
    /// `recover` step → old primary streaming as standby and attached.
    pub recover: Option<DurationSpec>,
    /// Damage window: the old primary acknowledging writes after the fault.
    pub old_primary_acks: Option<DurationSpec>,
    /// Damage window: two writable primaries at once (upper bound from the role samples).
    pub two_primaries: Option<DurationSpec>,
    /// Damage window: two VIP holders at once (upper bound from the role samples).
    pub two_vip_holders: Option<DurationSpec>,
    /// Damage window: the longest wait of a client writing through the VIP.
    pub vip_outage: Option<DurationSpec>,
}

pub use crate::damage::Damage;

pub use super::step::StepSpec;

/// One expectation as written: exactly one of `log`, `roles`, `vip`, `writes`, plus `within`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// `log`: on which node (role or name; default `any`).
    pub node: Option<Target>,
    /// An event of the log grammar (`backend_down`, `failover_done`, ...).
    pub log: Option<EventKind>,
    /// Roles each node must have (keys: roles or node names, values: `primary|standby|down`).
    pub roles: Option<BTreeMap<String, NodeRole>>,
    /// Who must hold the VIP: a node or role, a list (split brain), or `none`.
    pub vip: Option<VipSpec>,
    /// What the write probe must see.
    pub writes: Option<WriteOutcome>,
    /// The deadline, counted from the moment the step fired.
    pub within: Option<DurationSpec>,
    /// Inverts the expectation: it must NOT happen during the whole `within` window.
    #[serde(default)]
    pub absent: bool,
    /// Judged only on releases where the scenario's `known_bug` is `present` (or `fixed`).
    pub when_bug: Option<super::known_bug::BugState>,
}

/// The role a node is seen to have by a direct connection (not through pgpool).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRole {
    /// Accepts connections and is not in recovery.
    Primary,
    /// Accepts connections and is in recovery.
    Standby,
    /// Does not accept connections from the harness within the probe timeout.
    Down,
}

/// VIP holders as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum VipSpec {
    /// One holder (or `none`).
    One(String),
    /// Several holders at once (split brain).
    Many(Vec<String>),
}

/// What the write probe observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteOutcome {
    /// A write through the VIP is acknowledged after the step fired.
    Accepted,
    /// Some acknowledged write is missing from the final data (checked against the ledger).
    Lost,
    /// Every acknowledged write is present in the final data.
    Intact,
}
