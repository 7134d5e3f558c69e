//! A node's processes seen from the host, for the process-level faults (`postgres-crash`,
//! `postgres-hang`, `pgpool-crash`, `pgpool-hang`): the container's processes are the host
//! processes in the PID namespace of its init (`/proc/<pid>/ns/pid`), signalled with `kill(2)`
//! by host PID, so no tool is needed inside the node and a frozen node cannot refuse.
//!
//! Also the one client-side probe these faults verify with: a PostgreSQL `SSLRequest` to a port,
//! which tells a closed port (refused: the process is dead) from a frozen one (the kernel accepts
//! the connection, nobody answers) from a live one (one byte, `S` or `N`, from PostgreSQL and
//! pgpool alike).

use super::context::FaultContext;
use super::error::FaultError;
use super::fault::Undo;
use super::host::{self, Probe};
use super::FaultKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One process, as `/proc/<pid>/stat` and `/proc/<pid>/status` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proc {
    /// Host PID.
    pub pid: i32,
    /// PID inside the container's namespace (what `postmaster.pid` holds).
    pub ns_pid: i32,
    /// Host PID of the parent.
    pub ppid: i32,
    /// The kernel's command name (`postgres`, `pgpool`: process titles do not change it).
    pub comm: String,
    /// `R`, `S`, `D`, `T` (stopped), `Z` (zombie), ...
    pub state: char,
    /// Start time in clock ticks since boot: with the PID, the process's identity (a PID can
    /// be reused, the pair cannot).
    pub start: u64,
}

impl Proc {
    /// Whether it still runs code (a zombie is dead and only waits to be reaped).
    pub fn alive(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }

    /// Whether it is stopped by a signal (`T`; `t` is stopped by a tracer).
    pub fn stopped(&self) -> bool {
        self.state == 'T' || self.state == 't'
    }
}

/// Parses `/proc/<pid>/stat`: (pid, comm, state, ppid, start time). The command name is in
/// parentheses and may itself hold spaces and parentheses, so the fields after it are found
/// from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<(i32, String, char, i32, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state); field 4 is ppid; field 22 is starttime.
    let state = rest.first()?.chars().next()?;
    let ppid = rest.get(1)?.parse().ok()?;
    let start = rest.get(19)?.parse().ok()?;
    Some((pid, comm, state, ppid, start))
}

/// The PID in the innermost namespace from `/proc/<pid>/status` (the last field of `NSpid:`).
pub(crate) fn parse_ns_pid(status: &str) -> Option<i32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .and_then(|rest| rest.split_whitespace().last())
        .and_then(|p| p.parse().ok())
}

/// The PID in the first line of a `postmaster.pid` file.
pub(crate) fn parse_pid_file(text: &str) -> Option<i32> {
    text.lines().next()?.trim().parse().ok().filter(|p| *p > 0)
}

/// Reading a node's processes from the host's `/proc` failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProcError {
    /// A file or link under `/proc` could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// `/proc` itself could not be listed.
    #[error("cannot list /proc: {0}")]
    List(#[source] std::io::Error),
}

/// Every process in the PID namespace of host process `init` (a container's init), read from
/// the host's `/proc`. Processes that exit while being read are skipped.
pub(crate) async fn list(init: i64) -> Result<Vec<Proc>, ProcError> {
    let path = format!("/proc/{init}/ns/pid");
    let ns = tokio::fs::read_link(&path)
        .await
        .map_err(|source| ProcError::Read { path, source })?;
    let mut out = Vec::new();
    let mut dir = tokio::fs::read_dir("/proc")
        .await
        .map_err(ProcError::List)?;
    while let Some(entry) = dir.next_entry().await.map_err(ProcError::List)? {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if tokio::fs::read_link(format!("/proc/{pid}/ns/pid"))
            .await
            .ok()
            != Some(ns.clone())
        {
            continue;
        }
        let (Ok(stat), Ok(status)) = (
            tokio::fs::read_to_string(format!("/proc/{pid}/stat")).await,
            tokio::fs::read_to_string(format!("/proc/{pid}/status")).await,
        ) else {
            continue;
        };
        let (Some((pid, comm, state, ppid, start)), Some(ns_pid)) =
            (parse_stat(&stat), parse_ns_pid(&status))
        else {
            continue;
        };
        out.push(Proc {
            pid,
            ns_pid,
            ppid,
            comm,
            state,
            start,
        });
    }
    Ok(out)
}

