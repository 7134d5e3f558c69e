//! Building a node image: `mmdebstrap` → `docker import` (the base) → `docker build` (our files).
//!
//! The two docker steps shell out to the `docker` CLI (classic builder, `DOCKER_HOST` honoured);
//! the cache lookups use the engine API.

use super::source::{ImageSource, ReleaseFiles};
use super::ImageError;
use crate::{LABEL_MANAGED_BY, MANAGED_BY_VALUE};
use bollard::Docker;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// A node image that exists in the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The release it was built from, e.g. `pg17-pgpool46`.
    pub release: String,
    /// `hachaos-node:<release>-<hash>`.
    pub tag: String,
    /// The engine's image id (`sha256:…`).
    pub id: String,
    /// False when the tag already existed (cache hit).
    pub built: bool,
}

/// The phases of a build, reported through [`ImageEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Looking the tag up in the engine.
    Lookup,
    /// `mmdebstrap` streamed into `docker import` (skipped when the base is cached).
    Rootfs,
    /// `docker build` of the Dockerfile that copies our files.
    Build,
    /// Waiting for another process that builds the same image (then it is reused).
    Wait,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Lookup => "lookup",
            Phase::Rootfs => "rootfs (mmdebstrap | docker import)",
            Phase::Build => "docker build",
            Phase::Wait => "waiting for another build",
        })
    }
}

/// Progress of [`build_image`], for a console or a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageEvent {
    /// A phase started; `detail` names what it works on (a tag).
    Started {
        /// The phase.
        phase: Phase,
        /// What it works on.
        detail: String,
    },
    /// A phase finished.
    Finished {
        /// The phase.
        phase: Phase,
        /// How long it took.
        elapsed: Duration,
    },
    /// A phase was not needed because its result is cached.
    Cached {
        /// The phase.
        phase: Phase,
        /// The cached tag.
        tag: String,
    },
}

/// Options of [`build_image`].
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Where the release folders come from.
    pub source: ImageSource,
    /// Rebuild the base and the image even if their tags exist.
    pub force: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            source: ImageSource::from_env(),
            force: false,
        }
    }
}

/// How long a build waits for another process's build of the same image (a cold build of both
/// releases takes ~1.5 min here).
const BUILD_LOCK_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Returns the node image of `release`, building it only if its content-hash tag is missing.
///
/// A cache hit costs one image inspect. The source is `HACHAOS_IMAGES_DIR` or the embedded folders.
pub async fn ensure_image(
    docker: &Docker,
    release: &str,
    progress: impl FnMut(ImageEvent),
) -> Result<ImageRef, ImageError> {
    build_image(docker, release, &BuildOptions::default(), progress).await
}

