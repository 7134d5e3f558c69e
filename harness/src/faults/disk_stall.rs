//! `disk-stall` / `disk-thaw`: the PGDATA filesystem hangs instead of failing, like an NFS
//! server or a RAID controller that stops answering: every write waits, nothing errors.
//!
//! Mechanism: `FIFREEZE` (what `fsfreeze -f` does) on the loop-backed ext4 that holds PGDATA
//! inside the node, issued from the host on the mount point opened through `/proc/<pid>/root`
//! ([`crate::docker::freeze`], which checks the descriptor is on the loop device itself, never the
//! host disk under it). The kernel syncs the filesystem and then blocks every new write, in
//! state D (uninterruptible): postgres backends, the WAL writer and the checkpointer stop at
//! their next write; reads from the page cache and new connections still work.
//!
//! Verified by effect, not by the ioctl's return: a writer started from the host (`touch` of a
//! probe file at the root of the frozen filesystem, outside PGDATA) must be seen blocked in
//! state D. That writer cannot be killed while the filesystem is frozen, so it is not left
//! behind: the heal thaws, waits for it to finish (it does at once) and removes its probe file.
//!
//! Thawed on every path: the heal (`FITHAW`); a verification that fails heals at once
//! ([`super::inject_verified`]); the executor heals every open fault on failure and Ctrl-C; and
//! the label sweep thaws every loop mount of a container before removing it
//! ([`crate::docker::thaw_container`]), which covers teardown, `hachaos down`, `hachaos clean`
//! and the reaper after a killed harness.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::catalogue::{Catalogued, PeerSees, Row};
use super::host::{self, Probe};
use super::FaultKind;
use crate::docker::{freeze, thaw, LoopMount};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The probe file the verification's writer creates (once thawed) at the filesystem's root.
const PROBE: &str = ".hachaos-stall-probe";

/// Freezes the loop-backed filesystem holding PGDATA. No options.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskStall {
    /// Writers the verification left blocked on the frozen filesystem; the heal reaps them.
    /// Run-time state, not an option.
    #[serde(skip)]
    probes: Probes,
}

impl Catalogued for DiskStall {
    const ROW: Row = Row {
        name: "disk-stall",
        heal: "disk-thaw",
        mechanism: "FIFREEZE (what fsfreeze -f does), issued from the host through \
                    /proc/<pid>/root on the loop-backed ext4 holding PGDATA and pg_wal: the kernel \
                    syncs it, then every write waits in state D; nothing fails, and reads from \
                    the cache, new connections and the sockets still work (a hung NFS or RAID)",
        heal_mechanism: "FITHAW (fsfreeze -u): the blocked writes complete; teardown, down, clean \
                         and the reaper also thaw a container's loop mounts before removing it",
        peer_sees: PeerSees::Answers,
        degrades: true,
        ..Row::BASE
    };
}

/// Blocked probe writers of one injection, shared between the fault (whose `verify` starts
/// them) and its undo (which reaps them after the thaw) through [`Probes::share`]. Equal to any
/// other: it is not part of the options.
///
/// A clone starts empty. Every repeat of a suite runs a clone of one plan, and every injection
/// a clone of the plan's spec (`FaultSpec::fault`); when clones shared one list, a heal running
/// while another repeat's filesystem was frozen reaped that repeat's writer too, waited 10 s for
/// it (still in state D on its own frozen filesystem) and failed: 4 of 5 side-by-side repeats,
/// 2026-11-30 and 2026-12-01, while single runs and CI (one disk-stall at a time) passed.
#[derive(Debug, Default)]
struct Probes(Arc<Mutex<Vec<tokio::process::Child>>>);

impl Clone for Probes {
    fn clone(&self) -> Probes {
        Probes::default()
    }
}

impl PartialEq for Probes {
    fn eq(&self, _: &Probes) -> bool {
        true
    }
}

impl Probes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<tokio::process::Child>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The same list, for the undo of this injection (a [`Clone`] starts a new one).
    fn share(&self) -> Probes {
        Probes(Arc::clone(&self.0))
    }
}