/// `root` and every process below it (by parent PID), parents before children.
pub(crate) fn tree(procs: &[Proc], root: i32) -> Vec<Proc> {
    let mut out: Vec<Proc> = procs.iter().filter(|p| p.pid == root).cloned().collect();
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].pid;
        out.extend(procs.iter().filter(|p| p.ppid == parent).cloned());
        i += 1;
    }
    out
}

/// The live processes named `comm`, parents before children (a process whose parent has
/// another name comes first), so that stopping them in order freezes the forking parent before
/// the children it would replace.
pub(crate) fn named(procs: &[Proc], comm: &str) -> Vec<Proc> {
    let mine: Vec<&Proc> = procs
        .iter()
        .filter(|p| p.comm == comm && p.alive())
        .collect();
    let mut out = Vec::new();
    for root in mine
        .iter()
        .filter(|p| !mine.iter().any(|q| q.pid == p.ppid))
    {
        out.extend(
            tree(procs, root.pid)
                .into_iter()
                .filter(|p| p.comm == comm && p.alive()),
        );
    }
    out
}

/// The postmaster among `procs`: the live `postgres` process whose namespace PID is `ns_pid`
/// (from `postmaster.pid`).
pub(crate) fn postmaster(procs: &[Proc], ns_pid: i32) -> Option<&Proc> {
    procs
        .iter()
        .find(|p| p.ns_pid == ns_pid && p.comm == "postgres" && p.alive())
}

/// The postmaster's PID in its namespace, from `<pgdata>/postmaster.pid` read through the
/// container's root (`/proc/<init>/root`, which sees the node's own mounts). `None` when there
/// is no such file (postgres stopped cleanly or never started).
pub(crate) async fn postmaster_ns_pid(init: i64, pgdata: &str) -> Result<Option<i32>, ProcError> {
    let path = format!("/proc/{init}/root{pgdata}/postmaster.pid");
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Ok(parse_pid_file(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProcError::Read { path, source }),
    }
}

/// Whether `p` is still the same process (same PID and start time) and alive.
pub(crate) async fn same_alive(p: &Proc) -> bool {
    match tokio::fs::read_to_string(format!("/proc/{}/stat", p.pid)).await {
        Ok(text) => parse_stat(&text)
            .is_some_and(|(_, _, state, _, start)| start == p.start && state != 'Z'),
        Err(_) => false,
    }
}

/// Waits up to `limit` until none of `procs` is alive any more (a zombie is dead); returns
/// whether they all went.
pub(crate) async fn wait_gone(procs: &[Proc], limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let mut any = false;
        for p in procs {
            if same_alive(p).await {
                any = true;
                break;
            }
        }
        if !any {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A process that refused a signal (anything but "no such process", which means it is gone).
#[derive(Debug, thiserror::Error)]
#[error("kill -{signal} {pid} ({comm})")]
pub(crate) struct SignalError {
    signal: libc::c_int,
    pid: libc::pid_t,
    comm: String,
    #[source]
    source: std::io::Error,
}

/// Sends `signal` to each process in order, skipping those that are gone or have been replaced
/// (PID reused); returns how many got it. Any other error (EPERM) is returned.
pub(crate) async fn signal(procs: &[Proc], signal: libc::c_int) -> Result<usize, SignalError> {
    let mut sent = 0;
    for p in procs {
        if !same_alive(p).await {
            continue;
        }
        // SAFETY: kill(2) with a plain PID and signal number has no memory effects.
        let rc = unsafe { libc::kill(p.pid, signal) };
        if rc == 0 {
            sent += 1;
        } else {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::ESRCH) {
                return Err(SignalError {
                    signal,
                    pid: p.pid,
                    comm: p.comm.clone(),
                    source: err,
                });
            }
        }
    }
    Ok(sent)
}

/// What a client sees when it opens a connection and asks for SSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The port is closed: connection refused (nobody listens).
    Refused,
    /// The connection was accepted (by the kernel) but nothing came back within the wait.
    Silent,
    /// The server answered (or closed the connection): someone is alive behind the port.
    Answered,
    /// Something else: no route, connect timeout (a dropped host), ...
    Other(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Refused => f.write_str("connection refused"),
            Answer::Silent => f.write_str("connection accepted, no answer"),
            Answer::Answered => f.write_str("the server answered"),
            Answer::Other(e) => write!(f, "{e}"),
        }
    }
}

