//! `hachaos validate`: checks scenario files into plans without starting anything.

use super::output::{errln, outln};
use super::Outcome;
use crate::exit_code::{ExitCode, ExitStatus};
use crate::scenario::{load_path, Capabilities};
use std::path::PathBuf;

/// Arguments of `hachaos validate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hachaos validate faults/*.yaml\n  hachaos validate --format json faults/partition.yaml\n  hachaos validate --release-file my-release.yaml"
)]
pub struct ValidateArgs {
    /// Scenario files.
    #[arg(required_unless_present = "release_file")]
    pub files: Vec<PathBuf>,
    /// A release file (bring your own image): checks its keys and values and loads its grammar,
    /// without contacting Docker. `--profile-file` is its deprecated spelling.
    #[arg(long, alias = "profile-file", value_name = "FILE")]
    pub release_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per valid file on stdout; errors as `file:line: path: message` on stderr.
    Text,
    /// One JSON document on stdout (`format_version` 1).
    Json,
}

pub(crate) fn run(args: ValidateArgs) -> Outcome {
    let mut caps = Capabilities::default();
    // `run` looks `release:` up in the image source: refuse here, with file:line, a name `run`
    // would refuse later.
    if let Ok(releases) = crate::release::ImageSource::from_env().releases() {
        caps.releases = Some(releases);
    }
    let mut all_ok = true;
    // The code of the last failure (each knows its own); Pass when every file validated.
    let mut code = ExitCode::Pass;
    if let Some(path) = &args.release_file {
        match super::release_arg::load_file(path) {
            Ok(chosen) => {
                let r = &chosen.release;
                outln!(
                    "{}: release {} ({}, pgpool-II {}): image {}, grammar {} ({} rules), logs {}/{{{}}}",
                    path.display(),
                    r.name,
                    r.versions.database,
                    r.versions.pgpool,
                    r.image.as_deref().unwrap_or("built here from Debian packages"),
                    r.grammar,
                    chosen.grammar.rules.len(),
                    r.logs.dir,
                    r.logs.files.join(",")
                );
            }
            Err(c) => {
                all_ok = false;
                code = c;
            }
        }
    }
    let mut files = Vec::new();
    for path in &args.files {
        let result = load_path(path, &caps);
        if let Err(errs) = &result {
            all_ok = false;
            code = errs.exit_code();
        }
        match args.format {
            Format::Text => match &result {
                Ok(plan) => {
                    outln!("{}", plan.summary());
                    for w in &plan.warnings {
                        errln!("warning: {w}");
                    }
                }
                Err(errs) => {
                    for e in &errs.0 {
                        super::report_error(e);
                    }
                }
            },
            Format::Json => files.push(match &result {
                Ok(plan) => serde_json::json!({
                    "file": plan.file, "valid": true, "name": plan.name,
                    "steps": plan.steps.len(), "warnings": plan.warnings, "errors": [],
                }),
                Err(errs) => serde_json::json!({
                    "file": path.display().to_string(), "valid": false,
                    "warnings": [], "errors": errs.0,
                }),
            }),
        }
    }
    if args.format == Format::Json {
        let doc = serde_json::json!({"format_version": 1, "valid": all_ok, "files": files});
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("json values serialize")
        );
    }
    code
}
