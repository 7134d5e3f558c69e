//! Choosing the release a command runs against: `--release NAME` (a folder of `images/`),
//! `--release-file FILE` (a release file of your own, e.g. for an image built elsewhere; the old
//! spelling `--profile-file` is still accepted with a warning), or the scenario's `release:`.

use super::output::errln;
use super::report_error;
use crate::exit_code::{ExitCode, ExitStatus};
use crate::grammar::GrammarDef;
use crate::image::DEFAULT_RELEASE;
use crate::release::Release;
use std::path::{Path, PathBuf};

/// The flags every cluster-starting command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReleaseArgs {
    /// The release to run (a folder of images/ with a release.yaml; default: the scenario's
    /// `release:`, else pg17-pgpool46).
    #[arg(long, conflicts_with = "release_file")]
    pub release: Option<String>,
    /// A release file of your own (bring your own image); check it first with
    /// `hachaos validate --release-file FILE`. `--profile-file` is its deprecated spelling.
    #[arg(long, alias = "profile-file", value_name = "FILE")]
    pub release_file: Option<PathBuf>,
}

/// A release with its grammar, ready to run.
#[derive(Clone, Debug)]
pub struct Chosen {
    /// The release.
    pub release: Release,
    /// Its log grammar.
    pub grammar: GrammarDef,
}

impl ReleaseArgs {
    /// Resolves the flags (falling back to the scenario's release), printing what is wrong.
    pub(crate) fn choose(&self, scenario_release: &str) -> Result<Chosen, ExitCode> {
        match &self.release_file {
            Some(path) => load_file(path),
            None => builtin(self.release.as_deref().unwrap_or(scenario_release)),
        }
    }
}

impl ReleaseArgs {
    /// The flag that names this choice on a command line (for reproduce lines).
    pub(crate) fn as_flag(&self) -> String {
        match (&self.release_file, &self.release) {
            (Some(f), _) => format!("--release-file {}", f.display()),
            (None, Some(r)) => format!("--release {r}"),
            (None, None) => format!("--release {DEFAULT_RELEASE}"),
        }
    }
}

/// A built-in release by name.
fn builtin(name: &str) -> Result<Chosen, ExitCode> {
    let release = Release::builtin(name).map_err(|e| {
        report_error(&e);
        e.exit_code()
    })?;
    with_grammar(release, None)
}

/// A release file.
pub(crate) fn load_file(path: &Path) -> Result<Chosen, ExitCode> {
    let release = Release::from_path(path).map_err(|e| {
        report_error(&e);
        e.exit_code()
    })?;
    with_grammar(release, Some(path))
}

fn with_grammar(release: Release, file: Option<&Path>) -> Result<Chosen, ExitCode> {
    match release.grammar_def(file) {
        Ok(grammar) => Ok(Chosen { release, grammar }),
        Err(e) => {
            let file = file.map_or_else(
                || format!("<builtin:images/{}/release.yaml>", release.name),
                |f| f.display().to_string(),
            );
            errln!(
                "error: {file}: at `grammar`: cannot load the grammar (value: {:?}): {}",
                release.grammar,
                crate::ErrorChain(&e).to_string()
            );
            Err(e.exit_code())
        }
    }
}
