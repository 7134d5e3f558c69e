//! A `recover` left running in the background, so that a fault can land while a node is being
//! rewound and attached: started by a `recover` step with `background: true`, watched by
//! `wait` with `until:` (an event the recovering node logs, e.g. `rewind_started`), collected by
//! `await-recover` (or, when a step failed first, by the end of the run). Every wait here has a
//! deadline whose failure names what was awaited and shows the last lines of recovery.log.

use super::error::StepError;
use super::live::Live;
use crate::docker::{exec, DockerError, ExecOutput};
use crate::scenario::RecoverOutcome;
use crate::timeline::{EventKind, WallTime};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often `wait until` reads the logs: finer than an expectation round, since the point is to
/// land the next step inside a phase that may last a few seconds.
const UNTIL_POLL: Duration = Duration::from_millis(150);

/// The rejoin script running on a node.
pub(super) struct Background {
    /// The `recover` step's index.
    pub(super) step: usize,
    /// The node being rejoined.
    pub(super) node: String,
    /// The command, for messages.
    pub(super) command: String,
    /// When the step fired (log events before it are not its own).
    pub(super) fired_at: WallTime,
    pub(super) started: Instant,
    /// The exec's result and when it ended (the script's own run time, not when it was collected).
    task: JoinHandle<(Result<ExecOutput, DockerError>, Instant)>,
}

/// How a background `recover` ended.
pub(super) struct Ended {
    /// Its outcome (`None`: it did not end within the timeout, and was left to the exec's own).
    pub(super) outcome: Option<RecoverOutcome>,
    /// In words: exit status, how long it ran, the tail of its output.
    pub(super) summary: String,
}

impl Background {
    /// Starts `argv` on `node`'s container and returns at once. The exec carries its own bound
    /// (`limit`), so the task ends even if nobody collects it.
    pub(super) fn start(
        live: &Live,
        step: usize,
        node: &str,
        argv: Vec<String>,
        fired_at: WallTime,
        limit: Duration,
    ) -> Result<Background, StepError> {
        let container = live
            .node(node)
            .ok_or_else(|| StepError::UnknownNode(node.to_string()))?
            .container
            .clone();
        let docker = live.cluster.docker().clone();
        let command = argv.join(" ");
        let task = tokio::spawn(async move {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out = exec(&docker, &container, &args, limit).await;
            (out, Instant::now())
        });
        Ok(Background {
            step,
            node: node.to_string(),
            command,
            fired_at,
            started: Instant::now(),
            task,
        })
    }

    /// Waits until the script has ended, at most `timeout`.
    pub(super) async fn collect(self, timeout: Duration) -> Ended {
        let Background {
            node,
            command,
            started,
            mut task,
            ..
        } = self;
        let joined = tokio::time::timeout(timeout, &mut task).await;
        let ran = |end: Instant| end.duration_since(started).as_secs_f64();
        match joined {
            Err(_) => {
                task.abort();
                Ended {
                    outcome: None,
                    summary: format!(
                        "`{command}` on {node} had not ended {:.1} s after it started (awaited {:.0} s)",
                        ran(Instant::now()),
                        timeout.as_secs_f64()
                    ),
                }
            }
            Ok(Err(join)) => Ended {
                outcome: Some(RecoverOutcome::Failed),
                summary: format!("`{command}` on {node}: the task running it failed: {join}"),
            },
            Ok(Ok((Err(e), _))) => Ended {
                outcome: Some(RecoverOutcome::Failed),
                summary: format!(
                    "`{command}` on {node} could not run: {}",
                    crate::ErrorChain(&e)
                ),
            },
            Ok(Ok((Ok(out), end))) => {
                let outcome = if out.success() {
                    RecoverOutcome::Succeeded
                } else {
                    RecoverOutcome::Failed
                };
                let status = out
                    .exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "with no status".into());
                Ended {
                    outcome: Some(outcome),
                    summary: format!(
                        "`{command}` on {node} exited {status} after {:.1} s ({})",
                        ran(end),
                        outcome.name()
                    ),
                }
            }
        }
    }

    /// Whether the script has ended (without collecting it).
    pub(super) fn finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Waits until the node of the running background recover logs `kind` in its recovery.log (after
/// the recover fired), at most `timeout`. It reads that one file each time, not every log of
/// every node as the tailer does: on a loaded machine the full poll took 4.4 s to see the line
/// (pg17-pgpool46, run rb99f7006, load 10), longer than the rewind it was to interrupt. The error
/// names the event, the node and the last lines of recovery.log; it also comes early when the
/// script ended first (the event can no longer come).
pub(super) async fn wait_until(
    live: &mut Live,
    kind: EventKind,
    timeout: Duration,
) -> Result<String, StepError> {
    let deadline = Instant::now() + timeout;
    let (node, fired_at) = match &live.background {
        Some(b) => (b.node.clone(), b.fired_at),
        None => return Err(StepError::NoBackground),
    };
    loop {
        let text = read_recovery_log(live, &node).await.unwrap_or_default();
        let scan = live
            .grammar
            .scan_bytes(text.as_bytes(), &node, "recovery.log");
        let hit = scan
            .events
            .iter()
            .find(|e| e.kind == kind && e.time.is_none_or(|t| t.at >= fired_at.at));
        if let Some(e) = hit {
            return Ok(format!("{node} {}: {}", e.file, e.text));
        }
        let ended = live.background.as_ref().is_none_or(Background::finished);
        if ended || Instant::now() >= deadline || live.cancelled() {
            let why = if ended {
                "the recovery ended first".to_string()
            } else {
                format!("not seen within {:.0} s", timeout.as_secs_f64())
            };
            let tail = recovery_tail(live, &node, 10).await;
            return Err(StepError::UntilNotSeen {
                event: kind.to_string(),
                node,
                why,
                tail,
            });
        }
        tokio::time::sleep(UNTIL_POLL).await;
    }
}

/// `node`'s whole recovery.log (a few kB: one line per step of each rejoin, plus pg_rewind's).
async fn read_recovery_log(live: &Live, node: &str) -> Result<String, StepError> {
    let handle = live
        .node(node)
        .ok_or_else(|| StepError::UnknownNode(node.to_string()))?;
    let path = format!("{}/recovery.log", live.cluster.release().logs.dir);
    let out = exec(
        live.cluster.docker(),
        &handle.container,
        &["cat", &path],
        Duration::from_secs(10),
    )
    .await?;
    Ok(out.stdout)
}

/// The last `n` lines of `node`'s recovery.log, redacted.
pub(super) async fn recovery_tail(live: &Live, node: &str, n: usize) -> String {
    let Some(handle) = live.node(node) else {
        return format!("(no node {node})");
    };
    let path = format!("{}/recovery.log", live.cluster.release().logs.dir);
    let count = n.to_string();
    let out = exec(
        live.cluster.docker(),
        &handle.container,
        &["tail", "-n", &count, &path],
        Duration::from_secs(10),
    )
    .await;
    let text = match out {
        Ok(o) if o.success() => o.stdout,
        Ok(o) => format!("(tail exited {:?}: {})", o.exit_code, o.stderr.trim()),
        Err(e) => format!("(cannot read it: {})", crate::ErrorChain(&e)),
    };
    crate::grammar::Redactor::new(&live.cluster.secrets().all())
        .redact(&text)
        .0
        .into_owned()
}
