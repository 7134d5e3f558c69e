//! The timeline: one append-only, time-ordered list of typed [`Event`]s, the single source of truth
//! that live observers and the offline analyser both produce and that checkers and measurements read.

mod attrs;
mod event;
mod strings;
mod text;
#[allow(clippy::module_inception)]
mod timeline;

pub use attrs::Attrs;
pub use event::{Event, EventKind, WallTime, EVENT_NAMES};
pub use strings::Name;
pub use text::{LogFile, Text};
pub use timeline::{seconds_between, Timeline};