/// The 8-byte `SSLRequest` of the PostgreSQL protocol (length 8, code 80877103), which both
/// PostgreSQL and pgpool answer with one byte before any authentication.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Connects to `addr`, sends an `SSLRequest` and waits up to `wait` for its answer.
pub(crate) async fn ask(addr: SocketAddr, wait: Duration) -> Answer {
    let mut stream = match tokio::time::timeout(wait, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => return Answer::Other(format!("connect to {addr} timed out after {wait:?}")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Answer::Refused,
        Ok(Err(e)) => {
            return Answer::Other(format!(
                "connect to {addr}: {}",
                e.to_string().to_lowercase()
            ))
        }
        Ok(Ok(s)) => s,
    };
    if let Err(e) = stream.write_all(&SSL_REQUEST).await {
        return Answer::Other(format!("write to {addr}: {}", e.to_string().to_lowercase()));
    }
    let mut byte = [0u8; 1];
    match tokio::time::timeout(wait, stream.read(&mut byte)).await {
        Err(_) => Answer::Silent,
        Ok(_) => Answer::Answered,
    }
}

/// The script of the node image that starts a service again the way the entrypoint starts it
/// at boot (`images/common/rootfs/usr/local/bin/hachaos-start`).
pub(crate) const START_SCRIPT: &str = "/usr/local/bin/hachaos-start";

/// Exit status of [`START_SCRIPT`] when it left postgres down on purpose: a former primary whose
/// peer is primary now stays fenced until `recover`, as at boot.
const START_FENCED: i64 = 3;

/// How long the client probe waits for a connection and for an answer.
pub(crate) const ASK_WAIT: Duration = Duration::from_secs(2);

fn precheck(ctx: &FaultContext, kind: FaultKind, reason: impl Into<String>) -> FaultError {
    FaultError::Precheck {
        kind,
        node: ctx.target.name.clone(),
        reason: reason.into(),
    }
}

/// The host PID of the target's init, refusing a container that is not running or is paused
/// (under `host-hang` every process is already frozen by the cgroup freezer: a process fault
/// would neither act nor be verifiable).
pub(crate) async fn init_pid(ctx: &FaultContext, kind: FaultKind) -> Result<i64, FaultError> {
    let info = host::inspect(&ctx.docker, &ctx.target.container).await?;
    let state = info.state.unwrap_or_default();
    if state.paused == Some(true) {
        return Err(precheck(
            ctx,
            kind,
            "the container is paused (host-hang): its processes are already frozen",
        ));
    }
    match state.pid {
        Some(p) if p > 0 && state.running == Some(true) => Ok(p),
        _ => Err(precheck(ctx, kind, "the container is not running")),
    }
}

/// The target's postmaster and every process below it, postmaster first; refuses when postgres
/// is not running there.
pub(crate) async fn postgres_tree(
    ctx: &FaultContext,
    kind: FaultKind,
) -> Result<Vec<Proc>, FaultError> {
    let init = init_pid(ctx, kind).await?;
    let pre = |reason: String| precheck(ctx, kind, reason);
    let ns_pid = postmaster_ns_pid(init, &ctx.pgdata)
        .await
        .map_err(|e| pre(e.to_string()))?
        .ok_or_else(|| {
            pre(format!(
                "postgres is not running (no postmaster.pid in {})",
                ctx.pgdata
            ))
        })?;
    let procs = list(init).await.map_err(|e| pre(e.to_string()))?;
    let pm = postmaster(&procs, ns_pid).ok_or_else(|| {
        pre(format!(
            "postgres is not running (postmaster.pid names pid {ns_pid}, which is not a live postgres process)"
        ))
    })?;
    Ok(tree(&procs, pm.pid))
}

/// Every pgpool process of the target (parent, children, watchdog, heartbeat, health checks),
/// parents first; refuses when pgpool is not running there.
pub(crate) async fn pgpool_procs(
    ctx: &FaultContext,
    kind: FaultKind,
) -> Result<Vec<Proc>, FaultError> {
    let init = init_pid(ctx, kind).await?;
    let procs = list(init)
        .await
        .map_err(|e| precheck(ctx, kind, e.to_string()))?;
    let mine = named(&procs, "pgpool");
    if mine.is_empty() {
        return Err(precheck(ctx, kind, "pgpool is not running"));
    }
    Ok(mine)
}

/// The precheck of the crash faults: their heal runs [`START_SCRIPT`] in the node.
pub(crate) async fn require_start_script(
    ctx: &FaultContext,
    kind: FaultKind,
) -> Result<(), FaultError> {
    if host::exec_status(
        &ctx.docker,
        &ctx.target.container,
        &["test", "-x", START_SCRIPT],
    )
    .await?
        == 0
    {
        Ok(())
    } else {
        Err(precheck(
            ctx,
            kind,
            format!(
                "the image has no {START_SCRIPT} (the heal starts the service with it; see images/common/README.md)"
            ),
        ))
    }
}

/// Sends `sig` to `procs` in order, as the injection of a fault: an error says which process
/// refused.
pub(crate) async fn send(
    ctx: &FaultContext,
    procs: &[Proc],
    sig: libc::c_int,
) -> Result<usize, FaultError> {
    signal(procs, sig).await.map_err(|e| FaultError::Command {
        command: format!("kill -{sig} on {}", ctx.target.name),
        status: "failed".into(),
        stderr: format!("{e}: {}", e.source.to_string().to_lowercase()),
    })
}

/// Polls the target's `port` with [`ask`] until `procs_ok` answers [`Probe::Taken`] (the
/// processes are as the fault wants them) and the port gives `want`, or the verification timeout
/// passes.
pub(crate) async fn verify<F, Fut>(
    ctx: &FaultContext,
    kind: FaultKind,
    port: u16,
    want: Answer,
    mut procs_ok: F,
) -> Result<(), FaultError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Probe, ProcError>>,
{
    let addr = SocketAddr::new(IpAddr::V4(ctx.target.address), port);
    host::poll_effect(ctx, kind, || {
        let want = want.clone();
        let procs = procs_ok();
        async move {
            match procs.await? {
                Probe::Taken => {}
                not_yet => return Ok::<_, ProcError>(not_yet),
            }
            let seen = ask(addr, ASK_WAIT).await;
            Ok(if seen == want {
                Probe::Taken
            } else {
                Probe::NotYet(format!("port {port}: {seen} (want: {want})"))
            })
        }
    })
    .await
}

/// The heal of the crash faults: `hachaos-start <service>` in the node.
pub(crate) struct StartService {
    /// `postgres` or `pgpool`.
    pub service: &'static str,
    /// Flags after the service (`--keep-status`: pgpool without `-D`).
    pub flags: &'static [&'static str],
    /// The node's container.
    pub container: String,
}

