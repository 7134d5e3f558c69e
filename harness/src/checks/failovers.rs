//! Which node ran each failover, on which backend, who became primary, how it started and how
//! long each phase took: read from the timeline in one pass, whatever the number of failovers.

use super::expectations::Expectations;
use super::variants::{match_variant, NodeIndex};
use crate::grammar::DetachSpec;
use crate::timeline::{seconds_between, Event, EventKind, Key, Timeline, WallTime};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What a failover did to the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailoverKind {
    /// The primary's backend was detached and another became primary.
    PrimaryFailover,
    /// A standby's backend was detached; the primary stayed.
    StandbyDetach,
    /// The failover left no primary ("set new primary node: -1").
    NoPrimary,
    /// The log does not say which backend was primary before.
    Unknown,
}

impl FailoverKind {
    fn fits(self, detach: DetachSpec) -> bool {
        matches!(
            (self, detach),
            (_, DetachSpec::Any)
                | (FailoverKind::Unknown, _)
                | (
                    FailoverKind::PrimaryFailover | FailoverKind::NoPrimary,
                    DetachSpec::Primary
                )
                | (FailoverKind::StandbyDetach, DetachSpec::Standby)
        )
    }
}

/// One failover: a failover command on one node, up to that node's next "failover done".
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Failover {
    /// The node whose pgpool ran the failover command.
    pub executor: String,
    /// The backend that failed (from the nearest earlier backend-down / degenerate request).
    pub failed_node_id: Option<i64>,
    /// The backend that became primary (the next `new_primary` on that node).
    pub new_primary_node_id: Option<i64>,
    /// When the failover command ran.
    pub started: Option<WallTime>,
    /// When the failover was done.
    pub done: Option<WallTime>,
    /// A primary failover, a standby detach, or one that left no primary.
    pub kind: FailoverKind,
    /// The profile sequence this failover followed (how it started: `lost_peer`, ...), when one
    /// matched.
    pub started_by: Option<String>,
    /// This failover's own phase durations in seconds (`first_sign_to_failover_done`,
    /// `backend_down_to_failover_command`, ...), measured on its executor.
    #[schemars(with = "BTreeMap<String, f64>")]
    pub phases: Phases,
    /// Timeline index of the failover command.
    #[serde(skip)]
    pub command_index: usize,
    /// Timeline index of "failover done", when seen.
    #[serde(skip)]
    pub done_index: Option<usize>,
    /// Timeline index after the executor's previous failover (where this one's signs start).
    #[serde(skip)]
    pub window_start: usize,
    /// Why no sequence matched (empty when one did, or none was asked for).
    #[serde(skip)]
    pub sequence_problems: Vec<String>,
}

/// A failover's phase durations in seconds, by name (`backend_down_to_failover_command`, ...),
/// in name order, and serialised as the JSON object (`BTreeMap<String, f64>`) it once was.
///
/// Why not that map: an event-dense log holds thousands of failovers with about seven phases
/// each, and a map allocated a node (about 380 bytes) and a string per phase name for each, some
/// 720 bytes a failover (6 MB of the dense 200 MB benchmark). Here the names are interned
/// [`Key`]s and the phases one exact-size block of 16 bytes each.
#[derive(Clone, Default, PartialEq)]
pub struct Phases(Box<[(Key, f64)]>);

impl Phases {
    /// The duration of `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }

    /// Whether `name` was measured.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Names and seconds, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.0.iter().map(|(k, s)| (k.name(), *s))
    }

    /// How many phases were measured.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Collects like a map: in name order, a later duration for the same name replacing an earlier.
impl<K: Into<Key>> FromIterator<(K, f64)> for Phases {
    fn from_iter<I: IntoIterator<Item = (K, f64)>>(iter: I) -> Phases {
        let mut all: Vec<(Key, f64)> = Vec::new();
        for (k, s) in iter {
            let k = k.into();
            match all.iter_mut().find(|(n, _)| *n == k) {
                Some(slot) => slot.1 = s,
                None => all.push((k, s)),
            }
        }
        all.sort_by_key(|(k, _)| k.name());
        Phases(all.into_boxed_slice())
    }
}

