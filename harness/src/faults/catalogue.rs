//! The fault catalogue as data, and the macro that registers fault kinds.
//!
//! Each fault file owns its options struct (which is also the implementation of [`Fault`]) and
//! its catalogue [`Row`] (`impl Catalogued`). The one [`catalogue!`](crate::faults) invocation in
//! `faults/mod.rs` lists every fault, one line each, and derives from that list everything the
//! rest of the harness needs: the module declarations, the kind enum `FaultKind` (with `ALL`,
//! names and rows), the planned-fault enum `FaultSpec` (a kind with its options), the options a
//! step of each kind accepts and how they are parsed, and the implementation behind a planned
//! fault. Heal verbs are derived from the rows ([`HealVerb`]): several faults may share one.

use super::fault::Fault;
use crate::damage::Damage;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Serialize;

/// A fault kind registered in the catalogue: its options (`Self`, read from the scenario step
/// with `deny_unknown_fields` and defaults) and its row.
pub trait Catalogued: Fault + Clone + PartialEq + Serialize + DeserializeOwned + 'static {
    /// What the rest of the harness knows about this kind.
    const ROW: Row;
}

/// One row of the catalogue: what a fault kind does, how it is undone, and the properties that
/// validation, the doctor, the executor, the judge and the explorer read instead of matching on
/// kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The stable kebab-case name used in scenario files (`host-shutdown`).
    pub name: &'static str,
    /// The verb that heals it (`host-start`); several kinds may share one.
    pub heal: &'static str,
    /// What is really done, at the OS / Docker level.
    pub mechanism: &'static str,
    /// What the heal really does.
    pub heal_mechanism: &'static str,
    /// What peers see on open connections.
    pub peer_sees: PeerSees,
    /// Whether a step of this kind takes a `peer` (the other side of the fault).
    pub peer: PeerUse,
    /// What the host must offer beyond a working engine (checked by `hachaos doctor` and the
    /// preflight of `hachaos run`).
    pub needs: &'static [HostNeed],
    /// The node tells its peers it is leaving (a graceful stop): the failover sequence starts
    /// with that announcement instead of failed health checks.
    pub announced: bool,
    /// Only PostgreSQL dies: the node's own pgpool survives and detaches its backend itself, so
    /// the failover is run by the sick node's pgpool (the self-detach sequence is expected).
    pub pgpool_survives: bool,
    /// Only pgpool dies or hangs: PostgreSQL serves on, so no database failover is due (the
    /// watchdog's leadership and the VIP may still move); no failover sequence is expected and
    /// `primary_kept` checks that none happened.
    pub postgres_survives: bool,
    /// The heal restarts the node's container (PostgreSQL comes back through crash recovery or
    /// a fresh start, not where it stopped).
    pub heal_restarts: bool,
    /// The fault only degrades its node (a stalled or full disk, lost packets): postgres and
    /// pgpool keep running and stay reachable, so the judge assumes no failover sequence.
    /// Whether pgpool reacts is what the scenario's own expectations measure; a failover that
    /// runs anyway still fails the one-executor check.
    pub degrades: bool,
    /// Damage this kind is known to cause on its own (a scenario using it declares it in
    /// `expected_damage:` when its checks must count it instead of failing).
    pub may_cause: &'static [Damage],
    /// The node's services this fault acts on, which must be running when it fires (the
    /// process faults signal them). The validator refuses it on a node (named in the file)
    /// where an open fault [`stops`](Row::stops) one of them.
    pub needs_running: &'static [Service],
    /// The node's services this fault kills or freezes while it is open.
    pub stops: &'static [Service],
    /// The part of `may_cause` that happens only when the fault hits the primary (an isolated
    /// standby's pgpool sees the trusted server vanish and steps down; its PostgreSQL stays a
    /// standby): the explorer declares it only for faults fired at the primary.
    pub only_on_primary: &'static [Damage],
    /// Why `hachaos explore` never draws this kind, if it does not (`None`: it is drawn).
    pub not_explored: Option<&'static str>,
}

/// A service of a node, as the process faults see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// The PostgreSQL server (postmaster and children).
    Postgres,
    /// pgpool-II (parent, children, watchdog, heartbeat).
    Pgpool,
}

impl Service {
    /// Both services: what a fault that takes the whole node down stops.
    pub const ALL: &'static [Service] = &[Service::Postgres, Service::Pgpool];

    /// `postgres` / `pgpool`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Postgres => "postgres",
            Service::Pgpool => "pgpool",
        }
    }
}

impl Row {
    /// The defaults a row's literal starts from (`..Row::BASE`): every property off, no peer,
    /// nothing needed from the host. Name, heal and mechanisms must be filled in (a test checks).
    pub const BASE: Row = Row {
        name: "",
        heal: "",
        mechanism: "",
        heal_mechanism: "",
        peer_sees: PeerSees::Silence,
        peer: PeerUse::None,
        needs: &[],
        announced: false,
        pgpool_survives: false,
        postgres_survives: false,
        heal_restarts: false,
        degrades: false,
        may_cause: &[],
        needs_running: &[],
        stops: &[],
        only_on_primary: &[],
        not_explored: None,
    };

