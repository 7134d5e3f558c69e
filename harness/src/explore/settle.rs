//! How long a cluster may take, from `recover` firing, to show itself healthy again: derived
//! from the configuration the nodes will run (the tuned template plus `--set`), with the same
//! budget formulas `run` judges phases by (`crate::measure::derive_budgets`).
//!
//! settle = recover budget (rewind or basebackup, start, attach) + promote budget of a silent
//! loss (the slowest failover the configuration allows: health check, watchdog takeover, one
//! cancelled request, promotion): a fault healed just before `recover` may still have its
//! failover under way.

use crate::measure::{derive_budgets, MeasurementKind, PgpoolSettings};
use std::collections::BTreeMap;
use std::time::Duration;

/// The pgpool.conf template every release renders (its timers are what `--set` overrides).
const TEMPLATE: &str =
    include_str!("../../../images/common/rootfs/etc/hachaos/templates/pgpool.conf.in");

/// The settle time for these overrides, or why it cannot be derived (a timer that is not a whole
/// number of seconds).
pub fn settle(
    overrides: &BTreeMap<String, String>,
) -> Result<Duration, crate::measure::BudgetError> {
    let settings = PgpoolSettings::parse(TEMPLATE).with_overrides(overrides);
    let budgets = derive_budgets(&settings, &BTreeMap::new(), 0.0, true)?;
    let s = budgets[&MeasurementKind::Recover].seconds + budgets[&MeasurementKind::Promote].seconds;
    Ok(Duration::from_secs(s.ceil() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tuned_defaults_settle_within_recover_plus_a_silent_failover() {
        // period 1, timeout 1, retries 5, delay 1, deadtime 3, wd_interval 1 (README): promote
        // budget 33 s, recover 60 s.
        assert_eq!(settle(&BTreeMap::new()), Ok(Duration::from_secs(93)));
    }

    #[test]
    fn slower_health_checks_settle_later() {
        let o = BTreeMap::from([("health_check_max_retries".to_string(), "10".to_string())]);
        assert!(settle(&o).unwrap() > Duration::from_secs(93));
    }

    #[test]
    fn a_timer_that_is_not_whole_seconds_is_refused() {
        let o = BTreeMap::from([("health_check_period".to_string(), "fast".to_string())]);
        assert!(settle(&o).is_err());
    }
}
