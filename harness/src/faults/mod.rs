//! The fault catalogue: one file per fault kind, each implementing [`Fault`], each with its
//! inverse. [`kind`] holds the catalogue as data (for `list-faults` and validation).

mod kind;
mod spec;

pub use kind::{FaultInfo, FaultKind, HealVerb, PeerSees};
pub use spec::{Direction, FaultSpec, DEFAULT_GRACE};
