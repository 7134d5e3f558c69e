//! `disk-full` / `disk-free`: the PGDATA filesystem (which holds pg_wal too) runs out of space:
//! every allocation fails with ENOSPC while the disk itself stays healthy and writable in place.
//!
//! Mechanism: from the host, through `/proc/<pid>/root`, a file at the root of the node's
//! loop-backed ext4 (outside PGDATA, so neither postgres nor pg_rewind ever reads it) is grown
//! with `fallocate(2)` until the filesystem has no block left for anyone (`f_bavail = 0`; the
//! data disk reserves no root blocks). Blocks postgres already owns stay writable: preallocated
//! WAL segments and existing relation pages; what fails is new space (relation extension, a new
//! WAL segment, temporary files).
//!
//! Refused when PGDATA has no filesystem of its own (a node without the loop-mounted data disk,
//! PGDATA on the Docker volume): filling that would fill the host's disk.
//!
//! Verified by effect: the filesystem reports no available block, and a one-block write to a
//! fresh probe file fails with ENOSPC (the probe is removed either way). The heal deletes the
//! file, in whatever process the container runs by then (a restarted node still has it: the
//! file lives in the disk image).

use super::context::FaultContext;
use super::disk_stall::pgdata_loop_mount;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::catalogue::{Catalogued, PeerSees, Row};
use super::host::{self, Probe};
use super::FaultKind;
use crate::docker::LoopMount;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The file that takes the space, at the filesystem's root.
const FILL: &str = ".hachaos-disk-full";
/// The verification's one-block write.
const PROBE: &str = ".hachaos-disk-full-probe";

/// Fills the filesystem holding PGDATA to ENOSPC. No options.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskFull {}

impl Catalogued for DiskFull {
    const ROW: Row = Row {
        name: "disk-full",
        heal: "disk-free",
        mechanism: "fallocate(2), from the host through /proc/<pid>/root, of a file at the root of \
                    the loop-backed ext4 holding PGDATA and pg_wal until no block is available: \
                    every new allocation fails with ENOSPC; pages and WAL segments postgres \
                    already owns stay writable. Refused when PGDATA has no filesystem of its own",
        heal_mechanism: "delete the file (in whatever process the container runs by then)",
        peer_sees: PeerSees::Answers,
        degrades: true,
        ..Row::BASE
    };
}

/// Free space as statvfs reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Space {
    /// Blocks an unprivileged writer may still allocate.
    avail_blocks: u64,
    /// The fragment size those blocks are counted in.
    block: u64,
}

fn space(file: &std::fs::File) -> io::Result<Space> {
    // SAFETY: statvfs is plain data; fstatvfs fills it for an open descriptor.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatvfs(file.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Space {
        avail_blocks: st.f_bavail as u64,
        block: st.f_frsize.max(1) as u64,
    })
}

fn fallocate(file: &std::fs::File, offset: u64, len: u64) -> io::Result<()> {
    // SAFETY: mode 0 allocates [offset, offset + len) of an open regular file.
    let rc = unsafe { libc::fallocate(file.as_raw_fd(), 0, offset as i64, len as i64) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Grows `path` (created, must not exist) until the filesystem has no available block. ext4
/// may refuse an allocation of exactly the free space (it needs extent blocks too) while
/// keeping what it did allocate, so the loop re-reads the free space and halves the request
/// when an attempt made no progress. Returns the space left (0 blocks when it worked).
fn fill(path: &Path) -> io::Result<Space> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut request = u64::MAX;
    for _ in 0..256 {
        let before = space(&file)?;
        if before.avail_blocks == 0 {
            return Ok(before);
        }
        let len = request
            .min(before.avail_blocks * before.block)
            .max(before.block);
        let offset = file.metadata()?.len();
        match fallocate(&file, offset, len) {
            Ok(()) => request = u64::MAX,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => {
                if space(&file)? == before {
                    request = len / 2;
                    if request < before.block {
                        return Ok(before);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    space(&file)
}

/// Whether a one-block write to a new file fails with ENOSPC (the probe file is removed); any
/// other failure is returned.
fn write_fails_with_enospc(dir: &Path) -> io::Result<bool> {
    let probe = dir.join(PROBE);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe)?;
        f.write_all(&[0u8; 4096])?;
        f.sync_all()
    })();
    let _ = std::fs::remove_file(&probe);
    match result {
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => Ok(true),
        Err(e) => Err(e),
        Ok(()) => Ok(false),
    }
}

struct Free {
    container: String,
    mount_point: String,
}

impl Free {
    fn path(&self, pid: i64) -> PathBuf {
        PathBuf::from(format!("/proc/{pid}/root{}", self.mount_point)).join(FILL)
    }
}

#[async_trait::async_trait]
impl Undo for Free {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        // Whatever process the container runs now: the file outlives a restart.
        let pid = host::pid(
            &ctx.docker,
            FaultKind::DiskFull,
            &ctx.target.name,
            &self.container,
        )
        .await?;
        let path = self.path(pid);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FaultError::Command {
                command: format!("rm {}", path.display()),
                status: "failed".into(),
                stderr: e.to_string().to_lowercase(),
            }),
        }
    }
}

