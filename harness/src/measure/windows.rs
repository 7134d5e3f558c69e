//! Damage windows: how much harm a fault did while it lasted, measured on every run from the
//! write probe's server-side ledger and the role/VIP samples. A pure function of plain data.
//!
//! - **old_primary_acks**: from the moment the fault took effect (its injection; for a graceful
//!   stop, when the container had stopped: it serves until then) to the last write the old
//!   primary acknowledged on the session pinned to it before the fault (never reopened, so a
//!   node restarted later does not count). When the old primary is the only primary at the end
//!   (the other side was rewound, or no failover happened), only its acknowledgements up to the
//!   last sample showing another primary count: later ones are the rightful primary's.
//!   Resolution: the probe's pace (one write per period, each ack timed on arrival); the cap,
//!   when there is one, has the samples' resolution.
//! - **two_primaries** / **two_vip_holders**: the time during which two nodes said they were
//!   writable primaries (`pg_is_in_recovery()` false) or held the VIP. The samples are sparse
//!   (one per poller period, from each node's latest answer), so each window is bounded: at
//!   least from the first to the last sample showing it, at most from the sample before to the
//!   sample after. `seconds` is the upper bound (damage is not rounded down), `at_least_s` the
//!   lower; the resolution is the largest gap between samples plus the age of the oldest
//!   answer a sample rested on (a change can precede the sample showing it by that much).
//! - **vip_outage**: the longest time a client writing through the VIP waited for an
//!   acknowledgement: from the first attempt after an acknowledged write to the next
//!   acknowledgement (failed attempts in between are retried after one probe period; a
//!   connect that gets no handshake gives up after `VIP_CONNECT_TIMEOUT`, 0.3 s, so the
//!   resolution while nobody answers on the VIP is about 0.4 s).
//! - **lost writes**: acknowledged writes missing on the final primary, through the VIP and on the
//!   pinned session apart.
//! - **divergence**: the timelines of the two sides after the fault and how much WAL the old
//!   primary wrote beyond the new primary's first write (a lower bound of the divergence: the
//!   new timeline forks before its first write).

use super::MeasurementKind;
use crate::observe::{Ack, Ledger, RoleSample};
use serde::{Deserialize, Serialize};

/// Waits shorter than this are write latency, not an outage worth shading.
const OUTAGE_SHADE_MS: u64 = 1000;

/// What the windows are computed from.
#[derive(Clone, Debug)]
pub struct WindowInput<'a> {
    /// The write probe's ledger (through the VIP, plus the pinned session).
    pub ledger: &'a Ledger,
    /// Whether a write probe ran at all (`false`: the record carries no ledger to measure).
    pub probed: bool,
    /// Every role/VIP sample.
    pub samples: &'a [RoleSample],
    /// When the first fault fired, ms since the run started.
    pub fault_ms: Option<u64>,
    /// Whether that fault hit the node that was primary then (the pinned session's node).
    pub fault_hit_primary: bool,
    /// When the fault really took effect, if later than its injection (a graceful stop takes as
    /// long as the servers need to shut down; they serve until then).
    pub fault_effect_ms: Option<u64>,
    /// The write probe's period, ms.
    pub probe_period_ms: u64,
    /// The role poller's nominal period, ms.
    pub sample_period_ms: u64,
    /// Acknowledged writes through the VIP missing at the end, when that was checked.
    pub lost: Option<&'a [i64]>,
    /// The pinned session's acknowledged writes missing at the end, when that was checked.
    pub lost_pinned: Option<&'a [i64]>,
}

/// Every damage window of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DamageWindows {
    /// The old primary acknowledging writes after the fault (session opened before it).
    pub old_primary_acks: Window,
    /// Two writable primaries at once.
    pub two_primaries: Window,
    /// Two VIP holders at once.
    pub two_vip_holders: Window,
    /// The longest wait of a client writing through the VIP.
    pub vip_outage: Window,
    /// Acknowledged writes lost.
    pub lost_writes: LostCount,
    /// How far the two sides' WAL diverged.
    pub divergence: Divergence,
}

