//! The HTML timeline: self-contained, complete, escaped, and drawn by a real browser.

use hachaos::report::{html, read_run};
use hachaos::timeline::{Event, EventKind};
use std::path::Path;
use std::process::Command;

const REAL_RUN: &str = "tests/data/runs/primary-shutdown-first";

#[test]
fn the_page_loads_nothing_from_the_network() {
    let page = html(&read_run(Path::new(REAL_RUN)).unwrap());
    for needle in [
        "http://", "https://", "//cdn", "src=\"//", "@import", "<link",
    ] {
        assert!(!page.contains(needle), "page contains {needle}");
    }
}

#[test]
fn the_page_names_every_check_with_its_verdict_at_the_top() {
    let record = read_run(Path::new(REAL_RUN)).unwrap();
    let page = html(&record);
    let timeline_at = page.find("<svg").unwrap();
    for c in &record.checks {
        let name = hachaos::report::escape(&c.name);
        let at = page.find(&format!(r#"<td class="name">{name}</td>"#));
        assert!(
            at.is_some_and(|a| a < timeline_at),
            "check {name:?} missing or below the timeline"
        );
    }
    assert!(page.contains(r#"<header class="fail"><div class="verdict">fail</div>"#));
}

#[test]
fn the_page_draws_the_fault_window_and_every_measured_phase() {
    let record = read_run(Path::new(REAL_RUN)).unwrap();
    let page = html(&record);
    assert!(page.contains("host-shutdown on node1"));
    assert!(page.contains("two writable primaries: node1 and node2"));
    for m in &record.measurements {
        assert!(
            page.contains(&format!(">{}<", m.kind.name())),
            "{:?}",
            m.kind
        );
    }
    assert!(page.contains("vip 13.94 s / budget 6.0 s"));
    assert!(page.contains(r#"<rect class="span fail""#));
}

#[test]
fn markup_in_log_text_is_escaped_everywhere() {
    let mut record = read_run(Path::new(REAL_RUN)).unwrap();
    let mut e: Event = record.events[20].clone();
    e.kind = EventKind::Forbidden;
    e.text = r#"<script>alert("pwned")</script> PANIC"#.into();
    record.events.push(e);
    record.checks[0].evidence = "<img src=x onerror=alert(1)>".into();
    let page = html(&record);
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; PANIC"));
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

/// Renders the page with headless Chromium (Debian's `chromium`) and checks the screenshot is a
/// real drawing, not a blank page. Skipped (loudly) where Chromium is not installed.
#[test]
fn headless_chromium_renders_a_non_trivial_timeline() {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("SKIPPED headless_chromium_renders_a_non_trivial_timeline: chromium not installed (apt-get install -y chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("timeline.html");
    let png = dir.path().join("shot.png");
    std::fs::write(&page, html(&read_run(Path::new(REAL_RUN)).unwrap())).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,2400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(&bytes[1..4], b"PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 2400));
    // A blank or error page compresses to a few kilobytes; the timeline (text, marks, tables)
    // is far larger.
    assert!(
        bytes.len() > 100_000,
        "screenshot only {} bytes",
        bytes.len()
    );
}