    /// The verb that heals this fault.
    pub fn heal_verb(&self) -> HealVerb {
        HealVerb(self.heal)
    }
}

/// What a peer observes on an established TCP connection when the fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerSees {
    /// FIN or RST at once: the kernel closes the sockets.
    FinRst,
    /// Nothing: packets vanish; only timeouts tell.
    Silence,
    /// The node still answers at the network level; only the application misbehaves.
    Answers,
    /// Some packets vanish, the rest arrive: retransmissions and occasional timeouts.
    Lossy,
    /// Every packet arrives, late: slow answers, and timeouts where a timeout is shorter.
    Late,
}

impl PeerSees {
    /// Human text for `list-faults`.
    pub fn describe(self) -> &'static str {
        match self {
            PeerSees::FinRst => "fin/rst at once",
            PeerSees::Silence => "silence (timeouts only)",
            PeerSees::Answers => "tcp answers, application does not",
            PeerSees::Lossy => "some packets vanish, the rest arrive",
            PeerSees::Late => "every packet arrives, late",
        }
    }
}

/// Whether a fault step takes a `peer:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerUse {
    /// The fault acts on its target alone; `peer:` is refused.
    None,
    /// `peer:` narrows the fault to traffic with that node; without it the fault is not
    /// narrowed (the executor still passes the other node as `ctx.peer` for verification).
    Optional,
    /// The fault is between target and peer; without `peer:` it is the other node, which is
    /// only unambiguous in a two-node cluster.
    Required,
}

/// Something a fault needs from the host beyond a working engine; the doctor maps each to its
/// checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostNeed {
    /// iptables rules installed in the node's network namespace with `nsenter -t PID -n`.
    NetnsIptables,
    /// ext4's sysfs knobs (`/sys/fs/ext4/<dev>/trigger_fs_error`).
    Ext4Sysfs,
}

/// The verb that heals a fault, as its rows name it. Several faults share one (`host-start`
/// undoes every kind of host death); each fault has exactly one. The set of verbs is whatever
/// the rows name: there is no separate list to keep in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HealVerb(&'static str);

impl HealVerb {
    /// Every verb, in catalogue order of the first fault it heals.
    pub fn all() -> Vec<HealVerb> {
        let mut out: Vec<HealVerb> = Vec::new();
        for k in super::FaultKind::ALL {
            let v = k.inverse();
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The verb named `name`, if some fault is healed by it.
    pub fn parse(name: &str) -> Option<HealVerb> {
        HealVerb::all().into_iter().find(|v| v.0 == name)
    }

    /// The stable kebab-case name used in scenario files.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// Whether this verb heals `kind`.
    pub fn heals(self, kind: super::FaultKind) -> bool {
        kind.inverse() == self
    }
}

impl std::fmt::Display for HealVerb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for HealVerb {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// One row as `hachaos list-faults --format json` prints it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FaultInfo {
    /// The fault.
    pub kind: super::FaultKind,
    /// Its inverse.
    pub heal: HealVerb,
    /// What is really done, at the OS / Docker level.
    pub mechanism: &'static str,
    /// What the inverse really does.
    pub heal_mechanism: &'static str,
    /// What peers see on open connections.
    pub peer_sees: PeerSees,
}

impl super::FaultKind {
    /// The stable kebab-case name used in scenario files.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The verb that heals this fault.
    pub fn inverse(self) -> HealVerb {
        self.row().heal_verb()
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<super::FaultKind> {
        super::FaultKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
    }

    /// This kind with every option at its default, as a step that writes none plans it (for
    /// generated schedules).
    pub fn with_defaults(self) -> super::FaultSpec {
        self.plan(serde_json::Value::Object(serde_json::Map::new()))
            .expect("every kind plans from no options (tested)")
    }

    /// The row as `list-faults` prints it.
    pub fn info(self) -> FaultInfo {
        let row = self.row();
        FaultInfo {
            kind: self,
            heal: row.heal_verb(),
            mechanism: row.mechanism,
            heal_mechanism: row.heal_mechanism,
            peer_sees: row.peer_sees,
        }
    }
}

impl std::fmt::Display for super::FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for super::FaultKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The `{kind: ..., <options>}` form a planned fault serializes to.
#[derive(Serialize)]
pub(crate) struct Tagged<'a, T: Serialize> {
    pub(crate) kind: &'static str,
    #[serde(flatten)]
    pub(crate) options: &'a T,
}

/// The field names of a struct that derives `Deserialize` (the options a step of that action
/// accepts), asked from serde itself so that they are never listed twice.
pub fn option_names<T: DeserializeOwned>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Captured(&'static [&'static str]);
    impl std::fmt::Display for Captured {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names captured")
        }
    }
    impl std::error::Error for Captured {}
    impl de::Error for Captured {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Captured(&[])
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Captured;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
            Err(Captured(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Captured> {
            Err(Captured(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Captured(fields)) => fields,
        Ok(_) => &[],
    }
}

/// Registers the fault kinds: one line per fault, `Variant => module::Type`, where
/// `faults/<module>.rs` defines `Type: Catalogued`. Expands to the module declarations, the
/// re-exports, `FaultKind`, `FaultSpec` and their methods.
macro_rules! catalogue {
    ($($variant:ident => $module:ident :: $ty:ident),+ $(,)?) => {
        $(
            mod $module;
            pub use $module::$ty;
        )+

        /// A kind of fault. Closed on purpose: a scenario naming anything else is rejected at
        /// parse time. Generated from the one list in `faults/mod.rs`; see each kind's type for
        /// what it does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FaultKind {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant,
            )+
        }

        impl FaultKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [FaultKind] = &[$(FaultKind::$variant),+];

            /// The catalogue row of this kind.
            pub fn row(self) -> $crate::faults::Row {
                match self {
                    $(FaultKind::$variant => <$module::$ty as $crate::faults::Catalogued>::ROW,)+
                }
            }

            /// The options a step of this kind accepts besides `target` and `peer`.
            pub fn option_names(self) -> &'static [&'static str] {
                match self {
                    $(FaultKind::$variant => $crate::faults::option_names::<$module::$ty>(),)+
                }
            }

            /// Reads this kind's options (as the step wrote them) into a planned fault.
            pub fn plan<'de, D: serde::Deserializer<'de>>(
                self,
                options: D,
            ) -> Result<FaultSpec, D::Error> {
                use serde::Deserialize;
                Ok(match self {
                    $(FaultKind::$variant => FaultSpec::$variant($module::$ty::deserialize(options)?),)+
                })
            }
        }

        /// A fault kind with its options, as a plan carries it (pure data, no Docker handle).
        /// Generated from the one list in `faults/mod.rs`.
        #[derive(Clone, Debug, PartialEq)]
        pub enum FaultSpec {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($module::$ty),
            )+
        }

        impl FaultSpec {
            /// The kind.
            pub fn kind(&self) -> FaultKind {
                match self {
                    $(FaultSpec::$variant(_) => FaultKind::$variant,)+
                }
            }

            /// The implementation of this planned fault.
            pub fn fault(&self) -> Box<dyn Fault> {
                match self {
                    $(FaultSpec::$variant(f) => Box::new(f.clone()),)+
                }
            }
        }

        impl serde::Serialize for FaultSpec {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let kind = self.kind().name();
                match self {
                    $(FaultSpec::$variant(options) => {
                        $crate::faults::catalogue::Tagged { kind, options }.serialize(s)
                    })+
                }
            }
        }
    };
}

