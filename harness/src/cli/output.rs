//! Console plumbing shared by subcommands: every byte to stdout and stderr, tracing setup and
//! colour policy.
//!
//! Output never panics: a closed pipe (`hachaos analyze F | head`) or a full device stops that
//! stream quietly, the command goes on (a run still heals and tears down), and [`finish`] turns
//! the first failure into [`ExitCode::BrokenPipe`] or [`ExitCode::OutputFailed`] unless the
//! command itself failed (its code says more).

use crate::exit_code::ExitCode;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, Ordering};

/// Which standard stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// stdout: results.
    Out,
    /// stderr: progress, warnings, errors.
    Err,
}

static OUT_DEAD: AtomicBool = AtomicBool::new(false);
static ERR_DEAD: AtomicBool = AtomicBool::new(false);
/// The exit code of the first output failure (0: none).
static FAILURE: AtomicI32 = AtomicI32::new(0);

fn dead(stream: Stream) -> &'static AtomicBool {
    match stream {
        Stream::Out => &OUT_DEAD,
        Stream::Err => &ERR_DEAD,
    }
}

/// Notes that writing to `stream` failed: the stream is not written again, and the first
/// failure decides the exit code.
pub(crate) fn record_failure(stream: Stream, err: &std::io::Error) {
    dead(stream).store(true, Ordering::SeqCst);
    let code = if err.kind() == std::io::ErrorKind::BrokenPipe {
        ExitCode::BrokenPipe
    } else {
        ExitCode::OutputFailed
    };
    let _ = FAILURE.compare_exchange(0, code.code(), Ordering::SeqCst, Ordering::SeqCst);
    tracing::debug!(?stream, error = %err, "output stream failed; not writing to it again");
}

/// Writes formatted text to a stream; a failure is recorded, never a panic.
pub(crate) fn emit(stream: Stream, args: std::fmt::Arguments<'_>) {
    if dead(stream).load(Ordering::SeqCst) {
        return;
    }
    let result = match stream {
        Stream::Out => std::io::stdout().lock().write_fmt(args),
        Stream::Err => std::io::stderr().lock().write_fmt(args),
    };
    if let Err(e) = result {
        record_failure(stream, &e);
    }
}

/// Writes bytes to a stream and flushes; a failure is recorded, never a panic. Returns whether
/// everything was written.
pub(crate) fn emit_bytes(stream: Stream, bytes: &[u8]) -> bool {
    if dead(stream).load(Ordering::SeqCst) {
        return false;
    }
    let result = match stream {
        Stream::Out => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes).and_then(|()| o.flush())
        }
        Stream::Err => std::io::stderr().lock().write_all(bytes),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            record_failure(stream, &e);
            false
        }
    }
}

/// stdout as a buffered `Write` for streamed output (JSON): a failure is recorded and ends the
/// stream.
pub(crate) struct StdoutSink(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl StdoutSink {
    pub(crate) fn new() -> StdoutSink {
        StdoutSink(std::io::BufWriter::new(std::io::stdout().lock()))
    }

    /// Flushes; records a failure (of this or any earlier write) and returns whether all went out.
    pub(crate) fn finish(mut self, written: std::io::Result<()>) -> bool {
        match written.and_then(|()| self.0.flush()) {
            Ok(()) => true,
            Err(e) => {
                record_failure(Stream::Out, &e);
                false
            }
        }
    }
}

impl Write for StdoutSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The process exit status: the command's own code, or, when it passed but its output could
/// not be written, the output failure's code. Flushes stdout first.
pub(crate) fn finish(code: ExitCode) -> i32 {
    if !OUT_DEAD.load(Ordering::SeqCst) {
        if let Err(e) = std::io::stdout().lock().flush() {
            record_failure(Stream::Out, &e);
        }
    }
    match (code, FAILURE.load(Ordering::SeqCst)) {
        (ExitCode::Pass, failure) if failure != 0 => failure,
        (code, _) => code.code(),
    }
}

/// `println!` that never panics (see the module doc).
macro_rules! outln {
    () => { $crate::cli::output::emit($crate::cli::output::Stream::Out, format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::emit($crate::cli::output::Stream::Out, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::emit($crate::cli::output::Stream::Out, format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    () => { $crate::cli::output::emit($crate::cli::output::Stream::Err, format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::emit($crate::cli::output::Stream::Err, format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};

/// `--color`: when to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or always with `CLICOLOR_FORCE`).
    #[default]
    Auto,
    /// Always (even into a pipe or a file).
    Always,
    /// Never.
    Never,
}

/// The `--color` choice (0 auto, 1 always, 2 never), set once by [`set_color`].
static COLOR: AtomicU8 = AtomicU8::new(0);

/// Records `--color` for [`use_colour`] and [`colour_stdout`].
pub(crate) fn set_color(choice: ColorChoice) {
    COLOR.store(choice as u8, Ordering::SeqCst);
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether to colour a stream: `--color always|never` decides; with `auto`, `CLICOLOR_FORCE`
/// forces colour, `NO_COLOR` forbids it, else only a terminal gets it.
fn colour(is_terminal: bool) -> bool {
    match COLOR.load(Ordering::SeqCst) {
        1 => true,
        2 => false,
        _ if env_set("CLICOLOR_FORCE") => true,
        _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
        _ => is_terminal,
    }
}

/// Whether stdout gets colour.
pub(crate) fn colour_stdout() -> bool {
    colour(std::io::stdout().is_terminal())
}

/// Sets up `tracing` on stderr; `-v` raises the level, `RUST_LOG` overrides.
pub(crate) fn init_tracing(verbose: u8) {
    // The harness's own events (Docker calls, waits, probes, faults) first; other crates' only
    // at -vvv, where hyper and bollard add their wire-level noise.
    let default = match verbose {
        0 => "warn",
        1 => "warn,hachaos=info",
        2 => "warn,hachaos=debug",
        _ => "debug,hachaos=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_colour())
        .try_init();
}

/// Whether stderr gets colour (see [`colour`]).
pub(crate) fn use_colour() -> bool {
    colour(std::io::stderr().is_terminal())
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
        errln!("[{:>7} ms] {what}", self.started.elapsed().as_millis());
    }

    /// Announces the end.
    pub(crate) fn done(&mut self, what: &str) {
        self.phase(what);
    }
}

/// `--format` of commands whose output has no other forms: text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text on stdout.
    #[default]
    Text,
    /// One JSON document on stdout with a `format_version`.
    Json,
}

/// Prints one JSON document (pretty) on stdout.
pub(crate) fn print_json(doc: &serde_json::Value) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "null".into());
    outln!("{text}");
}
