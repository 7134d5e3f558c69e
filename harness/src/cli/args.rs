//! The clap definitions of every subcommand (raw arguments only; validation happens in the
//! subcommand modules).

use clap::{Parser, Subcommand};

/// Chaos and fault injection for high-availability PostgreSQL + pgpool-II clusters.
#[derive(Debug, Parser)]
#[command(name = "hachaos", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse cluster logs offline into one timeline and judge the failover.
    Analyze(super::analyze::AnalyzeArgs),
    /// Build or name the node image (Debian packages, no registry, cached by content hash).
    Image(super::image::ImageArgs),
}
