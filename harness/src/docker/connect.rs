//! Connecting to the engine.
//!
//! The engine on our machines speaks API 1.41 (Docker 20.10) while bollard 0.21 defaults to a much
//! newer version and only works unnegotiated because it sends unversioned paths. We always
//! negotiate, and `tests/docker_api.rs` fails loudly if that ever stops working.

use bollard::Docker;
use std::time::Duration;

/// Why the engine could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No daemon answered.
    #[error("cannot reach the docker daemon at {host} (is it running? is DOCKER_HOST right?)")]
    Unreachable {
        /// Where we looked.
        host: String,
        /// The transport error.
        #[source]
        source: bollard::errors::Error,
    },
    /// The daemon answered with an error.
    #[error("docker {what} failed")]
    Api {
        /// The operation, e.g. `create network hachaos-r1-net`.
        what: String,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// The daemon did not answer in time.
    #[error("docker {what} timed out after {secs} s")]
    Timeout {
        /// The operation.
        what: String,
        /// The deadline.
        secs: u64,
    },
}

impl DockerError {
    /// Wraps an engine error with what we were doing.
    pub fn api(what: impl Into<String>, source: bollard::errors::Error) -> Self {
        DockerError::Api {
            what: what.into(),
            source,
        }
    }
}

/// Where the client connects: `DOCKER_HOST`, or the local socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

/// Connects to the engine named by `DOCKER_HOST` (or the local socket), negotiates the API
/// version and pings it, all within a few seconds.
pub async fn connect() -> Result<Docker, DockerError> {
    let host = docker_host();
    let unreachable = |source| DockerError::Unreachable {
        host: host.clone(),
        source,
    };
    let docker = Docker::connect_with_defaults().map_err(unreachable)?;
    let negotiated = tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
        .await
        .map_err(|_| DockerError::Timeout {
            what: "version negotiation".into(),
            secs: 10,
        })?
        .map_err(unreachable)?;
    tokio::time::timeout(Duration::from_secs(10), negotiated.ping())
        .await
        .map_err(|_| DockerError::Timeout {
            what: "ping".into(),
            secs: 10,
        })?
        .map_err(unreachable)?;
    tracing::debug!(host = %host, api = ?negotiated.client_version(), "docker engine connected");
    Ok(negotiated)
}
