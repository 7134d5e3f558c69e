//! `network-delay` / `network-undelay`: a slow link. Every packet the target sends or receives
//! (all but loopback, or only its traffic with a named `peer`) is held for `delay` (± `jitter`)
//! before it goes on: health checks, watchdog TCP, heartbeat UDP, client and replication
//! traffic alike. Nothing is lost, refused or reset; everything arrives, late.
//!
//! This kernel has no `netem` qdisc, so the delay is made in userspace: iptables rules in the
//! target's namespace send the packets to an NFQUEUE (`--queue-bypass`), and a delayer process
//! (`hachaos __net-delayer`, see [`super::delayer`]) bound to that queue inside the namespace
//! accepts each packet once its delay has passed, never ahead of an earlier packet of its flow.
//! The rules live in the `mangle` table, which the kernel runs before `filter`: a packet is
//! delayed first, then any drop fault in `filter` still applies to it.
//!
//! Both halves sit in the target's own namespace (inbound in its INPUT, outbound in its
//! OUTPUT): a delay, unlike a drop, is invisible to the sender wherever it is made.
//!
//! The heal removes the rules, then closes the delayer's stdin: it lets every held packet go at
//! once and exits. If hachaos dies, the delayer sees its stdin close (and `PR_SET_PDEATHSIG`)
//! and exits too; with no listener, `--queue-bypass` lets packets through undelayed, so a
//! leftover rule never blackholes a node (`hachaos clean` removes the containers and so the
//! rules).
//!
//! `verify` proves the effect: the queue is bound in the namespace and its packet sequence
//! moves (`/proc/<pid>/net/netfilter/nfnetlink_queue`), and a ping from the target through the
//! delayed path takes at least the delay once per delayed direction. The ping runs with `-U`
//! (user-to-user time): by default ping times a reply by the kernel's receive timestamp, taken
//! when the packet reaches the interface, before the INPUT hook holds it, so an inbound delay
//! is invisible to plain `ping` (measured: 0.05 ms plain, 101-105 ms with `-U`, 100 ms inbound).

use super::catalogue::{Catalogued, HostNeed, PeerSees, PeerUse, Row};
use super::context::{FaultContext, NodeHandle};
use super::delayer;
use super::error::FaultError;
use super::fault::{Fault, Injected, Undo};
use super::host::{self, Chains, Probe};
use super::network_partition::Direction;
use super::FaultKind;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The NFQUEUE queue number (queues are per network namespace).
pub const QUEUE: u16 = 4242;

/// Packets the kernel holds for the delayer at most; beyond it new packets are dropped (a full
/// buffer, as on a real router). At 200 ms that is 80 000 packets/s, far above a test cluster.
pub const MAX_LEN: u32 = 16_384;

/// The longest delay accepted: a minute of delay is an outage, which other faults model.
const MAX_DELAY: Duration = Duration::from_secs(60);

fn default_delay() -> Duration {
    Duration::from_millis(200)
}

fn delay_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let v = crate::duration::deserialize(d)?;
    if v < Duration::from_millis(1) || v > MAX_DELAY {
        return Err(serde::de::Error::custom(format!(
            "delay must be from 1ms to 60s, got {}",
            crate::duration::render(v)
        )));
    }
    Ok(v)
}

fn jitter_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let v = crate::duration::deserialize(d)?;
    if v > MAX_DELAY {
        return Err(serde::de::Error::custom("jitter must be at most 60s"));
    }
    Ok(v)
}

/// Holds every packet of the target (or of its traffic with the step's `peer`) for a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkDelay {
    /// Added to every packet, per direction: `delay: 200ms` (default 200ms; 1ms to 60s).
    #[serde(default = "default_delay", deserialize_with = "delay_de")]
    pub delay: Duration,
    /// Each packet's delay is uniform in `delay ± jitter` (default 0; a flow is never reordered).
    #[serde(default, deserialize_with = "jitter_de")]
    pub jitter: Duration,
    /// Which direction is slow, seen from the target (default `both`).
    #[serde(default)]
    pub direction: Direction,
}

