//! `hachaos analyze`: validates arguments, calls [`crate::analyze::analyze`], prints the record
//! and maps its verdict to the exit code (0 pass, 1 a check failed, 2 bad input, 4 unknown).

use super::output::{errln, out};
use super::{report_error, Outcome};
use crate::analyze::{self, AnalyzeOptions, Expect, GrammarChoice};
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::Format;
use std::io::Write;
use std::path::PathBuf;

/// `--expect` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExpectArg {
    /// A failover must have run (exit 1 when none did).
    Failover,
    /// No failover may have run (exit 1 when one did).
    None,
    /// Whatever happened; exit 1 only on damage (split brain, two VIP holders, no primary).
    Any,
}

impl From<ExpectArg> for Expect {
    fn from(a: ExpectArg) -> Expect {
        match a {
            ExpectArg::Failover => Expect::Failover,
            ExpectArg::None => Expect::None,
            ExpectArg::Any => Expect::Any,
        }
    }
}

/// Arguments of `hachaos analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Log profile: `auto` (guess from content), `pgpool` or `kingbase-v8r3`.
    #[arg(long, default_value = "auto")]
    pub profile: String,
    /// A profile YAML file (overrides --profile).
    #[arg(long, value_name = "FILE")]
    pub profile_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the HTML timeline (the same page as a run's timeline.html) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// What should have happened: `failover`, `none`, or `any` (only damage fails).
    #[arg(long, value_enum, default_value_t = ExpectArg::Any)]
    pub expect: ExpectArg,
    /// PANIC lines are expected (PostgreSQL PANICs by design on a read-only or full disk): the
    /// forbidden-pattern check reports them instead of failing.
    #[arg(long)]
    pub allow_panic: bool,
    /// `NODE=PATH` log files (a node may repeat; PATH may be a directory), or a run's `logs/`
    /// directory holding one folder per node.
    #[arg(required = true, value_name = "NODE=PATH")]
    pub inputs: Vec<String>,
}

pub(crate) fn run(args: AnalyzeArgs) -> Outcome {
    let mut inputs = Vec::new();
    for arg in &args.inputs {
        match analyze::parse_argument(arg) {
            Ok(mut found) => inputs.append(&mut found),
            Err(e) => {
                report_error(&e);
                return e.exit_code();
            }
        }
    }
    if let Some(html) = &args.html {
        if let Some(input) = inputs.iter().find(|i| same_file(&i.path, html)) {
            errln!(
                "error: --html {} is one of the inputs ({}={}); refusing to overwrite it",
                html.display(),
                input.node,
                input.path.display()
            );
            return ExitCode::BadInput;
        }
    }
    let choice = match (&args.profile_file, args.profile.as_str()) {
        (Some(path), _) => GrammarChoice::File(path.clone()),
        (None, "auto") => GrammarChoice::Auto,
        (None, name) => GrammarChoice::Builtin(name.to_string()),
    };
    let options = AnalyzeOptions {
        expect: Some(args.expect.into()),
        allow_panic: args.allow_panic,
        ..AnalyzeOptions::default()
    };
    let record = match analyze::analyze(&inputs, &choice, &options) {
        Ok(r) => r,
        Err(e) => {
            report_error(&e);
            return e.exit_code();
        }
    };
    for s in &record.skipped {
        errln!(
            "warning: skipped {}={}: {}",
            s.node,
            s.path,
            crate::report::escape_control(&s.reason)
        );
    }
    if let Some(path) = &args.html {
        if let Err(e) = std::fs::write(path, crate::report::analysis_html(&record)) {
            errln!("error: cannot write {}: {e}", path.display());
            return ExitCode::Environment;
        }
    }
    match args.format {
        Format::Json => {
            // Streamed: a record with many events never exists twice in memory.
            // A closed or full stdout is recorded by the sink and decides the exit code.
            let mut out = super::output::StdoutSink::new();
            let written = serde_json::to_writer_pretty(&mut out, &record)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out));
            out.finish(written);
        }
        f => out!(
            "{}",
            crate::report::Render::render(&record, f, &Default::default())
        ),
    }
    let code: ExitCode = record.verdict.into();
    // The process exits right after this: handing hundreds of thousands of events back to the
    // allocator one by one only to exit cost 5 % of the run time on an event-dense log.
    std::mem::forget(record);
    code
}

/// Whether `a` and `b` name the same file (`b` may not exist yet).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let canon = |p: &std::path::Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => std::path::Path::new("."),
            };
            Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
        })
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
