//! Bringing a cluster up, finding a running one, and the handle the rest of the harness uses.

use super::container::{
    container_name, network_name, node_container, render_settings, volume_name, LABEL_NODE,
    LABEL_VIP,
};
use super::probe::{self, ClusterStatus, NodeStatus, VipStatus};
use super::ready::{Observation, Readiness};
use super::roles::{self, NodeName, ServerRole};
use super::spec::{ClusterSpec, Secrets};
use super::topology::{choose_subnet, Subnet, Topology};
use super::ClusterError;
use crate::docker::{
    containers_labelled, labels_for, sweep, DockerError, RunId, SweepScope, LABEL_KEEP,
};
use crate::{LABEL_MANAGED_BY, LABEL_RUN_ID, MANAGED_BY_VALUE};
use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{InspectContainerOptions, UploadToContainerOptionsBuilder};
use bollard::Docker;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Creates the named volume with `labels` (a node's data volume, a kept run's marker).
async fn create_volume(
    docker: &Docker,
    name: String,
    labels: HashMap<String, String>,
) -> Result<(), DockerError> {
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(name.clone()),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .map(|_| ())
        .map_err(|e| DockerError::api(format!("create volume {name}"), e))
}

/// One node of a running cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeHandle {
    /// Node name (`node1`), also its host name and network alias.
    pub name: String,
    /// pgpool backend id.
    pub id: u32,
    /// The container's name.
    pub container: String,
    /// Its fixed address on the cluster network.
    pub address: Ipv4Addr,
}

/// How long each boot phase took, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BootTimings {
    /// Network and volumes created.
    pub network_ms: u64,
    /// Containers created and started.
    pub containers_ms: u64,
    /// From containers started until the cluster serves: both backends up through the VIP,
    /// the standby streaming, the primary leading the watchdog and holding the VIP.
    pub serving_ms: u64,
    /// From containers started to ready: serving, and every node's heartbeat life-check armed
    /// (pgpool re-checks that only every `wd_interval × 10` s, which dominates boot time).
    pub ready_ms: u64,
    /// The whole boot (after the slot was taken).
    pub total_ms: u64,
    /// Waiting for a cluster slot ([`crate::slots`]) before anything was created.
    pub slot_wait_ms: u64,
}

/// A running cluster. Call [`Cluster::down`] to copy logs and remove it; if it is dropped without
/// that (a panic, an early return) and not kept on purpose, its objects are removed by label.
pub struct Cluster {
    pub(super) docker: Docker,
    pub(super) spec: ClusterSpec,
    pub(super) topology: Topology,
    pub(super) nodes: Vec<NodeHandle>,
    pub(super) timings: BootTimings,
    pub(super) finished: bool,
    /// The cluster slot this process holds while the cluster is up (none for a found cluster).
    pub(super) slot: Option<crate::slots::Slot>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("run", &self.spec.run)
            .field("topology", &self.topology)
            .field("nodes", &self.nodes)
            .finish()
    }
}

