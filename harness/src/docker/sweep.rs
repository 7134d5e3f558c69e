//! Removing what runs created, by label: the guarantee that nothing outlives a run.
//!
//! Teardown removes its own objects by label after copying logs out; `hachaos clean` removes every
//! labelled object; the reaper at start-up removes only objects whose owning process is gone and
//! that were not left up on purpose (a kept cluster counts as left up once its marker volume
//! exists: see [`super::labels`]).

use super::labels::{owner_dead, LABEL_KEEP, LABEL_KEPT};
use super::{DockerError, RunId};
use crate::{LABEL_MANAGED_BY, LABEL_RUN_ID, MANAGED_BY_VALUE};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use bollard::Docker;
use std::collections::{HashMap, HashSet};

/// Which labelled objects to remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepScope {
    /// The objects of one run (teardown, `hachaos down`).
    Run(RunId),
    /// Objects whose owner process is gone and that are not kept on purpose (the reaper): a
    /// cluster meant to be kept whose owner died before it was marked kept (an `up` killed
    /// mid-boot) is stale too.
    Stale,
    /// Every object hachaos made except clusters kept on purpose (`hachaos clean`).
    Unkept,
    /// Every object hachaos made, kept or not (`hachaos clean --all`).
    All,
}

/// What a sweep removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Container names removed.
    pub containers: Vec<String>,
    /// Network names removed.
    pub networks: Vec<String>,
    /// Volume names removed.
    pub volumes: Vec<String>,
    /// Objects that could not be removed, with why.
    pub failures: Vec<String>,
}

impl SweepReport {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }
}

/// Whether an object with `labels` is in `scope`; `marked` holds the runs whose marker volume
/// says they were kept (only the reaper asks).
fn selected(
    scope: &SweepScope,
    labels: &HashMap<String, String>,
    marked: &HashSet<String>,
) -> bool {
    let keep = labels.get(LABEL_KEEP).map(String::as_str) == Some("true");
    match scope {
        SweepScope::Run(run) => labels.get(LABEL_RUN_ID).map(String::as_str) == Some(run.as_str()),
        SweepScope::Stale => {
            let kept = keep
                && labels
                    .get(LABEL_RUN_ID)
                    .is_some_and(|run| marked.contains(run));
            !kept && owner_dead(labels)
        }
        SweepScope::Unkept => !keep,
        SweepScope::All => true,
    }
}

fn label_filter(scope: &SweepScope) -> HashMap<String, Vec<String>> {
    let mut labels = vec![format!("{LABEL_MANAGED_BY}={MANAGED_BY_VALUE}")];
    if let SweepScope::Run(run) = scope {
        labels.push(format!("{LABEL_RUN_ID}={run}"));
    }
    HashMap::from([("label".to_string(), labels)])
}

/// Removes the labelled objects in `scope`: containers first (forcefully, after thawing any
/// frozen filesystem of theirs: see [`super::freeze`]), then networks, then volumes. Failures are collected, not fatal, so one stuck object does not stop the rest.
///
/// It sweeps again until a pass finds nothing (at most [`SWEEP_PASSES`] passes, 0.5 s apart
/// after a pass with failures): a process killed in the middle of a create call leaves that call
/// to the engine, which finishes it after the client is gone, so an object can appear after the
/// first listing. Seen with two boots at once: `hachaos clean --run` listed node1 only, the
/// SIGKILLed `up`'s node2 container appeared next, and its volume could not be removed ("volume
/// is in use"). Only the last pass's failures are reported: an object a later pass removed did
/// not outlive the sweep.
pub async fn sweep(docker: &Docker, scope: &SweepScope) -> Result<SweepReport, DockerError> {
    let mut total = SweepReport::default();
    for pass in 1..=SWEEP_PASSES {
        let r = sweep_once(docker, scope).await?;
        let settled = r.is_empty() && r.failures.is_empty();
        total.containers.extend(r.containers);
        total.networks.extend(r.networks);
        total.volumes.extend(r.volumes);
        total.failures = r.failures;
        if settled || pass == SWEEP_PASSES {
            break;
        }
        // Something failed (in use by an object still being created): give the engine a moment.
        // A pass that removed everything it found is followed by one more at once, which finds
        // nothing after an ordinary teardown.
        if !total.failures.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
    Ok(total)
}

/// How many passes [`sweep`] makes at most.
pub const SWEEP_PASSES: usize = 5;

/// One pass of [`sweep`].
async fn sweep_once(docker: &Docker, scope: &SweepScope) -> Result<SweepReport, DockerError> {
    let filters = label_filter(scope);
    let mut report = SweepReport::default();
    let marked = match scope {
        SweepScope::Stale => marked_runs(docker).await?,
        _ => HashSet::new(),
    };

    for c in containers_labelled(docker, &filters["label"]).await? {
        let labels = c.labels.clone().unwrap_or_default();
        if !selected(scope, &labels, &marked) {
            continue;
        }
        let id = c.id.clone().unwrap_or_default();
        let name = c
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_else(|| id.clone());
        // A frozen data disk would keep the container's processes unkillable: thaw first.
        match super::freeze::thaw_container(id.clone()).await {
            Ok(thawed) if !thawed.is_empty() => {
                tracing::warn!(container = %name, ?thawed, "thawed a frozen filesystem before removal");
            }
            Ok(_) => {}
            Err(e) => report.failures.push(format!("container {name}: {e}")),
        }
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match docker.remove_container(&id, Some(opts)).await {
            Ok(()) => report.containers.push(name),
            Err(e) if is_not_found(&e) => {}
            Err(e) => report.failures.push(format!("container {name}: {e}")),
        }
    }

    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| DockerError::api("list networks", e))?;
    for n in networks {
        let labels = n.labels.clone().unwrap_or_default();
        if !selected(scope, &labels, &marked) {
            continue;
        }
        let name = n.name.clone().unwrap_or_default();
        match docker.remove_network(&name).await {
            Ok(()) => report.networks.push(name),
            Err(e) if is_not_found(&e) => {}
            Err(e) => report.failures.push(format!("network {name}: {e}")),
        }
    }

    for v in volumes_filtered(docker, &filters).await? {
        if !selected(scope, &v.labels, &marked) {
            continue;
        }
        let opts = RemoveVolumeOptionsBuilder::default().force(true).build();
        match docker.remove_volume(&v.name, Some(opts)).await {
            Ok(()) => report.volumes.push(v.name.clone()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => report.failures.push(format!("volume {}: {e}", v.name)),
        }
    }
    Ok(report)
}

/// The runs whose marker volume says they were kept ([`super::labels::kept_marker_name`]).
async fn marked_runs(docker: &Docker) -> Result<HashSet<String>, DockerError> {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![
            format!("{LABEL_MANAGED_BY}={MANAGED_BY_VALUE}"),
            format!("{LABEL_KEPT}=true"),
        ],
    )]);
    Ok(volumes_filtered(docker, &filters)
        .await?
        .into_iter()
        .filter_map(|v| v.labels.get(LABEL_RUN_ID).cloned())
        .collect())
}

