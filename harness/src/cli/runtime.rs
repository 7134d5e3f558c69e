//! Running a command's async body: one runtime, and Ctrl-C / SIGTERM turned into an orderly stop.

use super::output::errln;
use std::future::Future;

/// The body was interrupted by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interrupted(pub &'static str);

/// Builds the runtime every command uses.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `body` until it finishes or SIGINT / SIGTERM arrives. The caller cleans up after an
/// interruption (the body's future is dropped at its current await point).
pub(crate) async fn until_interrupted<F: Future>(body: F) -> Result<F::Output, Interrupted> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        out = body => Ok(out),
        _ = tokio::signal::ctrl_c() => Err(Interrupted("SIGINT")),
        _ = term.recv() => Err(Interrupted("SIGTERM")),
    }
}

/// A flag that becomes `true` on SIGINT / SIGTERM, for bodies that stop themselves in order (a
/// scenario heals its faults and tears down before it returns).
pub(crate) fn cancel_on_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        errln!("interrupted: healing faults and tearing down");
        let _ = tx.send(true);
    });
    rx
}
