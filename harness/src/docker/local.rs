//! Looking into a running container from the host, without `docker exec`: its files through
//! `/proc/PID/root`, its addresses through `/proc/PID/net/fib_trie`.
//!
//! Why: the observers ask every node several times a second for as long as a step is judged (new
//! log lines, who holds the VIP), and one exec costs the engine, containerd and runc about 65 ms
//! of CPU (`docker exec` through the CLI ~92 ms against ~28 ms for a `docker version`, whole
//! machine, measured 2026-11-30 on the 2-core machine) where reading the same file here costs
//! about 0.1 ms. With execs, the observers of three clusters side by side kept about a core busy,
//! the CPU that the clusters' failovers were being timed on.
//!
//! This works when this process runs on the engine's host, in its PID namespace, and may read
//! other processes' `/proc` entries (root, as the faults need anyway). Every answer is checked to
//! come from the container asked about (its PID's cgroup names the container's id), so a PID from
//! another namespace or a PID reused after a restart is never read as the node: the caller then
//! gets [`Local::Unavailable`] and asks through the engine as before.

use bollard::Docker;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// What the host can see of a container right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Running and not paused: its init process, checked to be the container's.
    Running(Proc),
    /// Paused (the cgroup freezer): an exec would fail, so callers treat it as not answering.
    Paused,
    /// Not running (stopped, killed, being restarted).
    Stopped,
    /// Not readable from here (another PID namespace, no permission, a remote engine, an engine
    /// error): ask through the engine.
    Unavailable,
}

/// Where `container` stands, from one inspect call and one read of its PID's cgroup.
pub async fn look(docker: &Docker, container: &str) -> Local {
    let Ok(info) = docker.inspect_container(container, None).await else {
        return Local::Unavailable;
    };
    let state = info.state.unwrap_or_default();
    if state.running != Some(true) {
        return Local::Stopped;
    }
    if state.paused == Some(true) {
        return Local::Paused;
    }
    let (Some(pid), Some(id)) = (state.pid.filter(|p| *p > 0), info.id) else {
        return Local::Unavailable;
    };
    match tokio::fs::read_to_string(format!("/proc/{pid}/cgroup")).await {
        Ok(cgroup) if cgroup_names(&cgroup, &id) => Local::Running(Proc { pid, id }),
        _ => Local::Unavailable,
    }
}

/// A running container's init process, as [`look`] found it. Every read through it checks
/// afterwards that the PID still belongs to the container, so what was read cannot come from
/// another process that got the PID after the container stopped (the read then fails with
/// `NotFound`, as a read of a stopped container's file would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pid: i64,
    id: String,
}

impl Proc {
    /// The bytes of `path` (absolute, inside the container) from `offset` to its current end.
    pub async fn read_from(&self, path: &str, offset: u64) -> std::io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut f = tokio::fs::File::open(root_path(self.pid, path)).await?;
        f.seek(std::io::SeekFrom::Start(offset)).await?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).await?;
        self.still_the_container().await?;
        Ok(bytes)
    }

    /// Whether the container's network namespace has `addr` as a local address (`ip addr`
    /// would list it), read from its `fib_trie`.
    pub async fn has_local_address(&self, addr: Ipv4Addr) -> std::io::Result<bool> {
        let text = tokio::fs::read_to_string(format!("/proc/{}/net/fib_trie", self.pid)).await?;
        self.still_the_container().await?;
        Ok(fib_trie_has_local(&text, addr))
    }

    async fn still_the_container(&self) -> std::io::Result<()> {
        match tokio::fs::read_to_string(format!("/proc/{}/cgroup", self.pid)).await {
            Ok(cgroup) if cgroup_names(&cgroup, &self.id) => Ok(()),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("process {} is no longer the container's", self.pid),
            )),
        }
    }
}

/// Whether a `/proc/PID/cgroup` text places the process in the container with this full id
/// (`/docker/<id>` with the cgroupfs driver, `docker-<id>.scope` with systemd's).
pub fn cgroup_names(cgroup: &str, container_id: &str) -> bool {
    container_id.len() >= 12 && cgroup.lines().any(|l| l.contains(container_id))
}

