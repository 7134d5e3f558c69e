//! Configuration matrices: each combination of listed values is a separate case.

use hachaos::scenario::{load, Capabilities};

const BASE: &str = "name: crash\nsteps:\n  - action: host-crash\n    target: primary\n";

#[test]
fn every_combination_of_the_matrix_is_its_own_case() {
    let text = format!(
        "{BASE}matrix:\n  enable_consensus_with_half_votes: [on, off]\n  trusted_servers: [gateway, none]\n"
    );
    let plan = load("m.yaml", &text, &Capabilities::default()).expect("valid");
    let cases = plan.cases();
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "crash[enable_consensus_with_half_votes=on,trusted_servers=gateway]",
            "crash[enable_consensus_with_half_votes=on,trusted_servers=none]",
            "crash[enable_consensus_with_half_votes=off,trusted_servers=gateway]",
            "crash[enable_consensus_with_half_votes=off,trusted_servers=none]",
        ]
    );
    assert_eq!(cases[3].config["enable_consensus_with_half_votes"], "off");
    assert_eq!(cases[3].config["trusted_servers"], "");
    assert!(cases.iter().all(|c| c.matrix.is_empty()));
}

#[test]
fn a_plan_without_a_matrix_is_its_only_case() {
    let plan = load("p.yaml", BASE, &Capabilities::default()).expect("valid");
    let cases = plan.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].name, "crash");
}

#[test]
fn a_bad_matrix_value_is_reported_with_its_line_and_path() {
    let text = format!("{BASE}matrix:\n  health_check_max_retries: [3, lots]\n");
    let errs = load("m.yaml", &text, &Capabilities::default()).unwrap_err();
    let shown = errs.to_string();
    assert!(shown.contains("m.yaml:6"), "{shown}");
    assert!(
        shown.contains("matrix.health_check_max_retries[1]"),
        "{shown}"
    );
}

#[test]
fn a_setting_both_fixed_and_varied_is_rejected() {
    let text = format!(
        "{BASE}config:\n  trusted_servers: gateway\nmatrix:\n  trusted_servers: [gateway, none]\n"
    );
    let errs = load("m.yaml", &text, &Capabilities::default()).unwrap_err();
    assert!(
        errs.to_string().contains("both in config and in matrix"),
        "{errs}"
    );
}