impl Default for NetworkDelay {
    fn default() -> Self {
        NetworkDelay {
            delay: default_delay(),
            jitter: Duration::ZERO,
            direction: Direction::Both,
        }
    }
}

impl Catalogued for NetworkDelay {
    const ROW: Row = Row {
        name: "network-delay",
        heal: "network-undelay",
        mechanism: "iptables NFQUEUE --queue-bypass (mangle INPUT/OUTPUT, all but loopback, or \
                    only traffic with `peer`) and a userspace delayer in the node's namespace \
                    that accepts each packet after `delay` (± `jitter`, never reordering a flow; \
                    delay: 200ms, jitter: 20ms, direction: both|inbound|outbound). This kernel \
                    has no netem: the delay is made by hachaos __net-delayer, ~1 ms granularity",
        heal_mechanism: "delete the hachaos-delay chains, then the delayer releases every held \
                         packet and exits (with no listener the rules let packets pass)",
        peer_sees: PeerSees::Late,
        peer: PeerUse::Optional,
        needs: &[HostNeed::NetnsIptables],
        degrades: true,
        ..Row::BASE
    };
}

const PREFIX: &str = "hachaos-delay";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The chains in the target's namespace: one NFQUEUE rule per delayed direction.
pub(crate) fn chains(direction: Direction, peer: Option<&NodeHandle>) -> Chains {
    let queue = QUEUE.to_string();
    let target = ["-j", "NFQUEUE", "--queue-num", &queue, "--queue-bypass"];
    let rule = |selector: &[&str]| {
        let mut r = s(selector);
        r.extend(s(&target));
        r
    };
    let mut c = Chains {
        prefix: PREFIX,
        table: "mangle",
        input: vec![],
        output: vec![],
    };
    let p = peer.map(|p| p.address.to_string());
    if matches!(direction, Direction::Both | Direction::Inbound) {
        c.input = vec![match &p {
            Some(p) => rule(&["-s", p]),
            None => rule(&["!", "-i", "lo"]),
        }];
    }
    if matches!(direction, Direction::Both | Direction::Outbound) {
        c.output = vec![match &p {
            Some(p) => rule(&["-d", p]),
            None => rule(&["!", "-o", "lo"]),
        }];
    }
    c
}

/// The delayed directions a ping's round trip crosses.
fn directions(direction: Direction) -> u32 {
    match direction {
        Direction::Both => 2,
        Direction::Inbound | Direction::Outbound => 1,
    }
}

/// One line of `/proc/<pid>/net/netfilter/nfnetlink_queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueLine {
    pub queue: u16,
    /// The listener's netlink port id (0: none bound).
    pub portid: u32,
    /// Packets held right now.
    pub held: u64,
    /// Dropped because the queue was full.
    pub queue_dropped: u64,
    /// Dropped because the listener's socket buffer was full.
    pub user_dropped: u64,
    /// The id of the last packet queued (counts every packet).
    pub id_sequence: u64,
}

pub(crate) fn parse_queues(text: &str) -> Vec<QueueLine> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<u64> = l
                .split_whitespace()
                .map(|x| x.parse().ok())
                .collect::<Option<_>>()?;
            if f.len() < 8 {
                return None;
            }
            Some(QueueLine {
                queue: u16::try_from(f[0]).ok()?,
                portid: u32::try_from(f[1]).ok()?,
                held: f[2],
                queue_dropped: f[5],
                user_dropped: f[6],
                id_sequence: f[7],
            })
        })
        .collect()
}

