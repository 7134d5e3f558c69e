//! `hachaos image` from the command line: tags, bad input and a missing daemon (no image is built).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hachaos() -> Command {
    let mut cmd = Command::cargo_bin("hachaos").unwrap();
    cmd.env_remove("HACHAOS_IMAGES_DIR");
    cmd
}

fn images_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../images")
}

fn tag_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn image_tag_names_release_and_a_twelve_hex_hash() {
    let tag = tag_of(hachaos().args(["image", "tag"]));
    let hash = tag
        .strip_prefix("hachaos-node:pg17-pgpool46-")
        .unwrap_or_else(|| panic!("unexpected tag {tag}"));
    assert_eq!(hash.len(), 12);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn on_disk_images_dir_gives_the_same_tag_until_a_file_changes() {
    let embedded = tag_of(hachaos().args(["image", "tag"]));
    let on_disk = tag_of(
        hachaos()
            .args(["image", "tag"])
            .env("HACHAOS_IMAGES_DIR", images_dir()),
    );
    assert_eq!(embedded, on_disk);

    let copy = tempfile::tempdir().unwrap();
    copy_tree(&images_dir(), copy.path());
    let conf = copy
        .path()
        .join("common/rootfs/etc/hachaos/templates/pgpool.conf.in");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("\n# changed\n");
    std::fs::write(&conf, text).unwrap();
    let changed = tag_of(
        hachaos()
            .args(["image", "tag"])
            .env("HACHAOS_IMAGES_DIR", copy.path()),
    );
    assert_ne!(embedded, changed);
}

#[test]
fn unknown_release_is_bad_input_and_names_the_known_ones() {
    for sub in ["tag", "build"] {
        hachaos()
            .args(["image", sub, "--release", "pg99-nothing"])
            // Never reached: the release is checked before Docker is contacted.
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "error: unknown image release `pg99-nothing` (known: pg15-pgpool43, pg17-pgpool46, pg18-pgpool47)",
            ));
    }
}

#[test]
fn several_releases_are_all_checked_before_docker() {
    hachaos()
        .args([
            "image",
            "build",
            "--release",
            "pg18-pgpool47",
            "--release",
            "pg99-nothing",
        ])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown image release `pg99-nothing`",
        ));
}

#[test]
fn build_without_a_daemon_is_an_environment_error() {
    hachaos()
        .args(["image", "build"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "error: cannot reach the docker daemon at unix:///nonexistent/docker.sock",
        ));
}

#[test]
fn image_help_has_examples() {
    hachaos()
        .args(["image", "build", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "hachaos image build --release pg17-pgpool46 --force",
        ));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}
