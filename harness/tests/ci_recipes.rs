//! The CI recipes in docs/ci/ parse, shard with nextest, keep reports/ and JUnit, and call only
//! `hachaos` commands that exist; yamllint (when installed) finds nothing to say.

use clap::CommandFactory;
use std::path::{Path, PathBuf};

fn doc(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/ci")
        .join(name)
}

/// Every string in a YAML tree (shell lines live in `run:` and `script:` values).
fn strings(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        serde_yaml::Value::Mapping(m) => m.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out)
        }),
        serde_yaml::Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// The shell lines: strings under `run`, `script`, `before_script` and `after_script`.
fn shell_lines(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| shell_lines(i, out)),
        serde_yaml::Value::Mapping(m) => m.iter().for_each(|(k, v)| {
            if matches!(
                k.as_str(),
                Some("run" | "script" | "before_script" | "after_script")
            ) {
                strings(v, out)
            } else {
                shell_lines(v, out)
            }
        }),
        _ => {}
    }
}

/// The `hachaos` subcommand paths a shell line calls (`cargo run -q -- image build` gives
/// `["image", "build"]`).
fn hachaos_calls(line: &str) -> Vec<Vec<String>> {
    let mut calls = Vec::new();
    for part in line.split(['\n', '|', ';', '&']) {
        let words: Vec<&str> = part.split_whitespace().collect();
        let start = words
            .windows(4)
            .position(|w| w == ["cargo", "run", "-q", "--"])
            .map(|i| i + 4)
            .or_else(|| (words.first() == Some(&"hachaos")).then_some(1));
        if let Some(i) = start {
            calls.push(
                words[i..]
                    .iter()
                    .take_while(|w| !w.starts_with('-'))
                    .map(|w| w.to_string())
                    .collect(),
            );
        }
    }
    calls
}

fn check(name: &str, partition: &str) {
    let text = std::fs::read_to_string(doc(name)).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut lines = Vec::new();
    strings(&yaml, &mut lines);
    let all = lines.join("\n");
    assert!(all.contains(partition), "{name}: no `{partition}` shard");
    assert!(all.contains("--features chaos"), "{name}: no chaos tier");
    assert!(all.contains("reports/"), "{name}: reports/ not kept");
    assert!(
        all.contains("target/nextest/ci/junit.xml"),
        "{name}: no JUnit"
    );
    let cli = hachaos::cli::Cli::command();
    let mut seen = 0;
    let mut shell = Vec::new();
    shell_lines(&yaml, &mut shell);
    for line in &shell {
        for call in hachaos_calls(line) {
            let mut cmd = &cli;
            for (depth, word) in call.iter().enumerate() {
                match cmd.find_subcommand(word) {
                    Some(sub) => cmd = sub,
                    // Positional arguments after a leaf command.
                    None if depth > 0 && !cmd.has_subcommands() => break,
                    None => panic!("{name}: `hachaos {}` is not a command", call.join(" ")),
                }
            }
            seen += 1;
        }
        if line.contains("bash scripts/") {
            let script = line
                .split_whitespace()
                .find(|w| w.starts_with("scripts/"))
                .unwrap();
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join(script)
                    .is_file(),
                "{name}: {script} does not exist"
            );
        }
    }
    assert!(seen >= 2, "{name}: calls no hachaos command");
    assert!(
        all.contains("doctor"),
        "{name}: does not check the runner first"
    );
}

#[test]
fn the_github_actions_recipe_parses_and_calls_real_commands() {
    check(
        "github-actions.yml",
        "--partition hash:${{ matrix.shard }}/4",
    );
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(doc("github-actions.yml")).unwrap()).unwrap();
    assert!(yaml["on"]["schedule"].is_sequence(), "no schedule");
    assert_eq!(
        yaml["jobs"]["chaos"]["strategy"]["matrix"]["shard"]
            .as_sequence()
            .map(|s| s.len()),
        Some(4)
    );
}

#[test]
fn the_gitlab_recipe_parses_and_calls_real_commands() {
    check(
        "gitlab-ci.yml",
        "--partition hash:${CI_NODE_INDEX}/${CI_NODE_TOTAL}",
    );
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(doc("gitlab-ci.yml")).unwrap()).unwrap();
    assert_eq!(yaml["chaos"]["parallel"].as_u64(), Some(4));
    assert_eq!(
        yaml["chaos"]["artifacts"]["reports"]["junit"].as_str(),
        Some("target/nextest/ci/junit.xml")
    );
}

#[test]
fn the_recipes_pass_yamllint_where_it_is_installed() {
    let Ok(out) = std::process::Command::new("yamllint")
        .args(["-d", "{extends: default, rules: {line-length: {max: 140}, document-start: disable, truthy: {check-keys: false}}}"])
        .arg(doc("github-actions.yml"))
        .arg(doc("gitlab-ci.yml"))
        .output()
    else {
        // scripts/prereqs.sh installs yamllint, so CI always lints; a bare checkout may not.
        eprintln!("yamllint not installed: lint skipped");
        return;
    };
    assert!(
        out.status.success(),
        "yamllint:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
