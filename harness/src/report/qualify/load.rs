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
    let (side, mut skipped) = load_side_skipping(release, dir)?;
    match skipped.is_empty() {
        true => Ok(side),
        false => Err(skipped.remove(0)),
    }
}

/// Like [`load_side`], but a directory below `dir` that cannot be read is skipped and returned
/// with the side (the caller warns), so one unreadable folder in a tree of kept runs does not
/// stop the report. `dir` itself must be readable.
pub fn load_side_skipping(
    release: &str,
    dir: &Path,
) -> Result<(Side, Vec<ReportError>), ReportError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    collect(dir, &mut files, &mut skipped, true)?;
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
    Ok((Side::new(release, runs), skipped))
}

fn collect(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<ReportError>,
    top: bool,
) -> Result<(), ReportError> {
    let read_err = |source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) if top => return Err(read_err(source)),
        Err(source) => {
            skipped.push(read_err(source));
            return Ok(());
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(source) => {
                skipped.push(read_err(source));
                continue;
            }
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, out, skipped, false)?;
        } else if kind.is_file() && entry.file_name() == RUN_JSON {
            out.push(path);
        }
    }
    Ok(())
}