struct Thaw {
    container: String,
    mount: LoopMount,
    probes: Probes,
}

#[async_trait::async_trait]
impl Undo for Thaw {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        let mount = self.mount.clone();
        let m = mount.clone();
        let direct = tokio::task::spawn_blocking(move || thaw(&m))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        match direct {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(mount = %mount.mount.mount_point, "disk-thaw: the filesystem was not frozen any more");
            }
            // The process it was frozen through is gone (a kill reached the node's init while
            // its other processes still wait on the filesystem): thaw through any of them.
            Err(first) => {
                let id = host::inspect(&ctx.docker, &self.container)
                    .await?
                    .id
                    .unwrap_or_default();
                crate::docker::thaw_container(id)
                    .await
                    .map_err(|e| io_error("thaw", &mount, format!("{first}; then {e}")))?;
            }
        }
        // The verification's writers finish the moment the filesystem thaws. Asked with
        // `try_wait` (waitpid WNOHANG) every 50 ms rather than awaited through the runtime's
        // SIGCHLD notification, which in a suite of several clusters at once left 4 of 5 heals
        // waiting the full 10 s for a writer whose state was never recorded (2026-11-30, a
        // --repeat 5 run of every scenario): on a timeout the writer's state now goes into the
        // error, so a filesystem that really stayed frozen (state D) reads differently from a
        // writer that exited unnoticed.
        let children: Vec<_> = std::mem::take(&mut *self.probes.lock());
        for mut child in children {
            let pid = child.id();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Ok(None) => {
                        let state = pid.and_then(proc_state).map_or_else(
                            || "gone".to_string(),
                            |(s, wchan)| format!("in state {s} ({wchan})"),
                        );
                        return Err(FaultError::Command {
                            command: format!("FITHAW {}", mount.host_path().display()),
                            status: "no effect".into(),
                            stderr: format!(
                                "the probe writer (pid {pid:?}) has not finished 10 s after the \
                                 thaw; it is {state}"
                            ),
                        });
                    }
                    Err(e) => {
                        return Err(io_error("wait for the probe writer of", &mount, e.to_string()))
                    }
                }
            }
        }
        let probe = mount.host_path().join(PROBE);
        match tokio::fs::remove_file(&probe).await {
            Ok(()) => Ok(()),
            // Gone with the process it was reached through, or never created.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove probe of", &mount, e.to_string())),
        }
    }
}

fn io_error(what: &str, m: &LoopMount, err: String) -> FaultError {
    FaultError::Command {
        command: format!("{what} {}", m.host_path().display()),
        status: "failed".into(),
        stderr: err.to_lowercase(),
    }
}

impl DiskStall {
    /// The loop mount holding PGDATA in the target, or a precheck error.
    async fn mount(&self, ctx: &FaultContext) -> Result<LoopMount, FaultError> {
        pgdata_loop_mount(ctx, self.kind()).await
    }
}

/// The loop mount holding PGDATA in the target, or a precheck error naming what holds it.
pub(crate) async fn pgdata_loop_mount(
    ctx: &FaultContext,
    kind: FaultKind,
) -> Result<LoopMount, FaultError> {
    let t = &ctx.target;
    let pid = host::pid(&ctx.docker, kind, &t.name, &t.container).await?;
    let pre = |reason: String| FaultError::Precheck {
        kind,
        node: t.name.clone(),
        reason,
    };
    let m = LoopMount::holding(pid, &ctx.pgdata)
        .map_err(|e| pre(format!("cannot read /proc/{pid}/mountinfo: {e}")))?
        .map_err(|why| {
            pre(format!(
                "pgdata has no filesystem of its own: {why} (the node needs SYS_ADMIN and the \
                 loop devices to mount its data disk)"
            ))
        })?;
    if m.mount.fstype != "ext4" {
        return Err(pre(format!(
            "{} is {}, not the node's ext4 data disk",
            m.mount.mount_point, m.mount.fstype
        )));
    }
    if m.mount.read_only() {
        return Err(pre(format!("{} is read-only", m.mount.mount_point)));
    }
    Ok(m)
}

