//! Writing a qualification's four files into one directory.

use super::html::render_html;
use super::junit::render_junit;
use super::model::Qualification;
use super::text::render_text;
use crate::record::RunRecord;
use crate::report::write::write;
use crate::report::ReportError;
use std::path::{Path, PathBuf};

/// The JSON file name.
pub const QUALIFICATION_JSON: &str = "qualification.json";
/// The JUnit XML file name.
pub const QUALIFICATION_XML: &str = "qualification.xml";
/// The HTML page's file name.
pub const QUALIFICATION_HTML: &str = "qualification.html";
/// The text report's file name.
pub const QUALIFICATION_TXT: &str = "qualification.txt";

/// `q` as pretty JSON (`format_version` first).
pub fn render_json(q: &Qualification) -> String {
    // A structure of strings, numbers and enums always serialises.
    serde_json::to_string_pretty(q).unwrap_or_default()
}

/// Writes `qualification.{json,xml,html,txt}` into `dir` (created if missing) and returns the
/// paths written. `baseline` and `candidate` are the runs `q` was computed from (the HTML page
/// draws their timelines).
pub fn write_qualification(
    dir: &Path,
    q: &Qualification,
    baseline: &[RunRecord],
    candidate: &[RunRecord],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = [
        (QUALIFICATION_JSON, render_json(q)),
        (QUALIFICATION_XML, render_junit(q)),
        (QUALIFICATION_HTML, render_html(q, baseline, candidate)),
        (QUALIFICATION_TXT, render_text(q)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        write(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}
