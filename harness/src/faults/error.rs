//! The error of the fault boundary.

use super::FaultKind;

/// Why a fault could not be injected, verified or healed.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// A Docker API call failed.
    #[error("docker {call} {container}")]
    Docker {
        /// The call (`stop`, `kill`, `inspect`, ...).
        call: &'static str,
        /// The container it was about.
        container: String,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A host command (`nsenter ... iptables ...`) failed.
    #[error("`{command}` exited with {status}: {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status (or `spawn failed`).
        status: String,
        /// Its trimmed stderr.
        stderr: String,
    },
    /// The fault cannot be injected into this node as it is (checked before anything changes).
    #[error("{kind} cannot be injected into {node}: {reason}")]
    Precheck {
        /// The fault.
        kind: FaultKind,
        /// The node.
        node: String,
        /// Why (a lowercase fragment).
        reason: String,
    },
    /// The fault was injected but did not take effect within the verification timeout.
    #[error("{kind} on {node} did not take effect: {reason}")]
    NotEffective {
        /// The fault.
        kind: FaultKind,
        /// The node.
        node: String,
        /// What was seen instead.
        reason: String,
    },
    /// A heal (re)started the node's container, but its boot did not finish.
    #[error("{node} did not finish booting after {heal} (awaited: {awaited}; seen: {seen}); the end of its logs:\n{tail}")]
    NotBack {
        /// The node.
        node: String,
        /// What the heal did (`docker start`, `docker restart`).
        heal: &'static str,
        /// What marks the end of the boot.
        awaited: &'static str,
        /// What was seen instead (the timeout, or why the node could not be asked).
        seen: String,
        /// The last lines of each of its logs (or of the container's output).
        tail: String,
    },
    /// The context lacks something this fault needs (e.g. a partition without a peer).
    #[error("{kind} needs {what}")]
    Missing {
        /// The fault.
        kind: FaultKind,
        /// What is missing.
        what: &'static str,
    },
}
