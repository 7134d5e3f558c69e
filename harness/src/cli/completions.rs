//! `hachaos completions SHELL` and `hachaos man`: generated from the clap definitions, so they
//! never drift from the real flags.

use super::output::{emit_bytes, Stream};
use super::Outcome;
use crate::exit_code::ExitCode;
use clap::CommandFactory;

/// Arguments of `hachaos completions`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos completions bash > /etc/bash_completion.d/hachaos\n  hachaos completions zsh > \"${fpath[1]}/_hachaos\""
)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `hachaos man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  hachaos man > /usr/local/share/man/man1/hachaos.1")]
pub struct ManArgs {}

pub(crate) fn completions(args: CompletionsArgs) -> Outcome {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "hachaos", &mut out);
    emit_bytes(Stream::Out, &out);
    ExitCode::Pass
}

pub(crate) fn man(_: ManArgs) -> Outcome {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(super::Cli::command()).render(&mut out) {
        super::report_error(&e);
        return ExitCode::Unknown;
    }
    emit_bytes(Stream::Out, &out);
    ExitCode::Pass
}