/// One window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Window {
    /// Its length in seconds (for sampled windows: the upper bound); `None` when it could not
    /// be measured (`evidence` says why).
    pub seconds: Option<f64>,
    /// For sampled windows: the lower bound (first to last sample showing it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_s: Option<f64>,
    /// How precise it is, ms: the probe's pace or the largest gap between role samples.
    pub resolution_ms: Option<u64>,
    /// Where it was, ms since the run started (for shading the timeline).
    pub spans: Vec<WindowSpan>,
    /// The node(s) involved.
    pub nodes: Vec<String>,
    /// What it was measured from, in words.
    pub evidence: String,
}

/// A stretch of a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WindowSpan {
    /// Start, ms since the run started.
    pub from_ms: u64,
    /// End, ms since the run started.
    pub to_ms: u64,
}

/// Acknowledged writes lost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LostCount {
    /// Written through the VIP and missing at the end (`None`: not checked).
    pub through_vip: Option<usize>,
    /// Acknowledged on the pinned session and missing at the end (`None`: no pinned session
    /// or not checked).
    pub pinned: Option<usize>,
    /// Writes the pinned session got acknowledged after the fault.
    pub pinned_acks_after_fault: usize,
}

/// How far the two sides diverged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Divergence {
    /// The old primary's timeline on its last acknowledged write after the fault.
    pub old_timeline: Option<i32>,
    /// The timeline of the first write through the VIP on another timeline after the fault.
    pub new_timeline: Option<i32>,
    /// Bytes of WAL the old primary wrote beyond the new primary's first write (a lower bound
    /// of the divergence); `None` when one side wrote nothing after the fault.
    pub old_side_wal_bytes: Option<u64>,
    /// In words.
    pub evidence: String,
}

impl DamageWindows {
    /// The windows as measurements (for budgets, `compare` and `qualify`).
    pub fn measurements(&self) -> Vec<super::Measurement> {
        [
            (MeasurementKind::OldPrimaryAcks, &self.old_primary_acks),
            (MeasurementKind::TwoPrimaries, &self.two_primaries),
            (MeasurementKind::TwoVipHolders, &self.two_vip_holders),
            (MeasurementKind::VipOutage, &self.vip_outage),
        ]
        .into_iter()
        .map(|(kind, w)| super::Measurement {
            kind,
            seconds: w.seconds,
            node: (!w.nodes.is_empty()).then(|| w.nodes.join(" and ")),
            evidence: w.evidence.clone(),
        })
        .collect()
    }
}

/// Measures every window.
pub fn measure_windows(input: &WindowInput) -> DamageWindows {
    DamageWindows {
        old_primary_acks: old_primary_acks(input),
        two_primaries: sampled(input, "two writable primaries", |s| &s.primaries),
        two_vip_holders: sampled(input, "two VIP holders", |s| &s.vip_holders),
        vip_outage: vip_outage(input),
        lost_writes: lost_count(input),
        divergence: divergence(input),
    }
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn pinned_after_fault<'a>(input: &'a WindowInput) -> Vec<&'a Ack> {
    match (&input.ledger.pinned, input.fault_ms) {
        (Some(p), Some(f)) => p.acks.iter().filter(|a| a.sent_ms >= f).collect(),
        _ => Vec::new(),
    }
}