#[async_trait::async_trait]
impl Undo for StartService {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        let mut cmd = vec![START_SCRIPT, self.service];
        cmd.extend_from_slice(self.flags);
        let command = format!("exec in {}: {}", self.container, cmd.join(" "));
        // The script waits up to 30 s for the old processes and pg_ctl up to 60 s for startup.
        let out = crate::docker::exec(&ctx.docker, &self.container, &cmd, Duration::from_secs(100))
            .await
            .map_err(|e| FaultError::Command {
                command: command.clone(),
                status: "failed".into(),
                stderr: e.to_string(),
            })?;
        let said = format!("{}{}", out.stdout, out.stderr).trim().to_string();
        match out.exit_code {
            Some(0) => {
                tracing::info!(node = %ctx.target.name, "{said}");
                Ok(())
            }
            Some(START_FENCED) => {
                tracing::info!(node = %ctx.target.name, "{said}");
                Ok(())
            }
            code => Err(FaultError::Command {
                command,
                status: format!("exit {code:?}"),
                stderr: said,
            }),
        }
    }
}

/// The heal of the hang faults: SIGCONT to every process the fault stopped, children first.
/// The list is shared with the injection, which adds each process before it stops it, so the
/// heal resumes exactly what was stopped even when the injection failed half-way.
#[derive(Clone, Default)]
pub(crate) struct Resume {
    /// The stopped processes, parents first (as stopped).
    pub procs: std::sync::Arc<std::sync::Mutex<Vec<Proc>>>,
}

impl Resume {
    /// Records `procs` as stopped (before they are).
    pub fn add(&self, procs: &[Proc]) {
        self.procs
            .lock()
            .expect("no panic while holding the list")
            .extend_from_slice(procs);
    }
}

#[async_trait::async_trait]
impl Undo for Resume {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        let mut order = self
            .procs
            .lock()
            .expect("no panic while holding the list")
            .clone();
        order.reverse();
        send(ctx, &order, libc::SIGCONT).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "31359 (postgres) S 30637 31359 31359 0 -1 4194560 1234 0 0 0 1 2 0 0 20 0 1 0 987654 223100928 6000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

    #[test]
    fn stat_fields_are_read_after_the_command_name() {
        assert_eq!(
            parse_stat(STAT),
            Some((31359, "postgres".to_string(), 'S', 30637, 987654))
        );
        // A command name with spaces and parentheses does not shift the fields.
        let odd = STAT.replace("(postgres)", "(a) b (c)");
        assert_eq!(
            parse_stat(&odd).map(|s| (s.1, s.2, s.3)),
            Some(("a) b (c".into(), 'S', 30637))
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("12 (x) S"), None);
    }

