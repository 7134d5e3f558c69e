//! `disk-readonly` / `disk-repair`: the PGDATA filesystem really becomes read-only in the
//! kernel, the way a failing disk mounted `errors=remount-ro` does (not a permission change).
//!
//! Needs PGDATA on a loop-backed ext4 mounted `errors=remount-ro` inside the node: the node
//! image mounts its data disk over the volume at `/var/lib/postgresql/data` when the container
//! has SYS_ADMIN and the loop devices ([`crate::cluster`]'s create request gives them). The
//! precheck finds that mount in `/proc/<pid>/mountinfo` (read from the host, in the container's
//! mount namespace); the fault writes `1` to `/sys/fs/ext4/<loopN>/trigger_fs_error` on the host
//! (sysfs is global), which raises an ext4 error; `verify` waits until mountinfo shows the
//! filesystem read-only (`ro`, or `emergency_ro` on Linux 6.x, where the mount still reads `rw`).
//! The repair restarts the node: its entrypoint runs `e2fsck -p` on the image before mounting it
//! again, and the loop device of the old mount is auto-cleared with the old mount namespace.
//!
//! What follows, measured: PostgreSQL PANICs at its next WAL write and stays down; the sick
//! node's own pgpool (still the watchdog leader) detaches its backend and promotes the peer.

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host::{self, Probe};
use super::FaultKind;
use crate::docker::mountinfo::{self, Mount};
use super::catalogue::{Catalogued, HostNeed, PeerSees, Row, Service};
use super::host_shutdown::DEFAULT_GRACE;
use crate::damage::Damage;

/// Triggers an ext4 error on the loop device holding PGDATA.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskReadonly {}

impl Catalogued for DiskReadonly {
    const ROW: Row = Row {
        name: "disk-readonly",
        heal: "disk-repair",
        mechanism: "echo 1 > /sys/fs/ext4/<loopN>/trigger_fs_error for the loop-backed ext4 \
                    holding PGDATA (mounted errors=remount-ro): the kernel remounts it read-only \
                    like a failing disk; postgres PANICs or rejects writes while sockets stay up",
        heal_mechanism: "docker restart: the entrypoint runs fsck on the loop file and remounts \
                         it read-write (recovery must use pg_basebackup: pg_rewind fails on the \
                         torn tail); done once the node has booted (its entrypoint started pgpool)",
        peer_sees: PeerSees::Answers,
        needs: &[HostNeed::Ext4Sysfs],
        pgpool_survives: true,
        heal_restarts: true,
        stops: &[Service::Postgres],
        // PostgreSQL PANICs at its next WAL write; the VIP may sit on both nodes for a few seconds
        // after the repair (6 of 7 runs, faults/primary-disk-readonly.yaml).
        may_cause: &[Damage::Panic, Damage::SplitBrain],
        only_on_primary: &[Damage::SplitBrain],
        ..Row::BASE
    };
}

struct Restart {
    container: String,
}

#[async_trait::async_trait]
impl Undo for Restart {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        ctx.docker
            .restart_container(
                &self.container,
                Some(bollard::query_parameters::RestartContainerOptions {
                    t: Some(DEFAULT_GRACE.as_secs() as i32),
                    signal: None,
                }),
            )
            .await
            .map_err(|source| FaultError::Docker {
                call: "restart",
                container: self.container.clone(),
                source,
            })?;
        host::await_boot(ctx, &self.container, "docker restart").await
    }
}

impl DiskReadonly {
    async fn pgdata_mount(&self, ctx: &FaultContext) -> Result<Mount, FaultError> {
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let pre = |reason: String| FaultError::Precheck {
            kind: FaultKind::DiskReadonly,
            node: t.name.clone(),
            reason,
        };
        let text = tokio::fs::read_to_string(format!("/proc/{pid}/mountinfo"))
            .await
            .map_err(|e| pre(format!("cannot read /proc/{pid}/mountinfo: {e}")))?;
        let mounts = mountinfo::parse(&text);
        let m = mountinfo::holding(&mounts, &ctx.pgdata)
            .ok_or_else(|| pre(format!("no mount holds {}", ctx.pgdata)))?;
        if m.fstype != "ext4" || m.loop_device().is_none() {
            return Err(pre(format!(
                "pgdata is not on a loop-backed ext4: {} is on {} ({})",
                ctx.pgdata, m.source, m.fstype
            )));
        }
        Ok(m.clone())
    }
}

fn trigger_path(dev: &str) -> String {
    format!("/sys/fs/ext4/{dev}/trigger_fs_error")
}

#[async_trait::async_trait]
impl Fault for DiskReadonly {
    fn kind(&self) -> FaultKind {
        FaultKind::DiskReadonly
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let m = self.pgdata_mount(ctx).await?;
        let pre = |reason: String| FaultError::Precheck {
            kind: FaultKind::DiskReadonly,
            node: ctx.target.name.clone(),
            reason,
        };
        if !m.super_options.iter().any(|o| o == "errors=remount-ro") {
            return Err(pre(format!(
                "{} is not mounted errors=remount-ro (options: {})",
                m.mount_point,
                m.super_options.join(",")
            )));
        }
        if m.read_only() {
            return Err(pre(format!("{} is already read-only", m.mount_point)));
        }
        let dev = m.loop_device().unwrap_or_default();
        if tokio::fs::metadata(trigger_path(dev)).await.is_err() {
            return Err(pre(format!("the kernel has no {}", trigger_path(dev))));
        }
        Ok(())
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let m = self.pgdata_mount(ctx).await?;
        let path = trigger_path(m.loop_device().unwrap_or_default());
        let injected = Injected::new(
            self.kind(),
            ctx,
            Box::new(Restart {
                container: ctx.target.container.clone(),
            }),
        );
        match tokio::fs::write(&path, b"1\n").await {
            Ok(()) => Ok(injected),
            Err(e) => Err(super::fault::forget(
                injected,
                FaultError::Command {
                    command: format!("echo 1 > {path}"),
                    status: "write failed".into(),
                    stderr: e.to_string().to_lowercase(),
                },
            )),
        }
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        host::poll_effect(ctx, self.kind(), || async {
            let m = self.pgdata_mount(ctx).await?;
            Ok::<_, FaultError>(if m.read_only() {
                Probe::Taken
            } else {
                Probe::NotYet(format!("{} is still read-write", m.mount_point))
            })
        })
        .await
    }
}
