//! Following node logs while a scenario runs, so expectations with deadlines can be matched live.
//!
//! Containers are stopped, killed, paused and restarted by faults, so a long-lived `tail -F` exec
//! would die with them. Instead each poll asks every running node for the bytes past the offset it
//! already has: a stopped node simply yields nothing until it is back, and nothing is lost or read
//! twice. After the run, the copied log files are analysed whole with the same grammar, so the
//! live view only has to be timely, not complete.
//!
//! Each poll reads the files on the host through `/proc/PID/root` when it can
//! ([`crate::docker::local`]), without any exec. Otherwise one poll is **one `docker exec` per
//! node**, whatever the number of files: a small POSIX shell
//! script ([`READ_SCRIPT`]) prints, for every file that grew, a header line with the file's index
//! and the number of new bytes, then exactly those bytes. An exec costs the engine, containerd and
//! runc far more CPU than the read itself, and the executor polls about twice a second for as long
//! as a step is judged: with one exec per file (six files, two nodes) the observers of three
//! clusters side by side kept the machine's CPUs busy, which is what moved the failover timings
//! of parallel runs (docs/suites.md).

use crate::docker::exec;
use crate::docker::local::{self, Local};
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
            match local::look(&self.docker, &container).await {
                Local::Running(proc) => {
                    if let Some(chunks) = self.read_local(&proc, &node).await {
                        for (index, bytes) in chunks {
                            out.extend(self.take(&node, index, &bytes));
                        }
                        continue;
                    }
                }
                // As an exec into it would: nothing from a paused or stopped node this poll.
                Local::Paused | Local::Stopped => continue,
                Local::Unavailable => {}
            }
            let mut argv: Vec<String> = vec![
                "sh".into(),
                "-c".into(),
                READ_SCRIPT.into(),
                "hachaos-tail".into(),
                self.dir.clone(),
            ];
            for file in &self.names {
                let key = (node.clone(), file.clone());
                argv.push(file.clone());
                argv.push(self.files.entry(key).or_default().offset.to_string());
            }
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            let Ok(res) = exec(&self.docker, &container, &args, Duration::from_secs(3)).await
            else {
                continue; // the node is down or frozen: try again next poll
            };
            if !res.success() {
                continue; // the script could not run: nothing was consumed, try again
            }
            for (index, bytes) in parse_chunks(&res.stdout_bytes) {
                out.extend(self.take(&node, index, bytes));
            }
        }
        out
    }

    /// The new bytes of every file, read on the host through `/proc/PID/root` (no exec): `None`
    /// when they cannot be read from here (no permission), so the caller asks through the engine.
    async fn read_local(&self, proc: &local::Proc, node: &str) -> Option<Vec<(usize, Vec<u8>)>> {
        let mut chunks = Vec::new();
        for (index, file) in self.names.iter().enumerate() {
            let offset = self
                .files
                .get(&(node.to_string(), file.clone()))
                .map_or(0, |s| s.offset);
            let path = format!("{}/{file}", self.dir);
            let read =
                tokio::time::timeout(Duration::from_secs(3), proc.read_from(&path, offset)).await;
            match read {
                Ok(Ok(bytes)) if !bytes.is_empty() => chunks.push((index, bytes)),
                Ok(Ok(_)) => {}
                // Not written yet, or the node stopped since it was looked at: nothing this poll.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => return None,
                // Slow or failing: what was read so far counts, the rest is read next poll.
                Ok(Err(_)) | Err(_) => break,
            }
        }
        Some(chunks)
    }

    /// Takes `bytes`, the next bytes of file number `index` on `node`, into its lines.
    fn take(&mut self, node: &str, index: usize, bytes: &[u8]) -> Vec<LogLine> {
        let Some(file) = self.names.get(index) else {
            return Vec::new();
        };
        let state = self
            .files
            .entry((node.to_string(), file.clone()))
            .or_default();
        state.offset += bytes.len() as u64;
        split_lines(state, bytes, node, file)
    }
}

/// Run as `sh -c READ_SCRIPT hachaos-tail DIR NAME OFFSET [NAME OFFSET]...`: for every file
/// `DIR/NAME` larger than OFFSET bytes, prints `INDEX COUNT` (INDEX: the pair's 0-based position)
/// on a line of its own, then exactly the COUNT bytes that follow OFFSET. The size is read first,
/// so a file that grows meanwhile yields only what was there (the rest comes next poll), and a
/// line being written is kept as a partial line until its newline arrives. A missing file (not
/// written yet) prints nothing.
const READ_SCRIPT: &str = r#"dir=$1; shift; i=0
while [ $# -ge 2 ]; do
  f="$dir/$1"; off=$2; shift 2
  if [ -f "$f" ]; then
    size=$(stat -c %s "$f")
    if [ "$size" -gt "$off" ]; then
      n=$((size - off))
      printf '%s %s
' "$i" "$n"
      tail -c +"$((off + 1))" "$f" | head -c "$n"
    fi
  fi
  i=$((i + 1))
done"#;

/// Splits [`READ_SCRIPT`]'s output into (file index, bytes). Output that does not follow the
/// framing (a truncated exec) ends the parse: what came before it is kept, the rest is read again
/// next poll because its offset was not advanced.
fn parse_chunks(mut out: &[u8]) -> Vec<(usize, &[u8])> {
    let mut chunks = Vec::new();
    while let Some(nl) = memchr::memchr(b'\n', out) {
        let header = std::str::from_utf8(&out[..nl]).unwrap_or("");
        let mut words = header.split(' ');
        let (Some(Ok(index)), Some(Ok(count)), None) = (
            words.next().map(str::parse::<usize>),
            words.next().map(str::parse::<usize>),
            words.next(),
        ) else {
            break;
        };
        let body = &out[nl + 1..];
        if body.len() < count {
            break;
        }
        chunks.push((index, &body[..count]));
        out = &body[count..];
    }
    chunks
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
    fn the_read_scripts_output_splits_into_each_files_new_bytes() {
        let out = b"0 12\nfirst\nsecond2 4\nab\nc";
        let chunks = parse_chunks(out);
        assert_eq!(chunks, vec![(0, &b"first\nsecond"[..]), (2, &b"ab\nc"[..])]);
        // A header with a byte count larger than what arrived (a cut-off exec) keeps only what
        // came before it: that file's offset does not move and its bytes are read next poll.
        assert_eq!(parse_chunks(b"1 3\nabc0 10\nshort"), vec![(1, &b"abc"[..])]);
        assert!(parse_chunks(b"not a header\n").is_empty());
        assert!(parse_chunks(b"").is_empty());
    }

    /// The script itself, run by the machine's `sh` on real files: what the node runs.
    #[test]
    fn the_read_script_prints_only_what_grew_past_each_offset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "one\ntwo\n").unwrap();
        std::fs::write(dir.path().join("b.log"), "x\n").unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("sh")
                .args(["-c", READ_SCRIPT, "hachaos-tail"])
                .arg(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            out.stdout
        };
        let out = run(&["a.log", "4", "missing.log", "0", "b.log", "2"]);
        assert_eq!(parse_chunks(&out), vec![(0, &b"two\n"[..])]);
        let out = run(&["a.log", "0", "b.log", "0"]);
        assert_eq!(
            parse_chunks(&out),
            vec![(0, &b"one\ntwo\n"[..]), (1, &b"x\n"[..])]
        );
    }

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
