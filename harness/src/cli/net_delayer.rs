//! `hachaos __net-delayer` (hidden): the packet delayer process of `network-delay`, started by
//! the fault with its stdin as a lifeline (see `faults::delayer`). Not for people to run.

use crate::exit_code::{ExitCode, ExitStatus};
use crate::faults::delayer::{self, DelayerConfig};
use std::time::Duration;

/// The delayer's command line, written by the fault.
#[derive(Debug, clap::Args)]
pub struct NetDelayerArgs {
    /// Host PID whose network namespace to enter.
    #[arg(long)]
    netns_pid: u32,
    /// NFQUEUE queue number.
    #[arg(long)]
    queue: u16,
    /// Delay in microseconds.
    #[arg(long)]
    delay_us: u64,
    /// Jitter (±) in microseconds.
    #[arg(long, default_value_t = 0)]
    jitter_us: u64,
    /// Packets the kernel holds for the queue at most.
    #[arg(long)]
    max_len: u32,
}

pub(crate) fn run(args: NetDelayerArgs) -> super::Outcome {
    let cfg = DelayerConfig {
        netns_pid: args.netns_pid,
        queue: args.queue,
        delay: Duration::from_micros(args.delay_us),
        jitter: Duration::from_micros(args.jitter_us),
        max_len: args.max_len,
    };
    match delayer::run(&cfg) {
        Ok(stats) => {
            println!("{}", stats.line());
            ExitCode::Pass
        }
        Err(e) => {
            eprintln!("network-delay delayer: {e}");
            e.exit_code()
        }
    }
}
