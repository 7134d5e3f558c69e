//! Cluster slots: how many clusters may be up at once on this machine, across processes.
//!
//! A failover is dominated by pgpool's timers, not by CPU, so several clusters can run side by
//! side — but only a bounded number: six at once on 2 cores doubled every phase. Every path that
//! boots a cluster ([`crate::cluster::Cluster::up`]: `run`, `up`, `qualify`, the chaos tests) first
//! takes one of N slots. A slot is an advisory `flock(2)` on one of N files in a lock directory,
//! so the limit holds across processes and across threads of one process (each slot is its own
//! open file description), and the kernel drops the lock when its holder dies, however it dies.
//! The holder writes who it is into its slot file, so a waiter can say what it waits for.
//!
//! The same directory holds one lock per image tag, so concurrent first runs build an image once:
//! the first builds it, the others wait and then find it cached.
//!
//! N is `--jobs` (see [`set_jobs`]), else `HACHAOS_JOBS`, else [`DEFAULT_JOBS`]. Processes asking
//! for different N share the first slots: a process with `--jobs 1` waits for slot 0 only.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Clusters at once when nothing says otherwise. Three at once on this 2-core machine kept every
/// phase within about 1 s of a serial run; six doubled them (issue 10's hand measurement,
/// `scripts/bench-parallel.sh` repeats it).
pub const DEFAULT_JOBS: u32 = 3;
/// The environment variable that overrides [`DEFAULT_JOBS`].
pub const JOBS_ENV: &str = "HACHAOS_JOBS";
/// The environment variable naming the lock directory.
pub const LOCK_DIR_ENV: &str = "HACHAOS_LOCK_DIR";
/// The environment variable bounding a wait for a slot, in seconds.
pub const SLOT_TIMEOUT_ENV: &str = "HACHAOS_SLOT_TIMEOUT";
/// How long a boot waits for a slot unless `HACHAOS_SLOT_TIMEOUT` says otherwise: long enough for
/// a whole suite of other processes ahead of it.
pub const DEFAULT_SLOT_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);
/// How often a waiter tries again.
const POLL: Duration = Duration::from_millis(200);
/// How often a waiter repeats what it waits for.
const REMIND: Duration = Duration::from_secs(30);

/// `--jobs` of this process (0: not given).
static JOBS_OVERRIDE: AtomicU32 = AtomicU32::new(0);

/// Sets N for every later boot of this process (`--jobs N`); it wins over `HACHAOS_JOBS`.
pub fn set_jobs(jobs: u32) {
    JOBS_OVERRIDE.store(jobs, Ordering::SeqCst);
}

/// Why a slot or lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// `HACHAOS_JOBS` (or `--jobs`) is not a positive number.
    #[error("{JOBS_ENV}={value}: expected a whole number of clusters, at least 1")]
    BadJobs {
        /// What was given.
        value: String,
    },
    /// The lock directory or a lock file cannot be used.
    #[error("cannot use the lock file {path}")]
    Io {
        /// Which file or directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Ctrl-C / SIGTERM came while waiting.
    #[error("interrupted while waiting for a cluster slot")]
    Cancelled,
    /// Every slot stayed taken for the whole wait.
    #[error("waited {waited_s:.0} s for {what} in {dir}; held by: {holders}")]
    Timeout {
        /// A cluster slot (of N) or an image lock.
        what: String,
        /// The lock directory.
        dir: String,
        /// How long.
        waited_s: f64,
        /// Who held them at the end.
        holders: String,
    },
}

/// N: `--jobs`, else `HACHAOS_JOBS`, else [`DEFAULT_JOBS`].
pub fn jobs() -> Result<u32, SlotError> {
    let o = JOBS_OVERRIDE.load(Ordering::SeqCst);
    if o > 0 {
        return Ok(o);
    }
    match std::env::var(JOBS_ENV) {
        Ok(v) => parse_jobs(&v),
        Err(_) => Ok(DEFAULT_JOBS),
    }
}

/// Parses a job count (`--jobs`, `HACHAOS_JOBS`): a whole number ≥ 1.
pub fn parse_jobs(value: &str) -> Result<u32, SlotError> {
    match value.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(SlotError::BadJobs {
            value: value.to_string(),
        }),
    }
}

