//! What a check found, which fault kinds need which checks, and the verdict of a report.

use crate::faults::{FaultKind, HostNeed};
use serde::Serialize;

/// One prerequisite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The Docker engine answers, and its API version is one we speak.
    Engine,
    /// Root on the Docker host (not rootless Docker): faults enter node namespaces.
    Privileges,
    /// `nsenter` on the host (iptables rules inside a node's network namespace).
    Nsenter,
    /// iptables works inside a fresh network namespace.
    IptablesNetns,
    /// `/dev/loop-control`: every node loop-mounts its ext4 data disk.
    LoopDevices,
    /// ext4's sysfs knobs (`/sys/fs/ext4/<dev>/trigger_fs_error`) for `disk-readonly`.
    Ext4Sysfs,
    /// A /24 of 10.77.0.0/16 that no Docker network uses.
    Subnet,
    /// Free disk space where Docker keeps volumes and where images are built.
    Disk,
    /// The release's node image (or what it takes to build it).
    Image,
}

impl CheckId {
    /// The checks every cluster needs, whatever its faults.
    pub const BASE: &'static [CheckId] = &[
        CheckId::Engine,
        CheckId::Privileges,
        CheckId::LoopDevices,
        CheckId::Subnet,
        CheckId::Disk,
    ];

    /// The name shown in reports (`iptables-netns`).
    pub fn name(self) -> &'static str {
        match self {
            CheckId::Engine => "engine",
            CheckId::Privileges => "privileges",
            CheckId::Nsenter => "nsenter",
            CheckId::IptablesNetns => "iptables-netns",
            CheckId::LoopDevices => "loop-devices",
            CheckId::Ext4Sysfs => "ext4-sysfs",
            CheckId::Subnet => "subnet",
            CheckId::Disk => "disk",
            CheckId::Image => "image",
        }
    }
}

/// The checks a fault kind needs beyond [`CheckId::BASE`], from what its catalogue row says it
/// needs of the host.
pub fn requirements(kind: FaultKind) -> Vec<CheckId> {
    let mut out = Vec::new();
    for need in kind.row().needs {
        for id in checks_for(*need) {
            if !out.contains(id) {
                out.push(*id);
            }
        }
    }
    out
}

/// The checks that show the host offers `need`.
fn checks_for(need: HostNeed) -> &'static [CheckId] {
    match need {
        // iptables DROP chains installed with `nsenter -t PID -n iptables` (faults/host.rs).
        HostNeed::NetnsIptables => &[CheckId::Nsenter, CheckId::IptablesNetns],
        HostNeed::Ext4Sysfs => &[CheckId::Ext4Sysfs],
    }
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Present and working.
    Ok,
    /// Usable, with a caveat (e.g. the image will be built on first use).
    Warn,
    /// Missing: what needs it cannot run.
    Missing,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// How it came out.
    pub status: Status,
    /// What was found (a version, a path, a free subnet, an error).
    pub detail: String,
    /// The one-line fix, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Milliseconds the check took.
    pub elapsed_ms: u64,
}

impl Check {
    /// One line: `missing  nsenter: not in PATH — fix: apt-get install util-linux`.
    pub fn line(&self) -> String {
        let status = match self.status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Missing => "missing",
        };
        let mut s = format!("{status:<8} {:<15} {}", self.id.name(), self.detail);
        if let Some(fix) = &self.fix {
            s.push_str(&format!(" — fix: {fix}"));
        }
        s
    }
}

/// Support of one fault kind on this runner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultSupport {
    /// The fault kind.
    pub kind: String,
    /// Whether every check it needs passed.
    pub supported: bool,
    /// The checks it needs that are missing.
    pub missing: Vec<CheckId>,
}

/// Every check's result and what they mean for each fault kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Bumped on any incompatible change of this document.
    pub format_version: u32,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// Per fault kind: supported or not, and why.
    pub faults: Vec<FaultSupport>,
    /// The fault kinds the caller needs (the scenarios given; all when none).
    pub needed: Vec<String>,
    /// Whether everything the needed fault kinds require is present.
    pub ready: bool,
}

impl Report {
    /// Judges `checks` for the fault kinds in `needed`.
    pub fn new(checks: Vec<Check>, needed: &[FaultKind]) -> Report {
        let missing = |ids: &[CheckId]| -> Vec<CheckId> {
            ids.iter()
                .copied()
                .filter(|id| {
                    checks
                        .iter()
                        .any(|c| c.id == *id && c.status == Status::Missing)
                })
                .collect()
        };
        let faults = FaultKind::ALL
            .iter()
            .map(|k| {
                let mut ids = CheckId::BASE.to_vec();
                ids.extend(requirements(*k));
                let m = missing(&ids);
                FaultSupport {
                    kind: k.name().to_string(),
                    supported: m.is_empty(),
                    missing: m,
                }
            })
            .collect();
        let mut ids = CheckId::BASE.to_vec();
        ids.push(CheckId::Image);
        for k in needed {
            ids.extend(requirements(*k));
        }
        let ready = missing(&ids).is_empty();
        Report {
            format_version: 1,
            checks,
            faults,
            needed: needed.iter().map(|k| k.name().to_string()).collect(),
            ready,
        }
    }

    /// The checks that are missing, in order.
    pub fn missing(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: CheckId, status: Status) -> Check {
        Check {
            id,
            status,
            detail: String::new(),
            fix: None,
            elapsed_ms: 0,
        }
    }

    #[test]
    fn a_missing_nsenter_disables_only_the_iptables_faults() {
        let r = Report::new(
            vec![
                check(CheckId::Engine, Status::Ok),
                check(CheckId::Nsenter, Status::Missing),
            ],
            &[FaultKind::HostCrash],
        );
        assert!(r.ready, "host-crash does not need nsenter");
        let support = |k: &str| r.faults.iter().find(|f| f.kind == k).unwrap().supported;
        assert!(support("host-crash"));
        assert!(!support("network-blackhole"));
        assert!(!support("host-poweroff"));
        assert!(!support("network-partition"));
        let r = Report::new(
            vec![check(CheckId::Nsenter, Status::Missing)],
            &[FaultKind::NetworkPartition],
        );
        assert!(!r.ready);
    }

    #[test]
    fn a_missing_engine_disables_everything_and_a_warning_disables_nothing() {
        let r = Report::new(vec![check(CheckId::Engine, Status::Missing)], &[]);
        assert!(!r.ready && r.faults.iter().all(|f| !f.supported));
        let r = Report::new(vec![check(CheckId::Image, Status::Warn)], FaultKind::ALL);
        assert!(r.ready && r.faults.iter().all(|f| f.supported));
    }
}
