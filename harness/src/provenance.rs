//! Where a run ran: the harness build, the engine, the kernel and machine, the image and the
//! release file. A nightly's regression can then be told from a runner change by reading two
//! `run.json`s.

use serde::{Deserialize, Serialize};

/// The harness's git commit, from build.rs (`unknown` outside a git checkout).
pub const HARNESS_COMMIT: &str = env!("HACHAOS_GIT_COMMIT");

/// The `provenance` of a record. Every field is optional when loading, so records written
/// before it existed, or on a machine that could not say, still load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Provenance {
    /// The harness version (`CARGO_PKG_VERSION`).
    #[serde(default)]
    pub harness_version: String,
    /// The harness's git commit (`unknown` when built outside git).
    #[serde(default)]
    pub harness_commit: String,
    /// The Docker engine's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// The engine's API version, and the one negotiated (`1.41/1.41`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_api_version: Option<String>,
    /// The kernel release the containers ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The host's operating system as the engine reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// CPUs the engine sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u64>,
    /// Memory the engine sees, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// The node image's id (`sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The image's registry digests (empty for an image built here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_digests: Vec<String>,
    /// SHA-256 of the release file's text (built-in or brought).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_sha256: Option<String>,
}

impl Provenance {
    /// What the harness knows without asking anyone.
    pub fn harness() -> Provenance {
        Provenance {
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            harness_commit: HARNESS_COMMIT.to_string(),
            ..Provenance::default()
        }
    }

    /// Asks the engine about itself and `image`; what it cannot answer stays unset.
    pub async fn collect(
        docker: &bollard::Docker,
        image: &str,
        release: &crate::release::Release,
    ) -> Provenance {
        let mut p = Provenance::harness();
        p.release_sha256 = Some(release.source_sha256.clone()).filter(|s| !s.is_empty());
        let timeout = std::time::Duration::from_secs(5);
        if let Ok(Ok(v)) = tokio::time::timeout(timeout, docker.version()).await {
            let spoken = docker.client_version();
            p.engine_version = v.version;
            p.engine_api_version = v.api_version.map(|server| {
                format!("{server}/{}.{}", spoken.major_version, spoken.minor_version)
            });
            p.kernel = v.kernel_version;
        }
        if let Ok(Ok(info)) = tokio::time::timeout(timeout, docker.info()).await {
            p.os = info.operating_system;
            p.cores = info.ncpu.and_then(|n| u64::try_from(n).ok());
            p.memory_bytes = info.mem_total.and_then(|n| u64::try_from(n).ok());
        }
        if let Ok(Ok(i)) = tokio::time::timeout(timeout, docker.inspect_image(image)).await {
            p.image_id = i.id;
            p.image_digests = i.repo_digests.unwrap_or_default();
        }
        tracing::debug!(?p, "provenance collected");
        p
    }
}