/// The lock directory: `HACHAOS_LOCK_DIR`, else `/var/lock/hachaos`, else
/// `$XDG_RUNTIME_DIR/hachaos`, else `<tmp>/hachaos-locks-<uid>` — the first that can be created
/// and written.
pub fn lock_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(LOCK_DIR_ENV) {
        return PathBuf::from(d);
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut candidates = vec![PathBuf::from("/var/lock/hachaos")];
    if let Some(x) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(x).join("hachaos"));
    }
    let last = std::env::temp_dir().join(format!("hachaos-locks-{uid}"));
    candidates
        .into_iter()
        .find(|d| writable_dir(d))
        .unwrap_or(last)
}

fn writable_dir(dir: &Path) -> bool {
    std::fs::create_dir_all(dir).is_ok()
        && OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("slot-0"))
            .is_ok()
}

/// How long a wait for a slot may last (`HACHAOS_SLOT_TIMEOUT` in seconds, else the default).
pub fn slot_timeout() -> Duration {
    std::env::var(SLOT_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_SLOT_TIMEOUT)
}

/// N slot files in one directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotPool {
    dir: PathBuf,
    jobs: u32,
}

/// A taken slot; dropping it (or the process dying) frees it.
#[derive(Debug)]
pub struct Slot {
    // Held only for its lock: closing the file releases it.
    _file: File,
    index: u32,
    waited: Duration,
}

impl Slot {
    /// Which slot (0-based).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How long the taker waited for it.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

/// An exclusive lock on one named file of the lock directory (an image build).
#[derive(Debug)]
pub struct NamedLock {
    _file: File,
    waited: Duration,
}

impl NamedLock {
    /// How long the taker waited for it.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl SlotPool {
    /// N slots in `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>, jobs: u32) -> Result<SlotPool, SlotError> {
        if jobs == 0 {
            return Err(SlotError::BadJobs { value: "0".into() });
        }
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| SlotError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(SlotPool { dir, jobs })
    }

    /// The machine's pool: [`lock_dir`] with [`jobs`] slots.
    pub fn machine() -> Result<SlotPool, SlotError> {
        SlotPool::new(lock_dir(), jobs()?)
    }

    /// The lock directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// N.
    pub fn jobs(&self) -> u32 {
        self.jobs
    }

    fn slot_path(&self, i: u32) -> PathBuf {
        self.dir.join(format!("slot-{i}"))
    }

    /// Takes a free slot now, or `None` when all N are held. `holder` is written into the slot
    /// file for waiters to read.
    pub fn try_acquire(&self, holder: &str) -> Result<Option<Slot>, SlotError> {
        for i in 0..self.jobs {
            let path = self.slot_path(i);
            if let Some(mut file) = try_lock(&path)? {
                write_holder(&mut file, holder);
                return Ok(Some(Slot {
                    _file: file,
                    index: i,
                    waited: Duration::ZERO,
                }));
            }
        }
        Ok(None)
    }

