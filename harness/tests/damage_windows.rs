//! Damage windows on a real partition run (pg17-pgpool46, recorded 2026-11-30): the record's
//! windows agree with its own role samples, and every reporter shows them.

use hachaos::measure::{measure_windows, MeasurementKind, WindowInput};
use hachaos::observe::Ledger;
use hachaos::report::{html, junit, read_run, summary};
use hachaos::run::RunRecord;
use std::path::Path;

const PARTITION: &str = "tests/data/windows/pg17-pgpool46-partition.json";

fn partition() -> RunRecord {
    read_run(Path::new(PARTITION)).unwrap()
}

#[test]
fn the_partition_opened_every_window_and_lost_the_old_primarys_writes() {
    let r = partition();
    let d = r.damage_windows.as_ref().unwrap();
    // The isolated old primary kept acknowledging on its own session until it was rewound:
    // every one of those writes is gone, while clients through the VIP lost only 3.
    assert!(d.old_primary_acks.seconds.unwrap() > 40.0, "{d:?}");
    assert_eq!(d.old_primary_acks.nodes, ["node1"]);
    assert_eq!(
        d.lost_writes.pinned,
        Some(d.lost_writes.pinned_acks_after_fault)
    );
    assert_eq!(d.lost_writes.through_vip, Some(3));
    assert!(d.two_primaries.seconds.unwrap() > 20.0);
    assert!(d.two_vip_holders.seconds.unwrap() > 30.0);
    assert!(d.vip_outage.seconds.unwrap() > 10.0);
    assert_eq!(
        (d.divergence.old_timeline, d.divergence.new_timeline),
        (Some(1), Some(2))
    );
    assert!(d.divergence.old_side_wal_bytes.unwrap() > 0);
}

#[test]
fn the_sampled_windows_are_what_the_records_own_samples_give() {
    let r = partition();
    let d = r.damage_windows.as_ref().unwrap();
    let ledger = Ledger::default();
    let again = measure_windows(&WindowInput {
        ledger: &ledger,
        probed: false,
        samples: &r.roles.samples,
        fault_ms: None,
        fault_hit_primary: false,
        fault_effect_ms: None,
        probe_period_ms: 100,
        sample_period_ms: 500,
        lost: None,
        lost_pinned: None,
    });
    assert_eq!(again.two_primaries, d.two_primaries);
    assert_eq!(again.two_vip_holders, d.two_vip_holders);
}

#[test]
fn every_reporter_shows_the_windows() {
    let r = partition();
    let d = r.damage_windows.as_ref().unwrap();
    for kind in [
        MeasurementKind::OldPrimaryAcks,
        MeasurementKind::TwoPrimaries,
        MeasurementKind::TwoVipHolders,
        MeasurementKind::VipOutage,
    ] {
        let m = r.measurements.iter().find(|m| m.kind == kind).unwrap();
        assert!(m.seconds.is_some(), "{kind:?}");
    }

    let text = summary(&r, false);
    assert!(
        text.contains("damage windows: old primary acked 48.5 s (±100 ms)"),
        "{text}"
    );
    assert!(text.contains("lost / diverged: 3 acknowledged through the VIP lost"));

    let page = html(&r);
    assert!(page.contains(r#"<g class="outage">"#));
    assert!(page.contains("old primary acknowledging writes: node1"));
    assert!(
        page.contains(">old_primary_acks 48.55 s<"),
        "bar of the window"
    );

    let xml = junit(&r);
    assert!(xml.contains(r#"<property name="damage.two_primaries_s" value="26.059"/>"#));
    assert!(xml.contains(&format!(
        r#"<property name="damage.lost_pinned" value="{}"/>"#,
        d.lost_writes.pinned.unwrap()
    )));
}
