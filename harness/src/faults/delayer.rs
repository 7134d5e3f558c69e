//! The userspace packet delayer behind `network-delay` (this kernel has no `netem` qdisc).
//!
//! It runs as its own process, `hachaos __net-delayer`, started by the fault: it enters the
//! target container's network namespace (`setns` on `/proc/<pid>/ns/net`), binds the NFQUEUE
//! queue the fault's iptables rules send packets to, and issues each packet's ACCEPT verdict
//! only once its delay has passed. NFQUEUE lets a listener hold any number of packets and
//! verdict them later, in any order, by packet id; the kernel keeps the packets meanwhile.
//!
//! Order: a packet is never released before an earlier packet of the same flow (protocol,
//! addresses, ports), so jitter delays but does not reorder a TCP stream (as netem does when
//! told to keep order). Packets of different flows are independent.
//!
//! Lifetime: the parent holds the delayer's stdin. When the parent closes it (the heal) or
//! dies (any way, SIGKILL included), the delayer sees end of file, releases every held packet
//! at once and exits; `PR_SET_PDEATHSIG` (SIGKILL) is a second line. The rules say
//! `--queue-bypass`, so once the delayer is gone packets pass undelayed: a dead delayer never
//! blackholes the node.
//!
//! Timing: the loop sleeps in `ppoll` on the queue's socket and stdin until a packet arrives or
//! the next held one is due (nanosecond timeout), so a verdict is late only by scheduling delays
//! on a loaded host; `max_late_us` in the exit line says how late the latest one was. The
//! socket's receive buffer is raised to 16 MiB (`SO_RCVBUFFORCE`) so that a burst waits there
//! rather than being dropped while the delayer is not scheduled.