    /// Takes a slot, waiting up to `timeout` (or until `cancel` becomes `true`); `on_wait` is
    /// told what it waits for when the wait starts and every 30 s after.
    pub async fn acquire(
        &self,
        holder: &str,
        timeout: Duration,
        cancel: Option<&tokio::sync::watch::Receiver<bool>>,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<Slot, SlotError> {
        let started = Instant::now();
        let mut reminded: Option<Instant> = None;
        loop {
            if let Some(mut slot) = self.try_acquire(holder)? {
                slot.waited = started.elapsed();
                return Ok(slot);
            }
            if cancel.is_some_and(|c| *c.borrow()) {
                return Err(SlotError::Cancelled);
            }
            if started.elapsed() >= timeout {
                return Err(SlotError::Timeout {
                    what: format!("a cluster slot (of {})", self.jobs),
                    dir: self.dir.display().to_string(),
                    waited_s: started.elapsed().as_secs_f64(),
                    holders: self.holders().join("; "),
                });
            }
            if reminded.is_none_or(|r| r.elapsed() >= REMIND) {
                on_wait(&format!(
                    "waiting for a cluster slot (all {} held, {}): {}",
                    self.jobs,
                    self.dir.display(),
                    self.holders().join("; ")
                ));
                reminded = Some(Instant::now());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Who holds each of the N slots, as they wrote it (`slot-0: pid 12: run … since …`).
    pub fn holders(&self) -> Vec<String> {
        (0..self.jobs)
            .map(|i| {
                let path = self.slot_path(i);
                let mut text = String::new();
                let _ = File::open(&path).and_then(|mut f| f.read_to_string(&mut text));
                let text = text.trim();
                format!(
                    "slot-{i}: {}",
                    if text.is_empty() { "(unknown)" } else { text }
                )
            })
            .collect()
    }

    /// An exclusive lock on `<dir>/<name>.lock`, waiting up to `timeout`; `on_wait` is told who
    /// holds it when the wait starts.
    pub async fn lock_named(
        &self,
        name: &str,
        holder: &str,
        timeout: Duration,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<NamedLock, SlotError> {
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = self.dir.join(format!("{safe}.lock"));
        let started = Instant::now();
        let mut told = false;
        loop {
            if let Some(mut file) = try_lock(&path)? {
                write_holder(&mut file, holder);
                return Ok(NamedLock {
                    _file: file,
                    waited: started.elapsed(),
                });
            }
            let held_by = std::fs::read_to_string(&path).unwrap_or_default();
            if started.elapsed() >= timeout {
                return Err(SlotError::Timeout {
                    what: format!("the lock {name}"),
                    dir: self.dir.display().to_string(),
                    waited_s: started.elapsed().as_secs_f64(),
                    holders: held_by.trim().to_string(),
                });
            }
            if !told {
                on_wait(&format!("waiting for {name}: held by {}", held_by.trim()));
                told = true;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Opens `path` and takes its exclusive flock without blocking; `None` when another open file
/// description holds it.
fn try_lock(path: &Path) -> Result<Option<File>, SlotError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| SlotError::Io {
            path: path.display().to_string(),
            source,
        })?;
    // SAFETY: flock on a descriptor we own; LOCK_NB makes it return at once.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(Some(file));
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(SlotError::Io {
            path: path.display().to_string(),
            source: err,
        })
    }
}

/// Writes who holds the lock into its file (best effort: it only feeds waiting messages).
fn write_holder(file: &mut File, holder: &str) {
    let line = format!(
        "pid {}: {holder} since {}\n",
        std::process::id(),
        chrono::Utc::now().format("%H:%M:%S")
    );
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::process::{Child, Command, Stdio};

    #[test]
    fn jobs_must_be_a_positive_whole_number() {
        assert_eq!(parse_jobs("3").unwrap(), 3);
        assert!(parse_jobs("0").is_err());
        assert!(parse_jobs("-1").is_err());
        assert!(parse_jobs("two").is_err());
        assert!(SlotPool::new(std::env::temp_dir(), 0).is_err());
    }

    #[test]
    fn one_process_never_holds_more_slots_than_n() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 2).unwrap();
        let a = pool.try_acquire("a").unwrap().expect("first slot");
        let b = pool.try_acquire("b").unwrap().expect("second slot");
        assert_ne!(a.index(), b.index());
        assert!(pool.try_acquire("c").unwrap().is_none(), "a third slot");
        let holders = pool.holders().join("\n");
        assert!(holders.contains(": a since") && holders.contains(": b since"));
        drop(a);
        let c = pool.try_acquire("c").unwrap().expect("the freed slot");
        assert_eq!(c.index(), 0);
    }

    /// Not a test by itself: the child process of the cross-process tests. It takes a slot of
    /// the pool in `HACHAOS_TEST_SLOT_DIR`, prints `held N`, and keeps it until stdin closes.
    #[test]
    #[ignore = "run as a child process by the cross-process slot tests"]
    fn slot_holder_child() {
        let dir = std::env::var("HACHAOS_TEST_SLOT_DIR").expect("HACHAOS_TEST_SLOT_DIR");
        let jobs: u32 = std::env::var("HACHAOS_TEST_SLOT_JOBS")
            .unwrap()
            .parse()
            .unwrap();
        let pool = SlotPool::new(dir, jobs).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let slot = rt
            .block_on(
                pool.acquire("child", Duration::from_secs(60), None, &mut |m| {
                    eprintln!("{m}")
                }),
            )
            .unwrap();
        println!("held {}", slot.index());
        let mut rest = String::new();
        let _ = std::io::stdin().read_to_string(&mut rest);
    }

    fn spawn_holder(
        dir: &Path,
        jobs: u32,
    ) -> (
        Child,
        std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    ) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "slots::tests::slot_holder_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HACHAOS_TEST_SLOT_DIR", dir)
            .env("HACHAOS_TEST_SLOT_JOBS", jobs.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        (child, lines)
    }

    fn wait_held(lines: &mut std::io::Lines<std::io::BufReader<std::process::ChildStdout>>) -> u32 {
        for line in lines.by_ref() {
            let line = line.unwrap();
            // libtest prints `test … ... ` before the test's own output on the same line.
            if let Some(i) = line.split("held ").nth(1) {
                return i.trim().parse().unwrap();
            }
        }
        panic!("the child exited without taking a slot");
    }

    #[test]
    fn slots_are_shared_across_processes_and_freed_when_a_holder_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 2).unwrap();
        let (mut first, mut first_out) = spawn_holder(dir.path(), 2);
        let (mut second, mut second_out) = spawn_holder(dir.path(), 2);
        let a = wait_held(&mut first_out);
        let b = wait_held(&mut second_out);
        assert_ne!(a, b, "two processes got the same slot");
        assert!(
            pool.try_acquire("parent").unwrap().is_none(),
            "a third cluster while two processes hold both slots"
        );
        let holders = pool.holders().join("; ");
        assert!(holders.contains(": child since"), "{holders}");

        // A third process waits; SIGKILL of a holder (no cleanup at all) lets it in.
        let (mut third, mut third_out) = spawn_holder(dir.path(), 2);
        first.kill().unwrap();
        first.wait().unwrap();
        assert_eq!(wait_held(&mut third_out), a);
        assert!(pool.try_acquire("parent").unwrap().is_none());

        for c in [&mut second, &mut third] {
            drop(c.stdin.take());
            assert!(c.wait().unwrap().success());
        }
        assert!(pool.try_acquire("parent").unwrap().is_some());
    }

    #[tokio::test]
    async fn a_waiter_says_who_holds_the_slots_and_gives_up_at_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 1).unwrap();
        let _held = pool.try_acquire("run r-1 primary-crash").unwrap().unwrap();
        let mut said = Vec::new();
        let err = pool
            .acquire("run r-2", Duration::from_millis(500), None, &mut |m| {
                said.push(m.to_string())
            })
            .await
            .unwrap_err();
        assert!(said[0].contains("run r-1 primary-crash"), "{said:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("a cluster slot (of 1)") && msg.contains("run r-1 primary-crash"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn a_waiter_stops_waiting_on_ctrl_c() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 1).unwrap();
        let _held = pool.try_acquire("other").unwrap().unwrap();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let interrupt = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.send(true).unwrap();
        };
        let started = Instant::now();
        let mut quiet = |_: &str| {};
        let (got, ()) = tokio::join!(
            pool.acquire("run", Duration::from_secs(60), Some(&rx), &mut quiet),
            interrupt
        );
        assert!(matches!(got, Err(SlotError::Cancelled)), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_named_lock_is_exclusive_and_waits_for_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 1).unwrap();
        let held = pool
            .lock_named(
                "image hachaos/node:x",
                "build",
                Duration::from_secs(1),
                &mut |_| {},
            )
            .await
            .unwrap();
        let mut said = Vec::new();
        let mut tell = |m: &str| said.push(m.to_string());
        let waiter = pool.lock_named(
            "image hachaos/node:x",
            "second",
            Duration::from_secs(10),
            &mut tell,
        );
        let release = async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            drop(held);
        };
        let (waited, ()) = tokio::join!(waiter, release);
        let waited = waited.map(|l| l.waited());
        assert!(waited.unwrap() >= Duration::from_millis(400));
        assert!(said[0].contains("held by pid"), "{said:?}");
    }
}
