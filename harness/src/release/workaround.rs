//! Workarounds: what the harness or the image does to paper over a known bug of one release.
//!
//! A release file declares the ones its release needs (`workarounds: [heartbeat-loopback]`);
//! only those are applied, a scenario may withhold them (`known_bug.without_workarounds`) to show
//! the bug, and every run records which were declared and which applied (`run.json`
//! `workarounds`), so a qualification shows that the baseline needed one and the candidate did not.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One known workaround.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workaround {
    /// pgpool-II 4.6.0-4.6.2 bind the heartbeat receiver to localhost only (127.0.0.1 and ::1):
    /// peers' heartbeats never arrive. The node DNATs udp/9694 to 127.0.0.1 (entrypoint), the
    /// harness sets `net.ipv4.conf.all.route_localnet=1` (the kernel drops packets DNATed to
    /// loopback otherwise) and turns IPv6 on for `lo` (the `::1` bind fails without it and the
    /// receiver gives up).
    HeartbeatLoopback,
}

impl Workaround {
    /// Every workaround the harness knows.
    pub const ALL: &'static [Workaround] = &[Workaround::HeartbeatLoopback];

    /// The name used in release files, scenarios, the node's environment and `run.json`.
    pub fn name(self) -> &'static str {
        match self {
            Workaround::HeartbeatLoopback => "heartbeat-loopback",
        }
    }

    /// What it does, in one line.
    pub fn what(self) -> &'static str {
        match self {
            Workaround::HeartbeatLoopback => {
                "udp/9694 DNATed to 127.0.0.1 in the node, route_localnet=1 and IPv6 on lo set by the harness"
            }
        }
    }

    /// The upstream bug it hides and where it was fixed (version and release-note line).
    pub fn hides(self) -> &'static str {
        match self {
            Workaround::HeartbeatLoopback => {
                "pgpool-II 4.6.0-4.6.2 heartbeat receiver bound to loopback only; fixed in 4.6.3: \"Fix heartbeat receiver not working.\""
            }
        }
    }
}

impl fmt::Display for Workaround {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workaround as a run records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkaroundRecord {
    /// Its name (`heartbeat-loopback`).
    pub name: String,
    /// Whether it was applied in this run (false: declared by the release but withheld by the
    /// scenario, to show the bug).
    pub applied: bool,
    /// What it does.
    pub what: String,
    /// The bug it hides and its upstream fix.
    pub hides: String,
}

impl WorkaroundRecord {
    /// The record of `w`.
    pub fn new(w: Workaround, applied: bool) -> WorkaroundRecord {
        WorkaroundRecord {
            name: w.name().into(),
            applied,
            what: w.what().into(),
            hides: w.hides().into(),
        }
    }
}

/// The records of a release's declared workarounds, with those in `withheld` not applied.
pub fn records(declared: &[Workaround], withheld: &[Workaround]) -> Vec<WorkaroundRecord> {
    declared
        .iter()
        .map(|w| WorkaroundRecord::new(*w, !withheld.contains(w)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_yaml() {
        for w in Workaround::ALL {
            let parsed: Workaround = crate::loader::from_str("<test>", w.name()).unwrap();
            assert_eq!(parsed, *w);
        }
        let e = crate::loader::from_str::<Workaround>("<test>", "heartbeat-dnat").unwrap_err();
        assert!(e.to_string().contains("heartbeat-loopback"), "{e}");
    }

    #[test]
    fn a_withheld_workaround_is_recorded_as_not_applied() {
        let r = records(
            &[Workaround::HeartbeatLoopback],
            &[Workaround::HeartbeatLoopback],
        );
        assert_eq!(r.len(), 1);
        assert!(!r[0].applied);
        assert!(r[0].hides.contains("4.6.3"));
        assert!(records(&[Workaround::HeartbeatLoopback], &[])[0].applied);
        assert!(records(&[], &[Workaround::HeartbeatLoopback]).is_empty());
    }
}
