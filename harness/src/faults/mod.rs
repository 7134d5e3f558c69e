//! The fault catalogue: one file per fault kind, each implementing [`Fault`] (precheck, inject,
//! verify), each undone by the [`Injected`] handle its `inject` returns, each describing itself
//! in a catalogue [`Row`] (`impl Catalogued`). The one list below registers them; everything
//! else ([`FaultKind`], [`FaultSpec`], [`HealVerb`], the options a scenario step accepts,
//! `list-faults`, the doctor's needs) is derived from it. `docs/adding-a-fault.md` says how to
//! add one.
//!
//! Every fault acts from the host: bollard for stop/kill/pause/disconnect/inspect, and
//! `nsenter -t <pid> -n iptables` for packet drops (no capability needed in the container).

mod catalogue;
mod context;
mod counters;
#[doc(hidden)]
pub mod delayer;
mod error;
mod fault;
mod host;
mod procs;

// The catalogue: one line per fault kind, `Variant => file::Type` (see `catalogue!`).
catalogue::catalogue! {
    HostShutdown => host_shutdown::HostShutdown,
    HostCrash => host_crash::HostCrash,
    HostPoweroff => host_poweroff::HostPoweroff,
    HostHang => host_hang::HostHang,
    NetworkDrop => network_drop::NetworkDrop,
    NetworkBlackhole => network_blackhole::NetworkBlackhole,
    NetworkPartition => network_partition::NetworkPartition,
    DiskReadonly => disk_readonly::DiskReadonly,
    DiskStall => disk_stall::DiskStall,
    DiskFull => disk_full::DiskFull,
    NetworkLoss => network_loss::NetworkLoss,
    HeartbeatDrop => heartbeat_drop::HeartbeatDrop,
    NetworkDelay => network_delay::NetworkDelay,
    PostgresCrash => postgres_crash::PostgresCrash,
    PostgresHang => postgres_hang::PostgresHang,
    PgpoolCrash => pgpool_crash::PgpoolCrash,
    PgpoolHang => pgpool_hang::PgpoolHang,
}

pub use catalogue::{
    option_names, Catalogued, FaultInfo, HealVerb, HostNeed, PeerSees, PeerUse, Row, Service,
};
pub use context::{FaultContext, NodeHandle, DEFAULT_PGDATA};
pub use error::FaultError;
pub use fault::{fault_event, inject_verified, Fault, Injected, Undo};
pub use host_shutdown::DEFAULT_GRACE;
pub use network_partition::Direction;
