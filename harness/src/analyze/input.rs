//! Turning `NODE=PATH` arguments and run directories into a list of (node, file) inputs.

use super::error::AnalyzeError;
use std::path::{Path, PathBuf};

/// One log file of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The node the file belongs to.
    pub node: String,
    /// The file.
    pub path: PathBuf,
    /// Whether it was found by listing a directory (then the profile's file patterns filter it).
    pub from_directory: bool,
}

impl Input {
    /// An explicitly named file.
    pub fn file(node: &str, path: impl Into<PathBuf>) -> Input {
        Input {
            node: node.to_string(),
            path: path.into(),
            from_directory: false,
        }
    }
}

fn files_in(dir: &Path, node: &str, out: &mut Vec<Input>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    out.extend(entries.into_iter().map(|path| Input {
        node: node.to_string(),
        path,
        from_directory: true,
    }));
    Ok(())
}

/// Parses one command-line argument: `NODE=FILE`, `NODE=DIR` (every file in DIR), or `DIR`
/// holding one sub-directory per node (a run's `logs/` folder).
pub fn parse_argument(arg: &str) -> Result<Vec<Input>, AnalyzeError> {
    let bad = |reason: &str| AnalyzeError::BadArgument {
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let mut out = Vec::new();
    if let Some((node, path)) = arg.split_once('=') {
        if node.is_empty() || path.is_empty() {
            return Err(bad("expected NODE=PATH"));
        }
        let path = Path::new(path);
        if path.is_dir() {
            files_in(path, node, &mut out)
                .map_err(|e| bad(&format!("cannot list directory: {e}")))?;
        } else {
            out.push(Input::file(node, path));
        }
        return Ok(out);
    }
    let dir = Path::new(arg);
    if !dir.is_dir() {
        return Err(bad(
            "expected NODE=PATH or a directory with one folder per node",
        ));
    }
    let mut nodes: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(&format!("cannot list directory: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    nodes.sort();
    for n in nodes {
        let node = n
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        files_in(&n, &node, &mut out).map_err(|e| bad(&format!("cannot list directory: {e}")))?;
    }
    if out.is_empty() {
        return Err(bad("no node folders with log files"));
    }
    Ok(out)
}
