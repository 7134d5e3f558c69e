//! Budgets: how long each phase of a failover may take, derived from the rendered configuration.
//!
//! With health_check_period `P`, health_check_timeout `T`, health_check_max_retries `R`,
//! health_check_retry_delay `D`, wd_heartbeat_deadtime `H` and wd_interval `W`:
//!
//! - **detect** (first failed health check after the fault) ≤ `P + T + slack`: a check starts
//!   within one period and fails within its timeout.
//! - **node_down** (backend marked down) ≤ detect + `R × (D + T)`: every retry waits `D` and may
//!   take `T` to fail.
//! - **watchdog takeover** (the survivor's watchdog leads): pgpool's fixed watchdog waits, which
//!   no setting changes (pgpool-II `src/watchdog/watchdog.c`: `MAX_SECS_WAIT_FOR_REPLY_FROM_NODE`
//!   = 5 s in JOINING, 1 s in INITIALIZING, 5 s waiting for replies to "declare coordinator"),
//!   11 s + slack — after the peer is known lost: at once when it said goodbye or its sockets
//!   closed (graceful stop, crash), after the heartbeat deadline `H + W` when it went silent.
//! - **failover_start**: pgpool runs a failover only when the watchdog leader agrees; a degenerate
//!   request made before the survivor leads is *cancelled* ("canceled by other pgpool") and the
//!   health check starts over. The fastest possible node-down is `R × D` (every retry refused at
//!   once); when that can come before the latest takeover, the next request comes at most one
//!   health-check cycle `P + R × (D + T)` after the takeover, so the bound is
//!   `max(node_down, takeover + cycle) + slack`, else `max(node_down, takeover) + slack`.
//!   Measured: a crash's node-down landed at
//!   10.0 s, before its takeover, and the failover started at 22.1 s (within this bound); in other
//!   crash runs node-down came after the takeover and the failover followed at ~12 s.
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

/// A setting the budgets are derived from is missing from the rendered pgpool.conf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pgpool setting {0} is missing or not a whole number")]
pub struct BudgetError(pub &'static str);

/// Derives every budget from the settings; `overrides` (the scenario's) replace derived values.
/// `effect_s` is how long after injection the fault really took effect (a graceful stop's
/// shutdown time); every phase measured from the fault gets it added, since none can start
/// before it.
/// `silent`: the peers see only silence (no goodbye, no FIN/RST), so the watchdog needs its
/// heartbeat deadline before it even starts taking over.
pub fn derive(
    settings: &PgpoolSettings,
    overrides: &BTreeMap<MeasurementKind, Duration>,
    effect_s: f64,
    silent: bool,
) -> Result<Budgets, BudgetError> {
    let need = |key: &'static str| settings.seconds(key).ok_or(BudgetError(key));
    let p = need("health_check_period")?;
    let t = need("health_check_timeout")?;
    let r = settings
        .number("health_check_max_retries")
        .ok_or(BudgetError("health_check_max_retries"))? as u32;
    let d = need("health_check_retry_delay")?;
    let h = settings
        .seconds("wd_heartbeat_deadtime")
        .unwrap_or_default();
    let w = settings.seconds("wd_interval").unwrap_or_default();

    let detect = p + t + SLACK;
    let node_down = detect + (d + t) * r;
    let noticed = if silent { h + w } else { Duration::ZERO };
    let takeover = noticed + WATCHDOG_FIXED_WAITS + SLACK;
    let cycle = p + (d + t) * r;
    let fastest_node_down = d * r;
    let cancel_possible = fastest_node_down < takeover;
    let failover_start = if cancel_possible {
        node_down.max(takeover + cycle) + SLACK
    } else {
        node_down.max(takeover) + SLACK
    };
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
                derivation: if cancel_possible {
                    format!(
                        "max(node_down {}, watchdog takeover {} + one health-check cycle {}) + slack 1: a request before the takeover ({}fixed waits 11 + slack 1) is cancelled, and node-down can come as early as {}",
                        s(node_down),
                        s(takeover),
                        s(cycle),
                        if silent { format!("deadtime {} + wd_interval {} + ", s(h), s(w)) } else { String::new() },
                        s(fastest_node_down)
                    )
                } else {
                    format!(
                        "max(node_down {}, watchdog takeover {}) + slack 1",
                        s(node_down),
                        s(takeover)
                    )
                },
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
                derivation: format!(
                    "failover_start {} + 5 (promote, child restart)",
                    s(failover_start)
                ),
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
        let b = derive(&tuned(), &BTreeMap::new(), 0.0, false).unwrap();
        assert_eq!(b[&MeasurementKind::Detect].seconds, 4.0);
        assert_eq!(b[&MeasurementKind::NodeDown].seconds, 13.0);
        // A loss the watchdog notices at once: takeover 11 + 1 = 12 s; node-down may come as
        // early as 3 x 1 = 3 s, so one more cycle of 1 + 3 x (1 + 2) = 10 s after the takeover.
        assert_eq!(b[&MeasurementKind::FailoverStart].seconds, 23.0);
        assert_eq!(b[&MeasurementKind::Vip].seconds, 16.0);
        assert_eq!(b[&MeasurementKind::Promote].seconds, 28.0);
        assert!(b[&MeasurementKind::NodeDown]
            .derivation
            .contains("retries 3"));
    }

    #[test]
    fn a_silent_loss_costs_a_cancelled_health_check_cycle() {
        // takeover = 3 + 1 + 11 + 1 = 16 s, then one cycle of 1 + 3 x (1 + 2) = 10 s.
        let b = derive(&tuned(), &BTreeMap::new(), 0.0, true).unwrap();
        assert_eq!(b[&MeasurementKind::FailoverStart].seconds, 27.0);
        assert!(b[&MeasurementKind::FailoverStart]
            .derivation
            .contains("one health-check cycle 10"));
        assert_eq!(b[&MeasurementKind::Vip].seconds, 20.0);
    }

    #[test]
    fn a_scenario_budget_replaces_the_derived_one() {
        let over = BTreeMap::from([(MeasurementKind::Promote, Duration::from_secs(12))]);
        let b = derive(&tuned(), &over, 0.0, true).unwrap();
        assert_eq!(b[&MeasurementKind::Promote].seconds, 12.0);
        assert_eq!(
            b[&MeasurementKind::Promote].derivation,
            "set by the scenario"
        );
    }

    #[test]
    fn without_a_possible_early_node_down_no_cycle_is_added() {
        // 20 retries 1 s apart cannot end before a 12 s takeover.
        let slow = PgpoolSettings::parse(
            "health_check_period = 1\nhealth_check_timeout = 2\nhealth_check_max_retries = 20\n\
             health_check_retry_delay = 1\nwd_heartbeat_deadtime = 3\nwd_interval = 1\n",
        );
        let b = derive(&slow, &BTreeMap::new(), 0.0, false).unwrap();
        assert_eq!(b[&MeasurementKind::NodeDown].seconds, 64.0);
        assert_eq!(b[&MeasurementKind::FailoverStart].seconds, 65.0);
    }

    #[test]
    fn a_slow_graceful_stop_delays_every_phase_but_recovery() {
        let b = derive(&tuned(), &BTreeMap::new(), 1.5, true).unwrap();
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
            true,
        );
        assert_eq!(err.unwrap_err(), BudgetError("health_check_timeout"));
    }
}
