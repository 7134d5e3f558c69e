//! Writing a run's rendered files next to its `run.json`.
//!
//! Secrets: `run.json` is redacted by replacing every configured secret with `<redacted>`. The
//! JUnit and HTML files are then rendered from *that* redacted JSON read back, not from the
//! in-memory record, so a reporter can only ever show what `run.json` shows; as a second line of
//! defence the rendered text is scrubbed with the same secrets (log tails read from `logs/` are
//! redacted at copy time, but this costs nothing).

use super::load::{parse_run, RUN_JSON};
use super::tail::LogTails;
use super::{html, junit_with_tails, ReportError};
use crate::record::RunRecord;
use std::path::Path;

/// The JUnit file name in a run directory.
pub const JUNIT_XML: &str = "junit.xml";
/// The HTML timeline file name in a run directory.
pub const TIMELINE_HTML: &str = "timeline.html";

/// Replaces every non-empty secret in `text` with `<redacted>`.
pub fn scrub(mut text: String, secrets: &[String]) -> String {
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(s.as_str()) {
            text = text.replace(s.as_str(), "<redacted>");
        }
    }
    text
}

/// Writes `run.json` (redacted), `junit.xml` and `timeline.html` into `run_dir`.
pub fn write_run_files(
    record: &RunRecord,
    run_dir: &Path,
    secrets: &[String],
) -> Result<(), ReportError> {
    let json = serde_json::to_string_pretty(record).unwrap_or_default();
    let json = scrub(json, secrets);
    write(&run_dir.join(RUN_JSON), &json)?;
    let redacted = parse_run(&json, &run_dir.join(RUN_JSON))?;
    write_rendered(&redacted, run_dir, secrets)
}

/// Stores a finished run in its directory (the record's `run_dir`): `run.json` and
/// `evidence.json` (both redacted), `junit.xml` and `timeline.html` rendered from the redacted
/// record, and points `<scenario>/latest` at it. What every caller of the executor does with
/// what it returned.
pub fn store_run(
    record: &RunRecord,
    evidence: &crate::judge::Evidence,
    secrets: &[String],
) -> Result<(), ReportError> {
    let run_dir = Path::new(&record.run_dir);
    let evidence_json = serde_json::to_string_pretty(evidence).unwrap_or_default();
    write(
        &run_dir.join(crate::judge::EVIDENCE_JSON),
        &scrub(evidence_json, secrets),
    )?;
    write_run_files(record, run_dir, secrets)?;
    if let (Some(parent), Some(name)) = (run_dir.parent(), run_dir.file_name()) {
        let latest = parent.join("latest");
        let _ = std::fs::remove_file(&latest);
        let _ = std::os::unix::fs::symlink(name, &latest);
    }
    Ok(())
}

/// Writes `junit.xml` and `timeline.html` for an already redacted record (`hachaos report`).
pub fn write_rendered(
    record: &RunRecord,
    run_dir: &Path,
    secrets: &[String],
) -> Result<(), ReportError> {
    let mut tails = LogTails::from_logs_dir(&run_dir.join("logs"));
    if tails.is_empty() {
        tails = LogTails::from_record(record);
    }
    write(
        &run_dir.join(JUNIT_XML),
        &scrub(junit_with_tails(record, &tails), secrets),
    )?;
    write(&run_dir.join(TIMELINE_HTML), &scrub(html(record), secrets))
}

pub(super) fn write(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}
