//! Reading run records back from disk: a `run.json`, a run directory, or a scenario directory
//! holding many runs (`reports/<scenario>/<run-id>/`), as `report` and `compare` accept them.

use super::ReportError;
use crate::record::run::{RunRecord, FORMAT_VERSION};
use std::path::{Path, PathBuf};

/// The run record's file name inside a run directory.
pub const RUN_JSON: &str = "run.json";

/// Where a run's `run.json` is: `path` itself if it is a file, else `path/run.json`.
pub fn run_json_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(RUN_JSON)
    } else {
        path.to_path_buf()
    }
}

/// Reads one run record from a `run.json` or a run directory.
///
/// The format version is checked first, so a record from an incompatible harness is reported as
/// such rather than as a confusing missing-field error.
pub fn read_run(path: &Path) -> Result<RunRecord, ReportError> {
    let file = run_json_path(path);
    if path.is_dir() && !file.is_file() {
        return Err(ReportError::NoRun {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(&file).map_err(|source| ReportError::Read {
        path: file.clone(),
        source,
    })?;
    parse_run(&text, &file)
}

/// Parses the text of a `run.json` (`origin` names it in errors).
pub fn parse_run(text: &str, origin: &Path) -> Result<RunRecord, ReportError> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let parse_err = |source| ReportError::Parse {
        path: origin.to_path_buf(),
        source,
    };
    let v: Version = serde_json::from_str(text).map_err(parse_err)?;
    if v.format_version != FORMAT_VERSION {
        return Err(ReportError::FormatVersion {
            path: origin.to_path_buf(),
            found: v.format_version,
            expected: FORMAT_VERSION,
        });
    }
    serde_json::from_str(text).map_err(parse_err)
}

/// Reads every run under `path`: a `run.json` or run directory gives one run; a directory whose
/// subdirectories hold `run.json` files (a scenario's `reports/<scenario>/`) gives all of them,
/// oldest first. The `latest` symlink is skipped so no run counts twice.
pub fn read_runs(path: &Path) -> Result<Vec<RunRecord>, ReportError> {
    if !path.is_dir() || path.join(RUN_JSON).is_file() {
        return read_run(path).map(|r| vec![r]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.join(RUN_JSON).is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(ReportError::NoRun {
            path: path.to_path_buf(),
        });
    }
    let mut runs = dirs
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<Vec<_>, _>>()?;
    runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    Ok(runs)
}
