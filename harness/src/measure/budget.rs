//! Budgets: how long each phase of a failover may take, derived from the rendered configuration.
//!
//! With health_check_period `P`, health_check_timeout `T`, health_check_max_retries `R`,
//! health_check_retry_delay `D`, wd_heartbeat_deadtime `H` and wd_interval `W`:
//!
//! - **detect** (first failed health check after the fault) ≤ `P + T + slack`: a check starts
//!   within one period and fails within its timeout.
//! - **node_down** (backend marked down) ≤ detect + `R × (D + T)`: every retry waits `D` and may
//!   take `T` to fail.
//! - **watchdog takeover** (the survivor's watchdog leads) ≤ `H + W + 11 s + slack`: the heartbeat
//!   deadline and one life-check round to notice a silent peer, then pgpool's fixed watchdog
//!   waits, which no setting changes (pgpool-II `src/watchdog/watchdog.c`:
//!   `MAX_SECS_WAIT_FOR_REPLY_FROM_NODE` = 5 s in JOINING, 1 s in INITIALIZING, 5 s waiting for
//!   replies to "declare coordinator"). A peer that announces its shutdown skips the deadline, so
//!   the bound is loose for graceful stops and tight for silent losses. pgpool only runs a failover
//!   the watchdog leader agrees to, so **failover_start** ≤ max(node_down, takeover) + slack.
//! - **vip** (the VIP up on the new leader) ≤ takeover + 3 s (the escalation process brings the
//!   address up and sends gratuitous ARP) + slack.
//! - **promote** (first write acknowledged through the VIP by the new primary) ≤ failover_start +
//!   5 s (the failover script's `pg_promote`, then pgpool restarting its children).
//! - **failover_done** ≤ promote.
//! - **recover** (rejoin started → node attached) ≤ 60 s (pg_rewind or pg_basebackup of a small
//!   cluster, start, attach).
//!
//! `slack` is one second, for process scheduling on a loaded 2-core machine. A scenario may set a
//! budget explicitly; it is never loosened to make a run pass.

use super::measurements::MeasurementKind;
use super::settings::PgpoolSettings;
use std::collections::BTreeMap;
use std::time::Duration;

/// Scheduling slack added where a phase depends on a timer firing.
pub const SLACK: Duration = Duration::from_secs(1);

/// pgpool's watchdog waits that no setting changes: 5 s in JOINING, 1 s in INITIALIZING, 5 s for
/// replies to "declare coordinator" (`MAX_SECS_WAIT_FOR_REPLY_FROM_NODE` in watchdog.c).
pub const WATCHDOG_FIXED_WAITS: Duration = Duration::from_secs(11);

/// The escalation process: `if_up_cmd` plus gratuitous ARP.
pub const ESCALATION: Duration = Duration::from_secs(3);

/// One budget and where it came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Budget {
    /// Seconds from the fault (or, for recover, from the recover step).
    pub seconds: f64,
    /// How it was derived, in words with the values used.
    pub derivation: String,
}

/// The budget of every measurement.
pub type Budgets = BTreeMap<MeasurementKind, Budget>;

