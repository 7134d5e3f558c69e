//! Output that cannot be written (a closed pipe, a full device) never panics and ends with a
//! documented exit code; `--color` and its environment variables decide colour.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("hachaos"))
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(p)
}

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

/// A pipe whose reading end is already closed: every write gets EPIPE, deterministically.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into the array; we own both.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] and fds[1] are open descriptors nobody else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

fn full_device() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

fn commands() -> Vec<Vec<String>> {
    let run = data("report/slower").display().to_string();
    let seed = format!("node102={}", data("analyze/seed.txt").display());
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["list-faults"]),
        s(&["list-faults", "--format", "json"]),
        vec![
            "validate".into(),
            repo("faults/partition.yaml").display().to_string(),
        ],
        s(&["analyze", &seed]),
        s(&["analyze", "--format", "json", &seed]),
        s(&["compare", &run, &run]),
        s(&["report", "--format", "json", &run]),
        s(&["report", "--format", "text", &run]),
        s(&["qualify-report", "--baseline", &run, "--candidate", &run]),
    ]
}

fn assert_no_panic(what: &str, out: &Output, want: i32) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(out.status.code(), Some(want), "{what}: {err}");
}

#[test]
fn a_closed_stdout_ends_quietly_with_141() {
    for args in commands() {
        let out = bin()
            .args(&args)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        // A command whose own verdict is a failure keeps it; these all pass.
        assert_no_panic(&format!("{args:?} | closed"), &out, 141);
    }
}

#[test]
fn a_full_stdout_ends_quietly_with_74() {
    for args in commands() {
        let out = bin()
            .args(&args)
            .stdout(full_device())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_no_panic(&format!("{args:?} > /dev/full"), &out, 74);
    }
}

#[test]
fn a_failing_command_keeps_its_code_when_stderr_is_full_or_closed() {
    for (label, stderr) in [("full", full_device()), ("closed", closed_pipe())] {
        let out = bin()
            .args(["validate", "/nonexistent/x.yaml"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "stderr {label}");
        let out = bin()
            .args(["run", "--bogus-flag"])
            .stderr(full_device())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "usage error, stderr {label}");
    }
}

fn colored(args: &[&str], env: &[(&str, &str)]) -> bool {
    let mut cmd = bin();
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).arg(data("report/slower")).output().unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    out.stdout.contains(&0x1b)
}

#[test]
fn color_follows_the_flag_then_clicolor_force_then_no_color() {
    let report = ["report", "--format", "text"];
    // Not a terminal: no colour unless asked.
    assert!(!colored(&report, &[]));
    assert!(colored(
        &["--color", "always", "report", "--format", "text"],
        &[]
    ));
    assert!(colored(
        &["--color", "always", "report", "--format", "text"],
        &[("NO_COLOR", "1")]
    ));
    assert!(!colored(
        &["--color", "never", "report", "--format", "text"],
        &[("CLICOLOR_FORCE", "1")]
    ));
    assert!(colored(&report, &[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&report, &[("CLICOLOR_FORCE", "0")]));
}

#[test]
fn verbose_and_rust_log_show_the_harness_tracing() {
    let file = repo("faults/partition.yaml");
    let stderr = |args: &[&str], env: Option<&str>| {
        let mut cmd = bin();
        cmd.env_remove("RUST_LOG");
        if let Some(v) = env {
            cmd.env("RUST_LOG", v);
        }
        let out = cmd.args(args).arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(!stderr(&["validate"], None).contains("parsing YAML"));
    assert!(stderr(&["-vv", "validate"], None).contains("DEBUG"));
    assert!(stderr(&["-vv", "validate"], None).contains("parsing YAML"));
    assert!(stderr(&["validate"], Some("hachaos=debug")).contains("parsing YAML"));
}

#[test]
fn completions_and_the_man_page_cover_every_command() {
    let commands = [
        "run",
        "up",
        "status",
        "down",
        "clean",
        "analyze",
        "validate",
        "list-faults",
        "image",
        "report",
        "compare",
        "qualify",
        "qualify-report",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for c in commands {
            assert!(text.contains(c), "{shell} completion lacks {c}");
        }
        if shell == "bash" {
            // The script must at least be valid bash.
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("hachaos.bash");
            std::fs::write(&f, &text).unwrap();
            let ok = Command::new("bash").arg("-n").arg(&f).status().unwrap();
            assert!(ok.success(), "bash -n rejects the completion script");
        }
    }
    let out = bin().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH hachaos 1"),
        "{man}"
    );
    for c in commands {
        assert!(man.contains(&c.replace('-', "\\-")), "man page lacks {c}");
    }
}