impl Cluster {
    /// Creates the network, volumes and node containers of `spec`, starts them and waits until the
    /// cluster is ready. On any failure everything created is removed (after copying the logs).
    /// `progress` is told each phase as it starts.
    ///
    /// First it takes one of the machine's cluster slots ([`crate::slots`]), waiting (and saying
    /// who holds them) while all are taken; the slot is held until [`Cluster::down`] or drop.
    pub async fn up(
        docker: &Docker,
        spec: ClusterSpec,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Cluster, ClusterError> {
        if docker.inspect_image(&spec.image).await.is_err() {
            return Err(ClusterError::ImageMissing { image: spec.image });
        }
        let pool = crate::slots::SlotPool::machine()?;
        let holder = format!(
            "run {} ({})",
            spec.run,
            spec.logs_dir
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let slot = pool
            .acquire(
                &holder,
                crate::slots::slot_timeout(),
                spec.cancel.as_ref(),
                progress,
            )
            .await?;
        let started = Instant::now();
        progress("creating network");
        let topology = create_network(docker, &spec).await?;
        let mut cluster = Cluster {
            docker: docker.clone(),
            nodes: spec
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| NodeHandle {
                    name: n.clone(),
                    id: i as u32,
                    container: container_name(&spec, n),
                    address: topology.nodes[i],
                })
                .collect(),
            spec,
            topology,
            timings: BootTimings {
                slot_wait_ms: slot.waited().as_millis() as u64,
                ..BootTimings::default()
            },
            finished: false,
            slot: Some(slot),
        };
        match cluster.boot(progress, started).await {
            Ok(()) => Ok(cluster),
            Err(e) => {
                let _ = cluster.down().await;
                Err(e)
            }
        }
    }

    async fn boot(
        &mut self,
        progress: &mut dyn FnMut(&str),
        started: Instant,
    ) -> Result<(), ClusterError> {
        let docker = self.docker.clone();
        for node in &self.spec.nodes {
            let mut labels = labels_for(&self.spec.run, self.spec.keep);
            labels.insert(LABEL_NODE.into(), node.clone());
            create_volume(&docker, volume_name(&self.spec, node), labels).await?;
        }
        self.timings.network_ms = started.elapsed().as_millis() as u64;

        progress("starting nodes");
        for (i, node) in self.nodes.iter().enumerate() {
            let body = node_container(&self.spec, &self.topology, i);
            let opts = bollard::query_parameters::CreateContainerOptionsBuilder::default()
                .name(&node.container)
                .build();
            docker
                .create_container(Some(opts), body)
                .await
                .map_err(|e| DockerError::api(format!("create container {}", node.container), e))?;
            self.upload_overrides(&node.container).await?;
        }
        for node in &self.nodes {
            docker
                .start_container(&node.container, None)
                .await
                .map_err(|e| DockerError::api(format!("start container {}", node.container), e))?;
        }
        let containers_done = started.elapsed();
        self.timings.containers_ms = containers_done.as_millis() as u64 - self.timings.network_ms;

        progress("waiting until ready");
        let serving = self.wait_ready(self.spec.ready_timeout).await?;
        // Booted: from now on this cluster's timings are measured, at full CPU weight.
        for node in &self.nodes {
            docker
                .update_container(
                    &node.container,
                    bollard::models::ContainerUpdateBody {
                        cpu_shares: Some(super::container::RUN_CPU_SHARES),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| DockerError::api(format!("update container {}", node.container), e))?;
        }
        self.timings.serving_ms = serving.as_millis() as u64;
        self.timings.total_ms = started.elapsed().as_millis() as u64;
        self.timings.ready_ms = (started.elapsed() - containers_done).as_millis() as u64;
        Ok(())
    }

    /// Copies the scenario's configuration overrides into a created (not yet started) node.
    async fn upload_overrides(&self, container: &str) -> Result<(), ClusterError> {
        let mut files = Vec::new();
        if !self.spec.pgpool_overrides.is_empty() {
            // Scenarios use the templates' parameter names; the release's pgpool may spell them
            // differently (images/pgpool/parameters.yaml).
            files.push((
                "pgpool.override.conf",
                crate::release::Dialects::builtin().render(
                    &render_settings(&self.spec.pgpool_overrides),
                    self.spec.release.versions.pgpool,
                ),
            ));
        }
        if !self.spec.postgres_overrides.is_empty() {
            files.push((
                "postgresql.override.conf",
                render_settings(&self.spec.postgres_overrides),
            ));
        }
        if files.is_empty() {
            return Ok(());
        }
        let mut tar = tar::Builder::new(Vec::new());
        for (name, text) in &files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, text.as_bytes())
                .map_err(|e| ClusterError::Logs {
                    path: (*name).into(),
                    source: e,
                })?;
        }
        let bytes = tar.into_inner().map_err(|e| ClusterError::Logs {
            path: "overrides".into(),
            source: e,
        })?;
        let opts = UploadToContainerOptionsBuilder::default()
            .path("/etc/hachaos")
            .build();
        self.docker
            .upload_to_container(container, Some(opts), bollard::body_full(bytes.into()))
            .await
            .map_err(|e| DockerError::api(format!("copy overrides into {container}"), e))?;
        Ok(())
    }

