//! Where a run's wall time went: the overhead around the fault (slot wait, boot, ready wait,
//! evidence, teardown) next to the steps themselves, so a suite can show what parallelism saves
//! and what it cannot.

use serde::{Deserialize, Serialize};

/// A run's wall time by phase, in milliseconds; the phases follow each other and add up to about
/// the run's `duration_ms`. The node image is ensured once per command, before any run (a suite
/// records it per release).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunTimings {
    /// Waiting for a cluster slot (`crate::slots`): other clusters were up.
    pub slot_wait_ms: u64,
    /// Network, volumes, containers created and started.
    pub boot_ms: u64,
    /// From containers started until the cluster was ready (serving, heartbeat life-check armed).
    pub ready_wait_ms: u64,
    /// The scenario's steps with their expectations, and the final heals.
    pub steps_ms: u64,
    /// Collecting evidence: the write ledger, roles, settings, the logs through the grammar,
    /// the checks and the run directory's files.
    pub evidence_ms: u64,
    /// Copying the logs out and removing the cluster.
    pub teardown_ms: u64,
}

impl RunTimings {
    /// The phases' sum.
    pub fn total_ms(&self) -> u64 {
        self.slot_wait_ms
            + self.boot_ms
            + self.ready_wait_ms
            + self.steps_ms
            + self.evidence_ms
            + self.teardown_ms
    }

    /// Adds `other` phase by phase (a suite's totals).
    pub fn add(&mut self, other: &RunTimings) {
        self.slot_wait_ms += other.slot_wait_ms;
        self.boot_ms += other.boot_ms;
        self.ready_wait_ms += other.ready_wait_ms;
        self.steps_ms += other.steps_ms;
        self.evidence_ms += other.evidence_ms;
        self.teardown_ms += other.teardown_ms;
    }

    /// `(name, ms)` of each phase, in order.
    pub fn phases(&self) -> [(&'static str, u64); 6] {
        [
            ("slot wait", self.slot_wait_ms),
            ("boot", self.boot_ms),
            ("ready wait", self.ready_wait_ms),
            ("steps", self.steps_ms),
            ("evidence", self.evidence_ms),
            ("teardown", self.teardown_ms),
        ]
    }
}
