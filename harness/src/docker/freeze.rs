//! A container's loop-backed filesystems, frozen and thawed from the host: the `FIFREEZE` /
//! `FITHAW` ioctls that `fsfreeze -f` / `fsfreeze -u` issue, on the mount point opened through
//! `/proc/<pid>/root` (so the path resolves in the container's mount namespace).
//!
//! Why every removal thaws first: a process writing to a frozen filesystem sleeps
//! uninterruptibly (state D, in `percpu_rwsem_wait`), so SIGKILL cannot end it and a container
//! holding one cannot stop. [`thaw_container`] runs in the label sweep before each container is
//! removed, so teardown, `hachaos down`, `hachaos clean` and the reaper thaw whatever a fault
//! left frozen (even when the harness that froze it was killed) instead of hanging on it.
//!
//! Safety: the descriptor an ioctl acts on is checked to be on the very device mountinfo names
//! for the loop mount (`st_dev`), so a missing or replaced loop mount can never make the
//! harness freeze the filesystem underneath it (the host's own Docker volume disk).

use super::mountinfo::{self, Mount};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// `_IOWR('X', 119, int)`, from `linux/fs.h`.
const FIFREEZE: libc::c_ulong = 0xC004_5877;
/// `_IOWR('X', 120, int)`.
const FITHAW: libc::c_ulong = 0xC004_5878;

/// A mount on a loop device inside a container, addressed from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoopMount {
    /// The host PID of a process in the container (its mount namespace is the one read).
    pub pid: i64,
    /// The mount as mountinfo shows it.
    pub mount: Mount,
}

/// Why a path has no loop-device filesystem of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoLoopMount {
    /// Nothing is mounted there.
    #[error("no mount holds {0}")]
    NoMount(String),
    /// Something else is mounted there.
    #[error("{path} is not on a loop device: it is on {device} ({fstype})")]
    NotLoop {
        /// The path asked about.
        path: String,
        /// The mount's source.
        device: String,
        /// Its filesystem type.
        fstype: String,
    },
}

impl LoopMount {
    /// Every loop-backed mount of the mount namespace of `pid`.
    pub fn all(pid: i64) -> io::Result<Vec<LoopMount>> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))?;
        Ok(mountinfo::parse(&text)
            .into_iter()
            .filter(|m| m.loop_device().is_some())
            .map(|mount| LoopMount { pid, mount })
            .collect())
    }

    /// The loop mount holding `path` inside the container, or why there is none (naming what
    /// holds it instead).
    pub fn holding(pid: i64, path: &str) -> io::Result<Result<LoopMount, NoLoopMount>> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))?;
        let mounts = mountinfo::parse(&text);
        Ok(match mountinfo::holding(&mounts, path) {
            None => Err(NoLoopMount::NoMount(path.to_string())),
            Some(m) if m.loop_device().is_none() => Err(NoLoopMount::NotLoop {
                path: path.to_string(),
                device: m.source.clone(),
                fstype: m.fstype.clone(),
            }),
            Some(m) => Ok(LoopMount {
                pid,
                mount: m.clone(),
            }),
        })
    }

    /// The mount point as the host reaches it (`/proc/<pid>/root/<mount point>`).
    pub fn host_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{}", self.pid, self.mount.mount_point))
    }

    /// Opens the mount point, refusing anything that is not on the loop device itself.
    pub fn open(&self) -> io::Result<File> {
        let path = self.host_path();
        let file = File::open(&path)?;
        let dev = file.metadata()?.dev();
        let seen = (libc::major(dev), libc::minor(dev));
        match self.mount.major_minor() {
            Some(want) if want == seen => Ok(file),
            want => Err(io::Error::other(format!(
                "{} is on device {}:{}, not on {} ({want:?}): refusing to touch it",
                path.display(),
                seen.0,
                seen.1,
                self.mount.source
            ))),
        }
    }
}

