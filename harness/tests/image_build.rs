//! Real image build (needs Docker and mmdebstrap): `cargo test --features chaos`.
#![cfg(feature = "chaos")]

use hachaos::image::{ensure_image, ImageEvent, Phase, DEFAULT_RELEASE};

#[tokio::test]
async fn ensure_image_builds_once_then_hits_the_cache() {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let first = ensure_image(&docker, DEFAULT_RELEASE, |_| {})
        .await
        .unwrap();
    assert!(first.tag.starts_with("hachaos-node:pg17-pgpool46-"));

    let mut events = Vec::new();
    let second = ensure_image(&docker, DEFAULT_RELEASE, |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(second.tag, first.tag);
    assert_eq!(second.id, first.id);
    assert!(!second.built, "an unchanged recipe must not rebuild");
    assert!(events.iter().any(|e| matches!(
        e,
        ImageEvent::Cached {
            phase: Phase::Build,
            ..
        }
    )));

    let info = docker.inspect_image(&first.tag).await.unwrap();
    let labels = info.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(
        labels.get("org.hachaos.managed-by").map(String::as_str),
        Some("hachaos")
    );
    assert!(
        !labels.contains_key("org.hachaos.run-id"),
        "images outlive runs"
    );
}
