//! The timeline: one append-only, time-ordered list of typed [`Event`]s, the single source of truth
//! that live observers and the offline analyser both produce and that checkers and measurements read.

/// Read from and described as the `String` a type stands for: `Deserialize` through `From<String>`
/// and the schema of a string (the string newtypes in `strings.rs` and `Text`).
macro_rules! reads_as_string {
    ($t:ty) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                <String as serde::Deserialize>::deserialize(d).map(<$t>::from)
            }
        }

        /// The schema of the `String` it stands for.
        impl schemars::JsonSchema for $t {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                String::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                String::json_schema(generator)
            }

            fn inline_schema() -> bool {
                true
            }
        }
    };
}

mod attrs;
mod event;
mod strings;
mod text;
#[allow(clippy::module_inception)]
mod timeline;

pub use attrs::{AttrValue, Attrs, Key};
pub use event::{Event, EventKind, WallTime, EVENT_NAMES};
pub use strings::Name;
pub use text::{LogFile, Text};
pub use timeline::{seconds_between, Timeline};
