//! `hachaos qualify-report`: recompute and re-render a release qualification from the run
//! directories of both releases. Exit 0 when the candidate did not regress, 1 when it did,
//! 2 on bad input (unreadable directory, no runs, bad thresholds file or flag), 3 when the
//! files could not be written.

use super::output::{errln, out, outln};
use super::report_error;
use crate::exit_code::{ExitCode, ExitStatus};
use crate::report::compare::parse_relative;
use crate::report::qualify::{
    load_side_skipping, parse_rate, parse_seconds, render_json, render_text, write_qualification,
    Qualification, QualifyThresholds, Side,
};
use std::path::{Path, PathBuf};

/// Output formats on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QualifyFormat {
    /// The phase table, verdict changes, sequence differences and regressions.
    Text,
    /// The qualification as versioned JSON (`format_version: 1`).
    Json,
}

/// Arguments of `hachaos qualify-report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each side is a directory searched recursively for run.json files, e.g.\nreports/qualify/<id>/<release>/ holding <scenario>/<run>/run.json. The release is named\nafter the directory unless --baseline-name / --candidate-name say otherwise.\n\nThresholds: defaults, then --thresholds FILE, then the flags.\n\nExit codes: 0 no regression, 1 regression, 2 bad input, 3 cannot write --out.\n\nExamples:\n  hachaos qualify-report --baseline reports/qualify/q1/pg16-pgpool45 --candidate reports/qualify/q1/pg17-pgpool46\n  hachaos qualify-report --baseline old --candidate new --thresholds qualify.yaml --out reports/qualify/q1"
)]
pub struct QualifyReportArgs {
    /// The baseline release's runs.
    #[arg(long)]
    pub baseline: PathBuf,
    /// The candidate release's runs.
    #[arg(long)]
    pub candidate: PathBuf,
    /// The baseline's release name (default: the directory's name).
    #[arg(long)]
    pub baseline_name: Option<String>,
    /// The candidate's release name (default: the directory's name).
    #[arg(long)]
    pub candidate_name: Option<String>,
    /// When the candidate counts as regressed.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Also write qualification.{json,xml,html,txt} into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = QualifyFormat::Text)]
    pub format: QualifyFormat,
}

/// The regression thresholds of `qualify` and `qualify-report`: defaults, then a file, then flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ThresholdArgs {
    /// A YAML thresholds file (relative, floor, measurements, max_lost_writes,
    /// pass_rate_drop, allow_sequence_changes).
    #[arg(long)]
    pub thresholds: Option<PathBuf>,
    /// How much slower (relative) a phase may get: `20%` or `0.2`.
    #[arg(long)]
    pub threshold: Option<String>,
    /// ... and by at least this much: seconds (`0.5`) or a duration (`500ms`).
    #[arg(long)]
    pub floor: Option<String>,
    /// Acknowledged writes a candidate run may lose.
    #[arg(long)]
    pub max_lost_writes: Option<usize>,
    /// How far the candidate's pass rate may drop: `10%` or `0.1`.
    #[arg(long)]
    pub pass_rate_drop: Option<String>,
    /// Report event-sequence differences without counting them as regressions.
    #[arg(long)]
    pub allow_sequence_changes: bool,
}

pub(crate) fn run(args: QualifyReportArgs) -> ExitCode {
    let thresholds = match args.thresholds.resolve() {
        Ok(t) => t,
        Err(e) => {
            errln!("error: {e}");
            return e.exit_code();
        }
    };
    let (bname, cname) = names(&args);
    let mut sides = Vec::with_capacity(2);
    for (name, dir) in [(bname, &args.baseline), (cname, &args.candidate)] {
        match load_side_skipping(&name, dir) {
            Ok((side, skipped)) => {
                for e in &skipped {
                    errln!("warning: skipped: {}", crate::ErrorChain(e));
                }
                sides.push(side)
            }
            Err(e) => {
                report_error(&e);
                return e.exit_code();
            }
        }
    }
    let (baseline, candidate): (&Side, &Side) = (&sides[0], &sides[1]);
    let q = Qualification::new(baseline, candidate, &thresholds);
    match args.format {
        QualifyFormat::Text => out!("{}", render_text(&q)),
        QualifyFormat::Json => outln!("{}", render_json(&q)),
    }
    if let Some(out) = &args.out {
        match write_qualification(out, &q, baseline.runs(), candidate.runs()) {
            Ok(files) => {
                for f in files {
                    errln!("wrote {}", f.display());
                }
            }
            Err(e) => {
                report_error(&e);
                return e.exit_code();
            }
        }
    }
    if q.regressed {
        ExitCode::ScenarioFailed
    } else {
        ExitCode::Pass
    }
}

/// Thresholds that cannot be resolved: a bad thresholds file or flag.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ThresholdArgsError {
    /// `--thresholds` names a file that does not load.
    #[error(transparent)]
    File(#[from] crate::loader::YamlError),
    /// A flag's value does not parse.
    #[error("{flag}: {source}")]
    Flag {
        /// The flag (`--threshold`, `--floor`, `--pass-rate-drop`).
        flag: &'static str,
        /// Why.
        #[source]
        source: crate::report::ThresholdError,
    },
}

/// Thresholds are the caller's: bad input.
impl ExitStatus for ThresholdArgsError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

impl ThresholdArgs {
    /// Defaults, then the file, then the flags.
    pub(crate) fn resolve(&self) -> Result<QualifyThresholds, ThresholdArgsError> {
        let args = self;
        let flag = |flag: &'static str| move |source| ThresholdArgsError::Flag { flag, source };
        let mut t = match &args.thresholds {
            Some(path) => QualifyThresholds::from_path(path)?,
            None => QualifyThresholds::default(),
        };
        if let Some(r) = &args.threshold {
            t.default.relative = parse_relative(r).map_err(flag("--threshold"))?;
        }
        if let Some(f) = &args.floor {
            t.default.floor_s = parse_seconds(f).map_err(flag("--floor"))?;
        }
        if let Some(n) = args.max_lost_writes {
            t.max_lost_writes = n;
        }
        if let Some(d) = &args.pass_rate_drop {
            t.pass_rate_drop = parse_rate(d).map_err(flag("--pass-rate-drop"))?;
        }
        if args.allow_sequence_changes {
            t.allow_sequence_changes = true;
        }
        Ok(t)
    }
}

/// The release names: given, else the directories' names; two equal names get a role suffix so
/// the report (and its JUnit suites) can tell them apart.
fn names(args: &QualifyReportArgs) -> (String, String) {
    let dir_name = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| p.display().to_string())
    };
    let b = args
        .baseline_name
        .clone()
        .unwrap_or_else(|| dir_name(&args.baseline));
    let c = args
        .candidate_name
        .clone()
        .unwrap_or_else(|| dir_name(&args.candidate));
    if b == c {
        (format!("{b} (baseline)"), format!("{c} (candidate)"))
    } else {
        (b, c)
    }
}