/// Like [`ensure_image`] with explicit options (`force` rebuilds even a cached image).
pub async fn build_image(
    docker: &Docker,
    release: &str,
    options: &BuildOptions,
    mut progress: impl FnMut(ImageEvent),
) -> Result<ImageRef, ImageError> {
    let spec = options.source.release(release)?;
    if let Some(image) = &spec.image {
        return require_image(docker, release, image).await;
    }
    let files = options.source.load_release(&spec)?;
    let tag = files.tag();

    let started = Instant::now();
    progress(ImageEvent::Started {
        phase: Phase::Lookup,
        detail: tag.clone(),
    });
    let existing = image_id(docker, &tag).await?;
    progress(ImageEvent::Finished {
        phase: Phase::Lookup,
        elapsed: started.elapsed(),
    });
    // Concurrent first runs build the image once: the others wait for the builder, then find
    // the tag cached. The lock dies with its holder, so a killed build does not block anyone.
    let mut _build_lock = None;
    let mut existing = existing;
    if existing.is_none() || options.force {
        let locks =
            crate::slots::SlotPool::new(crate::slots::lock_dir(), 1).map_err(ImageError::Lock)?;
        let waited = Instant::now();
        let mut waiting = false;
        let lock = locks
            .lock_named(
                &format!("image {tag}"),
                &format!("build of {tag}"),
                BUILD_LOCK_TIMEOUT,
                &mut |m| {
                    waiting = true;
                    progress(ImageEvent::Started {
                        phase: Phase::Wait,
                        detail: m.to_string(),
                    })
                },
            )
            .await;
        if waiting {
            progress(ImageEvent::Finished {
                phase: Phase::Wait,
                elapsed: waited.elapsed(),
            });
        }
        _build_lock = Some(lock.map_err(ImageError::Lock)?);
        if !options.force {
            existing = image_id(docker, &tag).await?;
        }
    }
    if let (Some(id), false) = (&existing, options.force) {
        progress(ImageEvent::Cached {
            phase: Phase::Build,
            tag: tag.clone(),
        });
        return Ok(ImageRef {
            release: release.to_string(),
            tag,
            id: id.clone(),
            built: false,
        });
    }

    require_tool("docker", "docker.io")?;
    let context = TempDir::new(release)?;
    files.materialize(context.path())?;

    let base = files.base_tag();
    if options.force || image_id(docker, &base).await?.is_none() {
        require_tool("mmdebstrap", "mmdebstrap")?;
        let started = Instant::now();
        progress(ImageEvent::Started {
            phase: Phase::Rootfs,
            detail: base.clone(),
        });
        if let Err(e) = import_rootfs(&files, context.path(), &base).await {
            // `docker import` reads until the stream ends, so a failed mmdebstrap leaves an image
            // of whatever it got (often an empty tarball) under the base tag; the next build would
            // take it as cached. Nothing of a failed build may stay behind.
            let _ = docker
                .remove_image(
                    &base,
                    None::<bollard::query_parameters::RemoveImageOptions>,
                    None,
                )
                .await;
            return Err(e);
        }
        progress(ImageEvent::Finished {
            phase: Phase::Rootfs,
            elapsed: started.elapsed(),
        });
    } else {
        progress(ImageEvent::Cached {
            phase: Phase::Rootfs,
            tag: base.clone(),
        });
    }

    let started = Instant::now();
    progress(ImageEvent::Started {
        phase: Phase::Build,
        detail: tag.clone(),
    });
    // Labels and environment come from the base (set at import): a `--label` here would cost
    // the classic builder one more container + commit (~3 s on fuse-overlayfs).
    let mut build = Command::new("docker");
    build
        .arg("build")
        .arg("--quiet")
        .arg("--build-arg")
        .arg(format!("BASE={base}"))
        .arg("--tag")
        .arg(&tag)
        .arg(context.path());
    run_captured("docker build", &mut build).await?;
    progress(ImageEvent::Finished {
        phase: Phase::Build,
        elapsed: started.elapsed(),
    });

    let id = image_id(docker, &tag)
        .await?
        .ok_or_else(|| ImageError::StepFailed {
            step: "docker build",
            status: "exit status 0".into(),
            tail: format!("the engine has no image {tag} afterwards"),
        })?;
    Ok(ImageRef {
        release: release.to_string(),
        tag,
        id,
        built: true,
    })
}

/// A release's image built elsewhere (bring your own image): nothing to build, but the engine
/// must have it (there is no registry to pull from).
pub async fn require_image(
    docker: &Docker,
    release: &str,
    image: &str,
) -> Result<ImageRef, ImageError> {
    match image_id(docker, image).await? {
        Some(id) => Ok(ImageRef {
            release: release.to_string(),
            tag: image.to_string(),
            id,
            built: false,
        }),
        None => Err(ImageError::ImageMissing {
            release: release.to_string(),
            image: image.to_string(),
        }),
    }
}

/// The id of `tag`, or `None` if the engine has no such image.
async fn image_id(docker: &Docker, tag: &str) -> Result<Option<String>, ImageError> {
    match docker.inspect_image(tag).await {
        Ok(info) => Ok(Some(info.id.unwrap_or_default())),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(source) => Err(ImageError::Docker {
            action: format!("inspect image {tag}"),
            source,
        }),
    }
}

