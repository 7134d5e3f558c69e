//! Host-side plumbing the fault files share: container state, exec, and iptables rules in a
//! container's network namespace (`nsenter -t <pid> -n iptables`, which needs no capability in
//! the container).

use super::context::FaultContext;
use super::error::FaultError;
use super::FaultKind;
use bollard::models::ContainerInspectResponse;
use bollard::Docker;
use std::time::{Duration, Instant};

/// Inspects a container.
pub(crate) async fn inspect(
    docker: &Docker,
    container: &str,
) -> Result<ContainerInspectResponse, FaultError> {
    docker
        .inspect_container(container, None)
        .await
        .map_err(|source| FaultError::Docker {
            call: "inspect",
            container: container.to_string(),
            source,
        })
}

/// The host PID of a running container's init process (its namespaces are ours to enter).
pub(crate) async fn pid(
    docker: &Docker,
    kind: FaultKind,
    node: &str,
    container: &str,
) -> Result<i64, FaultError> {
    let info = inspect(docker, container).await?;
    let state = info.state.unwrap_or_default();
    match state.pid {
        Some(p) if p > 0 && state.running == Some(true) => Ok(p),
        _ => Err(FaultError::Precheck {
            kind,
            node: node.to_string(),
            reason: "the container is not running".into(),
        }),
    }
}

/// The precheck most faults share: the target (and the peer, when given) must be running, since
/// their network namespaces are entered by PID.
pub(crate) async fn require_running(
    ctx: &FaultContext,
    kind: FaultKind,
    peer: Option<&super::context::NodeHandle>,
) -> Result<(), FaultError> {
    for node in std::iter::once(&ctx.target).chain(peer) {
        pid(&ctx.docker, kind, &node.name, &node.container).await?;
    }
    Ok(())
}

/// One look of a [`poll`]ed probe at whether a fault has taken effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Probe {
    /// It has: polling stops.
    Taken,
    /// Not yet, and nothing new to tell: the last description stands.
    Waiting,
    /// Not yet; what was seen instead (data for the timeout message, not an error).
    NotYet(String),
}

/// A [`poll`] whose probe never answered [`Probe::Taken`] in time.
#[derive(Debug, thiserror::Error)]
#[error("after {after:?}: {last}")]
pub(crate) struct PollTimeout {
    /// How long it polled.
    pub after: Duration,
    /// The last thing seen (a [`Probe::NotYet`] or a failed look), or `nothing observed`.
    pub last: String,
}