/// A look of the verification that failed (it is retried: the node may be changing under it).
#[derive(Debug, thiserror::Error)]
enum LookError {
    /// The namespace's queue table could not be read.
    #[error("read {path}: {source}")]
    Queues {
        /// `/proc/<pid>/net/netfilter/nfnetlink_queue`.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The ping could not be run.
    #[error(transparent)]
    Ping(#[from] crate::docker::DockerError),
}

async fn queue_line(pid: i64) -> Result<Option<QueueLine>, LookError> {
    let path = format!("/proc/{pid}/net/netfilter/nfnetlink_queue");
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(t) => t,
        Err(source) => return Err(LookError::Queues { path, source }),
    };
    Ok(parse_queues(&text).into_iter().find(|q| q.queue == QUEUE))
}

/// The round trips of `ping` output (`time=200 ms`), in milliseconds.
pub(crate) fn ping_times(out: &str) -> Vec<f64> {
    out.split_whitespace()
        .filter_map(|w| w.strip_prefix("time="))
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// The hachaos binary to run the delayer with: this very binary through `/proc/self/exe` (which
/// still works when the file was rebuilt or removed meanwhile: the path then reads
/// `hachaos (deleted)`), or, from a test binary in `target/<profile>/deps/`, the `hachaos` built
/// next to it.
fn delayer_binary() -> Result<std::path::PathBuf, delayer::DelayerError> {
    let exe = std::env::current_exe().map_err(delayer::DelayerError::CurrentExe)?;
    let name = exe
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name == "hachaos" || name == "hachaos (deleted)" {
        return Ok(std::path::PathBuf::from("/proc/self/exe"));
    }
    let sibling = exe
        .parent()
        .and_then(|d| d.parent())
        .map(|d| d.join("hachaos"));
    match sibling {
        Some(p) if p.is_file() => Ok(p),
        _ => Err(delayer::DelayerError::NoBinary(exe)),
    }
}

/// The running delayer and the rules that feed it.
struct DelayUndo {
    rules: host::RemoveChains,
    delay: Duration,
    delayer: Mutex<Option<tokio::process::Child>>,
}

impl DelayUndo {
    /// Closes the delayer's lifeline and waits for it (SIGKILL after 5 s); returns its last
    /// words.
    async fn stop(child: Option<tokio::process::Child>) -> String {
        let Some(mut child) = child else {
            return String::new();
        };
        drop(child.stdin.take());
        let mut out = String::new();
        if let Some(mut stdout) = child.stdout.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), stdout.read_to_string(&mut out))
                .await;
        }
        match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill().await;
            }
        }
        out.trim().to_string()
    }
}

#[async_trait::async_trait]
impl Undo for DelayUndo {
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError> {
        let DelayUndo {
            rules,
            delay,
            delayer,
        } = *self;
        // Rules first: no new packet is queued, then the delayer lets the held ones go.
        let removed = Box::new(rules).undo(ctx).await;
        let child = delayer.lock().map(|mut c| c.take()).unwrap_or(None);
        let last = Self::stop(child).await;
        tracing::debug!(node = %ctx.target.name, delayer = %last, "network-delay healed");
        if let Some(late) = late_beyond(&last, delay) {
            tracing::warn!(
                node = %ctx.target.name,
                "network-delay: a packet left {late} ms after its due time (the host was too \
                 busy to run the delayer on time): {last}"
            );
        }
        removed
    }
}

/// How late (ms) the delayer's latest verdict was, from its exit line, when that is more than
/// a tenth of the delay (and 5 ms): the delay was then not what the scenario asked for.
fn late_beyond(stats_line: &str, delay: Duration) -> Option<u64> {
    let us: u64 = stats_line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("max_late_us="))?
        .parse()
        .ok()?;
    let bound = (delay.as_micros() as u64 / 10).max(5_000);
    (us > bound).then_some(us / 1000)
}