/// `sh rootfs.sh | docker import --change … - <base>`, streaming (no tarball on disk).
async fn import_rootfs(files: &ReleaseFiles, context: &Path, base: &str) -> Result<(), ImageError> {
    let mut changes = files
        .get("import.changes")
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .unwrap_or_default();
    changes.push('\n');
    changes.push_str(&release_changes(files));
    let log_path = context.join("mmdebstrap.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| ImageError::io(format!("create {}", log_path.display()), e))?;

    let mut rootfs = Command::new("sh");
    rootfs
        .arg(context.join("rootfs.sh"))
        .current_dir(context)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    let mut rootfs = rootfs
        .spawn()
        .map_err(|e| ImageError::io("spawn sh rootfs.sh", e))?;
    let tar: Stdio = rootfs
        .stdout
        .take()
        .expect("stdout is piped")
        .try_into()
        .map_err(|e| ImageError::io("hand the rootfs stream to docker import", e))?;

    let mut import = Command::new("docker");
    import.arg("import");
    for change in changes
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        import.arg("--change").arg(change);
    }
    import.arg("-").arg(base).stdin(tar);
    let imported = run_captured("docker import", &mut import).await;

    let status = rootfs
        .wait()
        .await
        .map_err(|e| ImageError::io("wait for mmdebstrap", e))?;
    if !status.success() {
        let log = std::fs::read(&log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let suite = files
            .get(super::source::BUILD_ENV)
            .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
            .and_then(|env| {
                env.lines()
                    .find_map(|l| l.strip_prefix("SUITE=").map(str::to_string))
            })
            .unwrap_or_default();
        let mut tail = tail_of_file(&log_path, 25);
        if let Some(why) = apt_diagnosis(&log, &suite) {
            tail = format!("{why}\n{tail}");
        }
        return Err(ImageError::StepFailed {
            step: "mmdebstrap",
            status: status.to_string(),
            tail,
        });
    }
    imported.map(|_| ())
}

/// The release's own `docker import --change` lines, derived from build.env (hashed into the
/// base tag) and the release name (part of the base tag): the PostgreSQL major's environment and
/// the release label. Set at import so the Dockerfile needs no metadata instruction.
fn release_changes(files: &ReleaseFiles) -> String {
    let env = files
        .get(super::source::BUILD_ENV)
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .unwrap_or_default();
    let major = env
        .lines()
        .find_map(|l| l.strip_prefix("PG_MAJOR="))
        .unwrap_or("")
        .trim()
        .to_string();
    let mut out = String::new();
    if !major.is_empty() {
        out.push_str(&format!("ENV HACHAOS_PG_MAJOR={major}\n"));
        out.push_str(&format!(
            "ENV PATH=/usr/lib/postgresql/{major}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        ));
    }
    out.push_str(&format!("LABEL {LABEL_MANAGED_BY}={MANAGED_BY_VALUE}\n"));
    out.push_str(&format!("LABEL org.hachaos.release={}\n", files.release));
    out
}

/// What apt said that names the problem: a package the suite lacks, a suite the mirror lacks, or
/// Release files past their Valid-Until (with the release-file key that accepts them).
fn apt_diagnosis(log: &str, suite: &str) -> Option<String> {
    let mut found = Vec::new();
    for line in log.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("E: Unable to locate package ") {
            found.push(format!(
                "package `{}` not found in Debian suite `{suite}`",
                rest.trim()
            ));
        } else if l.contains("has no installation candidate") {
            found.push(format!("{l} (suite `{suite}`)"));
        } else if l.contains("does not have a Release file") {
            found.push(format!(
                "Debian suite `{suite}` not found on the mirror: {l}"
            ));
        } else if l.contains("is no longer valid") || l.contains("is expired") {
            found.push(format!(
                "the Release file of suite `{suite}` is past its Valid-Until: {l} (if that is expected, say `build: {{apt: {{check_valid_until: false}}}}` in release.yaml)"
            ));
        }
    }
    found.dedup();
    (!found.is_empty()).then(|| found.join("\n"))
}

/// Runs `cmd` to completion, returning stdout; on failure the error carries the output's tail.
async fn run_captured(step: &'static str, cmd: &mut Command) -> Result<String, ImageError> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| ImageError::io(format!("spawn {step}"), e))?;
    let mut out = String::new();
    let mut err = String::new();
    let (mut so, mut se) = (
        child.stdout.take().expect("piped"),
        child.stderr.take().expect("piped"),
    );
    let (r1, r2) = tokio::join!(so.read_to_string(&mut out), se.read_to_string(&mut err));
    r1.and(r2)
        .map_err(|e| ImageError::io(format!("read the output of {step}"), e))?;
    let status = child
        .wait()
        .await
        .map_err(|e| ImageError::io(format!("wait for {step}"), e))?;
    if status.success() {
        Ok(out)
    } else {
        Err(ImageError::StepFailed {
            step,
            status: status.to_string(),
            tail: tail_of(&format!("{out}{err}"), 25),
        })
    }
}

fn tail_of(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn tail_of_file(path: &Path, lines: usize) -> String {
    std::fs::read(path)
        .map(|b| tail_of(&String::from_utf8_lossy(&b), lines))
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

/// Fails with the apt package to install when `program` is not in PATH.
fn require_tool(program: &'static str, package: &'static str) -> Result<(), ImageError> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program))))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(ImageError::ToolMissing { program, package })
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// A build context directory removed on drop: created fresh (never an existing directory)
/// under an unpredictable name, mode 0700, so another local user cannot plant or read files in
/// what root then feeds to the build.
struct TempDir(tempfile::TempDir);