use nfq::{Message, Queue, Verdict};
use std::collections::{BinaryHeap, HashMap};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Why the delayer could not start or stopped early (its exit line on stderr), or why it cannot
/// be started at all.
#[derive(Debug, thiserror::Error)]
pub enum DelayerError {
    /// The process that started it was gone before it could set its death signal.
    #[error("the parent is already gone")]
    Orphaned,
    /// The target's network namespace could not be opened.
    #[error("open {path}: {source}")]
    OpenNetns {
        /// `/proc/<pid>/ns/net`.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// `setns` into it was refused.
    #[error("setns {path}: {source}")]
    Setns {
        /// `/proc/<pid>/ns/net`.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The netfilter queue socket could not be opened.
    #[error("open the netfilter queue socket: {0}")]
    OpenQueue(#[source] std::io::Error),
    /// The queue's socket was opened but is not among this process's descriptors.
    #[error("cannot find the netfilter queue's socket in /proc/self/fd")]
    QueueSocket,
    /// The queue could not be bound.
    #[error("bind NFQUEUE {queue}: {source}")]
    Bind {
        /// The queue number.
        queue: u16,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The queue's copy range or length could not be set.
    #[error("set the {what} of queue {queue}: {source}")]
    Configure {
        /// `copy range` or `length`.
        what: &'static str,
        /// The queue number.
        queue: u16,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The ready line could not be written to the parent.
    #[error("{0}")]
    Ready(#[source] std::io::Error),
    /// Receiving from the queue failed.
    #[error("receive from queue {queue}: {source}")]
    Receive {
        /// The queue number.
        queue: u16,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// This process's own executable could not be found (to start the delayer from).
    #[error("cannot find this executable: {0}")]
    CurrentExe(#[source] std::io::Error),
    /// Running from a test binary with no `hachaos` binary built next to it.
    #[error(
        "the delayer runs as `hachaos __net-delayer`, and no hachaos binary was found (this is \
         {exe}; build the hachaos binary)",
        exe = .0.display()
    )]
    NoBinary(std::path::PathBuf),
}

/// What the delayer is told on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayerConfig {
    /// The host PID whose network namespace to enter.
    pub netns_pid: u32,
    /// The NFQUEUE queue number.
    pub queue: u16,
    /// The delay of every packet.
    pub delay: Duration,
    /// Uniform jitter: each packet's delay is `delay ± jitter` (never below zero).
    pub jitter: Duration,
    /// How many packets the kernel holds for the queue before it drops new ones.
    pub max_len: u32,
}

/// Bytes of each packet copied to the delayer: enough for the IPv4 header with options and
/// the TCP/UDP ports (the flow key); the rest stays in the kernel.
pub const COPY_RANGE: u16 = 80;

/// The line the delayer prints once the queue is bound (the parent waits for it).
pub const READY: &str = "ready";

/// Counters printed on exit (`stats ...`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Packets received from the queue.
    pub received: u64,
    /// Verdicts issued.
    pub released: u64,
    /// Most packets held at once.
    pub max_held: usize,
    /// The latest a verdict was issued after its due time, in microseconds.
    pub max_late_us: u64,
}

impl Stats {
    /// The exit line.
    pub fn line(&self) -> String {
        format!(
            "stats received={} released={} max_held={} max_late_us={}",
            self.received, self.released, self.max_held, self.max_late_us
        )
    }
}

/// The flow a packet belongs to: protocol, addresses and (TCP/UDP) ports, from its first bytes.
/// Anything unparsable shares one key (kept in order with each other).
pub fn flow_key(packet: &[u8]) -> [u8; 13] {
    let mut key = [0u8; 13];
    if packet.len() < 20 || packet[0] >> 4 != 4 {
        return key;
    }
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    let proto = packet[9];
    key[0] = proto;
    key[1..9].copy_from_slice(&packet[12..20]);
    if (proto == 6 || proto == 17) && packet.len() >= ihl + 4 {
        key[9..13].copy_from_slice(&packet[ihl..ihl + 4]);
    }
    key
}

/// When a packet arriving `now` is due: `now + delay + u` (u uniform in ±jitter, the total
/// never below zero), but never before the flow's previous packet.
pub fn due(
    now: Instant,
    delay: Duration,
    jitter_offset_us: i64,
    previous: Option<Instant>,
) -> Instant {
    let base = delay.as_micros() as i64 + jitter_offset_us;
    let at = now + Duration::from_micros(base.max(0) as u64);
    match previous {
        Some(p) if p > at => p,
        _ => at,
    }
}

struct Held {
    at: Instant,
    seq: u64,
    msg: Message,
}

impl PartialEq for Held {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    // Reversed: BinaryHeap is a max-heap and the earliest due must come out first.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// Enters the network namespace of `pid`.
fn enter_netns(pid: u32) -> Result<(), DelayerError> {
    let path = format!("/proc/{pid}/ns/net");
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(source) => return Err(DelayerError::OpenNetns { path, source }),
    };
    use std::os::fd::AsRawFd;
    // SAFETY: a valid namespace fd; setns only changes this (single) thread's namespace.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(DelayerError::Setns {
            path,
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// The socket receive buffer asked for the queue's netlink socket: a burst is held there until
/// the delayer reads it, and what does not fit is dropped by the kernel (`user_dropped`).
pub const RCVBUF: i32 = 16 << 20;

/// The sockets open in this process: (descriptor, `socket:[inode]`).
fn open_sockets() -> Vec<(i32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return vec![];
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let fd = e.file_name().to_str()?.parse().ok()?;
        let link = std::fs::read_link(e.path()).ok()?;
        let link = link.to_string_lossy().to_string();
        link.starts_with("socket:").then_some((fd, link))
    })
    .collect()
}

/// Opens the queue and finds its netlink socket (`nfq` does not expose it): the one socket
/// that is new after the open (compared by descriptor and inode, since the descriptor of the
/// directory listing itself may be reused).
fn open_queue() -> Result<(Queue, i32), DelayerError> {
    let before = open_sockets();
    let queue = Queue::open().map_err(DelayerError::OpenQueue)?;
    let fd = open_sockets()
        .into_iter()
        .find(|s| !before.contains(s))
        .map(|(fd, _)| fd)
        .ok_or(DelayerError::QueueSocket)?;
    Ok((queue, fd))
}

/// Waits until the queue socket is readable, stdin closes or `wait` passes; returns whether the
/// parent is gone (stdin at end of file: the parent closed it or died).
fn wait_for(queue_fd: i32, wait: Option<Duration>) -> bool {
    let mut fds = [
        libc::pollfd {
            fd: queue_fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ts = wait.map(|w| libc::timespec {
        tv_sec: w.as_secs() as libc::time_t,
        tv_nsec: w.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: two valid pollfds, a valid or null timeout, no signal mask change.
    let n = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, tsp, std::ptr::null()) };
    if n <= 0 {
        return false;
    }
    let stdin = fds[1].revents;
    if stdin & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return true;
    }
    if stdin & libc::POLLIN != 0 {
        let mut buf = [0u8; 64];
        return matches!(std::io::stdin().read(&mut buf), Ok(0) | Err(_));
    }
    false
}

/// Runs the delayer until its parent goes; returns its counters.
pub fn run(cfg: &DelayerConfig) -> Result<Stats, DelayerError> {
    // SAFETY: plain prctl/getppid calls.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            return Err(DelayerError::Orphaned);
        }
    }
    enter_netns(cfg.netns_pid)?;
    let q = cfg.queue;
    let (mut queue, queue_fd) = open_queue()?;
    // SAFETY: setsockopt on our own socket with an int value. SO_RCVBUFFORCE (root) passes the
    // rmem_max cap; if refused, the default buffer stays and bursts may be dropped sooner.
    unsafe {
        libc::setsockopt(
            queue_fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &RCVBUF as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        );
    }
    queue
        .bind(q)
        .map_err(|source| DelayerError::Bind { queue: q, source })?;
    let configure = |what: &'static str| {
        move |source| DelayerError::Configure {
            what,
            queue: q,
            source,
        }
    };
    queue
        .set_copy_range(q, COPY_RANGE)
        .map_err(configure("copy range"))?;
    queue
        .set_queue_max_len(q, cfg.max_len)
        .map_err(configure("length"))?;
    queue.set_nonblocking(true);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{READY}")
            .and_then(|_| out.flush())
            .map_err(DelayerError::Ready)?;
    }

