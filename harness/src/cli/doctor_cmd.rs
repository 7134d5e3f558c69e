//! `hachaos doctor`: checks the runner's prerequisites; `preflight` is the same checks run by
//! `run`, `up` and `qualify` before they start anything.

use super::output::{errln, outln, OutputFormat};
use super::runtime::runtime;
use crate::doctor::{diagnose, Probe};
use crate::exit_code::ExitCode;
use crate::faults::FaultKind;
use crate::scenario::{load_path, Action, Capabilities};
use std::path::PathBuf;

/// Arguments of `hachaos doctor`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 everything needed is there, 2 bad input, 3 something a scenario needs is missing.\n\nExamples:\n  hachaos doctor\n  hachaos doctor faults/primary-network-blackhole.yaml\n  hachaos doctor --format json"
)]
pub struct DoctorArgs {
    /// Scenario files: only the fault kinds they use count for the exit code (default: all).
    pub scenarios: Vec<PathBuf>,
    /// The release whose image should be present.
    #[arg(long, default_value = crate::image::DEFAULT_RELEASE)]
    pub release: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Check this loop control device instead of /dev/loop-control (for testing the check).
    #[arg(long, hide = true, default_value = crate::cluster::LOOP_CONTROL)]
    pub loop_control: PathBuf,
}

/// The fault kinds a plan injects.
pub(crate) fn fault_kinds(plan: &crate::scenario::Plan) -> Vec<FaultKind> {
    let mut kinds: Vec<FaultKind> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Inject { fault, .. } => Some(fault.kind()),
            _ => None,
        })
        .collect();
    kinds.sort_by_key(|k| k.name());
    kinds.dedup();
    kinds
}

pub(crate) fn run(args: DoctorArgs) -> ExitCode {
    let mut needed = Vec::new();
    for f in &args.scenarios {
        match load_path(f, &Capabilities::default()) {
            Ok(plan) => needed.extend(fault_kinds(&plan)),
            Err(errs) => {
                for e in &errs.0 {
                    super::report_error(e);
                }
                return ExitCode::BadInput;
            }
        }
    }
    if args.scenarios.is_empty() {
        needed = FaultKind::ALL.to_vec();
    }
    let probe = Probe {
        loop_control: args.loop_control.clone(),
        release: Some(args.release.clone()),
        ..Probe::default()
    };
    let report = runtime().block_on(diagnose(&probe, &needed));
    match args.format {
        OutputFormat::Json => super::output::print_json(
            &serde_json::to_value(&report).unwrap_or(serde_json::Value::Null),
        ),
        OutputFormat::Text => {
            for c in &report.checks {
                outln!("{}", c.line());
            }
            outln!();
            for f in &report.faults {
                if f.supported {
                    outln!("{:<18} supported", f.kind);
                } else {
                    let why: Vec<&str> = f.missing.iter().map(|m| m.name()).collect();
                    outln!("{:<18} NOT supported (missing: {})", f.kind, why.join(", "));
                }
            }
            outln!(
                "{}",
                if report.ready {
                    "ready: everything the scenarios need is here"
                } else {
                    "not ready: fix the missing checks above"
                }
            );
        }
    }
    if report.ready {
        ExitCode::Pass
    } else {
        ExitCode::Environment
    }
}

/// The checks a cluster with faults `kinds` needs, before anything starts: on a missing one,
/// prints each as `error: doctor: ...` with its fix and returns [`ExitCode::Environment`].
pub(crate) fn preflight(kinds: &[FaultKind]) -> Result<(), ExitCode> {
    let probe = Probe {
        release: None,
        ..Probe::default()
    };
    match runtime().block_on(crate::doctor::preflight(&probe, kinds)) {
        Ok(_) => Ok(()),
        Err(missing) => {
            for c in &missing {
                errln!(
                    "error: doctor: {}",
                    c.line().trim_start_matches("missing").trim_start()
                );
            }
            errln!("error: this runner cannot run it: see `hachaos doctor`");
            Err(ExitCode::Environment)
        }
    }
}
