//! The Docker engine: connecting (with API version negotiation), run identity and labels, running
//! commands inside containers, a container's loop-backed filesystems (found in its mountinfo,
//! frozen and thawed from the host), and the label sweep that guarantees nothing outlives a run.

mod connect;
mod exec;
mod freeze;
mod labels;
pub mod local;
pub(crate) mod mountinfo;
mod sweep;

pub use connect::{connect, DockerError};
pub use exec::{exec, ExecOutput};
pub(crate) use freeze::{freeze, thaw, thaw_container, LoopMount};
pub use labels::{
    kept_marker_labels, kept_marker_name, labels_for, RunId, LABEL_KEEP, LABEL_KEPT,
    LABEL_OWNER_PID, LABEL_OWNER_START,
};
pub use sweep::{containers_labelled, sweep, SweepReport, SweepScope};
