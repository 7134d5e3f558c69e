//! The clap definitions of every subcommand (raw arguments only; validation happens in the
//! subcommand modules).

use clap::{Parser, Subcommand};

/// Chaos and fault injection for high-availability PostgreSQL + pgpool-II clusters.
///
/// Exit codes: 0 pass, 1 a check or scenario failed, 2 bad input, 3 environment problem
/// (no Docker daemon, image missing, cluster not ready), 4 unknown, 130 interrupted, 141 output
/// closed early (broken pipe), 74 output could not be written (full device).
#[derive(Debug, Parser)]
#[command(name = "hachaos", version, about, long_about)]
pub struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output (`auto`: on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// forces it).
    #[arg(long, global = true, value_enum, default_value_t = super::output::ColorChoice::Auto)]
    pub color: super::output::ColorChoice,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario file against a fresh cluster and judge what happened.
    Run(super::run_cmd::RunArgs),
    /// Build the node image if needed, boot a two-node cluster, wait until ready, leave it up.
    Up(super::cluster_cmds::UpArgs),
    /// Show roles, pgpool's backend states, the VIP holder, the watchdog leader and the lag.
    Status(super::cluster_cmds::SelectArgs),
    /// Copy a running cluster's logs out and remove it.
    Down(super::cluster_cmds::SelectArgs),
    /// Remove every container, network and volume hachaos created (or only stale ones).
    Clean(super::cluster_cmds::CleanArgs),
    /// Analyse cluster logs offline into one timeline and judge the failover.
    Analyze(super::analyze::AnalyzeArgs),
    /// Check scenario files (faults/*.yaml) without starting anything.
    Validate(super::validate::ValidateArgs),
    /// List the fault kinds, their inverses and what each really does.
    ListFaults(super::list_faults::ListFaultsArgs),
    /// Build or name the node image (Debian packages, no registry, cached by content hash).
    Image(super::image::ImageArgs),
    /// Re-render a run's JUnit XML, HTML timeline, JSON or summary from its run.json.
    Report(super::report_cmd::ReportArgs),
    /// Compare old runs with new runs: slower phases beyond a threshold, changed verdicts.
    Compare(super::compare_cmd::CompareArgs),
    /// Run the same scenarios against two releases and compare them (release qualification).
    Qualify(super::qualify_cmd::QualifyArgs),
    /// Recompute a release qualification (baseline against candidate) from run directories.
    QualifyReport(super::qualify_report_cmd::QualifyReportArgs),
    /// Check this runner's prerequisites (engine, privileges, host tools, kernel features, subnet,
    /// disk, image), each with a one-line fix, and which fault kinds it supports.
    Doctor(super::doctor_cmd::DoctorArgs),
    /// Run seeded random fault schedules on fresh clusters, judge invariants, shrink failures
    /// into minimal scenario files.
    Explore(super::explore_cmd::ExploreArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(super::completions::CompletionsArgs),
    /// Print the man page (roff) of hachaos and its commands.
    Man(super::completions::ManArgs),
    /// Internal: the packet delayer of `network-delay`, started by the fault itself.
    #[command(name = "__net-delayer", hide = true)]
    NetDelayer(super::net_delayer::NetDelayerArgs),
}