impl NetworkDelay {
    fn peer<'a>(&self, ctx: &'a FaultContext) -> Result<Option<&'a NodeHandle>, FaultError> {
        if !ctx.peer_named {
            return Ok(None);
        }
        ctx.peer.as_ref().map(Some).ok_or(FaultError::Missing {
            kind: FaultKind::NetworkDelay,
            what: "a peer",
        })
    }

    fn precheck_error(&self, ctx: &FaultContext, reason: String) -> FaultError {
        FaultError::Precheck {
            kind: self.kind(),
            node: ctx.target.name.clone(),
            reason,
        }
    }

    /// Starts the delayer in the namespace of `pid` and waits until its queue is bound.
    async fn start_delayer(
        &self,
        ctx: &FaultContext,
        pid: i64,
    ) -> Result<tokio::process::Child, FaultError> {
        let bin = delayer_binary().map_err(|e| self.precheck_error(ctx, e.to_string()))?;
        let mut child = tokio::process::Command::new(&bin)
            .arg("__net-delayer")
            .args(["--netns-pid", &pid.to_string()])
            .args(["--queue", &QUEUE.to_string()])
            .args(["--delay-us", &self.delay.as_micros().to_string()])
            .args(["--jitter-us", &self.jitter.as_micros().to_string()])
            .args(["--max-len", &MAX_LEN.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| FaultError::Command {
                command: format!("{} __net-delayer", bin.display()),
                status: "spawn failed".into(),
                stderr: e.to_string(),
            })?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        let ready = tokio::time::timeout(Duration::from_secs(10), lines.read_line(&mut first)).await;
        if matches!(ready, Ok(Ok(_))) && first.trim() == delayer::READY {
            child.stdout = Some(lines.into_inner());
            return Ok(child);
        }
        let _ = child.kill().await;
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), e.read_to_string(&mut err)).await;
        }
        Err(FaultError::Command {
            command: format!("{} __net-delayer --netns-pid {pid}", bin.display()),
            status: match ready {
                Err(_) => "not ready after 10s".into(),
                Ok(_) => format!("said `{}` instead of `ready`", first.trim()),
            },
            stderr: err.trim().to_string(),
        })
    }
}

#[async_trait::async_trait]
impl Fault for NetworkDelay {
    fn kind(&self) -> FaultKind {
        FaultKind::NetworkDelay
    }

