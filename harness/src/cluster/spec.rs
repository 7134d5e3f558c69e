//! What to boot: the inputs of [`super::Cluster::up`].

use crate::docker::RunId;
use crate::release::Release;
use std::path::PathBuf;

/// Per-run secrets. Generated fresh for each run so that reports can be checked for leaks, and
/// never printed (the `Debug` impl hides them).
#[derive(Clone)]
pub struct Secrets {
    /// Password of the `postgres` superuser (also replication, health check, sr_check).
    pub db_password: String,
    /// Password of the pcp user.
    pub pcp_password: String,
}

impl Secrets {
    /// Fresh random secrets.
    pub fn generate() -> Secrets {
        let word = || format!("{:016x}", rand::random::<u64>());
        Secrets {
            db_password: word(),
            pcp_password: word(),
        }
    }

    /// Every secret, for redaction.
    pub fn all(&self) -> Vec<String> {
        vec![self.db_password.clone(), self.pcp_password.clone()]
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

/// Everything needed to boot one cluster.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// The release: ports, log files and role query the harness uses with this image.
    pub release: Release,
    /// The run this cluster belongs to.
    pub run: RunId,
    /// The node image (`hachaos-node:pg17-pgpool46-<hash>`).
    pub image: String,
    /// Node names in node-id order; the first starts as primary.
    pub nodes: Vec<String>,
    /// pgpool settings appended to the image's template (the later value wins).
    pub pgpool_overrides: Vec<(String, String)>,
    /// PostgreSQL settings appended to the image's configuration.
    pub postgres_overrides: Vec<(String, String)>,
    /// Whether `trusted_servers` is the gateway (true) or empty.
    pub trusted_gateway: bool,
    /// Leave the cluster up when the owning process exits (`hachaos up`, `--keep`).
    pub keep: bool,
    /// How long boot may take before it is a failure.
    pub ready_timeout: std::time::Duration,
    /// Where teardown copies each node's logs (`<dir>/<node>/...`).
    pub logs_dir: PathBuf,
    /// Per-run secrets.
    pub secrets: Secrets,
    /// Becomes `true` on Ctrl-C / SIGTERM: a boot still waiting for a cluster slot gives up.
    pub cancel: Option<tokio::sync::watch::Receiver<bool>>,
    /// Workarounds the release declares but this run does not apply (a known-bug scenario
    /// withholds the one that hides its bug).
    pub withheld_workarounds: Vec<crate::release::Workaround>,
    /// Whether boot waits for every node's heartbeat life-check (true) or only until the
    /// cluster serves (a known-bug scenario whose bug keeps the life-check from starting).
    pub await_lifecheck: bool,
}

impl ClusterSpec {
    /// The release's workarounds this run applies.
    pub fn applied_workarounds(&self) -> Vec<crate::release::Workaround> {
        self.release
            .workarounds
            .iter()
            .copied()
            .filter(|w| !self.withheld_workarounds.contains(w))
            .collect()
    }

    /// Whether this run applies `w`.
    pub fn applies(&self, w: crate::release::Workaround) -> bool {
        self.applied_workarounds().contains(&w)
    }

    /// The default two-node cluster of `image` for `run`.
    pub fn two_nodes(run: RunId, image: impl Into<String>, logs_dir: PathBuf) -> ClusterSpec {
        ClusterSpec {
            release: Release::default_builtin(),
            run,
            image: image.into(),
            nodes: vec!["node1".into(), "node2".into()],
            pgpool_overrides: Vec::new(),
            postgres_overrides: Vec::new(),
            trusted_gateway: true,
            keep: false,
            ready_timeout: std::time::Duration::from_secs(90),
            logs_dir,
            secrets: Secrets::generate(),
            cancel: None,
            withheld_workarounds: Vec::new(),
            await_lifecheck: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Secrets::generate();
        let shown = format!("{s:?}");
        assert!(!shown.contains(&s.db_password));
        assert!(!shown.contains(&s.pcp_password));
        assert_ne!(s.db_password, s.pcp_password);
    }
}
