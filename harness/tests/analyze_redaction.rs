//! No secret reaches text, JSON or HTML, whatever physical line pgpool broke a secret-bearing
//! line at: each line is split at every position and analysed.

use hachaos::analyze::{judge, InputSummary};
use hachaos::checks::Expectations;
use hachaos::grammar::{Grammar, GrammarDef};
use hachaos::report::render_text;
use hachaos::timeline::Timeline;
use proptest::prelude::*;

const PREFIX: &str = "2026-11-25 12:00:01.123: main pid 7: LOG:  ";

/// Secret-bearing messages; `{S}` is the secret. Every shape the docs promise to mask.
const SHAPES: &[&str] = &[
    "execute command: pcp_attach_node -U pgpool -W {S} -h node1 -n 0",
    "execute command: pcp_attach_node -U pgpool -W{S} -n 0",
    "execute command: pcp_attach_node -W \"{S} two\" -n 0",
    "execute command: pg_basebackup --password {S} -h node1",
    "execute command: pg_basebackup --password={S} -h node1",
    "execute command: psql 'host=node1 PassWord={S} user=repl'",
    "execute command: PGPASSWORD={S} psql -h node1",
    "execute command: curl -d {\"user\":\"a\",\"password\":\"{S}\"} http://x",
    "execute command: psql password={S};opt=1 host=node1",
    "execute command: psql password='it\\'s {S}' host=node1",
    "execute command: psql passwd={S} host=node1",
    "execute command: psql postgresql://repl:{S}@node1:5432/postgres",
    "execute command: sshpass -p {S} ssh postgres@node1",
];

fn grammar() -> &'static Grammar {
    static G: std::sync::OnceLock<Grammar> = std::sync::OnceLock::new();
    G.get_or_init(|| Grammar::new(GrammarDef::builtin("pgpool").unwrap(), &[]).unwrap())
}

/// Every output of analysing `bytes` as `hachaos analyze` does, from a file (whose events read
/// their text again, and redact it again, when an output prints it): the text report, the JSON
/// and the HTML page. The events are the same as when `bytes` are scanned from memory.
fn outputs(bytes: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    let scan = grammar()
        .scan_path(file.path(), "node1", "pgpool.log")
        .unwrap();
    assert_eq!(
        scan.events,
        grammar().scan_bytes(bytes, "node1", "pgpool.log").events
    );
    let summary = InputSummary {
        node: "node1".into(),
        path: "pgpool.log".into(),
        lines: scan.stats.lines,
        parsed: scan.stats.parsed,
        unparsed: scan.stats.unparsed,
    };
    static EXP: std::sync::OnceLock<Expectations> = std::sync::OnceLock::new();
    let exp = EXP.get_or_init(|| Expectations::for_profile("pgpool"));
    let record = judge(
        "pgpool".into(),
        vec![summary],
        Timeline::from_unsorted(scan.events),
        exp,
        scan.stats.redactions,
        None,
    );
    format!(
        "{}\n{}\n{}",
        render_text(&record),
        serde_json::to_string(&record).unwrap(),
        hachaos::report::analysis_html(&record)
    )
}

fn leaks(out: &str, secret: &str) -> Option<String> {
    // Any 4-character piece of the secret counts: a fragment is a leak too.
    (0..=secret.len() - 4)
        .map(|i| &secret[i..i + 4])
        .find(|piece| out.contains(piece))
        .map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_secret_split_at_any_position_never_reaches_any_output(
        secret in "[QXZJK][QXZJK0-9]{7,11}",
        shape in 0..SHAPES.len(),
    ) {
        let line = format!("{PREFIX}{}", SHAPES[shape].replace("{S}", &secret));
        // Whole, the event exists and is masked.
        let whole = outputs(format!("{line}\n").as_bytes());
        prop_assert!(whole.contains("execute_command") || whole.contains("failover_command"), "{whole}");
        prop_assert!(leaks(&whole, &secret).is_none(), "whole line leaks: {line}");
        for cut in 1..line.len() {
            if !line.is_char_boundary(cut) {
                continue;
            }
            let split = format!("{}\n{}\n", &line[..cut], &line[cut..]);
            let out = outputs(split.as_bytes());
            if let Some(piece) = leaks(&out, &secret) {
                prop_assert!(false, "split at {cut} leaks {piece:?}:\n{split}");
            }
        }
    }
}

#[test]
fn a_split_pcp_password_is_masked_and_counted() {
    let line = format!("{PREFIX}execute command: pcp_attach_node -U pgpool -W QX7ZJK99 -n 0");
    let cut = line.find("QX7").unwrap() + 3;
    let scan = grammar().scan_bytes(
        format!("{}\n{}\n", &line[..cut], &line[cut..]).as_bytes(),
        "node1",
        "pgpool.log",
    );
    assert_eq!(scan.events.len(), 1);
    assert!(
        scan.events[0].text.get().contains("-W *** -n 0"),
        "{}",
        scan.events[0].text
    );
    assert_eq!(scan.stats.redactions, 1);
}
