//! `hachaos list-faults`: the fault catalogue, each kind with its inverse and what it really does.

use super::output::{outln, OutputFormat as Format};
use super::Outcome;
use crate::exit_code::ExitCode;
use crate::faults::FaultKind;

/// Arguments of `hachaos list-faults`.
#[derive(Debug, clap::Args)]
pub struct ListFaultsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(crate) fn run(args: ListFaultsArgs) -> Outcome {
    let rows: Vec<_> = FaultKind::ALL.iter().map(|k| k.info()).collect();
    match args.format {
        Format::Json => {
            super::output::print_json(&serde_json::json!({"format_version": 1, "faults": rows}));
        }
        Format::Text => {
            for r in rows {
                outln!(
                    "{:<18} healed by {:<20} peers see: {}",
                    r.kind.name(),
                    r.heal.name(),
                    r.peer_sees.describe()
                );
                outln!("    fault: {}", r.mechanism);
                outln!("    heal:  {}", r.heal_mechanism);
            }
        }
    }
    ExitCode::Pass
}
