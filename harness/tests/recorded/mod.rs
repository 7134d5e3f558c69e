//! Shared by the tests that read the recorded runs under `tests/data`.

/// A recorded `run.json` in the current format: format 1 (every record here before format 2)
/// called the release `profile`; that is format 2's only change (docs/reports.md).
pub fn as_format_2(mut doc: serde_json::Value) -> serde_json::Value {
    if doc["format_version"] == 1 {
        let obj = doc.as_object_mut().unwrap();
        let release = obj
            .remove("profile")
            .expect("format 1 names the release `profile`");
        obj.insert("release".into(), release);
        obj.insert("format_version".into(), 2.into());
    }
    doc
}