    async fn precheck(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        delayer_binary().map_err(|e| self.precheck_error(ctx, e.to_string()))?;
        host::require_running(ctx, self.kind(), peer).await
    }

    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        // The listener first, so the first queued packet is already delayed, not bypassed.
        let child = self.start_delayer(ctx, pid).await?;
        let rules = chains(self.direction, peer);
        let empty = Chains {
            prefix: PREFIX,
            table: "mangle",
            input: vec![],
            output: vec![],
        };
        let rules = match host::install_pair(&rules, pid, &empty, None).await {
            Ok(r) => r,
            Err(e) => {
                DelayUndo::stop(Some(child)).await;
                return Err(e);
            }
        };
        Ok(Injected::new(
            self.kind(),
            ctx,
            Box::new(DelayUndo {
                rules,
                delay: self.delay,
                delayer: Mutex::new(Some(child)),
            }),
        ))
    }

    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError> {
        let peer = self.peer(ctx)?;
        let t = &ctx.target;
        let pid = host::pid(&ctx.docker, self.kind(), &t.name, &t.container).await?;
        let to = peer
            .map(|p| p.address.to_string())
            .unwrap_or_else(|| ctx.gateway.to_string());
        // A round trip crosses each delayed direction once; jitter may shorten each.
        let floor_ms = (self.delay.saturating_sub(self.jitter).as_secs_f64() * 1e3)
            * f64::from(directions(self.direction));
        // `-w`: ping goes on until three replies came or this deadline passed (with `-W` alone it
        // stops waiting after its last echo and misses replies still held).
        let wait = (self.delay + self.jitter) * 2 + Duration::from_secs(3);
        let wait_s = wait.as_secs().max(1).to_string();
        let docker = ctx.docker.clone();
        let container = t.container.clone();
        host::poll_effect(ctx, self.kind(), || {
            let (docker, container, to, wait_s) =
                (docker.clone(), container.clone(), to.clone(), wait_s.clone());
            async move {
                let before = queue_line(pid).await?;
                let out = crate::docker::exec(
                    &docker,
                    &container,
                    &["ping", "-U", "-n", "-c", "3", "-i", "0.2", "-w", &wait_s, &to],
                    Duration::from_secs(30),
                )
                .await?;
                let after = queue_line(pid).await?;
                let times = ping_times(&out.stdout);
                let seen = format!(
                    "ping {to}: {} ms (want every round trip >= {floor_ms:.1} ms); queue {QUEUE}: \
                     {}",
                    if times.is_empty() {
                        "no reply".to_string()
                    } else {
                        times.iter().map(|t| format!("{t}")).collect::<Vec<_>>().join(", ")
                    },
                    match (before, after) {
                        (_, None) => "not bound".to_string(),
                        (b, Some(a)) => format!(
                            "listener {}, {} packets queued during the ping, {} dropped",
                            a.portid,
                            a.id_sequence - b.map_or(0, |b| b.id_sequence),
                            a.queue_dropped + a.user_dropped
                        ),
                    }
                );
                let moved = matches!((before, after), (Some(b), Some(a))
                    if a.portid != 0 && a.id_sequence > b.id_sequence);
                let slow = times.len() >= 2 && times.iter().all(|t| *t >= floor_ms);
                if moved && slow {
                    tracing::debug!(node = %container, "{seen}");
                    Ok::<_, LookError>(Probe::Taken)
                } else {
                    Ok(Probe::NotYet(seen))
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::faults::context::test_node as node;

    #[test]
    fn without_a_peer_everything_but_loopback_is_queued_in_mangle() {
        let c = chains(Direction::Both, None);
        assert_eq!(c.table, "mangle");
        assert_eq!(
            c.input,
            vec![s(&["!", "-i", "lo", "-j", "NFQUEUE", "--queue-num", "4242", "--queue-bypass"])]
        );
        assert_eq!(
            c.output,
            vec![s(&["!", "-o", "lo", "-j", "NFQUEUE", "--queue-num", "4242", "--queue-bypass"])]
        );
    }

    #[test]
    fn with_a_peer_only_its_traffic_is_queued_and_only_the_named_direction() {
        let p = node("node2", "10.0.0.3");
        let c = chains(Direction::Outbound, Some(&p));
        assert!(c.input.is_empty());
        assert_eq!(&c.output[0][..2], &s(&["-d", "10.0.0.3"])[..]);
        let c = chains(Direction::Inbound, Some(&p));
        assert!(c.output.is_empty());
        assert_eq!(&c.input[0][..2], &s(&["-s", "10.0.0.3"])[..]);
    }

    #[test]
    fn options_default_and_bound() {
        let d: NetworkDelay = serde_yaml::from_str("{}").unwrap();
        assert_eq!(d, NetworkDelay::default());
        let d: NetworkDelay =
            serde_yaml::from_str("{delay: 1s, jitter: 50ms, direction: inbound}").unwrap();
        assert_eq!(d.delay, Duration::from_secs(1));
        assert_eq!(d.jitter, Duration::from_millis(50));
        for bad in ["{delay: 0s}", "{delay: 2m}", "{delay: 200}", "{jitter: 5m}", "{loss: 1}"] {
            assert!(serde_yaml::from_str::<NetworkDelay>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn queue_lines_are_read_from_proc() {
        // Recorded from a node: queue 4242 bound by port 3184541, 1032 packets queued so far.
        let text = "4242 3184541     0 2    80     0     0     1032  1\n";
        let q = parse_queues(text);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].queue, 4242);
        assert_eq!(q[0].portid, 3_184_541);
        assert_eq!(q[0].id_sequence, 1032);
        assert_eq!(q[0].queue_dropped, 0);
        assert!(parse_queues("garbage\n").is_empty());
    }

    #[test]
    fn a_late_delayer_is_reported_beyond_a_tenth_of_the_delay() {
        let d = Duration::from_millis(200);
        let line = |us: u64| format!("stats received=9 released=9 max_held=3 max_late_us={us}");
        assert_eq!(late_beyond(&line(19_000), d), None);
        assert_eq!(late_beyond(&line(25_000), d), Some(25));
        assert_eq!(late_beyond(&line(4_000), Duration::from_millis(10)), None);
        assert_eq!(late_beyond("", d), None);
    }

    #[test]
    fn ping_round_trips_are_parsed() {
        let out = "64 bytes from 172.30.0.1: icmp_seq=1 ttl=64 time=401 ms\n\
                   64 bytes from 172.30.0.1: icmp_seq=2 ttl=64 time=400.5 ms\n";
        assert_eq!(ping_times(out), vec![401.0, 400.5]);
        assert_eq!(directions(Direction::Both), 2);
        assert_eq!(directions(Direction::Inbound), 1);
    }
}