    /// Probes until [`Readiness`] holds or `timeout` passes. A node that exits fails at once.
    /// Returns how long it took until the cluster served (every condition but the life-check).
    pub async fn wait_ready(&self, timeout: Duration) -> Result<Duration, ClusterError> {
        let deadline = Instant::now() + timeout;
        let started = Instant::now();
        let mut serving = None;
        loop {
            for node in &self.nodes {
                let state = self.container_state(&node.container).await;
                if let (false, code) = state {
                    return Err(ClusterError::NodeExited {
                        node: node.name.clone(),
                        code,
                        logs: self.last_log_lines(15).await,
                    });
                }
            }
            let readiness =
                Readiness::judge(&self.observe().await, self.nodes.len(), &self.nodes[0].name);
            tracing::debug!(
                run = %self.spec.run,
                waited_ms = started.elapsed().as_millis() as u64,
                ready = readiness.ready(),
                awaiting = %readiness.describe(),
                "waiting for the cluster to be ready"
            );
            if serving.is_none() && readiness.serving() {
                serving = Some(started.elapsed());
            }
            if readiness.ready() || (!self.spec.await_lifecheck && readiness.serving()) {
                return Ok(serving.unwrap_or_else(|| started.elapsed()));
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::NotReady {
                    run: self.spec.run.to_string(),
                    waited_s: started.elapsed().as_secs_f64(),
                    detail: format!(
                        "awaited:\n{}\n{}",
                        readiness.describe(),
                        self.last_log_lines(15).await
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// One round of the readiness probes, all at the same time.
    async fn observe(&self) -> Observation {
        let pw = &self.spec.secrets.db_password;
        let lifecheck = self.nodes.iter().map(|node| async move {
            probe::lifecheck_started(&self.docker, &node.container)
                .await
                .then(|| NodeName::from(node.name.as_str()))
        });
        let (pool_nodes, replication, vip_holders, leader, lifecheck) = tokio::join!(
            probe::pool_nodes(self.topology.vip, self.spec.release.ports.pool, pw),
            probe::replication(self.nodes[0].address, self.spec.release.ports.database, pw),
            roles::vip_holders(&self.docker, &self.nodes, self.topology.vip),
            probe::watchdog_leader(&self.docker, &self.nodes[0].container),
            futures_util::future::join_all(lifecheck),
        );
        Observation {
            pool_nodes: Some(pool_nodes),
            replication: Some(replication),
            vip_holders,
            leader: Some(leader.map(|l| l.map(NodeName::from))),
            lifecheck: lifecheck.into_iter().flatten().collect(),
        }
    }

    /// (running, exit code) of a container.
    async fn container_state(&self, container: &str) -> (bool, Option<i64>) {
        match self
            .docker
            .inspect_container(container, None::<InspectContainerOptions>)
            .await
        {
            Ok(info) => {
                let state = info.state.unwrap_or_default();
                (state.running.unwrap_or(false), state.exit_code)
            }
            Err(_) => (false, None),
        }
    }

    /// The last `n` lines of every log of every node, for error messages.
    pub async fn last_log_lines(&self, n: usize) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            out.push_str(&format!(
                "--- {} (last {n} lines of each log) ---\n",
                node.name
            ));
            out.push_str(
                &super::teardown::tail_logs(
                    &self.docker,
                    &node.container,
                    &self.spec.release.logs.dir,
                    n,
                )
                .await,
            );
        }
        // Timeout messages show log lines: the same redactor as the analyser masks this run's
        // passwords and any `-W` / `password=` shapes in them.
        crate::grammar::Redactor::new(&self.spec.secrets.all())
            .redact(&out)
            .0
            .into_owned()
    }

    /// What every process of every node is doing right now: `ps` columns (host PID, state, the
    /// kernel function it sleeps in) and, where the host lets us read it, its kernel stack
    /// (`/proc/PID/stack`, root only). Taken when an expectation fails, while the fault is still
    /// on: a process blocked where it should time out (pgpool's health check stuck in a `read`
    /// with no timer, say) is visible only then. A node that cannot be asked says why.
    pub async fn processes(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            out.push_str(&format!("--- {} ({}) ---\n", node.name, node.container));
            let options = bollard::query_parameters::TopOptionsBuilder::default()
                .ps_args("-eo pid,stat,wchan:32,args")
                .build();
            let top = match self
                .docker
                .top_processes(&node.container, Some(options))
                .await
            {
                Ok(top) => top,
                Err(e) => {
                    out.push_str(&format!("(cannot list its processes: {e})\n"));
                    continue;
                }
            };
            out.push_str(&top.titles.unwrap_or_default().join(" "));
            out.push('\n');
            for row in top.processes.unwrap_or_default() {
                out.push_str(&row.join(" "));
                out.push('\n');
                let Some(pid) = row.first().and_then(|p| p.parse::<u32>().ok()) else {
                    continue;
                };
                if let Ok(stack) = tokio::fs::read_to_string(format!("/proc/{pid}/stack")).await {
                    for frame in stack.lines() {
                        out.push_str("        ");
                        out.push_str(frame);
                        out.push('\n');
                    }
                }
            }
        }
        crate::grammar::Redactor::new(&self.spec.secrets.all())
            .redact(&out)
            .0
            .into_owned()
    }

    /// The directory on the host that the nodes' logs are copied into.
    pub fn logs_dir(&self) -> &std::path::Path {
        &self.spec.logs_dir
    }

    /// The release it runs: ports, log files, commands, role query.
    pub fn release(&self) -> &crate::release::Release {
        &self.spec.release
    }

    /// The run this cluster belongs to.
    pub fn run(&self) -> &RunId {
        &self.spec.run
    }

    /// The nodes, in backend-id order.
    pub fn nodes(&self) -> &[NodeHandle] {
        &self.nodes
    }

    /// The network layout.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// How long boot took.
    pub fn timings(&self) -> &BootTimings {
        &self.timings
    }

    /// The engine client.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The per-run secrets (for clients and for redaction).
    pub fn secrets(&self) -> &Secrets {
        &self.spec.secrets
    }

    /// The Docker network name.
    pub fn network(&self) -> String {
        network_name(&self.spec)
    }

    /// Leaves the cluster running when this handle goes away (for `hachaos up` / `--keep`): marks
    /// the run kept with its marker volume ([`crate::docker::kept_marker_name`]), without which
    /// the next start's reaper removes a cluster whose owner is gone. When the marker cannot be
    /// made, the error is returned and the cluster is removed as on any other failure (a cluster
    /// the reaper would take later is not one left up).
    pub async fn keep(mut self) -> Result<(), DockerError> {
        create_volume(
            &self.docker,
            crate::docker::kept_marker_name(&self.spec.run),
            crate::docker::kept_marker_labels(&self.spec.run),
        )
        .await?;
        self.finished = true;
        Ok(())
    }

    /// A snapshot from live queries: each node's own role, pgpool's view through the VIP, the
    /// VIP holders, the watchdog leader and the replication lag (one [`roles::observe`] round).
    pub async fn status(&self) -> ClusterStatus {
        let pw = &self.spec.secrets.db_password;
        let (observed, pool) = tokio::join!(
            roles::observe(self, roles::Leader::Ask),
            probe::pool_nodes(self.topology.vip, self.spec.release.ports.pool, pw),
        );
        let pool = pool.unwrap_or_default();
        let mut nodes = Vec::new();
        let mut lag = None;
        for node in &self.nodes {
            let state = self
                .docker
                .inspect_container(&node.container, None::<InspectContainerOptions>)
                .await
                .ok()
                .and_then(|i| i.state)
                .and_then(|s| s.status)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "missing".into());
            let role = if state == "running" {
                observed
                    .node_roles
                    .get(node.name.as_str())
                    .copied()
                    .unwrap_or(ServerRole::Unknown)
            } else {
                ServerRole::Down
            };
            if role == ServerRole::Primary && lag.is_none() {
                lag = probe::replication(node.address, self.spec.release.ports.database, pw)
                    .await
                    .ok()
                    .and_then(|rows| rows.iter().filter_map(|r| r.lag_bytes).max());
            }
            nodes.push(NodeStatus {
                name: NodeName::from(node.name.as_str()),
                address: node.address.to_string(),
                role,
                backend_status: pool
                    .iter()
                    .find(|p| p.hostname == node.name)
                    .map(|p| p.status.clone()),
                container_state: state,
            });
        }
        ClusterStatus {
            run: self.spec.run.to_string(),
            nodes,
            vip: VipStatus {
                address: self.topology.vip.to_string(),
                holder: observed.vip_holder().cloned(),
                holders: observed.vip_holders,
            },
            watchdog_leader: observed.leader,
            replication_lag_bytes: lag,
        }
    }

    /// Finds a running cluster: the one of `run`, or the only one there is.
    pub async fn find(docker: &Docker, run: Option<&RunId>) -> Result<Cluster, ClusterError> {
        let mut labels = vec![format!("{LABEL_MANAGED_BY}={MANAGED_BY_VALUE}")];
        if let Some(run) = run {
            labels.push(format!("{LABEL_RUN_ID}={run}"));
        }
        let containers = containers_labelled(docker, &labels).await?;
        let mut runs: Vec<String> = containers
            .iter()
            .filter_map(|c| c.labels.as_ref()?.get(LABEL_RUN_ID).cloned())
            .collect();
        runs.sort();
        runs.dedup();
        let run_id = match runs.as_slice() {
            [] => {
                return Err(ClusterError::NotFound {
                    run: run.map(|r| r.to_string()),
                })
            }
            [one] => RunId::parse(one).ok_or(ClusterError::NotFound {
                run: Some(one.clone()),
            })?,
            many => return Err(ClusterError::Ambiguous(many.join(", "))),
        };
        let mut found: Vec<Found> = Vec::new();
        for c in &containers {
            let labels = c.labels.clone().unwrap_or_default();
            if labels.get(LABEL_RUN_ID).map(String::as_str) != Some(run_id.as_str()) {
                continue;
            }
            let Some(id) = c.id.as_deref() else { continue };
            let info = docker
                .inspect_container(id, None::<InspectContainerOptions>)
                .await
                .map_err(|e| DockerError::api(format!("inspect container {id}"), e))?;
            let env = info.config.and_then(|c| c.env).unwrap_or_default();
            let get = |k: &str| {
                env.iter()
                    .find_map(|e| e.strip_prefix(&format!("{k}=")).map(str::to_string))
                    .unwrap_or_default()
            };
            let address = info
                .network_settings
                .and_then(|n| n.networks)
                .and_then(|n| n.into_values().next())
                .and_then(|e| e.ipam_config.and_then(|i| i.ipv4_address).or(e.ip_address))
                .and_then(|a| a.parse().ok())
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let node_id: u32 = get("HACHAOS_NODE_ID").parse().unwrap_or(0);
            found.push(Found {
                node: NodeHandle {
                    name: labels.get(LABEL_NODE).cloned().unwrap_or_default(),
                    id: node_id,
                    container: info
                        .name
                        .unwrap_or_default()
                        .trim_start_matches('/')
                        .to_string(),
                    address,
                },
                labels,
                secrets: Secrets {
                    db_password: get("HACHAOS_DB_PASSWORD"),
                    pcp_password: get("HACHAOS_PCP_PASSWORD"),
                },
            });
        }
        found.sort_by_key(|f| f.node.id);
        let first = found.first().ok_or(ClusterError::NotFound {
            run: Some(run_id.to_string()),
        })?;
        let vip: Ipv4Addr = first
            .labels
            .get(LABEL_VIP)
            .and_then(|v| v.parse().ok())
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let subnet = Subnet {
            base: first.node.address,
            prefix: 24,
        };
        let mut topology = Topology::within(subnet, found.len() as u32);
        topology.vip = vip;
        topology.nodes = found.iter().map(|f| f.node.address).collect();
        let mut spec = ClusterSpec::two_nodes(run_id, "", "reports".into());
        spec.nodes = found.iter().map(|f| f.node.name.clone()).collect();
        spec.keep = first.labels.get(LABEL_KEEP).map(String::as_str) == Some("true");
        spec.secrets = first.secrets.clone();
        Ok(Cluster {
            docker: docker.clone(),
            spec,
            topology,
            nodes: found.into_iter().map(|f| f.node).collect(),
            timings: BootTimings::default(),
            // A found cluster is someone else's until `down` is called on it.
            finished: true,
            slot: None,
        })
    }

    /// Where teardown copies logs.
    pub fn set_logs_dir(&mut self, dir: std::path::PathBuf) {
        self.spec.logs_dir = dir;
    }
}

/// A node container of a running cluster, as [`Cluster::find`] reads it back.
struct Found {
    node: NodeHandle,
    labels: HashMap<String, String>,
    secrets: Secrets,
}

/// Creates the run's network on a free /24, retrying when a parallel run took it first.
async fn create_network(docker: &Docker, spec: &ClusterSpec) -> Result<Topology, ClusterError> {
    let name = network_name(spec);
    let mut start: u8 = rand::random();
    for _attempt in 0..8 {
        let used: Vec<Subnet> = docker
            .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
            .await
            .map_err(|e| DockerError::api("list networks", e))?
            .into_iter()
            .flat_map(|n| n.ipam.and_then(|i| i.config).unwrap_or_default())
            .filter_map(|c| c.subnet.as_deref().and_then(Subnet::parse))
            .collect();
        let subnet = choose_subnet(&used, start).ok_or(ClusterError::NoFreeSubnet)?;
        let topology = Topology::within(subnet, spec.nodes.len() as u32);
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".into()),
            labels: Some(labels_for(&spec.run, spec.keep)),
            ipam: Some(Ipam {
                driver: Some("default".into()),
                config: Some(vec![IpamConfig {
                    subnet: Some(topology.subnet.clone()),
                    ip_range: Some(topology.ip_range.clone()),
                    gateway: Some(topology.gateway.to_string()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        match docker.create_network(request).await {
            Ok(_) => return Ok(topology),
            Err(e) if e.to_string().contains("overlap") => {
                // A parallel run took this subnet between our list and our create.
                start = start.wrapping_add(1);
            }
            Err(e) => return Err(DockerError::api(format!("create network {name}"), e).into()),
        }
    }
    Err(ClusterError::NoFreeSubnet)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Last line of defence (panic, early return): remove by label. Drop cannot await, and may
        // run inside a runtime, so the sweep runs on its own thread with its own runtime.
        let run = self.spec.run.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(docker) = crate::docker::connect().await {
                        let _ = sweep(&docker, &SweepScope::Run(run)).await;
                    }
                });
            }
        })
        .join();
    }
}