fn old_primary_acks(input: &WindowInput) -> Window {
    let resolution_ms = Some(input.probe_period_ms);
    let not = |why: &str| Window {
        evidence: format!("not measured: {why}"),
        ..Window::default()
    };
    let Some(fault_ms) = input.fault_ms else {
        return not("no fault was injected");
    };
    if !input.fault_hit_primary {
        return not("the fault did not hit the primary");
    }
    let Some(pinned) = &input.ledger.pinned else {
        return not(if input.probed {
            "no session was pinned to the primary before the fault"
        } else {
            "no write probe ran"
        });
    };
    let after = pinned_after_fault(input);
    let attempts = pinned.acks.len() + pinned.failures.len();
    let closed = pinned.closed_ms.map_or_else(
        || "still open at the end".to_string(),
        |c| format!("closed by the server at {:.1} s", secs(c)),
    );
    // A graceful stop serves until the servers are down: the window opens when the fault took
    // effect, and acknowledgements before that are told apart in the evidence.
    let from_ms = input.fault_effect_ms.map_or(fault_ms, |e| e.max(fault_ms));
    let effect = if from_ms > fault_ms {
        let before = after.iter().filter(|a| a.acked_ms <= from_ms).count();
        format!(
            "; the fault took effect at {:.1} s, {before} of them before that",
            secs(from_ms)
        )
    } else {
        String::new()
    };
    // When the old primary is the cluster's only primary at the end (it won: the other side was
    // rewound, or no failover happened), its acknowledgements after the last sample showing
    // another primary are the rightful primary's, not damage.
    let old = pinned.node.as_str();
    let final_sole = input
        .samples
        .last()
        .is_some_and(|x| x.primaries.len() == 1 && x.primaries[0] == old);
    let until_ms = if final_sole {
        let s = input.samples;
        let other = s
            .iter()
            .enumerate()
            .rev()
            .find(|(_, x)| x.offset_ms >= fault_ms && x.primaries.iter().any(|p| p != old));
        Some(match other {
            Some((i, x)) => s.get(i + 1).map_or(x.offset_ms, |n| n.offset_ms),
            None => from_ms,
        })
    } else {
        None
    };
    let cap = match until_ms {
        Some(u) => format!(
            "; {old} is the only primary at the end: acknowledgements after {:.1} s (the last \
             sample with another primary, or the fault when there was none) are the rightful \
             primary's and not counted",
            secs(u)
        ),
        None => String::new(),
    };
    let last = after
        .iter()
        .rev()
        .find(|a| a.acked_ms > from_ms && until_ms.is_none_or(|u| a.acked_ms <= u));
    let (seconds, spans) = match last {
        Some(l) => (
            secs(l.acked_ms - from_ms),
            vec![WindowSpan {
                from_ms,
                to_ms: l.acked_ms,
            }],
        ),
        None => (0.0, Vec::new()),
    };
    let evidence = match after.last() {
        None => format!(
            "{}: no write acknowledged after the fault at {:.1} s ({attempts} attempts on the \
             session opened at {:.1} s, {closed})",
            pinned.node,
            secs(fault_ms),
            secs(pinned.opened_ms)
        ),
        Some(l) => format!(
            "{}: {} writes acknowledged after the fault at {:.1} s, the last (seq {}, server \
             time {}, timeline {}) at {:.1} s; session {closed}{effect}{cap}",
            pinned.node,
            after.len(),
            secs(fault_ms),
            l.seq,
            l.server_time,
            l.timeline,
            secs(l.acked_ms)
        ),
    };
    Window {
        seconds: Some(seconds),
        resolution_ms,
        spans,
        nodes: vec![pinned.node.clone()],
        evidence,
        ..Window::default()
    }
}