/// Every volume matching `filters` (Docker's `label` filter: `key=value` each).
async fn volumes_filtered(
    docker: &Docker,
    filters: &HashMap<String, Vec<String>>,
) -> Result<Vec<bollard::models::Volume>, DockerError> {
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(filters)
                .build(),
        ))
        .await
        .map_err(|e| DockerError::api("list volumes", e))?;
    Ok(volumes.volumes.unwrap_or_default())
}

/// Every container (running or not) carrying all of `labels` (`key=value` each).
pub async fn containers_labelled(
    docker: &Docker,
    labels: &[String],
) -> Result<Vec<bollard::models::ContainerSummary>, DockerError> {
    let filters = HashMap::from([("label".to_string(), labels.to_vec())]);
    docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| DockerError::api("list containers", e))
}

/// Whether the engine said the object does not exist (someone else removed it first).
pub(crate) fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::labels_for;

    fn none() -> HashSet<String> {
        HashSet::new()
    }

    #[test]
    fn the_reaper_spares_live_owners_and_marked_kept_clusters() {
        let run = RunId::parse("r1").unwrap();
        let live = labels_for(&run, false);
        assert!(!selected(&SweepScope::Stale, &live, &none()));
        let mut dead = live.clone();
        dead.insert(crate::docker::LABEL_OWNER_PID.into(), "4000000000".into());
        assert!(selected(&SweepScope::Stale, &dead, &none()));
        dead.insert(LABEL_KEEP.into(), "true".into());
        // Meant to be kept, but its owner died before marking it (an `up` killed mid-boot).
        assert!(selected(&SweepScope::Stale, &dead, &none()));
        let marked = HashSet::from(["r1".to_string()]);
        assert!(!selected(&SweepScope::Stale, &dead, &marked));
        assert!(selected(&SweepScope::All, &dead, &marked));
        // Another run's marker does not spare it; a marked run's unkept object is not spared.
        assert!(selected(
            &SweepScope::Stale,
            &dead,
            &HashSet::from(["r2".to_string()])
        ));
        dead.remove(LABEL_KEEP);
        assert!(selected(&SweepScope::Stale, &dead, &marked));
    }

    #[test]
    fn the_marker_itself_has_no_owner_and_only_a_run_sweep_or_clean_all_removes_it() {
        let run = RunId::parse("r1").unwrap();
        let marker = crate::docker::kept_marker_labels(&run);
        assert!(!selected(&SweepScope::Stale, &marker, &none()));
        assert!(!selected(&SweepScope::Unkept, &marker, &none()));
        assert!(selected(&SweepScope::Run(run), &marker, &none()));
        assert!(selected(&SweepScope::All, &marker, &none()));
    }

    #[test]
    fn clean_without_all_spares_kept_clusters_only() {
        let run = RunId::parse("r1").unwrap();
        let kept = labels_for(&run, true);
        let unkept = labels_for(&run, false);
        assert!(!selected(&SweepScope::Unkept, &kept, &none()));
        assert!(selected(&SweepScope::Unkept, &unkept, &none()));
        assert!(selected(&SweepScope::All, &kept, &none()));
    }

    #[test]
    fn a_run_sweep_selects_only_that_run() {
        let a = labels_for(&RunId::parse("ra").unwrap(), false);
        assert!(selected(
            &SweepScope::Run(RunId::parse("ra").unwrap()),
            &a,
            &none()
        ));
        assert!(!selected(
            &SweepScope::Run(RunId::parse("rb").unwrap()),
            &a,
            &none()
        ));
        assert_eq!(
            label_filter(&SweepScope::Run(RunId::parse("ra").unwrap()))["label"],
            vec![
                "org.hachaos.managed-by=hachaos".to_string(),
                "org.hachaos.run-id=ra".to_string()
            ]
        );
    }
}
