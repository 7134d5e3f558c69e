//! The suite's console: on a terminal, one live line per running case (case, what it does now,
//! elapsed) under an overall count with ETA (indicatif); otherwise one plain line per event, so
//! CI logs stay readable. Always on stderr; the summary goes to stdout.

use crate::suite::{Outcome, SuiteEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Renders [`SuiteEvent`]s.
pub(crate) struct Console {
    started: Instant,
    live: Option<Live>,
    total: usize,
    done: usize,
}

struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    cases: BTreeMap<usize, ProgressBar>,
}

impl Console {
    /// A console for `total` cases: live lines when stderr is a terminal (unless
    /// `HACHAOS_PLAIN` is set), plain lines otherwise.
    pub(crate) fn new(total: usize) -> Console {
        let live = (std::io::stderr().is_terminal() && std::env::var_os("HACHAOS_PLAIN").is_none())
            .then(|| {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
                let overall = multi.add(ProgressBar::new(total as u64));
                overall.set_style(
                    ProgressStyle::with_template(
                        "{pos}/{len} cases done [{elapsed_precise}] ETA {eta} {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                overall.enable_steady_tick(Duration::from_secs(1));
                Live {
                    multi,
                    overall,
                    cases: BTreeMap::new(),
                }
            });
        Console {
            started: Instant::now(),
            live,
            total,
            done: 0,
        }
    }

    fn plain(&self, line: &str) {
        eprintln!("[{:>7.1} s] {line}", self.started.elapsed().as_secs_f64());
    }

    /// Shows one event.
    pub(crate) fn event(&mut self, e: SuiteEvent) {
        match e {
            SuiteEvent::Started { index, case } => match &mut self.live {
                Some(l) => {
                    let bar = l
                        .multi
                        .insert_before(&l.overall, ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {prefix} [{elapsed}] {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(case.name());
                    bar.set_message("starting");
                    bar.enable_steady_tick(Duration::from_millis(250));
                    l.cases.insert(index, bar);
                }
                None => self.plain(&format!("{}: started", case.name())),
            },
            SuiteEvent::Progress {
                index,
                case,
                message,
            } => match &mut self.live {
                Some(l) => {
                    if let Some(bar) = l.cases.get(&index) {
                        bar.set_message(message.lines().next().unwrap_or_default().to_string());
                    }
                }
                None => {
                    for line in message.lines() {
                        self.plain(&format!("{}: {line}", case.name()));
                    }
                }
            },
            SuiteEvent::Finished { index, record } => {
                self.done += 1;
                let mark = match record.outcome {
                    Outcome::Pass => "pass",
                    other => other.name(),
                };
                let line = format!(
                    "{}: {mark} in {:.0} s ({}/{}){}",
                    record.name,
                    record.duration_ms as f64 / 1000.0,
                    self.done,
                    self.total,
                    record
                        .error
                        .as_deref()
                        .map(|e| format!(": {}", e.lines().next().unwrap_or_default()))
                        .unwrap_or_default()
                );
                match &mut self.live {
                    Some(l) => {
                        if let Some(bar) = l.cases.remove(&index) {
                            bar.finish_and_clear();
                            l.multi.remove(&bar);
                        }
                        let _ = l.multi.println(&line);
                        l.overall.inc(1);
                    }
                    None => self.plain(&line),
                }
            }
        }
    }

    /// Clears the live lines.
    pub(crate) fn finish(&mut self) {
        if let Some(l) = self.live.take() {
            for bar in l.cases.values() {
                bar.finish_and_clear();
            }
            l.overall.finish_and_clear();
        }
    }
}
