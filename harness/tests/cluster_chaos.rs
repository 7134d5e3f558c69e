//! The real cluster: boot, replicate, hold exactly one VIP, and leave nothing behind.

#![cfg(feature = "chaos")]

mod common;

use hachaos::cluster::{Cluster, ClusterSpec};
use hachaos::docker::{connect, RunId};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booted_cluster_replicates_a_write_through_the_vip_and_leaves_nothing_behind() {
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let run = RunId::generate();
    let logs = tempfile::tempdir().expect("tempdir");
    let spec = ClusterSpec::two_nodes(run.clone(), image, logs.path().to_path_buf());
    let started = Instant::now();
    let mut cluster = Cluster::up(&docker, spec, &mut |p| eprintln!("{p}"))
        .await
        .expect("cluster ready");
    eprintln!(
        "boot to ready: {:?} ({:?})",
        started.elapsed(),
        cluster.timings()
    );

    let status = cluster.status().await;
    let roles: Vec<_> = status
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.role.name(), n.backend_status.as_deref()))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("node1", "primary", Some("up")),
            ("node2", "standby", Some("up"))
        ]
    );
    assert_eq!(
        status.vip.holders.len(),
        1,
        "exactly one VIP holder: {status:?}"
    );
    assert!(status.watchdog_leader.is_some(), "{status:?}");

    // A write acknowledged through the VIP is on the standby (synchronous replication).
    let pw = cluster.secrets().db_password.clone();
    let vip = cluster.topology().vip;
    let through_vip = hachaos::cluster::probe_connect(vip, 9999, &pw, "postgres")
        .await
        .expect("connect via VIP");
    through_vip
        .batch_execute("create table t(id int primary key, note text); insert into t values (1, 'acknowledged')")
        .await
        .expect("write through the VIP");
    let standby =
        hachaos::cluster::probe_connect(cluster.nodes()[1].address, 5432, &pw, "postgres")
            .await
            .expect("connect to the standby");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match standby
            .query_opt("select note from t where id = 1", &[])
            .await
        {
            Ok(Some(row)) => {
                assert_eq!(row.get::<_, String>(0), "acknowledged");
                break;
            }
            other if Instant::now() > deadline => panic!("write not on the standby: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }

    // What a failed expectation saves: every node's processes, each with its kernel wait
    // channel (the stacks need root, which this machine's tests have).
    let processes = cluster.processes().await;
    for node in ["node1", "node2"] {
        assert!(processes.contains(&format!("--- {node} (")), "{processes}");
    }
    assert!(processes.contains("WCHAN"), "{processes}");
    assert!(
        processes.contains("pgpool -n") && processes.contains("postgres: "),
        "{processes}"
    );
    assert!(processes.contains("[<0>]"), "kernel stacks: {processes}");

    let down_started = Instant::now();
    let teardown = cluster.down().await.expect("teardown");
    eprintln!("down: {:?}", down_started.elapsed());
    assert_eq!(teardown.removed.containers.len(), 2, "{teardown:?}");
    assert!(logs.path().join("node1").join("pgpool.log").exists());
    assert!(logs.path().join("node2").join("postgresql.log").exists());
    assert_eq!(common::leftovers(&docker, run.as_str()).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_dropped_without_teardown_is_removed_by_label() {
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let run = RunId::generate();
    let logs = tempfile::tempdir().expect("tempdir");
    let mut spec = ClusterSpec::two_nodes(run.clone(), image, logs.path().to_path_buf());
    spec.ready_timeout = Duration::from_secs(90);
    let cluster = Cluster::up(&docker, spec, &mut |_| {})
        .await
        .expect("cluster ready");
    // As after a panic in a test: the handle goes away without `down`.
    drop(cluster);
    assert_eq!(common::leftovers(&docker, run.as_str()).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_reported_as_not_built_and_starts_nothing() {
    let docker = connect().await.expect("docker daemon");
    let run = RunId::generate();
    let spec = ClusterSpec::two_nodes(run.clone(), "hachaos-node:does-not-exist", "/tmp".into());
    let err = Cluster::up(&docker, spec, &mut |_| {}).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("not built: run `hachaos image build`"),
        "{err}"
    );
    assert_eq!(common::leftovers(&docker, run.as_str()).await, (0, 0, 0));
}

/// Regression for `disk-stall`: a process writing to a frozen filesystem sleeps in state D and
/// cannot be killed (`docker kill` of such a node gives up: "did not receive an exit event"), so
/// a teardown that does not thaw first would leave the node behind. Here the fault is never
/// healed (as after a killed harness) while postgres waits on the frozen PGDATA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_data_disk_left_unhealed_does_not_keep_teardown_from_removing_the_node() {
    use hachaos::faults::{inject_verified, DiskStall, FaultContext, FaultSpec};
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let run = RunId::generate();
    let logs = tempfile::tempdir().expect("tempdir");
    let spec = ClusterSpec::two_nodes(run.clone(), image, logs.path().to_path_buf());
    let mut cluster = Cluster::up(&docker, spec, &mut |p| eprintln!("{p}"))
        .await
        .expect("cluster ready");
    let primary = cluster.nodes()[0].clone();
    let ctx = FaultContext::new(
        docker.clone(),
        cluster.network(),
        primary.clone(),
        std::net::IpAddr::V4(cluster.topology().gateway),
    );
    let fault = FaultSpec::DiskStall(DiskStall::default()).fault();
    let injected = inject_verified(fault.as_ref(), &ctx)
        .await
        .expect("disk-stall takes effect");
    // A write inside the node that now waits on the frozen filesystem.
    let pw = cluster.secrets().db_password.clone();
    let client = hachaos::cluster::probe_connect(primary.address, 5432, &pw, "postgres")
        .await
        .expect("connect to the primary");
    let write =
        tokio::spawn(async move { client.batch_execute("create table stalled(x int)").await });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !write.is_finished(),
        "a write completed on a frozen filesystem"
    );
    drop(injected); // never healed: logs an error, the filesystem stays frozen

    let down = tokio::time::timeout(Duration::from_secs(120), cluster.down())
        .await
        .expect("teardown finished (it thaws before removing)")
        .expect("teardown");
    assert!(down.removed.failures.is_empty(), "{down:?}");
    assert_eq!(down.removed.containers.len(), 2, "{down:?}");
    assert_eq!(common::leftovers(&docker, run.as_str()).await, (0, 0, 0));
}
