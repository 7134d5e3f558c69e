//! Shared by the chaos tests: the node image (built once, cached by content hash) and checks that
//! a run left nothing behind.

#![allow(dead_code)]

use bollard::query_parameters::{ListNetworksOptionsBuilder, ListVolumesOptionsBuilder};
use bollard::Docker;
use std::collections::HashMap;

/// The default release's image, built if missing.
pub async fn node_image(docker: &Docker) -> String {
    release_image(docker, hachaos::image::DEFAULT_RELEASE).await
}

/// A release's image, built if missing.
#[allow(dead_code)] // not every test crate runs a second release
pub async fn release_image(docker: &Docker, release: &str) -> String {
    hachaos::image::ensure_image(docker, release, &mut |_| {})
        .await
        .unwrap_or_else(|e| panic!("node image of {release}: {e}"))
        .tag
}

/// Counts (containers, networks, volumes) labelled with `run`.
pub async fn leftovers(docker: &Docker, run: &str) -> (usize, usize, usize) {
    let labels = [format!("org.hachaos.run-id={run}")];
    let filters = HashMap::from([("label".to_string(), labels.to_vec())]);
    let c = hachaos::docker::containers_labelled(docker, &labels)
        .await
        .expect("list containers")
        .len();
    let n = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .expect("list networks")
        .len();
    let v = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .expect("list volumes")
        .volumes
        .unwrap_or_default()
        .len();
    (c, n, v)
}
