//! Embeds the built-in node image folders (`../images/<release>/**`) into the binary, so that
//! `hachaos image build` works from any working directory. Generates `$OUT_DIR/images.rs`: a
//! sorted table of (release-relative path, unix mode, bytes).
//!
//! Also generates `$OUT_DIR/scenario_tests.rs`: one `#[test]` per `../faults/*.yaml`, so every
//! scenario file is its own chaos test (a new file gets a test without code changes, and
//! `cargo nextest run --partition` can shard them across CI machines).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let images = manifest.join("..").join("images");
    // A directory here makes cargo rerun when any file below it changes, appears or goes.
    println!("cargo:rerun-if-changed={}", images.display());

    let mut files = Vec::new();
    if images.is_dir() {
        collect(&images, &images, &mut files);
    }
    files.sort();

    let mut out = String::from(
        "/// Every file under `images/`: (path relative to `images/`, unix mode, contents).\n\
         pub(crate) static EMBEDDED_FILES: &[(&str, u32, &[u8])] = &[\n",
    );
    for (rel, abs, mode) in &files {
        writeln!(out, "    ({rel:?}, {mode:#o}, include_bytes!({abs:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("images.rs");
    std::fs::write(dest, out).expect("write images.rs");

    scenario_tests(&manifest.join("..").join("faults"));
    git_commit();
}

/// One test function per scenario file, named after it (`primary-shutdown.yaml` →
/// `scenario_primary_shutdown`), calling `run_scenario_file` of the including test crate.
fn scenario_tests(faults: &Path) {
    println!("cargo:rerun-if-changed={}", faults.display());
    let mut names: Vec<String> = std::fs::read_dir(faults)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::new();
    for name in names {
        let ident: String = name
            .trim_end_matches(".yaml")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        writeln!(
            out,
            "#[test]\nfn scenario_{ident}() {{\n    run_scenario_file({name:?});\n}}\n"
        )
        .unwrap();
    }
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"))
        .join("scenario_tests.rs");
    std::fs::write(dest, out).expect("write scenario_tests.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String, u32)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.is_file() {
            let rel = path.strip_prefix(root).expect("below root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path.display().to_string(), mode_of(&path)));
        }
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    // Only the executable bit matters for the image; normalise the rest.
    let mode = std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode();
    if mode & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> u32 {
    0o644
}

/// `HACHAOS_GIT_COMMIT`: the commit the harness is built from (recorded as provenance), or
/// `unknown` outside a git checkout. Rebuilt when HEAD moves.
fn git_commit() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rustc-env=HACHAOS_GIT_COMMIT={commit}");
}