/// The state letter and wait channel of a process (`D`, `percpu_rwsem_wait`).
fn proc_state(pid: u32) -> Option<(char, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, _, state, _, _) = super::procs::parse_stat(&stat)?;
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    Some((state, wchan))
}

#[async_trait::async_trait]
impl Fault for DiskStall {
    fn kind(&self) -> FaultKind {
        FaultKind::DiskStall
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        self.mount(ctx).await.map(|_| ())
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let mount = self.mount(ctx).await?;
        let injected = Injected::new(
            self.kind(),
            ctx,
            Box::new(Thaw {
                container: ctx.target.container.clone(),
                mount: mount.clone(),
                probes: self.probes.share(),
            }),
        );
        let m = mount.clone();
        let frozen = tokio::task::spawn_blocking(move || freeze(&m))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.map_err(|e| match e.raw_os_error() {
                    Some(libc::EBUSY) => "the filesystem is frozen already".to_string(),
                    _ => e.to_string(),
                })
            });
        match frozen {
            Ok(()) => Ok(injected),
            // Not frozen by us: nothing to thaw.
            Err(e) => Err(super::fault::forget(
                injected,
                io_error("FIFREEZE", &mount, e),
            )),
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let mount = self.mount(ctx).await?;
        let probe = mount.host_path().join(PROBE);
        let child = tokio::process::Command::new("touch")
            .arg(&probe)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| FaultError::Command {
                command: format!("touch {}", probe.display()),
                status: "spawn failed".into(),
                stderr: e.to_string().to_lowercase(),
            })?;
        let pid = child.id().unwrap_or_default();
        let probes = self.probes.share();
        probes.lock().push(child);
        // Blocked means: in state D, and still there a second later (a plain disk write is in D
        // for milliseconds, then finishes).
        let started = Instant::now();
        let hold = Duration::from_secs(1).min(ctx.verify_timeout);
        host::poll_effect(ctx, self.kind(), || {
            let probes = probes.share();
            async move {
                let exited = {
                    let mut guard = probes.lock();
                    let child = guard.iter_mut().find(|c| c.id() == Some(pid));
                    match child.map(|c| c.try_wait()) {
                        Some(Ok(Some(status))) => Some(status.to_string()),
                        _ => None,
                    }
                };
                if let Some(status) = exited {
                    return Ok::<_, std::convert::Infallible>(Probe::NotYet(format!(
                        "a write to the filesystem completed ({status}): it is not frozen"
                    )));
                }
                Ok(match proc_state(pid) {
                    Some(('D', _)) if started.elapsed() >= hold => Probe::Taken,
                    Some(('D', _)) => Probe::Waiting,
                    Some((s, wchan)) => Probe::NotYet(format!(
                        "the probe writer is in state {s} ({wchan}), not blocked in D"
                    )),
                    None => Probe::NotYet("the probe writer is gone".to_string()),
                })
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_heal_takes_the_writers_of_its_own_injection_only() {
        // A suite's repeats run clones of one plan; each injection a clone of the spec.
        let plan = DiskStall::default();
        let (first, second) = (plan.clone(), plan.clone());
        let spawn = || {
            tokio::process::Command::new("true")
                .spawn()
                .expect("spawn true")
        };
        // What `verify` does, and what `inject` hands to the undo.
        first.probes.share().lock().push(spawn());
        second.probes.share().lock().push(spawn());
        second.probes.share().lock().push(spawn());
        let undo_of_first = first.probes.share();
        assert_eq!(std::mem::take(&mut *undo_of_first.lock()).len(), 1);
        // The second repeat's writers are still there for its own heal, and the plan has none.
        assert_eq!(second.probes.lock().len(), 2);
        assert!(plan.probes.lock().is_empty());
        assert!(first.probes.clone().lock().is_empty());
    }

    #[test]
    fn the_state_of_a_running_process_is_read_from_proc() {
        let (state, _) = proc_state(std::process::id()).unwrap();
        assert!(matches!(state, 'R' | 'S'), "{state}");
        assert_eq!(proc_state(u32::MAX), None);
    }
}
