//! Running a command inside a container and collecting its output, with a deadline.

use super::DockerError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;
use std::time::Duration;

/// What a command run with [`exec`] printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard output as the bytes it was (for byte offsets into files).
    pub stdout_bytes: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// The exit code, if the engine reported one.
    pub exit_code: Option<i64>,
}

impl ExecOutput {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// Runs `cmd` in `container` and waits at most `timeout` for it.
pub async fn exec(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
    timeout: Duration,
) -> Result<ExecOutput, DockerError> {
    let what = || format!("exec `{}` in {container}", cmd.join(" "));
    tracing::debug!(container, cmd = %cmd.join(" "), timeout_s = timeout.as_secs(), "docker exec");
    let run = async {
        let created = docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| DockerError::api(what(), e))?;
        let mut out = ExecOutput::default();
        if let StartExecResults::Attached { mut output, .. } = docker
            .start_exec(&created.id, None)
            .await
            .map_err(|e| DockerError::api(what(), e))?
        {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(|e| DockerError::api(what(), e))? {
                    bollard::container::LogOutput::StdErr { message } => {
                        out.stderr.push_str(&String::from_utf8_lossy(&message))
                    }
                    other => out.stdout_bytes.extend_from_slice(&other.into_bytes()),
                }
            }
        }
        out.stdout = String::from_utf8_lossy(&out.stdout_bytes).into_owned();
        out.exit_code = docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| DockerError::api(what(), e))?
            .exit_code;
        tracing::debug!(container, exit_code = ?out.exit_code, stdout_bytes = out.stdout_bytes.len(), "docker exec done");
        Ok(out)
    };
    tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| DockerError::Timeout {
            what: what(),
            secs: timeout.as_secs(),
        })?
}
