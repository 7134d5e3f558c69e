//! Observers: things that watch a live cluster and turn what they see into evidence for the
//! timeline — the write probe's ledger of acknowledged writes, the role and VIP poller, and the
//! log tailer that feeds node logs through the same grammar as `hachaos analyze`.

mod log_tail;
mod role_poller;
mod write_probe;

pub use log_tail::{LogLine, LogTailer};
pub use role_poller::{overlaps, Overlap, RolePoller, RoleSample};
pub use write_probe::{
    parse_lsn, Ack, Ledger, LostWrites, PinnedSession, WriteFailure, WriteProbe, WriteProbeError,
    PINNED_SEQ_BASE,
};