/// Shown as the map it stands for.
impl fmt::Debug for Phases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Phases {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// The attribute `name` as an integer.
pub fn int_attr(e: &Event, name: &str) -> Option<i64> {
    e.attrs.get(name).and_then(|v| v.as_i64())
}

#[derive(Default)]
struct NodeState {
    failed: Option<i64>,
    open: Option<usize>,
    window_start: usize,
}

/// Every failover in time order (one pass over the timeline).
pub fn failovers(timeline: &Timeline) -> Vec<Failover> {
    let events = timeline.events();
    let mut out: Vec<Failover> = Vec::new();
    // A cluster has a handful of nodes: a short list beats hashing every event's node name.
    let mut nodes: Vec<(&str, NodeState)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let at = match nodes.iter().position(|(n, _)| *n == e.node) {
            Some(at) => at,
            None => {
                nodes.push((e.node.as_str(), NodeState::default()));
                nodes.len() - 1
            }
        };
        let st = &mut nodes[at].1;
        match e.kind {
            EventKind::BackendDown | EventKind::DegenerateRequest => {
                if let Some(id) = int_attr(e, "node_id") {
                    st.failed = Some(id);
                }
            }
            EventKind::PrimaryFound | EventKind::NewPrimary => {
                let id = int_attr(e, "node_id");
                if let (Some(f), EventKind::NewPrimary) = (st.open, e.kind) {
                    if out[f].new_primary_node_id.is_none() {
                        out[f].new_primary_node_id = id;
                    }
                }
            }
            EventKind::FailoverDone => {
                if let Some(f) = st.open.take() {
                    out[f].done = e.time;
                    out[f].done_index = Some(i);
                    st.window_start = i + 1;
                }
            }
            EventKind::FailoverCommand => {
                if let Some(f) = st.open.take() {
                    // The previous failover never logged "done": its window ends here.
                    st.window_start = out[f].command_index + 1;
                }
                out.push(Failover {
                    executor: e.node.to_string(),
                    failed_node_id: st.failed,
                    new_primary_node_id: None,
                    started: e.time,
                    done: None,
                    kind: FailoverKind::Unknown,
                    started_by: None,
                    phases: Phases::default(),
                    command_index: i,
                    done_index: None,
                    window_start: st.window_start,
                    sequence_problems: Vec::new(),
                });
                st.open = Some(out.len() - 1);
            }
            _ => {}
        }
    }
    // Classify with the primary known before each command (recomputed in the same order).
    let mut before: Vec<(&str, i64)> = Vec::new();
    let mut global: Option<i64> = None;
    let mut next = 0usize;
    for (i, e) in events.iter().enumerate() {
        while next < out.len() && out[next].command_index == i {
            let prev = before
                .iter()
                .find(|(n, _)| *n == e.node)
                .map(|(_, id)| *id)
                .or(global);
            let f = &mut out[next];
            f.kind = match (f.new_primary_node_id, f.failed_node_id, prev) {
                (Some(n), _, _) if n < 0 => FailoverKind::NoPrimary,
                (_, Some(failed), Some(p)) if failed == p => FailoverKind::PrimaryFailover,
                (_, Some(_), Some(_)) => FailoverKind::StandbyDetach,
                (Some(n), Some(failed), None) if n != failed => FailoverKind::PrimaryFailover,
                _ => FailoverKind::Unknown,
            };
            next += 1;
        }
        if matches!(e.kind, EventKind::PrimaryFound | EventKind::NewPrimary) {
            if let Some(id) = int_attr(e, "node_id").filter(|id| *id >= 0) {
                match before.iter_mut().find(|(n, _)| *n == e.node) {
                    Some(slot) => slot.1 = id,
                    None => before.push((e.node.as_str(), id)),
                }
                global = Some(id);
            }
        }
    }
    out
}

/// Every failover, each matched against the expected sequences on its own executor (which
/// one it followed, or why none) and with its own phase durations.
pub fn judged_failovers(timeline: &Timeline, exp: &Expectations) -> Vec<Failover> {
    let mut all = failovers(timeline);
    let events = timeline.events();
    let index = NodeIndex::new(timeline);
    // Kinds that run beside a failover (the VIP) may come after its "done": they are looked for
    // up to the executor's next failover.
    let mut next_command: Vec<usize> = vec![events.len().saturating_sub(1); all.len()];
    let mut last_on: HashMap<&str, usize> = HashMap::new();
    for (k, f) in all.iter().enumerate() {
        if let Some(prev) = last_on.insert(f.executor.as_str(), k) {
            next_command[prev] = f.command_index;
        }
    }
    drop(last_on);
    for (k, f) in all.iter_mut().enumerate() {
        let end = f.done_index.unwrap_or(f.command_index);
        let mut first_sign = None;
        if !exp.variants.is_empty() {
            let mut best: Option<(usize, String, Vec<String>)> = None;
            for v in exp.variants.iter().filter(|v| f.kind.fits(v.detach)) {
                let m = match_variant(
                    &index,
                    events,
                    &f.executor,
                    (f.window_start, end, next_command[k]),
                    v,
                );
                if m.problems.is_empty() {
                    f.started_by = Some(v.name.clone());
                    first_sign = m.first;
                    best = None;
                    break;
                }
                if best.as_ref().is_none_or(|(n, _, _)| m.problems.len() < *n) {
                    best = Some((m.problems.len(), v.name.clone(), m.problems));
                }
            }
            if let Some((_, name, problems)) = best {
                f.sequence_problems = problems
                    .into_iter()
                    .map(|p| format!("closest sequence {name}: {p}"))
                    .collect();
            }
        }
        let mut found: Vec<(EventKind, usize)> = Vec::new();
        let mut from = f.window_start;
        for kind in super::durations::CHAIN {
            if let Some(i) = index.first_in(events, &f.executor, *kind, from, end) {
                found.push((*kind, i));
                from = i;
            }
        }
        let mut phases: Vec<(String, f64)> = Vec::new();
        for pair in found.windows(2) {
            let ((ka, ia), (kb, ib)) = (pair[0], pair[1]);
            if let Some(s) = seconds_between(&events[ia], &events[ib]) {
                phases.push((super::durations::name(ka, kb), s));
            }
        }
        let get = |k: EventKind| found.iter().find(|(x, _)| *x == k).map(|(_, i)| *i);
        for start in [EventKind::LeaderLost, EventKind::BackendDown] {
            if let (Some(a), Some(b)) = (get(start), get(EventKind::FailoverDone)) {
                if let Some(s) = seconds_between(&events[a], &events[b]) {
                    phases.push((format!("{}_to_failover_done", start.name()), s));
                }
            }
        }
        if let (Some(a), Some(d)) = (first_sign, f.done_index) {
            if let Some(s) = seconds_between(&events[a], &events[d]) {
                phases.push(("first_sign_to_failover_done".into(), s));
            }
        }
        f.phases = phases.into_iter().collect();
    }
    all
}
