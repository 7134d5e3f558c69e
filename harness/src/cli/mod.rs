//! The command line: raw arguments (clap) are turned into validated requests and handed to the
//! library. Each subcommand lives in its own file with its `Args` and `run`.

mod analyze;
mod args;
mod image;
mod output;

pub use args::{Cli, Command};

use crate::exit_code::ExitCode;
use clap::Parser;

/// Parses the process arguments, runs the command and returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    output::init_tracing(cli.verbose);
    let code = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Image(args) => image::run(args),
    };
    code.code()
}

/// Prints an error the way every command does: `error: ` plus lowercase fragments joined by `: `.
pub(crate) fn report_error(err: &dyn std::error::Error) {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    eprintln!("error: {msg}");
}

/// Shorthand used by subcommands.
pub(crate) type Outcome = ExitCode;