/// Derives every budget from the settings; `overrides` (the scenario's) replace derived values.
/// `effect_s` is how long after injection the fault really took effect (a graceful stop's
/// shutdown time); every phase measured from the fault gets it added, since none can start
/// before it.
pub fn derive(
    settings: &PgpoolSettings,
    overrides: &BTreeMap<MeasurementKind, Duration>,
    effect_s: f64,
) -> Result<Budgets, String> {
    let need = |key: &str| {
        settings
            .seconds(key)
            .ok_or_else(|| format!("pgpool setting {key} is missing or not a whole number"))
    };
    let p = need("health_check_period")?;
    let t = need("health_check_timeout")?;
    let r = settings
        .number("health_check_max_retries")
        .ok_or("pgpool setting health_check_max_retries is missing")? as u32;
    let d = need("health_check_retry_delay")?;
    let h = settings
        .seconds("wd_heartbeat_deadtime")
        .unwrap_or_default();
    let w = settings.seconds("wd_interval").unwrap_or_default();

    let detect = p + t + SLACK;
    let node_down = detect + (d + t) * r;
    let takeover = h + w + WATCHDOG_FIXED_WAITS + SLACK;
    let failover_start = node_down.max(takeover) + SLACK;
    let vip = takeover + ESCALATION + SLACK;
    let promote = failover_start + Duration::from_secs(5);
    let s = |d: Duration| d.as_secs_f64();
    let mut out = BTreeMap::from([
        (
            MeasurementKind::Detect,
            Budget {
                seconds: s(detect),
                derivation: format!("period {} + timeout {} + slack 1", s(p), s(t)),
            },
        ),
        (
            MeasurementKind::NodeDown,
            Budget {
                seconds: s(node_down),
                derivation: format!(
                    "detect {} + retries {r} x (retry_delay {} + timeout {})",
                    s(detect),
                    s(d),
                    s(t)
                ),
            },
        ),
        (
            MeasurementKind::FailoverStart,
            Budget {
                seconds: s(failover_start),
                derivation: format!(
                    "max(node_down {}, watchdog takeover {} = deadtime {} + wd_interval {} + fixed waits 11 + slack 1) + slack 1",
                    s(node_down),
                    s(takeover),
                    s(h),
                    s(w)
                ),
            },
        ),
        (
            MeasurementKind::Vip,
            Budget {
                seconds: s(vip),
                derivation: format!("watchdog takeover {} + escalation 3 + slack 1", s(takeover)),
            },
        ),
        (
            MeasurementKind::Promote,
            Budget {
                seconds: s(promote),
                derivation: format!("failover_start {} + 5 (promote, child restart)", s(failover_start)),
            },
        ),
        (
            MeasurementKind::FailoverDone,
            Budget {
                seconds: s(promote),
                derivation: format!("= promote {}", s(promote)),
            },
        ),
        (
            MeasurementKind::Recover,
            Budget {
                seconds: 60.0,
                derivation: "rewind or basebackup + start + attach: 60".into(),
            },
        ),
    ]);
    if effect_s > 0.0 {
        for (kind, b) in out.iter_mut() {
            if *kind != MeasurementKind::Recover {
                b.seconds += effect_s;
                b.derivation = format!("{} + fault took effect after {effect_s:.2}", b.derivation);
            }
        }
    }
    for (kind, value) in overrides {
        out.insert(
            *kind,
            Budget {
                seconds: value.as_secs_f64(),
                derivation: "set by the scenario".into(),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuned() -> PgpoolSettings {
        PgpoolSettings::parse(
            "health_check_period = 1\nhealth_check_timeout = 2\nhealth_check_max_retries = 3\n\
             health_check_retry_delay = 1\nwd_heartbeat_deadtime = 3\nwd_interval = 1\n",
        )
    }

    #[test]
    fn budgets_follow_the_health_check_and_watchdog_timers() {
        let b = derive(&tuned(), &BTreeMap::new(), 0.0).unwrap();
        assert_eq!(b[&MeasurementKind::Detect].seconds, 4.0);
        assert_eq!(b[&MeasurementKind::NodeDown].seconds, 13.0);
        // takeover = 3 + 1 + 11 + 1 = 16 s dominates node_down (13 s).
        assert_eq!(b[&MeasurementKind::FailoverStart].seconds, 17.0);
        assert_eq!(b[&MeasurementKind::Vip].seconds, 20.0);
        assert_eq!(b[&MeasurementKind::Promote].seconds, 22.0);
        assert!(b[&MeasurementKind::NodeDown]
            .derivation
            .contains("retries 3"));
    }

    #[test]
    fn a_scenario_budget_replaces_the_derived_one() {
        let over = BTreeMap::from([(MeasurementKind::Promote, Duration::from_secs(12))]);
        let b = derive(&tuned(), &over, 0.0).unwrap();
        assert_eq!(b[&MeasurementKind::Promote].seconds, 12.0);
        assert_eq!(
            b[&MeasurementKind::Promote].derivation,
            "set by the scenario"
        );
    }

    #[test]
    fn a_slow_graceful_stop_delays_every_phase_but_recovery() {
        let b = derive(&tuned(), &BTreeMap::new(), 1.5).unwrap();
        assert_eq!(b[&MeasurementKind::Detect].seconds, 5.5);
        assert!(b[&MeasurementKind::Detect]
            .derivation
            .ends_with("took effect after 1.50"));
        assert_eq!(b[&MeasurementKind::Recover].seconds, 60.0);
    }

    #[test]
    fn a_missing_timer_is_an_error_not_a_zero() {
        let err = derive(
            &PgpoolSettings::parse("health_check_period = 1\n"),
            &BTreeMap::new(),
            0.0,
        );
        assert!(err.unwrap_err().contains("health_check_timeout"));
    }
}
