//! The last log lines of each node, the context a failed JUnit testcase carries so a CI viewer
//! shows what the cluster was saying without opening the artifacts.

use crate::record::RunRecord;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Lines kept per log file (or per node when taken from the record's events).
pub const TAIL_LINES: usize = 12;

/// Bytes read from the end of each log file: enough for [`TAIL_LINES`] long lines without ever
/// loading a large log whole.
const TAIL_BYTES: u64 = 16 * 1024;

/// The last lines per source (`node1/pgpool.log`, or `node1` for record events), in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogTails(pub BTreeMap<String, Vec<String>>);

impl LogTails {
    /// The last events' texts per node from the record itself: always available, already
    /// redacted, but only the lines the grammar recognised.
    pub fn from_record(record: &RunRecord) -> LogTails {
        let mut by_node: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in &record.events {
            by_node
                .entry(e.node.to_string())
                .or_default()
                .push(e.text.to_string());
        }
        for lines in by_node.values_mut() {
            let skip = lines.len().saturating_sub(TAIL_LINES);
            lines.drain(..skip);
        }
        LogTails(by_node)
    }

    /// The last lines of every `*.log` in a run's `logs/<node>/` folders (copied out, with
    /// secrets redacted, before teardown). Unreadable or empty files are left out; a missing
    /// folder gives no tails.
    pub fn from_logs_dir(logs: &Path) -> LogTails {
        let mut out = BTreeMap::new();
        let Ok(nodes) = std::fs::read_dir(logs) else {
            return LogTails::default();
        };
        let mut nodes: Vec<_> = nodes.filter_map(Result::ok).map(|e| e.path()).collect();
        nodes.sort();
        for node in nodes.iter().filter(|p| p.is_dir()) {
            let Ok(files) = std::fs::read_dir(node) else {
                continue;
            };
            let mut files: Vec<_> = files.filter_map(Result::ok).map(|e| e.path()).collect();
            files.sort();
            for f in files
                .iter()
                .filter(|f| f.extension().is_some_and(|x| x == "log"))
            {
                let lines = last_lines(f, TAIL_LINES);
                if !lines.is_empty() {
                    let name = format!(
                        "{}/{}",
                        node.file_name().unwrap_or_default().to_string_lossy(),
                        f.file_name().unwrap_or_default().to_string_lossy()
                    );
                    out.insert(name, lines);
                }
            }
        }
        LogTails(out)
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Renders as `==> source <==` blocks, the way `tail` prints several files.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (source, lines) in &self.0 {
            out.push_str(&format!("==> {source} <==\n"));
            for l in lines {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

/// The last `n` lines of a file, reading at most [`TAIL_BYTES`] from its end.
fn last_lines(path: &Path, n: usize) -> Vec<String> {
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(TAIL_BYTES);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // a partial first line
    }
    let skip = lines.len().saturating_sub(n);
    lines[skip..].iter().map(|l| l.to_string()).collect()
}
