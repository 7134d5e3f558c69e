//! Validating rendered JUnit XML against `tests/data/report/junit.xsd` with `xmllint` (Debian's
//! libxml2-utils), shared by the JUnit tests through `#[path]`. Where xmllint is missing the
//! tests skip loudly rather than pass silently.

use std::process::Command;

/// Whether xmllint is installed; prints a SKIPPED notice naming `test` when it is not.
pub fn available(test: &str) -> bool {
    if Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!("SKIPPED {test}: xmllint not installed (apt-get install -y libxml2-utils)");
        return false;
    }
    true
}

/// Validates `xml` against the schema: `Ok(())` or xmllint's complaint.
pub fn validate(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, xml).map_err(|e| e.to_string())?;
    let out = Command::new("xmllint")
        .args(["--noout", "--schema", "tests/data/report/junit.xsd"])
        .arg(&path)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
