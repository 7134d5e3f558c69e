//! Console plumbing shared by subcommands: tracing setup and colour policy.

use std::io::IsTerminal;

/// Sets up `tracing` on stderr; `-v` raises the level, `RUST_LOG` overrides.
pub(crate) fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,hachaos=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_colour())
        .try_init();
}

/// Colours only on a terminal and never with `NO_COLOR` set.
pub(crate) fn use_colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Progress lines on stderr, each with the milliseconds since the command started.
pub(crate) struct Progress {
    started: std::time::Instant,
}

impl Progress {
    /// Starts the clock.
    pub(crate) fn new() -> Progress {
        Progress {
            started: std::time::Instant::now(),
        }
    }

    /// Announces a phase.
    pub(crate) fn phase(&mut self, what: &str) {
        eprintln!("[{:>7} ms] {what}", self.started.elapsed().as_millis());
    }

    /// Announces the end.
    pub(crate) fn done(&mut self, what: &str) {
        self.phase(what);
    }
}
