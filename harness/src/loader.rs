//! The one place that parses YAML.
//!
//! `serde_yaml` 0.9.34 is archived upstream; keeping every YAML read behind this module means a
//! replacement (e.g. `serde_yml` or `serde_norway`) is a one-file change.

use serde::de::DeserializeOwned;
use std::path::Path;

/// Where in a YAML document something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The file (or a label such as `<builtin:pgpool>`).
    pub file: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    /// 1-based column, when the parser knows it.
    pub column: Option<usize>,
    /// Dotted key path inside the document (`steps[2].target`), when known.
    pub path: String,
    /// The parser's message.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.path.is_empty() && self.path != "." {
            write!(f, ": at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parses `text` (from `file`, used only for messages) into `T`, reporting the key path of the
/// first error.
pub fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, YamlError> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let loc = inner.location();
        YamlError {
            file: file.to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            path,
            message: inner.to_string(),
        }
    })
}

/// Reads and parses a YAML file.
pub fn from_path<T: DeserializeOwned>(path: &Path) -> Result<T, YamlError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| YamlError {
        file: file.clone(),
        line: None,
        column: None,
        path: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    from_str(&file, &text)
}

/// Parses YAML text into a generic value tree (for files whose shape is checked by hand, e.g. to
/// find the line of a key).
pub fn value_from_str(file: &str, text: &str) -> Result<serde_yaml::Value, YamlError> {
    from_str(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        steps: Vec<Step>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Step {
        action: String,
    }

    #[test]
    fn an_unknown_key_reports_file_line_and_path() {
        let err = from_str::<Doc>("s.yaml", "name: x\nsteps:\n  - action: a\n  - actoin: b\n")
            .unwrap_err();
        assert_eq!(err.file, "s.yaml");
        assert_eq!(err.line, Some(4));
        assert_eq!(err.path, "steps[1].actoin");
        assert!(
            err.message.contains("unknown field `actoin`"),
            "{}",
            err.message
        );
    }
}
