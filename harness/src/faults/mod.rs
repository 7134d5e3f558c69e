//! The fault catalogue: one file per fault kind, each implementing [`Fault`], each undone by the
//! [`Injected`] handle its `inject` returns. [`FaultKind`] holds the catalogue as data (inverse,
//! mechanism, what peers see) for `list-faults`, validation and docs; [`FaultSpec`] is a fault
//! with its options as a [`crate::scenario::Plan`] carries it; [`fault_for`] turns one into the
//! other.
//!
//! Every fault acts from the host: bollard for stop/kill/pause/disconnect/inspect, and
//! `nsenter -t <pid> -n iptables` for packet drops (no capability needed in the container).

mod context;
mod disk_readonly;
mod error;
mod fault;
mod host;
mod host_crash;
mod host_hang;
mod host_poweroff;
mod host_shutdown;
mod kind;
mod mountinfo;
mod network_blackhole;
mod network_drop;
mod network_partition;
mod spec;

pub use context::{FaultContext, NodeHandle, DEFAULT_PGDATA};
pub use disk_readonly::DiskReadonly;
pub use error::FaultError;
pub use fault::{fault_event, inject_verified, Fault, Injected, Undo};
pub use host_crash::HostCrash;
pub use host_hang::HostHang;
pub use host_poweroff::HostPoweroff;
pub use host_shutdown::HostShutdown;
pub use kind::{FaultInfo, FaultKind, HealVerb, PeerSees};
pub use network_blackhole::NetworkBlackhole;
pub use network_drop::NetworkDrop;
pub use network_partition::NetworkPartition;
pub use spec::{Direction, FaultSpec, DEFAULT_GRACE};

/// The implementation of a planned fault.
pub fn fault_for(spec: &FaultSpec) -> Box<dyn Fault> {
    match *spec {
        FaultSpec::HostShutdown { grace } => Box::new(HostShutdown { grace }),
        FaultSpec::HostCrash => Box::new(HostCrash),
        FaultSpec::HostPoweroff => Box::new(HostPoweroff),
        FaultSpec::HostHang => Box::new(HostHang),
        FaultSpec::NetworkDrop => Box::new(NetworkDrop),
        FaultSpec::NetworkBlackhole => Box::new(NetworkBlackhole),
        FaultSpec::NetworkPartition { direction } => Box::new(NetworkPartition { direction }),
        FaultSpec::DiskReadonly => Box::new(DiskReadonly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_planned_fault_builds_an_implementation_of_its_kind() {
        let specs = [
            FaultSpec::HostShutdown {
                grace: DEFAULT_GRACE,
            },
            FaultSpec::HostCrash,
            FaultSpec::HostPoweroff,
            FaultSpec::HostHang,
            FaultSpec::NetworkDrop,
            FaultSpec::NetworkBlackhole,
            FaultSpec::NetworkPartition {
                direction: Direction::Both,
            },
            FaultSpec::DiskReadonly,
        ];
        assert_eq!(specs.len(), FaultKind::ALL.len());
        for s in specs {
            assert_eq!(fault_for(&s).kind(), s.kind());
        }
    }
}