fn ioctl(file: &File, request: libc::c_ulong) -> io::Result<()> {
    // SAFETY: FIFREEZE and FITHAW take an int argument the kernel ignores; the descriptor is
    // open for as long as `file` lives.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), request as _, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Freezes the filesystem (blocking: the kernel syncs it first). `EBUSY` means it was frozen
/// already.
pub(crate) fn freeze(m: &LoopMount) -> io::Result<()> {
    ioctl(&m.open()?, FIFREEZE)
}

/// Thaws the filesystem; `Ok(false)` when it was not frozen (the kernel's `EINVAL`).
pub(crate) fn thaw(m: &LoopMount) -> io::Result<bool> {
    match ioctl(&m.open()?, FITHAW) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Host PIDs of the processes of container `id`, one per mount namespace: those whose cgroup
/// path names the container's full id. Not only its init: once SIGKILLed, init has left its
/// mount namespace while the processes blocked on the frozen filesystem are still in it.
fn container_pids(id: &str) -> Vec<i64> {
    let mut seen = std::collections::BTreeSet::new();
    let mut pids = Vec::new();
    if id.len() < 12 {
        return pids;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let in_container =
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|cg| cg.contains(id));
        if !in_container {
            continue;
        }
        if let Ok(ns) = std::fs::read_link(format!("/proc/{pid}/ns/mnt")) {
            if seen.insert(ns) {
                pids.push(pid);
            }
        }
    }
    pids
}

/// What [`thaw_container`] could not thaw.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ThawError {
    /// These filesystems stayed frozen (`thaw <mount point>: <error>`, `; `-separated).
    #[error("{}", .0.iter().map(|(m, e)| format!("thaw {m}: {e}")).collect::<Vec<_>>().join("; "))]
    Thaw(Vec<(String, io::Error)>),
    /// The blocking task doing it died.
    #[error("thaw task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Thaws every frozen loop-backed filesystem of the container whose full id is `id`, reached
/// through any of its processes on this host (none on a remote engine: then nothing is done);
/// returns the mount points it thawed, or what failed.
pub(crate) async fn thaw_container(id: String) -> Result<Vec<String>, ThawError> {
    tokio::task::spawn_blocking(move || {
        let mut thawed = Vec::new();
        let mut errors = Vec::new();
        for pid in container_pids(&id) {
            // A process that exits meanwhile has no mountinfo any more: not an error.
            let Ok(mounts) = LoopMount::all(pid) else {
                continue;
            };
            for m in mounts {
                match thaw(&m) {
                    Ok(true) => thawed.push(m.mount.mount_point.clone()),
                    Ok(false) => {}
                    Err(e) => errors.push((m.mount.mount_point.clone(), e)),
                }
            }
        }
        if errors.is_empty() {
            Ok(thawed)
        } else {
            Err(ThawError::Thaw(errors))
        }
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ioctl_numbers_are_those_of_linux_fs_h() {
        // _IOWR(type, nr, int) = (3 << 30) | (sizeof(int) << 16) | (type << 8) | nr.
        let iowr = |ty: u8, nr: u8| -> libc::c_ulong {
            ((3u64 << 30) | (4 << 16) | ((ty as u64) << 8) | nr as u64) as libc::c_ulong
        };
        assert_eq!(FIFREEZE, iowr(b'X', 119));
        assert_eq!(FITHAW, iowr(b'X', 120));
    }

    #[test]
    fn a_mount_whose_device_does_not_match_is_refused_before_any_ioctl() {
        // This test process's own root is not on a loop device 7:200.
        let m = LoopMount {
            pid: std::process::id() as i64,
            mount: mountinfo::parse("1 0 7:200 / / rw - ext4 /dev/loop200 rw\n")
                .pop()
                .unwrap(),
        };
        let e = m.open().unwrap_err().to_string();
        assert!(e.contains("refusing to touch it"), "{e}");
        assert!(thaw(&m).is_err());
    }

    #[tokio::test]
    async fn a_container_with_no_process_here_has_nothing_to_thaw() {
        assert!(container_pids("0123456789abcdef".repeat(4).as_str()).is_empty());
        assert!(
            container_pids("").is_empty(),
            "a short id would match too much"
        );
        assert_eq!(
            thaw_container("0123456789abcdef".repeat(4)).await.unwrap(),
            Vec::<String>::new()
        );
    }
}
