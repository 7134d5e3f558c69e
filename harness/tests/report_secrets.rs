//! No rendered file repeats a configured secret: `run.json` is redacted, and JUnit and HTML are
//! rendered from that redacted JSON (plus a scrub of their own text), so grepping the whole run
//! directory for the secrets finds nothing.

use hachaos::report::{read_run, write_run_files};
use std::path::Path;

const SECRET: &str = "s3cr3t-Pa55word";
const PCP_SECRET: &str = "pcp-W-7x9q";

#[test]
fn no_file_in_the_run_directory_contains_a_configured_secret() {
    let mut record = read_run(Path::new("tests/data/runs/primary-shutdown-first")).unwrap();
    // Put the secrets where a bug could leak them: config, an event's text and attrs, evidence,
    // the error and the reproduce line.
    record
        .config
        .insert("health_check_password".into(), SECRET.into());
    record.events[30].text =
        format!("pcp_attach_node -h node1 -W {PCP_SECRET} password={SECRET}").into();
    record.events[30].attrs.insert(
        "command".into(),
        serde_json::json!(format!("psql password={SECRET}")),
    );
    record.checks[0].evidence = format!("saw {SECRET} in a log line");
    record.error = Some(format!("setup: auth failed for {PCP_SECRET}"));
    record.reproduce = format!("HACHAOS_DB_PASSWORD={SECRET} hachaos run x.yaml");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs/node1");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("pgpool.log"),
        "a redacted line: password=<redacted>\n",
    )
    .unwrap();

    write_run_files(
        &record,
        dir.path(),
        &[SECRET.into(), PCP_SECRET.into(), String::new()],
    )
    .unwrap();

    for name in ["run.json", "junit.xml", "timeline.html"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        for s in [SECRET, PCP_SECRET] {
            assert!(!text.contains(s), "{name} contains {s}");
        }
        assert!(
            text.contains("&lt;redacted&gt;") || text.contains("<redacted>"),
            "{name}"
        );
    }
}

#[test]
fn redacted_markers_already_in_the_record_survive_rendering() {
    let mut record = read_run(Path::new("tests/data/runs/primary-shutdown-first")).unwrap();
    record.events[30].text = "pcp_attach_node -W <redacted>".into();
    record.checks[0].evidence = "pcp_attach_node -W <redacted> failed".into();
    let page = hachaos::report::html(&record);
    assert!(page.contains("pcp_attach_node -W &lt;redacted&gt;"));
    let xml = hachaos::report::junit(&record);
    assert!(xml.contains("-W &lt;redacted&gt;"));
}