    #[test]
    fn the_namespace_pid_is_the_last_field_of_nspid() {
        let status = "Name:\tpostgres\nPid:\t31359\nNSpid:\t31359\t240\nPPid:\t30637\n";
        assert_eq!(parse_ns_pid(status), Some(240));
        assert_eq!(parse_ns_pid("Name:\tx\nNSpid:\t7\n"), Some(7));
        assert_eq!(parse_ns_pid("Name:\tx\n"), None);
    }

    #[test]
    fn the_pid_file_first_line_is_the_postmaster() {
        assert_eq!(
            parse_pid_file("240\n/var/lib/postgresql/data/pgdata\n1764491291\n5432\n"),
            Some(240)
        );
        assert_eq!(parse_pid_file(""), None);
        assert_eq!(parse_pid_file("-240\n"), None);
    }

    fn p(pid: i32, ppid: i32, comm: &str, state: char) -> Proc {
        Proc {
            pid,
            ns_pid: pid - 1000,
            ppid,
            comm: comm.into(),
            state,
            start: pid as u64,
        }
    }

    #[test]
    fn named_processes_come_parents_first_without_zombies_or_strangers() {
        let procs = vec![
            p(1003, 1002, "pgpool", 'S'),
            p(1001, 0, "docker-init", 'S'),
            p(1004, 1003, "pgpool", 'S'),
            p(1002, 1001, "pgpool", 'S'),
            p(1005, 1002, "hachaos-failove", 'S'),
            p(1006, 1002, "pgpool", 'Z'),
            p(1007, 1001, "postgres", 'S'),
        ];
        let pids: Vec<i32> = named(&procs, "pgpool").iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![1002, 1003, 1004]);
        let tree: Vec<i32> = tree(&procs, 1002).iter().map(|p| p.pid).collect();
        assert_eq!(tree, vec![1002, 1003, 1005, 1006, 1004]);
        assert_eq!(postmaster(&procs, 7).map(|p| p.pid), Some(1007));
        assert_eq!(postmaster(&procs, 3), None, "a pgpool is no postmaster");
    }

    #[tokio::test]
    async fn the_probe_tells_refused_from_silent_from_answered() {
        // A port nobody listens on: bind, learn the port, close.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        assert_eq!(ask(closed, Duration::from_secs(1)).await, Answer::Refused);

        // A listener that never accepts: the kernel completes the handshake, nobody answers
        // (what a SIGSTOPped server looks like).
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        assert_eq!(ask(addr, Duration::from_millis(300)).await, Answer::Silent);

        // A server that answers `N` as PostgreSQL does without SSL.
        let live = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = live.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = live.accept().await.unwrap();
            let mut req = [0u8; 8];
            s.read_exact(&mut req).await.unwrap();
            assert_eq!(req, SSL_REQUEST);
            s.write_all(b"N").await.unwrap();
        });
        assert_eq!(ask(addr, Duration::from_secs(2)).await, Answer::Answered);
        server.await.unwrap();
        drop(silent);
    }

    #[tokio::test]
    async fn a_killed_process_counts_as_gone_once_it_is_a_zombie() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let all = list(std::process::id() as i64).await.unwrap();
        let victim = all
            .into_iter()
            .find(|p| p.pid == pid)
            .expect("the child is listed");
        assert!(!wait_gone(std::slice::from_ref(&victim), Duration::from_millis(100)).await);
        assert_eq!(
            signal(std::slice::from_ref(&victim), libc::SIGKILL)
                .await
                .unwrap(),
            1
        );
        // Not reaped yet: a zombie, which is dead.
        assert!(wait_gone(std::slice::from_ref(&victim), Duration::from_secs(5)).await);
        child.wait().unwrap();
    }

    #[tokio::test]
    async fn this_process_is_listed_in_its_own_namespace_and_signalled_by_identity() {
        let me = std::process::id() as i64;
        let procs = list(me).await.unwrap();
        let mine = procs
            .iter()
            .find(|p| p.pid as i64 == me)
            .expect("this process is in its own namespace");
        assert!(mine.alive());
        assert!(same_alive(mine).await);
        // Signal 0 checks existence only; a replaced identity is skipped.
        assert_eq!(signal(std::slice::from_ref(mine), 0).await.unwrap(), 1);
        let mut other = mine.clone();
        other.start += 1;
        assert_eq!(signal(&[other], 0).await.unwrap(), 0);
    }
}
