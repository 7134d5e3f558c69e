//! The two-node cluster: a labelled bridge network with its own subnet, two node containers
//! (PostgreSQL + pgpool-II each), readiness, live probes, and a teardown that copies logs out and
//! removes everything by label.

mod boot;
mod container;
mod error;
pub mod health_phase;
pub mod probe;
mod ready;
pub mod roles;
mod spec;
mod teardown;
mod topology;

pub use boot::{BootTimings, Cluster, NodeHandle};
pub use container::{node_container, LOOP_CONTROL, PGDATA, PGPOOL_CONF};
pub use error::ClusterError;
pub use probe::{
    connect as probe_connect, ClusterStatus, NodeStatus, PoolNode, VipStatus, WalSender,
};
pub use ready::Readiness;
pub use roles::{NodeName, RoleObservation, ServerRole};
pub use spec::{ClusterSpec, Secrets};
pub use teardown::{copy_logs, tail_logs, Teardown};
pub use topology::{choose_subnet, Subnet, Topology};
