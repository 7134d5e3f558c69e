//! A suite's reports: `suite.json`, one JUnit file (`junit.xml`), the `index.html` matrix and the
//! console summary, all
//! rendered from one [`SuiteRecord`] (and, for JUnit, each case's own `run.json`).

mod html;
mod junit;
mod text;

pub use html::render_index;
pub use junit::{render_junit, stable_check_name};
pub use text::render_text;

use crate::report::ReportError;
use crate::suite::{SuiteRecord, SUITE_FORMAT_VERSION, SUITE_JSON};
use std::path::{Path, PathBuf};

/// The suite's JUnit file name.
pub const SUITE_JUNIT: &str = "junit.xml";
/// The suite's HTML matrix.
pub const SUITE_INDEX: &str = "index.html";

/// Writes `suite.json`, `junit.xml` and `index.html` into `dir`; returns their paths.
pub fn write_suite(dir: &Path, suite: &SuiteRecord) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let json = serde_json::to_string_pretty(suite).unwrap_or_default();
    let files = [
        (SUITE_JSON, json),
        (SUITE_JUNIT, render_junit(suite, dir)),
        (SUITE_INDEX, render_index(suite)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Reads `<dir>/suite.json`.
pub fn read_suite(dir: &Path) -> Result<SuiteRecord, ReportError> {
    let path = if dir.is_dir() {
        dir.join(SUITE_JSON)
    } else {
        dir.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Read {
        path: path.clone(),
        source,
    })?;
    let not_suite =
        |path: PathBuf, source: Box<dyn std::error::Error + Send + Sync>| ReportError::NotSuite {
            path,
            expected: SUITE_FORMAT_VERSION,
            source,
        };
    let suite: SuiteRecord =
        serde_json::from_str(&text).map_err(|e| not_suite(path.clone(), Box::new(e)))?;
    if suite.format_version != SUITE_FORMAT_VERSION {
        return Err(not_suite(
            path,
            format!("format_version {}", suite.format_version).into(),
        ));
    }
    Ok(suite)
}