fn command_error(what: &str, m: &LoopMount, e: impl std::fmt::Display) -> FaultError {
    FaultError::Command {
        command: format!("{what} {}", m.host_path().join(FILL).display()),
        status: "failed".into(),
        stderr: e.to_string().to_lowercase(),
    }
}

#[async_trait::async_trait]
impl Fault for DiskFull {
    fn kind(&self) -> FaultKind {
        FaultKind::DiskFull
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let m = pgdata_loop_mount(ctx, self.kind()).await?;
        if tokio::fs::try_exists(m.host_path().join(FILL))
            .await
            .unwrap_or(false)
        {
            return Err(FaultError::Precheck {
                kind: self.kind(),
                node: ctx.target.name.clone(),
                reason: format!("{}/{FILL} exists: the disk is full already", m.mount.mount_point),
            });
        }
        Ok(())
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let m = pgdata_loop_mount(ctx, self.kind()).await?;
        // The device check of `open` before anything is written.
        let checked = m.clone();
        tokio::task::spawn_blocking(move || checked.open().map(|_| ()))
            .await
            .map_err(|e| command_error("open", &m, e))?
            .map_err(|e| command_error("open", &m, e))?;
        let undo = Free {
            container: ctx.target.container.clone(),
            mount_point: m.mount.mount_point.clone(),
        };
        let injected = Injected::new(self.kind(), ctx, Box::new(undo));
        let path = m.host_path().join(FILL);
        let filled = tokio::task::spawn_blocking(move || fill(&path))
            .await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r);
        match filled {
            Ok(_) => Ok(injected),
            Err(e) => {
                // Free what was allocated before failing; the handle is then disarmed.
                let _ = tokio::fs::remove_file(m.host_path().join(FILL)).await;
                Err(super::fault::forget(
                    injected,
                    command_error("fallocate", &m, e),
                ))
            }
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let m = pgdata_loop_mount(ctx, self.kind()).await?;
        host::poll_effect(ctx, self.kind(), || {
            let m = m.clone();
            async move {
                // Each failed look is what was seen: the probe retries it.
                tokio::task::spawn_blocking(move || {
                    let dir = m.host_path();
                    let file = match m.open() {
                        Ok(f) => f,
                        Err(e) => return Probe::NotYet(e.to_string()),
                    };
                    let s = match space(&file) {
                        Ok(s) => s,
                        Err(e) => return Probe::NotYet(format!("statvfs: {e}")),
                    };
                    if s.avail_blocks > 0 {
                        return Probe::NotYet(format!(
                            "{} bytes are still available",
                            s.avail_blocks * s.block
                        ));
                    }
                    match write_fails_with_enospc(&dir) {
                        Ok(true) => Probe::Taken,
                        Ok(false) => Probe::NotYet("a one-block write still succeeded".to_string()),
                        Err(e) => Probe::NotYet(format!("the probe write failed otherwise: {e}")),
                    }
                })
                .await
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_file_that_exists_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILL), b"x").unwrap();
        let e = fill(&dir.path().join(FILL)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn a_write_that_succeeds_is_reported_and_its_probe_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!write_fails_with_enospc(dir.path()).unwrap());
        assert!(!dir.path().join(PROBE).exists());
    }
}
