//! Collecting one release's run records from disk, for re-rendering a qualification offline.

use super::model::Side;
use crate::report::{read_run, ReportError, RUN_JSON};
use std::path::{Path, PathBuf};

/// Every `run.json` below `dir`, at any depth (`<release>/<scenario>/<run>/run.json` as the live
/// qualification writes it, or a plain `reports/` tree), as the side `release`.
///
/// Symbolic links are not followed, so a scenario's `latest` link does not count a run twice.
/// An unreadable or foreign `run.json` is an error naming it; a tree without any is
/// [`ReportError::NoRun`].
pub fn load_side(release: &str, dir: &Path) -> Result<Side, ReportError> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    if files.is_empty() {
        return Err(ReportError::NoRun {
            path: dir.to_path_buf(),
        });
    }
    files.sort();
    let runs = files
        .iter()
        .map(|f| read_run(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Side::new(release, runs))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file() && entry.file_name() == RUN_JSON {
            out.push(path);
        }
    }
    Ok(())
}
