//! Following node logs while a scenario runs, so expectations with deadlines can be matched live.
//!
//! Containers are stopped, killed, paused and restarted by faults, so a long-lived `tail -F` exec
//! would die with them. Instead each poll asks every running node for the bytes past the offset it
//! already has (`tail -c +N`): a stopped node simply yields nothing until it is back, and nothing
//! is lost or read twice. After the run, the copied log files are analysed whole with the same
//! grammar, so the live view only has to be timely, not complete.

use crate::docker::exec;
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;

/// One complete line read from a node's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The node.
    pub node: String,
    /// The file name (`pgpool.log`).
    pub file: String,
    /// 1-based line number in that file.
    pub line: u64,
    /// The text, without the newline.
    pub text: String,
}

#[derive(Default)]
struct FileState {
    offset: u64,
    lines: u64,
    partial: Vec<u8>,
}

/// Incremental reader of every node's logs.
pub struct LogTailer {
    docker: Docker,
    /// (node name, container name).
    nodes: Vec<(String, String)>,
    /// The directory of the log files, inside a node.
    dir: String,
    /// The log files (names in `dir`), as the release lists them.
    names: Vec<String>,
    files: HashMap<(String, String), FileState>,
}

impl LogTailer {
    /// A tailer of the files `names` in `dir` on `nodes` (node name, container name), starting at
    /// the beginning of each file.
    pub fn new(
        docker: Docker,
        nodes: Vec<(String, String)>,
        dir: String,
        names: Vec<String>,
    ) -> LogTailer {
        LogTailer {
            docker,
            nodes,
            dir,
            names,
            files: HashMap::new(),
        }
    }

    /// Reads what was appended since the last poll, from every node that answers.
    pub async fn poll(&mut self) -> Vec<LogLine> {
        let mut out = Vec::new();
        for (node, container) in self.nodes.clone() {
            for file in &self.names {
                let key = (node.clone(), file.to_string());
                let state = self.files.entry(key).or_default();
                let path = format!("{}/{file}", self.dir);
                let start = (state.offset + 1).to_string();
                let Ok(res) = exec(
                    &self.docker,
                    &container,
                    &["tail", "-c", &format!("+{start}"), &path],
                    Duration::from_secs(3),
                )
                .await
                else {
                    break; // the node is down or frozen: try again next poll
                };
                if !res.success() {
                    continue; // the file does not exist (yet)
                }
                let bytes = res.stdout_bytes;
                state.offset += bytes.len() as u64;
                out.extend(split_lines(state, &bytes, &node, file));
            }
        }
        out
    }
}

fn split_lines(state: &mut FileState, bytes: &[u8], node: &str, file: &str) -> Vec<LogLine> {
    let mut out = Vec::new();
    state.partial.extend_from_slice(bytes);
    while let Some(pos) = memchr::memchr(b'\n', &state.partial) {
        let line: Vec<u8> = state.partial.drain(..=pos).collect();
        state.lines += 1;
        out.push(LogLine {
            node: node.to_string(),
            file: file.to_string(),
            line: state.lines,
            text: String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_lines_wait_for_their_newline() {
        let mut st = FileState::default();
        assert!(split_lines(&mut st, b"first li", "node1", "pgpool.log").is_empty());
        let lines = split_lines(&mut st, b"ne\nsecond\nthi", "node1", "pgpool.log");
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.line, l.text.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "first line"), (2, "second")]
        );
        let lines = split_lines(&mut st, b"rd\n", "node1", "pgpool.log");
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[0].text, "third");
    }
}