impl TempDir {
    fn new(release: &str) -> Result<Self, ImageError> {
        tempfile::Builder::new()
            .prefix(&format!("hachaos-image-{release}-"))
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map(TempDir)
            .map_err(|e| {
                ImageError::io(
                    format!(
                        "create a build directory in {}",
                        std::env::temp_dir().display()
                    ),
                    e,
                )
            })
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_directories_are_fresh_private_and_unpredictable() {
        use std::os::unix::fs::PermissionsExt;
        let a = TempDir::new("r1").unwrap();
        let b = TempDir::new("r1").unwrap();
        assert_ne!(a.path(), b.path());
        let name = a.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("hachaos-image-r1-") && name.len() > "hachaos-image-r1-".len() + 4
        );
        assert!(!name.contains(&std::process::id().to_string()), "{name}");
        let mode = std::fs::metadata(a.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
    }

    #[test]
    fn the_release_changes_carry_its_major_and_name() {
        let files = ImageSource::Embedded.load("pg18-pgpool47").unwrap();
        let c = release_changes(&files);
        assert!(c.contains("ENV HACHAOS_PG_MAJOR=18\n"), "{c}");
        assert!(
            c.contains("ENV PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:"),
            "{c}"
        );
        assert!(
            c.contains("LABEL org.hachaos.release=pg18-pgpool47\n"),
            "{c}"
        );
        // The Dockerfile is one COPY: every metadata instruction costs the classic builder a
        // container (~3 s each on fuse-overlayfs).
        let dockerfile = String::from_utf8_lossy(&files.get("Dockerfile").unwrap().contents)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>();
        assert_eq!(dockerfile, ["ARG BASE", "FROM ${BASE}", "COPY rootfs/ /"]);
    }

    #[test]
    fn apt_failures_name_the_package_and_the_suite() {
        let log = "I: running apt-get update...\nE: Unable to locate package postgresql-99\nE: Unable to locate package postgresql-99-pgpool2\n";
        let d = apt_diagnosis(log, "forky").unwrap();
        assert!(
            d.contains("package `postgresql-99` not found in Debian suite `forky`"),
            "{d}"
        );
        let d = apt_diagnosis(
            "E: Release file for http://deb.debian.org/debian/dists/forky/InRelease is expired (invalid since 24d 3h). Updates for this repository will not be applied.",
            "forky",
        )
        .unwrap();
        assert!(d.contains("check_valid_until: false"), "{d}");
        let d = apt_diagnosis(
            "E: The repository 'http://deb.debian.org/debian nosuch Release' does not have a Release file.",
            "nosuch",
        )
        .unwrap();
        assert!(d.contains("suite `nosuch` not found"), "{d}");
        assert!(apt_diagnosis("I: all fine", "trixie").is_none());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail_of("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_of("a", 5), "a");
    }

    #[test]
    fn a_missing_tool_names_its_apt_package() {
        let err = require_tool("hachaos-no-such-tool", "some-package").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`hachaos-no-such-tool` not found in PATH: install the apt package `some-package`"
        );
    }
}
