//! `hachaos doctor`: is this runner able to run scenarios? Each prerequisite (the engine and its
//! API version, privileges, the host tools and kernel features each fault needs, a free subnet,
//! disk space, the release image) is checked in seconds and, when missing, named with a one-line
//! fix. `run`, `up` and `qualify` run the checks their faults need first ([`preflight`]) and
//! refuse with the same message instead of failing after a 20 s boot or in the middle of a fault.

mod check;
mod probe;

pub use check::{requirements, Check, CheckId, Report, Status};
pub use probe::{diagnose, preflight, Probe};
