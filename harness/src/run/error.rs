//! Why a step could not act, or the ledger could not be checked: the step's own failures, kept
//! typed with their causes until they become the step record's `error` text.

use crate::docker::DockerError;
use crate::faults::FaultError;
use crate::observe::WriteProbeError;

/// Why a step's action failed (the step record says so and the run goes on to its heal phase).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A target the action needs did not resolve to a node.
    #[error("the {what} did not resolve")]
    Unresolved {
        /// Whose target (`fault's target`, `statement's target`).
        what: &'static str,
    },
    /// A name that is no node of this cluster.
    #[error("no node {0}")]
    UnknownNode(String),
    /// A heal step without its fault open.
    #[error("no open fault to heal (validation should have caught this)")]
    NoOpenFault,
    /// `recover` found no node to rejoin.
    #[error("no node to recover (is there a primary?)")]
    NothingToRecover,
    /// `recover` found no node to follow.
    #[error("no other node to follow")]
    NoNodeToFollow,
    /// The fault could not be injected or healed.
    #[error(transparent)]
    Fault(#[from] FaultError),
    /// The engine failed.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// The release's rejoin command failed.
    #[error("{command} on {node} exited {code:?}: {output}; last lines of recovery.log:\n{recovery_log}")]
    Rejoin {
        /// The command line.
        command: String,
        /// Where.
        node: String,
        /// Its exit code.
        code: Option<i64>,
        /// Its last output lines.
        output: String,
        /// The last lines of the node's recovery.log, where the script says what it did.
        recovery_log: String,
    },
    /// The write probe could not start.
    #[error(transparent)]
    WriteProbe(#[from] WriteProbeError),
    /// An `sql` step's statement failed.
    #[error("statement on {target} failed")]
    Sql {
        /// host:port.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// `await-recover` or `wait until` with no background `recover` running.
    #[error("no background `recover` is running (validation should have caught this)")]
    NoBackground,
    /// A `wait until` whose recovery event did not come.
    #[error("awaited {event} on {node} (background recover): {why}; last lines of recovery.log:\n{tail}")]
    UntilNotSeen {
        /// The awaited event kind.
        event: String,
        /// The recovering node.
        node: String,
        /// Why the wait ended (the recovery ended first, or the timeout).
        why: String,
        /// The last lines of its recovery.log.
        tail: String,
    },
    /// `await-recover` timed out.
    #[error("awaited the end of the background recover on {node}: {summary}; last lines of recovery.log:\n{tail}")]
    RecoverNotEnded {
        /// The recovering node.
        node: String,
        /// What is known of the script (how long it ran).
        summary: String,
        /// The last lines of its recovery.log.
        tail: String,
    },
    /// `await-recover` with an `outcome:` the recover did not have.
    #[error("the background recover on {node} was to end {want}: {summary}; last lines of recovery.log:\n{tail}")]
    RecoverOutcome {
        /// The recovering node.
        node: String,
        /// The outcome the step asked for.
        want: &'static str,
        /// How it really ended.
        summary: String,
        /// The last lines of its recovery.log.
        tail: String,
    },
    /// An `sql` step's statement got no answer.
    #[error("statement on {target}: no answer within {secs} s")]
    SqlTimeout {
        /// host:port.
        target: String,
        /// How long.
        secs: u64,
    },
}

/// Why the ledger could not be compared with the primary's table.
#[derive(Debug, thiserror::Error)]
pub enum LostCheckError {
    /// Nobody is primary now.
    #[error("no primary to check the ledger on")]
    NoPrimary,
    /// The primary's name is no node of this cluster.
    #[error("primary {0} is not a cluster node")]
    NotANode(String),
    /// Reading the table failed.
    #[error(transparent)]
    Probe(#[from] WriteProbeError),
}

/// Why the session pinned to the primary could not be opened (a warning: the old primary's
/// acknowledgements are then not measured).
#[derive(Debug, thiserror::Error)]
#[error("opening the write session pinned to the primary {primary}")]
pub struct PinError {
    /// The primary.
    pub primary: String,
    /// Why.
    #[source]
    pub source: WriteProbeError,
}