    let jitter = cfg.jitter.as_micros() as i64;
    let mut held: BinaryHeap<Held> = BinaryHeap::new();
    let mut last: HashMap<[u8; 13], Instant> = HashMap::new();
    let mut stats = Stats::default();
    let mut seq = 0u64;
    loop {
        // Take every packet that is waiting.
        loop {
            match queue.recv() {
                Ok(msg) => {
                    let now = Instant::now();
                    let key = flow_key(msg.get_payload());
                    let offset = if jitter > 0 {
                        rand::random_range(-jitter..=jitter)
                    } else {
                        0
                    };
                    let at = due(now, cfg.delay, offset, last.get(&key).copied());
                    last.insert(key, at);
                    seq += 1;
                    stats.received += 1;
                    held.push(Held { at, seq, msg });
                    stats.max_held = stats.max_held.max(held.len());
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(DelayerError::Receive { queue: q, source }),
            }
        }
        // Release what is due.
        let now = Instant::now();
        while held.peek().is_some_and(|h| h.at <= now) {
            let h = held.pop().expect("peeked");
            let late = now.duration_since(h.at).as_micros() as u64;
            stats.max_late_us = stats.max_late_us.max(late);
            release(&mut queue, h.msg, &mut stats);
        }
        if last.len() > 4096 {
            last.retain(|_, at| *at > now);
        }
        // Sleep until a packet arrives, the next one is due, or the parent goes.
        let next = held
            .peek()
            .map(|h| h.at.saturating_duration_since(Instant::now()));
        if wait_for(queue_fd, next) {
            break;
        }
    }
    // The parent is gone or healing: let everything held go now, in order.
    while let Some(h) = held.pop() {
        release(&mut queue, h.msg, &mut stats);
    }
    let _ = queue.unbind(q);
    Ok(stats)
}

fn release(queue: &mut Queue, mut msg: Message, stats: &mut Stats) {
    msg.set_verdict(Verdict::Accept);
    // A verdict for a packet the kernel no longer holds fails harmlessly (ENOENT).
    if queue.verdict(msg).is_ok() {
        stats.released += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut p = vec![0u8; 40];
        p[0] = 0x45;
        p[9] = 6;
        p[12..16].copy_from_slice(&src);
        p[16..20].copy_from_slice(&dst);
        p[20..22].copy_from_slice(&sport.to_be_bytes());
        p[22..24].copy_from_slice(&dport.to_be_bytes());
        p
    }

    #[test]
    fn flows_differ_by_ports_and_addresses() {
        let a = flow_key(&ipv4_tcp([10, 0, 0, 2], [10, 0, 0, 3], 40000, 9000));
        let b = flow_key(&ipv4_tcp([10, 0, 0, 2], [10, 0, 0, 3], 40001, 9000));
        let c = flow_key(&ipv4_tcp([10, 0, 0, 3], [10, 0, 0, 2], 9000, 40000));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            flow_key(&ipv4_tcp([10, 0, 0, 2], [10, 0, 0, 3], 40000, 9000))
        );
        assert_eq!(&a[9..13], &[0x9c, 0x40, 0x23, 0x28]);
    }

    #[test]
    fn ip_options_move_the_ports() {
        let mut p = ipv4_tcp([1, 1, 1, 1], [2, 2, 2, 2], 0, 0);
        p[0] = 0x46; // 24-byte header: the ports start at 24
        p[24..26].copy_from_slice(&5432u16.to_be_bytes());
        assert_eq!(&flow_key(&p)[9..11], &5432u16.to_be_bytes());
    }

    #[test]
    fn short_or_non_ipv4_packets_share_one_key() {
        assert_eq!(flow_key(&[0x60; 40]), [0u8; 13]);
        assert_eq!(flow_key(&[0x45; 10]), [0u8; 13]);
    }

    #[test]
    fn a_packet_is_due_after_its_delay_but_never_before_its_flows_previous() {
        let now = Instant::now();
        let d = Duration::from_millis(200);
        assert_eq!(due(now, d, 0, None), now + d);
        assert_eq!(due(now, d, -50_000, None), now + Duration::from_millis(150));
        // Jitter larger than the delay cannot make it negative.
        assert_eq!(due(now, d, -300_000, None), now);
        // An earlier packet of the flow due later holds this one back: no reordering.
        let prev = now + Duration::from_millis(260);
        assert_eq!(due(now, d, -50_000, Some(prev)), prev);
        assert_eq!(due(now, d, 0, Some(now)), now + d);
    }
}
