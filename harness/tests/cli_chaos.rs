//! The CLI against the real engine: interrupted boots leave nothing behind, a cluster left up on
//! purpose stays up.

#![cfg(feature = "chaos")]

mod common;

use hachaos::docker::connect;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Waits until containers owned by `pid` exist, and returns their run id.
async fn run_of_owner(docker: &bollard::Docker, pid: u32) -> String {
    let labels = [format!("org.hachaos.owner-pid={pid}")];
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let found = hachaos::docker::containers_labelled(docker, &labels)
            .await
            .expect("list containers");
        if let Some(run) = found
            .iter()
            .find_map(|c| c.labels.as_ref()?.get("org.hachaos.run-id").cloned())
        {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "hachaos up (pid {pid}) never created a container"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn up(image: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args(["up", "--image", image, "--reports-dir"])
        .arg(std::env::temp_dir().join("hachaos-cli-chaos"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hachaos up")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_killed_with_sigkill_is_removed_by_clean() {
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let mut child = up(&image);
    let run = run_of_owner(&docker, child.id()).await;
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // What every start's reaper does: `up` labels its objects `keep` from the start, but a boot
    // killed before it finished never marked them kept, so they are stale like any other.
    let status = Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args(["clean", "--stale"])
        .status()
        .expect("hachaos clean --stale");
    assert!(status.success());
    assert_eq!(common::leftovers(&docker, &run).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_left_up_survives_the_reaper_until_down() {
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let out = Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args(["up", "--format", "json", "--image", &image, "--reports-dir"])
        .arg(std::env::temp_dir().join("hachaos-cli-chaos"))
        .stderr(Stdio::inherit())
        .output()
        .expect("hachaos up");
    assert!(out.status.success(), "hachaos up failed: {:?}", out.status);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("up --format json");
    let run = json["run"].as_str().expect("run id").to_string();
    // Two nodes, their network, their two data volumes and the marker volume that says "kept".
    assert_eq!(common::leftovers(&docker, &run).await, (2, 1, 3));
    let stale = Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args(["clean", "--stale"])
        .status()
        .expect("hachaos clean --stale");
    assert!(stale.success());
    assert_eq!(
        common::leftovers(&docker, &run).await,
        (2, 1, 3),
        "the reaper took a cluster left up on purpose"
    );
    let down = Command::new(env!("CARGO_BIN_EXE_hachaos"))
        .args(["down", "--run", &run, "--reports-dir"])
        .arg(std::env::temp_dir().join("hachaos-cli-chaos"))
        .status()
        .expect("hachaos down");
    assert!(down.success());
    assert_eq!(common::leftovers(&docker, &run).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_interrupted_with_ctrl_c_removes_everything_itself() {
    let docker = connect().await.expect("docker daemon");
    let image = common::node_image(&docker).await;
    let mut child = up(&image);
    let run = run_of_owner(&docker, child.id()).await;
    // SAFETY: plain kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(130),
        "documented exit code for an interrupted run"
    );
    assert_eq!(common::leftovers(&docker, &run).await, (0, 0, 0));
}