/// Windows where `pick` lists two or more nodes, bounded by the samples around them.
fn sampled(input: &WindowInput, what: &str, pick: impl Fn(&RoleSample) -> &Vec<String>) -> Window {
    let s = input.samples;
    if s.is_empty() {
        return Window {
            evidence: "not measured: no role samples".into(),
            ..Window::default()
        };
    }
    let gaps: Vec<u64> = s
        .windows(2)
        .map(|w| w[1].offset_ms.saturating_sub(w[0].offset_ms))
        .collect();
    let largest_gap = gaps.iter().copied().max().unwrap_or(0);
    // Records made before nodes were probed independently carry no age: their answers were
    // taken at the sample's time, so the gap alone was the resolution.
    let largest_age = s.iter().filter_map(|x| x.age_ms).max();
    let mut sorted = gaps.clone();
    sorted.sort_unstable();
    let median_gap = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
    let (mut upper_ms, mut lower_ms) = (0u64, 0u64);
    let mut spans = Vec::new();
    let mut nodes: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if pick(&s[i]).len() < 2 {
            i += 1;
            continue;
        }
        let first = i;
        while i + 1 < s.len() && pick(&s[i + 1]).len() >= 2 {
            i += 1;
        }
        let last = i;
        for n in s[first..=last].iter().flat_map(|x| pick(x).iter()) {
            if !nodes.contains(n) {
                nodes.push(n.clone());
            }
        }
        let from = if first > 0 {
            s[first - 1].offset_ms
        } else {
            s[first].offset_ms
        };
        let to = s.get(last + 1).map_or(s[last].offset_ms, |x| x.offset_ms);
        upper_ms += to - from;
        lower_ms += s[last].offset_ms - s[first].offset_ms;
        spans.push(WindowSpan {
            from_ms: s[first].offset_ms,
            to_ms: to,
        });
        i += 1;
    }
    nodes.sort();
    let cadence = format!(
        "{} samples (nominal period {} ms, median gap {median_gap} ms, largest {largest_gap} ms{})",
        s.len(),
        input.sample_period_ms,
        largest_age.map_or(String::new(), |a| format!(", answers at most {a} ms old"))
    );
    let evidence = if spans.is_empty() {
        format!("never {what}: {cadence}")
    } else {
        format!(
            "{what} ({}) in {} stretch(es): between {:.1} s and {:.1} s in all, seen from {}; \
             {cadence}",
            nodes.join(" and "),
            spans.len(),
            secs(lower_ms),
            secs(upper_ms),
            spans
                .iter()
                .map(|w| format!("{:.1} s", secs(w.from_ms)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Window {
        seconds: Some(secs(upper_ms)),
        at_least_s: Some(secs(lower_ms)),
        resolution_ms: Some(largest_gap.max(input.sample_period_ms) + largest_age.unwrap_or(0)),
        spans,
        nodes,
        evidence,
    }
}

fn vip_outage(input: &WindowInput) -> Window {
    let l = input.ledger;
    if !input.probed || (l.acks.is_empty() && l.failures.is_empty()) {
        return Window {
            evidence: "not measured: no write probe ran".into(),
            ..Window::default()
        };
    }
    // Every attempt in send order: (sent_ms, Some(acked_ms) when acknowledged).
    let mut attempts: Vec<(u64, Option<u64>)> = l
        .acks
        .iter()
        .map(|a| (a.sent_ms, Some(a.acked_ms)))
        .chain(l.failures.iter().map(|f| (f.sent_ms, None)))
        .collect();
    attempts.sort_by_key(|a| a.0);
    // (waited from, acknowledged at or None when never, failed attempts in between)
    let mut waits: Vec<(u64, Option<u64>, usize)> = Vec::new();
    let mut waiting: Option<(u64, usize)> = None;
    for (sent, acked) in &attempts {
        let (from, failed) = *waiting.get_or_insert((*sent, 0));
        match acked {
            Some(a) => {
                waits.push((from, Some(*a), failed));
                waiting = None;
            }
            None => waiting = Some((from, failed + 1)),
        }
    }
    let last_sent = attempts.last().map_or(0, |a| a.0);
    if let Some((from, failed)) = waiting {
        waits.push((from, None, failed));
    }
    let length = |w: &(u64, Option<u64>, usize)| w.1.unwrap_or(last_sent).saturating_sub(w.0);
    let longest = waits.iter().max_by_key(|w| length(w)).copied();
    let spans = waits
        .iter()
        .filter(|w| length(w) >= OUTAGE_SHADE_MS)
        .map(|w| WindowSpan {
            from_ms: w.0,
            to_ms: w.0 + length(w),
        })
        .collect();
    let Some(w) = longest else {
        return Window::default();
    };
    let evidence = match w.1 {
        Some(a) => format!(
            "longest wait through the VIP: from {:.1} s to the acknowledgement at {:.1} s \
             ({} failed attempts in between; {} acknowledged, {} failed in all; one write \
             every {} ms)",
            secs(w.0),
            secs(a),
            w.2,
            l.acks.len(),
            l.failures.len(),
            input.probe_period_ms
        ),
        None => format!(
            "no acknowledgement through the VIP from {:.1} s until the probe stopped (last \
             attempt at {:.1} s, {} failed; one write every {} ms)",
            secs(w.0),
            secs(last_sent),
            w.2,
            input.probe_period_ms
        ),
    };
    Window {
        seconds: Some(secs(length(&w))),
        at_least_s: None,
        resolution_ms: Some(input.probe_period_ms),
        spans,
        nodes: Vec::new(),
        evidence,
    }
}

fn lost_count(input: &WindowInput) -> LostCount {
    LostCount {
        through_vip: input.lost.map(<[i64]>::len),
        pinned: input
            .ledger
            .pinned
            .as_ref()
            .and(input.lost_pinned)
            .map(<[i64]>::len),
        pinned_acks_after_fault: pinned_after_fault(input).len(),
    }
}

fn divergence(input: &WindowInput) -> Divergence {
    let Some(fault_ms) = input.fault_ms else {
        return Divergence {
            evidence: "not measured: no fault was injected".into(),
            ..Divergence::default()
        };
    };
    let Some(pinned) = &input.ledger.pinned else {
        return Divergence {
            evidence: "not measured: no session was pinned to the old primary".into(),
            ..Divergence::default()
        };
    };
    let old_tli = pinned.acks.first().map(|a| a.timeline);
    let old_last = pinned_after_fault(input).last().copied();
    let new_first = input
        .ledger
        .acks
        .iter()
        .find(|a| a.sent_ms >= fault_ms && Some(a.timeline) != old_tli);
    let old_side_wal_bytes = match (old_last.and_then(|a| a.lsn), new_first.and_then(|a| a.lsn)) {
        (Some(o), Some(n)) => Some(o.saturating_sub(n)),
        _ => None,
    };
    let evidence = match (old_last, new_first) {
        (Some(o), Some(n)) => format!(
            "old primary {} wrote on timeline {} up to {:.1} s; the new timeline {} took its \
             first write through the VIP at {:.1} s; {}",
            pinned.node,
            o.timeline,
            secs(o.acked_ms),
            n.timeline,
            secs(n.acked_ms),
            old_side_wal_bytes.map_or_else(
                || "WAL positions not recorded".to_string(),
                |b| format!("the old side wrote at least {b} bytes of WAL past that point")
            )
        ),
        (None, Some(n)) => format!(
            "the old primary {} acknowledged nothing after the fault; the new timeline {} took \
             its first write at {:.1} s",
            pinned.node,
            n.timeline,
            secs(n.acked_ms)
        ),
        (Some(o), None) => format!(
            "the old primary {} wrote on timeline {} up to {:.1} s; no write through the VIP \
             landed on another timeline",
            pinned.node,
            o.timeline,
            secs(o.acked_ms)
        ),
        (None, None) => "neither side acknowledged a write after the fault".into(),
    };
    Divergence {
        old_timeline: old_last.map(|a| a.timeline),
        new_timeline: new_first.map(|a| a.timeline),
        old_side_wal_bytes,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{PinnedSession, WriteFailure, PINNED_SEQ_BASE};

    fn ack(seq: i64, sent_ms: u64, tli: i32, lsn: u64) -> Ack {
        Ack {
            seq,
            sent_ms,
            acked_ms: sent_ms + 5,
            server_time: String::new(),
            server_addr: String::new(),
            timeline: tli,
            lsn: Some(lsn),
        }
    }

    fn fail(seq: i64, sent_ms: u64) -> WriteFailure {
        WriteFailure {
            seq,
            sent_ms,
            error: "connection refused".into(),
        }
    }

    fn sample(ms: u64, primaries: &[&str], vip: &[&str]) -> RoleSample {
        RoleSample {
            offset_ms: ms,
            primaries: primaries.iter().map(|s| s.to_string()).collect(),
            vip_holders: vip.iter().map(|s| s.to_string()).collect(),
            age_ms: None,
        }
    }

    fn input<'a>(ledger: &'a Ledger, samples: &'a [RoleSample]) -> WindowInput<'a> {
        WindowInput {
            ledger,
            probed: true,
            samples,
            fault_ms: Some(10_000),
            fault_hit_primary: true,
            fault_effect_ms: None,
            probe_period_ms: 100,
            sample_period_ms: 500,
            lost: Some(&[]),
            lost_pinned: Some(&[]),
        }
    }

    /// A partition: the old primary keeps acknowledging on its pinned session until 25 s, the
    /// new primary takes writes on timeline 2 from 24 s.
    fn split_ledger() -> Ledger {
        let mut pinned = PinnedSession {
            node: "node1".into(),
            opened_ms: 9_900,
            ..PinnedSession::default()
        };
        for (i, ms) in (9_900..=25_000).step_by(100).enumerate() {
            pinned
                .acks
                .push(ack(PINNED_SEQ_BASE + 1 + i as i64, ms, 1, 1000 + ms));
        }
        let mut ledger = Ledger {
            pinned: Some(pinned),
            ..Ledger::default()
        };
        ledger.acks.push(ack(1, 9_800, 1, 900));
        ledger.failures.push(fail(2, 10_000));
        ledger.failures.push(fail(3, 13_100));
        ledger.acks.push(ack(4, 24_000, 2, 20_000));
        ledger
    }

    #[test]
    fn a_split_gives_every_window_with_its_bounds() {
        let ledger = split_ledger();
        let samples = vec![
            sample(9_000, &["node1"], &["node1"]),
            sample(12_000, &["node1"], &["node1", "node2"]),
            sample(14_500, &["node1", "node2"], &["node1", "node2"]),
            sample(17_000, &["node1", "node2"], &["node1", "node2"]),
            sample(19_500, &["node2"], &["node2"]),
        ];
        let w = measure_windows(&WindowInput {
            lost: Some(&[5, 6]),
            lost_pinned: Some(&[PINNED_SEQ_BASE + 3]),
            ..input(&ledger, &samples)
        });
        assert_eq!(w.old_primary_acks.seconds, Some(15.005));
        assert_eq!(w.old_primary_acks.nodes, vec!["node1"]);
        assert_eq!(w.old_primary_acks.resolution_ms, Some(100));
        // Two primaries seen at 14.5 and 17.0: at least 2.5 s, at most 12.0 → 19.5 = 7.5 s.
        assert_eq!(w.two_primaries.seconds, Some(7.5));
        assert_eq!(w.two_primaries.at_least_s, Some(2.5));
        assert_eq!(w.two_primaries.resolution_ms, Some(3000));
        assert_eq!(w.two_primaries.nodes, vec!["node1", "node2"]);
        assert_eq!(w.two_vip_holders.seconds, Some(10.5));
        assert_eq!(w.two_vip_holders.at_least_s, Some(5.0));
        // The VIP client waited from 10.0 s to the ack at 24.005 s.
        assert_eq!(w.vip_outage.seconds, Some(14.005));
        assert!(w.vip_outage.evidence.contains("2 failed attempts"));
        assert_eq!(
            w.vip_outage.spans,
            vec![WindowSpan {
                from_ms: 10_000,
                to_ms: 24_005
            }]
        );
        assert_eq!(w.lost_writes.through_vip, Some(2));
        assert_eq!(w.lost_writes.pinned, Some(1));
        assert_eq!(w.lost_writes.pinned_acks_after_fault, 151);
        assert_eq!(w.divergence.old_timeline, Some(1));
        assert_eq!(w.divergence.new_timeline, Some(2));
        assert_eq!(w.divergence.old_side_wal_bytes, Some(26_000 - 20_000));
        let m = w.measurements();
        assert_eq!(m.len(), 4);
        assert!(m.iter().all(|m| m.kind.is_window()));
    }

    #[test]
    fn a_clean_failover_has_zero_windows_except_the_outage() {
        let mut ledger = split_ledger();
        let pinned = ledger.pinned.as_mut().unwrap();
        pinned.acks.retain(|a| a.sent_ms < 10_000);
        pinned.failures.push(fail(PINNED_SEQ_BASE + 200, 10_000));
        pinned.closed_ms = Some(10_010);
        let samples = vec![
            sample(9_000, &["node1"], &["node1"]),
            sample(12_000, &[], &[]),
            sample(19_500, &["node2"], &["node2"]),
        ];
        let w = measure_windows(&input(&ledger, &samples));
        assert_eq!(w.old_primary_acks.seconds, Some(0.0));
        assert!(
            w.old_primary_acks.evidence.contains("closed by the server"),
            "{}",
            w.old_primary_acks.evidence
        );
        assert_eq!(w.two_primaries.seconds, Some(0.0));
        assert!(w.two_primaries.spans.is_empty());
        assert_eq!(w.two_vip_holders.seconds, Some(0.0));
        assert!(w.vip_outage.seconds.unwrap() > 14.0);
        assert_eq!(w.lost_writes.pinned_acks_after_fault, 0);
        assert_eq!(w.divergence.old_side_wal_bytes, None);
    }

    #[test]
    fn acknowledgements_before_a_graceful_stop_took_effect_are_told_apart() {
        let mut ledger = split_ledger();
        ledger
            .pinned
            .as_mut()
            .unwrap()
            .acks
            .retain(|a| a.sent_ms < 11_300);
        let w = measure_windows(&WindowInput {
            fault_effect_ms: Some(11_300),
            ..input(&ledger, &[])
        });
        // Every acknowledgement came while the servers were still stopping: no window.
        assert_eq!(w.old_primary_acks.seconds, Some(0.0));
        assert!(w.old_primary_acks.spans.is_empty());
        assert!(
            w.old_primary_acks
                .evidence
                .contains("the fault took effect at 11.3 s, 13 of them before that"),
            "{}",
            w.old_primary_acks.evidence
        );
    }

    #[test]
    fn the_window_opens_when_the_fault_took_effect() {
        let ledger = split_ledger();
        let w = measure_windows(&WindowInput {
            fault_effect_ms: Some(11_300),
            ..input(&ledger, &[])
        });
        assert_eq!(w.old_primary_acks.seconds, Some(13.705));
        assert_eq!(w.old_primary_acks.spans[0].from_ms, 11_300);
    }

    #[test]
    fn an_old_primary_that_won_counts_only_while_another_was_primary() {
        // The other side was rewound: node1 is the only primary from 20 s on.
        let ledger = split_ledger();
        let samples = vec![
            sample(9_000, &["node1"], &["node1"]),
            sample(14_500, &["node1", "node2"], &["node1", "node2"]),
            sample(17_000, &["node1", "node2"], &["node1", "node2"]),
            sample(20_000, &["node1"], &["node1"]),
            sample(26_000, &["node1"], &["node1"]),
        ];
        let w = measure_windows(&input(&ledger, &samples));
        // The last ack at or before 20.0 s (sent 19.9 s, acked 19.905 s).
        assert_eq!(w.old_primary_acks.seconds, Some(9.905));
        assert!(w
            .old_primary_acks
            .evidence
            .contains("the only primary at the end"));
        // No failover at all: the sole primary's acknowledgements are no damage.
        let calm = vec![
            sample(9_000, &["node1"], &["node1"]),
            sample(26_000, &["node1"], &["node1"]),
        ];
        let w = measure_windows(&input(&ledger, &calm));
        assert_eq!(w.old_primary_acks.seconds, Some(0.0));
    }

    #[test]
    fn a_fault_that_did_not_hit_the_primary_measures_no_old_primary_window() {
        let ledger = split_ledger();
        let w = measure_windows(&WindowInput {
            fault_hit_primary: false,
            ..input(&ledger, &[])
        });
        assert_eq!(w.old_primary_acks.seconds, None);
        assert!(w
            .old_primary_acks
            .evidence
            .contains("did not hit the primary"));
        assert_eq!(w.two_primaries.seconds, None);
    }

    #[test]
    fn a_run_without_a_probe_says_so_instead_of_zero() {
        let ledger = Ledger::default();
        let w = measure_windows(&WindowInput {
            probed: false,
            lost: None,
            lost_pinned: None,
            ..input(&ledger, &[])
        });
        assert_eq!(w.vip_outage.seconds, None);
        assert_eq!(w.old_primary_acks.seconds, None);
        assert!(w.old_primary_acks.evidence.contains("no write probe ran"));
        assert_eq!(w.lost_writes.through_vip, None);
        assert_eq!(w.lost_writes.pinned, None);
    }

    #[test]
    fn an_outage_that_never_ended_runs_to_the_last_attempt() {
        let ledger = Ledger {
            acks: vec![ack(1, 1_000, 1, 1)],
            failures: vec![fail(2, 1_100), fail(3, 4_200), fail(4, 7_300)],
            pinned: None,
        };
        let w = measure_windows(&input(&ledger, &[]));
        assert_eq!(w.vip_outage.seconds, Some(6.2));
        assert!(w.vip_outage.evidence.contains("until the probe stopped"));
    }

    /// The windows a recorded run's samples give. Records written before the ledger was kept
    /// carry no ledger rows: the write-based windows are "not measured" there.
    fn recorded(name: &str) -> (DamageWindows, crate::record::RunRecord) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/runs")
            .join(name)
            .join("run.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let r: crate::record::RunRecord = serde_json::from_str(&text).unwrap();
        let fault_ms = r
            .events
            .iter()
            .find(|e| e.kind == crate::timeline::EventKind::FaultStarted)
            .and_then(|e| e.offset_ms);
        let ledger = Ledger::default();
        let w = measure_windows(&WindowInput {
            ledger: &ledger,
            probed: false,
            samples: &r.roles.samples,
            fault_ms,
            fault_hit_primary: true,
            fault_effect_ms: None,
            probe_period_ms: 100,
            sample_period_ms: 500,
            lost: r.writes.lost.as_deref(),
            lost_pinned: None,
        });
        (w, r)
    }

    #[test]
    fn the_recorded_partition_shows_two_primaries_and_two_vip_holders() {
        let (w, r) = recorded("partition");
        // Samples show node1+node2 primary from 45.3 s to 60.3 s and the VIP on both from
        // 36.2 s to 59.6 s; each window runs to the next sample without it.
        assert_eq!(w.two_primaries.at_least_s, Some(15.014));
        assert!(w.two_primaries.seconds.unwrap() > 15.014);
        assert_eq!(w.two_primaries.nodes, vec!["node1", "node2"]);
        assert_eq!(w.two_vip_holders.at_least_s, Some(23.383));
        assert!(w.two_vip_holders.seconds.unwrap() > 23.383);
        let largest = r
            .roles
            .samples
            .windows(2)
            .map(|p| p[1].offset_ms - p[0].offset_ms)
            .max()
            .unwrap();
        assert_eq!(w.two_primaries.resolution_ms, Some(largest.max(500)));
        assert_eq!(w.lost_writes.through_vip, Some(133));
        assert_eq!(w.vip_outage.seconds, None);
        assert_eq!(w.old_primary_acks.seconds, None);
    }

    #[test]
    fn recorded_crashes_and_a_read_only_disk_have_no_overlap_windows() {
        for name in [
            "pg15-pgpool43-primary-crash",
            "pg15-pgpool43-primary-crash-early-request",
            "primary-crash-recover",
            "primary-disk-readonly",
        ] {
            let (w, _) = recorded(name);
            assert_eq!(w.two_primaries.seconds, Some(0.0), "{name}");
            assert_eq!(w.two_vip_holders.seconds, Some(0.0), "{name}");
            assert!(w.two_primaries.evidence.starts_with("never"), "{name}");
            assert_eq!(w.lost_writes.through_vip, Some(0), "{name}");
        }
    }

    #[test]
    fn recorded_isolations_show_the_old_primary_writable_again_after_the_heal() {
        // The isolated node's postgres stays primary; once the network is back both answer
        // as primaries until the old one is stopped or rewound (declared split brain).
        for (name, seen_ms) in [
            ("pg15-pgpool43-primary-network-blackhole", 733),
            ("pg17-pgpool46-blackhole-srcheck-stall", 8053),
        ] {
            let (w, _) = recorded(name);
            assert_eq!(
                w.two_primaries.at_least_s,
                Some(seen_ms as f64 / 1000.0),
                "{name}"
            );
            assert!(w.two_primaries.seconds.unwrap() > 0.0, "{name}");
            assert_eq!(w.two_vip_holders.seconds, Some(0.0), "{name}");
        }
    }

    #[test]
    fn the_recorded_early_shutdown_run_shows_its_restarted_primary_for_one_sample() {
        // An early harness's run: the restarted old primary answered as a primary in its last
        // sample (that run failed "never two writable primaries"). One sample: at least 0 s,
        // at most up to the sample before it (the last sample has no successor).
        let (w, _) = recorded("primary-shutdown-first");
        assert_eq!(w.two_primaries.at_least_s, Some(0.0));
        assert_eq!(w.two_primaries.seconds, Some(2.771));
        assert_eq!(w.two_primaries.spans.len(), 1);
    }

    #[test]
    fn a_single_sample_with_two_primaries_is_bounded_by_its_neighbours() {
        let samples = vec![
            sample(30_000, &["node2"], &[]),
            sample(32_600, &["node1", "node2"], &[]),
            sample(35_200, &["node2"], &[]),
        ];
        let ledger = Ledger::default();
        let w = measure_windows(&input(&ledger, &samples));
        assert_eq!(w.two_primaries.at_least_s, Some(0.0));
        assert_eq!(w.two_primaries.seconds, Some(5.2));
        assert_eq!(w.two_primaries.resolution_ms, Some(2600));
    }

    #[test]
    fn the_age_of_the_answers_widens_the_stated_resolution() {
        let l = Ledger::default();
        let mut samples: Vec<RoleSample> = (0..6)
            .map(|i| sample(10_000 + i * 500, &["node1"], &["node1"]))
            .collect();
        samples[3].primaries.push("node2".into());
        for (i, s) in samples.iter_mut().enumerate() {
            s.age_ms = Some(if i == 2 { 900 } else { 400 });
        }
        let w = measure_windows(&input(&l, &samples));
        assert_eq!(w.two_primaries.resolution_ms, Some(500 + 900));
        assert!(w
            .two_primaries
            .evidence
            .contains("answers at most 900 ms old"));
    }
}