/// Polls `probe` every 200 ms until it answers [`Probe::Taken`] or `timeout` passes. A look that
/// fails (`Err`) is retried like [`Probe::NotYet`]: the node may be changing under it; its error
/// is what was seen. On timeout, says the last thing seen.
pub(crate) async fn poll<F, Fut, E>(timeout: Duration, mut probe: F) -> Result<(), PollTimeout>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Probe, E>>,
    E: std::fmt::Display,
{
    let deadline = Instant::now() + timeout;
    let mut last = String::from("nothing observed");
    loop {
        match probe().await {
            Ok(Probe::Taken) => return Ok(()),
            Ok(Probe::Waiting) => {}
            Ok(Probe::NotYet(seen)) => last = seen,
            Err(e) => last = e.to_string(),
        }
        if Instant::now() >= deadline {
            return Err(PollTimeout {
                after: timeout,
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// [`poll`] as every fault's `verify` uses it: within the context's verification timeout, and a
/// timeout is the fault not taking effect on the target, with the last thing seen as the reason.
pub(crate) async fn poll_effect<F, Fut, E>(
    ctx: &FaultContext,
    kind: FaultKind,
    probe: F,
) -> Result<(), FaultError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Probe, E>>,
    E: std::fmt::Display,
{
    poll(ctx.verify_timeout, probe)
        .await
        .map_err(|t| FaultError::NotEffective {
            kind,
            node: ctx.target.name.clone(),
            reason: t.to_string(),
        })
}

/// Runs `cmd` in a container and returns its exit code (output discarded), within 10 s.
pub(crate) async fn exec_status(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
) -> Result<i64, FaultError> {
    match crate::docker::exec(docker, container, cmd, Duration::from_secs(10)).await {
        Ok(out) => Ok(out.exit_code.unwrap_or(-1)),
        Err(crate::docker::DockerError::Api { source, .. })
        | Err(crate::docker::DockerError::Unreachable { source, .. }) => Err(FaultError::Docker {
            call: "exec",
            container: container.to_string(),
            source,
        }),
        Err(e @ crate::docker::DockerError::Timeout { .. }) => Err(FaultError::Command {
            command: format!("exec in {container}: {}", cmd.join(" ")),
            status: "timed out".into(),
            stderr: e.to_string(),
        }),
    }
}

/// Whether `from` reaches `addr` with one ICMP echo (1 s timeout).
pub(crate) async fn can_ping(docker: &Docker, from: &str, addr: &str) -> Result<bool, FaultError> {
    Ok(exec_status(docker, from, &["ping", "-c1", "-W1", "-n", addr]).await? == 0)
}

/// Runs a host command, failing with its stderr.
pub(crate) async fn run(program: &str, args: &[String]) -> Result<(), FaultError> {
    let command = format!("{program} {}", args.join(" "));
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .map_err(|e| FaultError::Command {
            command: command.clone(),
            status: "spawn failed".into(),
            stderr: e.to_string().to_lowercase(),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(FaultError::Command {
            command,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// A pair of iptables chains (hooked into INPUT and OUTPUT) owned by one fault kind, so that
/// faults never touch each other's rules or the image's own.
#[derive(Debug, Clone)]
pub(crate) struct Chains {
    /// Prefix such as `hachaos-blackhole`; chains are `<prefix>-in` / `<prefix>-out`.
    pub prefix: &'static str,
    /// The iptables table (`filter` for drops; `mangle` for `network-delay`, whose queue runs
    /// before every filter rule so that a drop still drops a delayed packet).
    pub table: &'static str,
    /// Rule specs (without `-A chain`) for the input chain.
    pub input: Vec<Vec<String>>,
    /// Rule specs for the output chain.
    pub output: Vec<Vec<String>>,
}

fn ipt(pid: i64, table: &str, rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["-t", &pid.to_string(), "-n", "iptables", "-w", "-t", table]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

impl Chains {
    /// Rules that drop everything but loopback.
    pub fn drop_all(prefix: &'static str) -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Chains {
            prefix,
            table: "filter",
            input: vec![s(&["!", "-i", "lo", "-j", "DROP"])],
            output: vec![s(&["!", "-o", "lo", "-j", "DROP"])],
        }
    }

    fn names(&self) -> (String, String) {
        (
            format!("{}-in", self.prefix),
            format!("{}-out", self.prefix),
        )
    }

    /// Installs the chains in the namespace of `pid`; on error removes what was added.
    pub async fn install(&self, pid: i64) -> Result<(), FaultError> {
        let r = self.try_install(pid).await;
        if r.is_err() {
            let _ = self.remove(pid).await;
        }
        r
    }

    async fn try_install(&self, pid: i64) -> Result<(), FaultError> {
        let (cin, cout) = self.names();
        for (chain, hook, rules) in [
            (&cin, "INPUT", &self.input),
            (&cout, "OUTPUT", &self.output),
        ] {
            run("nsenter", &ipt(pid, self.table, &["-N", chain])).await?;
            for rule in rules {
                let mut args = ipt(pid, self.table, &["-A", chain]);
                args.extend(rule.iter().cloned());
                run("nsenter", &args).await?;
            }
            run(
                "nsenter",
                &ipt(pid, self.table, &["-I", hook, "1", "-j", chain]),
            )
            .await?;
        }
        Ok(())
    }

    /// Removes the chains (every step is attempted; the first error is returned).
    pub async fn remove(&self, pid: i64) -> Result<(), FaultError> {
        let (cin, cout) = self.names();
        let mut first = None;
        for (chain, hook) in [(&cin, "INPUT"), (&cout, "OUTPUT")] {
            for args in [
                ipt(pid, self.table, &["-D", hook, "-j", chain]),
                ipt(pid, self.table, &["-F", chain]),
                ipt(pid, self.table, &["-X", chain]),
            ] {
                if let Err(e) = run("nsenter", &args).await {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// Polls until the target container is (or is not) running, for the host faults.
pub(crate) async fn verify_state(
    ctx: &FaultContext,
    kind: FaultKind,
    want: &'static str,
) -> Result<(), FaultError> {
    let docker = ctx.docker.clone();
    let container = ctx.target.container.clone();
    poll_effect(ctx, kind, || {
        let docker = docker.clone();
        let container = container.clone();
        async move {
            let info = inspect(&docker, &container).await?;
            let st = info.state.unwrap_or_default();
            let seen = if st.paused == Some(true) {
                "paused"
            } else if st.running == Some(true) {
                "running"
            } else {
                "exited"
            };
            Ok::<_, FaultError>(if seen == want {
                Probe::Taken
            } else {
                Probe::NotYet(format!("container is {seen}"))
            })
        }
    })
    .await
}

/// Starts a container (the inverse of every host death).
pub(crate) async fn start(docker: &Docker, container: &str) -> Result<(), FaultError> {
    docker
        .start_container(container, None)
        .await
        .map_err(|source| FaultError::Docker {
            call: "start",
            container: container.to_string(),
            source,
        })
}

/// How long a restarted node may take to boot before its heal fails: fsck and mount of the data
/// disk, postgres (crash recovery) or its fence, then pgpool. Seen here: 1.5-3 s.
pub(crate) const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// What [`await_boot`] waits for, in words.
const BOOT_DONE: &str =
    "the pgpool daemon (`pgpool -n ...`; the entrypoint starts it last, after the data disk and postgres)";

/// `pgrep -f` pattern of the pgpool daemon the entrypoint starts (`pgpool -n [-D] -f ...`, with or
/// without a path). Not `pgrep -x pgpool`: that also matches the entrypoint's own
/// `pgpool --version` at the start of the boot, which let a `recover` run 0.3 s before the data
/// disk was mounted (`rw check failed`, CI run of primary-shutdown-recover, reproduced here in
/// run radd87152).
const PGPOOL_DAEMON: &str = "^([^ ]*/)?pgpool( .*)? -n( |$)";

/// Waits until a container that a heal (re)started has booted. The node's entrypoint mounts the
/// data disk, starts postgres (or keeps a former primary fenced) and starts pgpool last, so a
/// pgpool process means the boot is done. `docker start` returns before any of that: a `recover`
/// right after the heal found the data disk not yet mounted and failed its read/write check 5 ms
/// before the mount (CI dry run, primary-crash-recover, run r6d348fcc). The heal is complete only
/// when the node is back; on timeout the error quotes the end of its entrypoint.log.
pub(crate) async fn await_boot(
    ctx: &FaultContext,
    container: &str,
    heal: &'static str,
) -> Result<(), FaultError> {
    let Some(log_dir) = &ctx.boot_logs else {
        // A bare container (the fault tests' `sleep infinity`): nothing boots.
        return Ok(());
    };
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let seen = loop {
        // pgrep exits 0 when a process matches, 1 when none does (anything else: pgrep itself
        // failed, said at once); an exec that fails means the
        // container is not running (its boot failed): no point waiting for the deadline.
        match exec_status(&ctx.docker, container, &["pgrep", "-f", PGPOOL_DAEMON]).await {
            Ok(0) => return Ok(()),
            Ok(1) if Instant::now() < deadline => {}
            Ok(1) => break format!("no pgpool daemon after {} s", BOOT_TIMEOUT.as_secs()),
            Ok(status) => break format!("pgrep -f '{PGPOOL_DAEMON}' exited {status}"),
            Err(e) => break crate::ErrorChain(&e).to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let tail = crate::cluster::tail_logs(&ctx.docker, container, log_dir, 10).await;
    Err(FaultError::NotBack {
        node: ctx.target.name.clone(),
        heal,
        awaited: BOOT_DONE,
        seen,
        tail,
    })
}

/// SIGKILLs a container.
pub(crate) async fn kill(docker: &Docker, container: &str) -> Result<(), FaultError> {
    docker
        .kill_container(
            container,
            Some(bollard::query_parameters::KillContainerOptions {
                signal: "SIGKILL".into(),
            }),
        )
        .await
        .map_err(|source| FaultError::Docker {
            call: "kill",
            container: container.to_string(),
            source,
        })
}

/// Installs `on_target` in the target's namespace and then, when there is one, `on_peer` in the
/// peer's; if the peer's fails, the target's is removed again, so nothing is left half done.
/// Returns the undo that removes the chains from every namespace that got them.
pub(crate) async fn install_pair(
    on_target: &Chains,
    target_pid: i64,
    on_peer: &Chains,
    peer_pid: Option<i64>,
) -> Result<RemoveChains, FaultError> {
    on_target.install(target_pid).await?;
    if let Some(pid) = peer_pid {
        if let Err(e) = on_peer.install(pid).await {
            let _ = on_target.remove(target_pid).await;
            return Err(e);
        }
    }
    Ok(RemoveChains {
        prefix: on_target.prefix,
        table: on_target.table,
        pids: std::iter::once(target_pid).chain(peer_pid).collect(),
    })
}

/// Undoes [`install_pair`]: removes the `<prefix>-in/-out` chains (hooked into INPUT and OUTPUT
/// whether they hold rules or not) from each namespace, trying every one even if one fails.
pub(crate) struct RemoveChains {
    prefix: &'static str,
    table: &'static str,
    pids: Vec<i64>,
}

#[async_trait::async_trait]
impl super::fault::Undo for RemoveChains {
    async fn undo(self: Box<Self>, _ctx: &super::context::FaultContext) -> Result<(), FaultError> {
        let empty = Chains {
            prefix: self.prefix,
            table: self.table,
            input: vec![],
            output: vec![],
        };
        let mut result = Ok(());
        for pid in self.pids {
            let r = empty.remove(pid).await;
            result = result.and(r);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern is an ERE for pgrep; the `regex` crate reads this one the same way.
    #[test]
    fn the_boot_wait_knows_the_pgpool_daemon_from_the_entrypoints_other_pgpool_calls() {
        let daemon = regex::Regex::new(PGPOOL_DAEMON).unwrap();
        for started in [
            "pgpool -n -D -f /etc/pgpool2/pgpool.conf -F /etc/pgpool2/pcp.conf -a /etc/pgpool2/pool_hba.conf",
            "pgpool -n -f /etc/pgpool2/pgpool.conf -F /etc/pgpool2/pcp.conf -a /etc/pgpool2/pool_hba.conf",
            "/usr/sbin/pgpool -n -D -f /etc/pgpool2/pgpool.conf",
        ] {
            assert!(daemon.is_match(started), "{started}");
        }
        for other in [
            "pgpool --version",
            "pgpool -f /etc/pgpool2/pgpool.conf -m fast stop",
            "pgpool: watchdog",
            "pgpool: wait for connection request",
            "bash /usr/local/bin/hachaos-entrypoint",
            "pgpool-nothing -n",
        ] {
            assert!(!daemon.is_match(other), "{other}");
        }
    }

    #[tokio::test]
    async fn a_poll_that_never_takes_says_the_last_thing_seen_and_a_waiting_look_keeps_it() {
        let mut looks = 0;
        let t = poll(Duration::from_millis(500), || {
            looks += 1;
            let n = looks;
            async move {
                match n {
                    1 => Err(std::io::Error::other("the node is changing")),
                    2 => Ok(Probe::NotYet(format!("look {n}"))),
                    _ => Ok(Probe::Waiting),
                }
            }
        })
        .await
        .expect_err("never taken");
        assert_eq!(t.last, "look 2");
        assert_eq!(t.to_string(), "after 500ms: look 2");
    }

    #[tokio::test]
    async fn a_failed_look_is_retried_until_the_fault_takes() {
        let mut looks = 0;
        let taken = poll(Duration::from_secs(5), || {
            looks += 1;
            let n = looks;
            async move {
                if n < 3 {
                    Err(std::io::Error::other("not readable yet"))
                } else {
                    Ok(Probe::Taken)
                }
            }
        })
        .await;
        assert!(taken.is_ok());
        assert_eq!(looks, 3);
    }
}
