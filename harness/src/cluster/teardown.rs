//! Teardown: copy every node's logs out, then remove the run's objects by label.

use super::{Cluster, ClusterError};
use crate::docker::{exec, sweep, DockerError, SweepReport, SweepScope};
use bollard::query_parameters::{DownloadFromContainerOptionsBuilder, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What teardown did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Teardown {
    /// Where each node's logs went.
    pub logs: Vec<PathBuf>,
    /// Log copies that failed, with why.
    pub log_failures: Vec<String>,
    /// What the label sweep removed.
    pub removed: SweepReport,
    /// How long it took.
    pub elapsed_ms: u64,
}

impl Cluster {
    /// Copies each node's logs into `<logs_dir>/<node>/`, then removes every object of this run.
    /// Safe to call more than once.
    pub async fn down(&mut self) -> Result<Teardown, ClusterError> {
        let started = Instant::now();
        let mut report = Teardown::default();
        for node in &self.nodes {
            let dest = self.spec.logs_dir.join(&node.name);
            match copy_logs(
                &self.docker,
                &node.container,
                &self.spec.release.logs.dir,
                &dest,
                &self.spec.secrets.all(),
            )
            .await
            {
                Ok(()) => report.logs.push(dest),
                Err(e) => {
                    report
                        .log_failures
                        .push(format!("{}: {}", node.name, crate::ErrorChain(&e)))
                }
            }
        }
        report.removed = sweep(&self.docker, &SweepScope::Run(self.spec.run.clone())).await?;
        self.finished = true;
        // The cluster is gone: let the next one boot.
        self.slot = None;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }
}

/// Copies the log directory `log_dir` out of `container` (running or stopped) into `dest`,
/// redacting `secrets`.
pub async fn copy_logs(
    docker: &Docker,
    container: &str,
    log_dir: &str,
    dest: &Path,
    secrets: &[String],
) -> Result<(), ClusterError> {
    let opts = DownloadFromContainerOptionsBuilder::default()
        .path(log_dir)
        .build();
    let mut stream = docker.download_from_container(container, Some(opts));
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(
            &chunk.map_err(|e| DockerError::api(format!("copy {log_dir} from {container}"), e))?,
        );
    }
    let io = |source| ClusterError::Logs {
        path: dest.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dest).map_err(io)?;
    let mut archive = tar::Archive::new(bytes.as_slice());
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(io)?.into_owned();
        // The archive's top directory is `hachaos/`; keep what is below it, flattened.
        let Some(name) = path.file_name() else {
            continue;
        };
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).map_err(io)?;
        let content = redact_bytes(&content, secrets);
        std::fs::write(dest.join(name), content).map_err(io)?;
    }
    Ok(())
}

fn redact_bytes(content: &[u8], secrets: &[String]) -> Vec<u8> {
    let mut out = content.to_vec();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        let needle = s.as_bytes();
        let mut result = Vec::with_capacity(out.len());
        let mut rest = out.as_slice();
        while let Some(pos) = memchr::memmem::find(rest, needle) {
            result.extend_from_slice(&rest[..pos]);
            result.extend_from_slice(b"<redacted>");
            rest = &rest[pos + needle.len()..];
        }
        result.extend_from_slice(rest);
        out = result;
    }
    out
}

/// The last `n` lines of each log file in a node (or of the container's output when it is not
/// running), for timeout and error messages.
pub async fn tail_logs(docker: &Docker, container: &str, log_dir: &str, n: usize) -> String {
    let script = format!(
        "for f in {log_dir}/*.log; do [ -f \"$f\" ] && echo \"== $f\" && tail -n {n} \"$f\"; done"
    );
    if let Ok(out) = exec(
        docker,
        container,
        &["sh", "-c", &script],
        Duration::from_secs(5),
    )
    .await
    {
        if out.success() && !out.stdout.trim().is_empty() {
            return out.stdout;
        }
    }
    let opts = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&n.to_string())
        .build();
    let mut stream = docker.logs(container, Some(opts));
    let mut text = String::from("== container output\n");
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_from_copied_logs() {
        let out = redact_bytes(
            b"password=abc123 and again abc123; pcp xyz",
            &["abc123".into(), "xyz".into(), String::new()],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "password=<redacted> and again <redacted>; pcp <redacted>"
        );
    }
}
