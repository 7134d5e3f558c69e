//! Records say where they ran: `provenance` is written by new runs and optional when loading
//! records written before it existed.

use hachaos::run::{Provenance, RunRecord, HARNESS_COMMIT};
use std::path::Path;

#[test]
fn the_harness_commit_is_built_in() {
    let p = Provenance::harness();
    assert_eq!(p.harness_version, env!("CARGO_PKG_VERSION"));
    assert!(
        HARNESS_COMMIT == "unknown"
            || (HARNESS_COMMIT.len() == 40
                && HARNESS_COMMIT.chars().all(|c| c.is_ascii_hexdigit())),
        "{HARNESS_COMMIT}"
    );
}

#[test]
fn an_old_record_without_provenance_loads_and_a_new_one_round_trips() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs/partition/run.json");
    let mut record = hachaos::report::read_run(&path).unwrap();
    assert!(record.provenance.is_none());
    let p = Provenance {
        engine_version: Some("20.10.24".into()),
        kernel: Some("6.1.0".into()),
        cores: Some(2),
        image_id: Some("sha256:abc".into()),
        release_sha256: Some("00".repeat(32)),
        ..Provenance::harness()
    };
    record.provenance = Some(p.clone());
    let text = serde_json::to_string(&record).unwrap();
    let back: RunRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back.provenance, Some(p));
    // A partial provenance (an engine that could not say) loads too.
    let partial = text.replace("\"engine_version\":\"20.10.24\",", "");
    let back: RunRecord = serde_json::from_str(&partial).unwrap();
    assert_eq!(back.provenance.unwrap().engine_version, None);
}

#[test]
fn a_loaded_release_carries_the_hash_of_its_text() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/pg15-pgpool43/release.yaml"),
    )
    .unwrap();
    let r = hachaos::release::Release::from_str("r.yaml", &text).unwrap();
    use sha2::Digest;
    assert_eq!(
        r.source_sha256,
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    );
}

#[cfg(feature = "chaos")]
#[tokio::test]
async fn the_engine_kernel_machine_and_image_are_collected() {
    let docker = hachaos::docker::connect().await.expect("docker daemon");
    let release = hachaos::release::Release::builtin("pg17-pgpool46").unwrap();
    let tag = hachaos::image::ImageSource::from_env()
        .load("pg17-pgpool46")
        .unwrap()
        .tag();
    let p = Provenance::collect(&docker, &tag, &release).await;
    assert!(p.engine_version.is_some() && p.kernel.is_some(), "{p:?}");
    assert!(p.engine_api_version.unwrap().contains('/'));
    assert!(p.cores.unwrap() >= 1 && p.memory_bytes.unwrap() > 0);
    assert!(p.release_sha256.is_some());
    // The image exists once any chaos test has booted a cluster; without it the id is unset.
    if let Some(id) = p.image_id {
        assert!(id.starts_with("sha256:"), "{id}");
    }
}
