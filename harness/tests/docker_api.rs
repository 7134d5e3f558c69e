//! The engine here speaks API 1.41 while bollard 0.21 defaults to a newer version. These tests
//! fail loudly if version negotiation ever stops working, and check the label sweep against the
//! real engine (no image needed).

#![cfg(feature = "chaos")]

use bollard::models::VolumeCreateRequest;
use hachaos::docker::{connect, labels_for, sweep, RunId, SweepScope, LABEL_OWNER_PID};

#[tokio::test]
async fn the_client_negotiates_the_engines_api_version() {
    let docker = connect().await.expect("docker daemon");
    let server = docker.version().await.expect("version");
    let server_api = server.api_version.expect("api version");
    let client = docker.client_version();
    assert_eq!(
        format!("{}.{}", client.major_version, client.minor_version),
        server_api,
        "bollard must speak the engine's API version after negotiation"
    );
}

#[tokio::test]
async fn the_reaper_removes_objects_of_dead_runs_and_spares_live_ones() {
    let docker = connect().await.expect("docker daemon");
    let dead_run = RunId::generate();
    let live_run = RunId::generate();
    let mut dead_labels = labels_for(&dead_run, false);
    // A PID that cannot exist: the owner is gone (as after SIGKILL).
    dead_labels.insert(LABEL_OWNER_PID.into(), "4000000000".into());
    for (run, labels) in [
        (&dead_run, dead_labels),
        (&live_run, labels_for(&live_run, false)),
    ] {
        docker
            .create_volume(VolumeCreateRequest {
                name: Some(format!("hachaos-{run}-probe")),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .expect("create volume");
    }
    let reaped = sweep(&docker, &SweepScope::Stale).await.expect("sweep");
    let live_left = sweep(&docker, &SweepScope::Run(live_run.clone()))
        .await
        .expect("sweep live run");
    assert!(
        reaped
            .volumes
            .contains(&format!("hachaos-{dead_run}-probe")),
        "{reaped:?}"
    );
    assert!(!reaped
        .volumes
        .contains(&format!("hachaos-{live_run}-probe")));
    assert_eq!(live_left.volumes, vec![format!("hachaos-{live_run}-probe")]);
}
