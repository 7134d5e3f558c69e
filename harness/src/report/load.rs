//! Reading run records back from disk: a `run.json`, a run directory, or a scenario directory
//! holding many runs (`reports/<scenario>/<run-id>/`), as `report` and `compare` accept them.

use super::ReportError;
use crate::record::run::{RunRecord, FORMAT_VERSION, OLDEST_READABLE};
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
/// such rather than as a confusing missing-field error. An older readable record is upgraded to
/// [`FORMAT_VERSION`] in memory (see [`crate::record::run`] for what changed).
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
    if !(OLDEST_READABLE..=FORMAT_VERSION).contains(&v.format_version) {
        return Err(ReportError::FormatVersion {
            path: origin.to_path_buf(),
            found: v.format_version,
            oldest: OLDEST_READABLE,
            expected: FORMAT_VERSION,
        });
    }
    let mut record: RunRecord = serde_json::from_str(text).map_err(parse_err)?;
    // Version 1's only difference (`profile` for `release`) is taken by the field's alias.
    record.format_version = FORMAT_VERSION;
    Ok(record)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A format 1 record (it says `profile`), as recorded.
    const V1: &str = include_str!("../../tests/data/runs/partition/run.json");

    #[test]
    fn a_format_1_record_is_read_with_its_profile_as_the_release_and_written_back_as_format_2() {
        assert!(V1.contains("\"format_version\": 1") && V1.contains("\"profile\": "));
        let old = parse_run(V1, Path::new("v1/run.json")).expect("format 1 is read");
        assert_eq!(old.release, "pgpool");
        assert_eq!(old.format_version, FORMAT_VERSION);

        let json = serde_json::to_value(&old).unwrap();
        assert_eq!(json["release"], "pgpool");
        assert_eq!(json["format_version"], 2);
        assert!(json.get("profile").is_none(), "format 2 says release only");
        let again = parse_run(&json.to_string(), Path::new("v2/run.json")).expect("format 2");
        assert_eq!(again.release, old.release);
        assert_eq!(again.verdict, old.verdict);
    }

    #[test]
    fn a_record_older_than_format_1_or_newer_than_this_harness_is_refused() {
        for v in [0, FORMAT_VERSION + 1] {
            let text = V1.replacen(
                "\"format_version\": 1",
                &format!("\"format_version\": {v}"),
                1,
            );
            let err = parse_run(&text, Path::new("x/run.json")).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("x/run.json has format_version {v}, this hachaos reads 1 to 2")
            );
        }
    }
}
