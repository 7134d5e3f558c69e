//! Why a cluster could not be booted, probed or torn down.

use crate::docker::DockerError;

/// Errors at the cluster boundary.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The engine failed or is unreachable.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// The node image does not exist locally (nothing can be pulled here).
    #[error("image {image} not built: run `hachaos image build`")]
    ImageMissing {
        /// The tag that was looked for.
        image: String,
    },
    /// No cluster slot could be taken ([`crate::slots`]).
    #[error("no cluster slot")]
    Slot(#[from] crate::slots::SlotError),
    /// No free /24 in 10.77.0.0/16.
    #[error("no free subnet in 10.77.0.0/16 (every /24 overlaps an existing docker network)")]
    NoFreeSubnet,
    /// The cluster did not become ready in time.
    #[error("cluster {run} not ready after {waited_s:.1} s\n{detail}")]
    NotReady {
        /// The run.
        run: String,
        /// How long we waited.
        waited_s: f64,
        /// What was awaited, what was last seen, and each node's last log lines.
        detail: String,
    },
    /// A node container stopped during boot.
    #[error("node {node} exited during boot (exit code {code:?})\n{logs}")]
    NodeExited {
        /// The node.
        node: String,
        /// Its exit code.
        code: Option<i64>,
        /// Its last log lines.
        logs: String,
    },
    /// No cluster with that run id (or none at all) is running.
    #[error("no running hachaos cluster{}", .run.as_ref().map(|r| format!(" with run id {r}")).unwrap_or_default())]
    NotFound {
        /// The run asked for.
        run: Option<String>,
    },
    /// More than one cluster is running and none was named.
    #[error("several hachaos clusters are running ({0}): name one with --run")]
    Ambiguous(String),
    /// A database query failed.
    #[error("query {what} on {target} failed")]
    Query {
        /// What was asked.
        what: String,
        /// host:port.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Copying logs out failed.
    #[error("cannot write logs to {path}")]
    Logs {
        /// Where.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command run inside a node container failed.
    #[error("`{command}` in {container} failed: {output}")]
    Command {
        /// What was run.
        command: String,
        /// Where.
        container: String,
        /// Its stdout and stderr, trimmed.
        output: String,
    },
}
