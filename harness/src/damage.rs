//! The damage a fault can do to a cluster, named once: scenarios declare what they cause on
//! purpose (`expected_damage:`), the fault catalogue says what each kind is known to cause, and
//! the checks count it.

use serde::{Deserialize, Serialize};

/// Damage a scenario causes on purpose (split brain is the point of a partition scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Damage {
    /// Two writable primaries and/or two VIP holders at the same time.
    SplitBrain,
    /// Acknowledged writes missing after recovery.
    LostWrites,
    /// A server PANICs on purpose (PostgreSQL PANICs when it cannot write WAL, e.g. on a
    /// read-only disk): the forbidden-pattern check then counts it instead of failing.
    Panic,
    /// A failover found no node to promote and left pgpool without a primary (`set new primary
    /// node: -1`): both servers were down or detached at once, e.g. the new primary crashed while
    /// the old one was being recovered. The primary-kept check then counts it instead of failing.
    NoPrimary,
}

impl Damage {
    /// The name scenario files use (`split-brain`).
    pub fn name(self) -> &'static str {
        match self {
            Damage::SplitBrain => "split-brain",
            Damage::LostWrites => "lost-writes",
            Damage::Panic => "panic",
            Damage::NoPrimary => "no-primary",
        }
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_their_serde_form() {
        for d in [
            Damage::SplitBrain,
            Damage::LostWrites,
            Damage::Panic,
            Damage::NoPrimary,
        ] {
            assert_eq!(
                serde_json::to_value(d).unwrap(),
                serde_json::json!(d.name())
            );
        }
    }
}