pub(crate) use catalogue;

#[cfg(test)]
mod tests {
    use super::super::{FaultKind, FaultSpec};
    use super::*;

    #[test]
    fn every_row_is_filled_in_and_names_are_unique() {
        let mut names = Vec::new();
        for k in FaultKind::ALL {
            let r = k.row();
            for (what, v) in [
                ("name", r.name),
                ("heal", r.heal),
                ("mechanism", r.mechanism),
                ("heal_mechanism", r.heal_mechanism),
            ] {
                assert!(!v.trim().is_empty(), "{k:?} has no {what}");
            }
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                r.name
            );
            names.push(r.name);
        }
        let verbs: Vec<&str> = HealVerb::all().iter().map(|v| v.name()).collect();
        for v in &verbs {
            assert!(!names.contains(v), "`{v}` is both a fault and a heal");
        }
        names.extend(verbs);
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "a name is used twice: {names:?}");
    }

    #[test]
    fn names_parse_back_and_serialize_as_written() {
        for k in FaultKind::ALL {
            assert_eq!(FaultKind::parse(k.name()), Some(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.name())
            );
        }
        for v in HealVerb::all() {
            assert_eq!(HealVerb::parse(v.name()), Some(v));
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.name())
            );
        }
    }

    #[test]
    fn every_heal_verb_heals_at_least_one_kind() {
        for v in HealVerb::all() {
            assert!(FaultKind::ALL.iter().any(|k| v.heals(*k)), "{v}");
        }
    }

    #[test]
    fn every_kind_plans_from_no_options_and_builds_its_own_implementation() {
        for k in FaultKind::ALL {
            let spec: FaultSpec = k.with_defaults();
            assert_eq!(spec.kind(), *k);
            assert_eq!(spec.fault().kind(), *k);
            let json = serde_json::to_value(&spec).unwrap();
            assert_eq!(json["kind"], serde_json::json!(k.name()));
        }
    }

    #[test]
    fn unknown_options_of_a_kind_are_refused() {
        for k in FaultKind::ALL {
            let v = serde_json::json!({"colour": "red"});
            let e = k.plan(v).unwrap_err().to_string();
            assert!(e.contains("unknown field `colour`"), "{k}: {e}");
        }
    }

    #[test]
    fn option_names_come_from_serde() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Two {
            a: u8,
            b: u8,
        }
        assert_eq!(option_names::<Two>(), &["a", "b"]);
    }
}