/// The host path of `path` (absolute, inside the container) for the container whose init is `pid`.
fn root_path(pid: i64, path: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/root/{}", path.trim_start_matches('/')))
}

/// Whether a `/proc/net/fib_trie` text lists `addr` as a `/32 host LOCAL` leaf: every address
/// configured on an interface of the namespace, primary or secondary (a VIP added with
/// `ip addr add VIP/24` appears so), and nothing else.
pub fn fib_trie_has_local(text: &str, addr: Ipv4Addr) -> bool {
    let leaf = format!("|-- {addr}");
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != leaf {
            continue;
        }
        // The leaf's entries follow it, one per line, each starting with its prefix length.
        while let Some(entry) = lines.next_if(|l| l.trim_start().starts_with('/')) {
            if entry.split_whitespace().collect::<Vec<_>>() == ["/32", "host", "LOCAL"] {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/net/fib_trie` of a node container with its own address 10.99.0.11 and the VIP
    /// 10.99.0.100 added as a secondary /24 (recorded 2026-11-30, Linux 6.x); the kernel prints the
    /// same trie again under `Local:`, left out here.
    const FIB_TRIE: &str = "Main:
  +-- 0.0.0.0/1 2 0 2
     +-- 0.0.0.0/4 2 0 2
        |-- 0.0.0.0
           /0 universe UNICAST
        +-- 10.99.0.0/24 2 0 1
           +-- 10.99.0.0/28 2 0 2
              |-- 10.99.0.0
                 /24 link UNICAST
              |-- 10.99.0.11
                 /32 host LOCAL
           |-- 10.99.0.100
              /32 host LOCAL
           |-- 10.99.0.255
              /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
";

    #[test]
    fn the_fib_trie_lists_every_configured_address_and_nothing_else() {
        let has = |a: &str| fib_trie_has_local(FIB_TRIE, a.parse().unwrap());
        assert!(has("10.99.0.100"), "the VIP");
        assert!(has("10.99.0.11"), "the node's own address");
        assert!(has("127.0.0.1"));
        assert!(!has("10.99.0.0"), "the network is a route, not an address");
        assert!(!has("10.99.0.255"), "broadcast");
        assert!(!has("10.99.0.10"), "a prefix of an address");
        assert!(!has("10.99.0.12"), "the peer");
    }

    #[test]
    fn the_vip_removed_is_no_longer_listed() {
        let without = FIB_TRIE
            .lines()
            .filter(|l| !l.contains("10.99.0.100"))
            .collect::<Vec<_>>()
            .join("\n");
        // Its `/32 host LOCAL` entry now follows the node's own leaf: still not the VIP's.
        assert!(!fib_trie_has_local(
            &without,
            "10.99.0.100".parse().unwrap()
        ));
        assert!(fib_trie_has_local(&without, "10.99.0.11".parse().unwrap()));
    }

    #[test]
    fn a_pid_belongs_to_a_container_when_its_cgroup_names_the_full_id() {
        let id = "6c55c77f442d746e08c6935f01521659cf5e9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
        let cgroupfs = format!("12:pids:/docker/{id}\n4:memory:/docker/{id}\n0::/docker/{id}\n");
        let systemd = format!("0::/system.slice/docker-{id}.scope\n");
        assert!(cgroup_names(&cgroupfs, id));
        assert!(cgroup_names(&systemd, id));
        assert!(!cgroup_names("0::/\n", id), "another namespace's process");
        assert!(
            !cgroup_names(&cgroupfs, "ff9bb052b629"),
            "another container"
        );
        assert!(!cgroup_names(&cgroupfs, ""), "no id");
    }

    #[test]
    fn a_container_path_maps_under_its_init_processes_root() {
        assert_eq!(
            root_path(4242, "/var/log/hachaos/pgpool.log"),
            PathBuf::from("/proc/4242/root/var/log/hachaos/pgpool.log")
        );
    }
}
