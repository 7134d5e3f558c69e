//! The append-only, ordered list of events that checkers and reporters read.

use super::{Event, EventKind};

/// Events in the order they happened, the single source of truth for checkers.
///
/// Live runs [`push`](Timeline::push) events as observers see them; offline analysis collects each
/// file's events and builds the timeline with [`Timeline::from_unsorted`], which orders them by
/// wall time. Checkers compare positions (indices), never re-sort, so "before" always means the
/// same thing everywhere.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    events: Vec<Event>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Timeline {
        Timeline::default()
    }

    /// Orders events by wall time, stably: equal times keep the order they were given in (file
    /// order, then line order, as the analyser supplies them). Events without any time go last,
    /// in their given order, because nothing says where they belong.
    pub fn from_unsorted(mut events: Vec<Event>) -> Timeline {
        let order = |a: &Event, b: &Event| match (&a.time, &b.time) {
            (Some(x), Some(y)) => x.at.cmp(&y.at),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        // One file's events are usually in order already; a stable sort would still allocate
        // a scratch buffer of half the events (tens of MB for a year of a busy cluster's log).
        if !events.is_sorted_by(|a, b| order(a, b).is_le()) {
            events.sort_by(order);
        }
        Timeline { events }
    }

    /// Appends an event (live observers append in the order they see things).
    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// All events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The distinct node names, in order of first appearance.
    pub fn nodes(&self) -> Vec<&str> {
        let mut nodes: Vec<&str> = Vec::new();
        for e in &self.events {
            if !nodes.contains(&e.node.as_str()) {
                nodes.push(&e.node);
            }
        }
        nodes
    }

    /// Indices and events of one node, in order.
    pub fn on_node<'a>(&'a self, node: &'a str) -> impl Iterator<Item = (usize, &'a Event)> + 'a {
        self.events
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.node == node)
    }

    /// The first event of `kind` on `node` at or after position `from`.
    pub fn first_after(&self, node: &str, kind: EventKind, from: usize) -> Option<(usize, &Event)> {
        self.events
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, e)| e.node == node && e.kind == kind)
    }
}

/// Seconds from `a` to `b`: by wall time when both have one, else by run offset when both have
/// one; `None` when the two cannot be compared (which makes a duration Unknown, never zero).
pub fn seconds_between(a: &Event, b: &Event) -> Option<f64> {
    if let (Some(x), Some(y)) = (&a.time, &b.time) {
        let d = y.at - x.at;
        return Some(d.num_milliseconds() as f64 / 1000.0);
    }
    if let (Some(x), Some(y)) = (a.offset_ms, b.offset_ms) {
        return Some((y as f64 - x as f64) / 1000.0);
    }
    None
}

/// A timeline serialises as its list of events (the JSON `events` array).
impl serde::Serialize for Timeline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.events.serialize(s)
    }
}
