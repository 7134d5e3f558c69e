//! The error of the scenario boundary: where in which file, and what.

use serde::Serialize;

/// One problem in a scenario file, located by file, line and YAML key path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.render())]
pub struct PlanError {
    /// The file.
    pub file: String,
    /// 1-based line of the offending value (or key), when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// YAML key path (`steps[2].target`); `.` for the document itself.
    pub path: String,
    /// The offending value as written, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong (a lowercase fragment).
    pub message: String,
}

impl PlanError {
    fn render(&self) -> String {
        let mut s = self.file.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        if !self.path.is_empty() && self.path != "." {
            s.push_str(&format!(": {}", self.path));
        }
        s.push_str(&format!(": {}", self.message));
        s
    }
}

impl From<crate::loader::YamlError> for PlanError {
    fn from(e: crate::loader::YamlError) -> Self {
        let value = backticked(&e.message);
        PlanError {
            file: e.file,
            line: e.line,
            column: e.column,
            path: if e.path.is_empty() {
                ".".into()
            } else {
                e.path
            },
            value,
            message: strip_location(&e.message),
        }
    }
}

/// serde_yaml appends " at line L column C" to its messages; we print the line ourselves.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

/// The first `` `quoted` `` word of a serde message (the offending value or key).
fn backticked(msg: &str) -> Option<String> {
    let a = msg.find('`')?;
    let b = msg[a + 1..].find('`')?;
    Some(msg[a + 1..a + 1 + b].to_string())
}

/// Every problem found in one file (parse errors stop at the first; semantic checks report all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct PlanErrors(pub Vec<PlanError>);
