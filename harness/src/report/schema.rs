//! JSON Schemas of the records hachaos writes, generated from the types themselves (schemars),
//! so a schema cannot drift from what is written: `docs/schemas/*.schema.json` are these,
//! checked by `tests/schemas.rs` (which also validates real outputs against them).

use serde_json::Value;

/// (file name under `docs/schemas/`, schema) of every versioned record.
pub fn schemas() -> Vec<(&'static str, Value)> {
    let doc = |mut s: schemars::Schema, title: &str, about: &str| {
        if let Some(obj) = s.as_object_mut() {
            obj.insert("title".into(), title.into());
            obj.insert("description".into(), about.into());
        }
        s.to_value()
    };
    vec![
        (
            "run.schema.json",
            doc(
                schemars::schema_for!(crate::record::RunRecord),
                "hachaos run record (run.json)",
                "Everything one scenario run produced; format_version 2 (1 is still read: it called `release` `profile`).",
            ),
        ),
        (
            "evidence.schema.json",
            doc(
                schemars::schema_for!(crate::judge::Evidence),
                "hachaos run evidence (evidence.json)",
                "Everything one scenario run observed, which its verdict is judged from; format_version 1.",
            ),
        ),
        (
            "qualification.schema.json",
            doc(
                schemars::schema_for!(crate::report::qualify::Qualification),
                "hachaos release qualification (qualification.json, qualify --format json)",
                "Baseline against candidate on the same scenarios; format_version 1.",
            ),
        ),
        (
            "analysis.schema.json",
            doc(
                schemars::schema_for!(crate::record::AnalysisRecord),
                "hachaos offline analysis (analyze --format json)",
                "What the logs show happened, every failover, the checks; format_version 1.",
            ),
        ),
        (
            "suite.schema.json",
            doc(
                schemars::schema_for!(crate::suite::SuiteRecord),
                "hachaos suite record (suite.json)",
                "Every case of a suite, its verdict and figures; format_version 1.",
            ),
        ),
        (
            "comparison.schema.json",
            doc(
                schemars::schema_for!(crate::report::compare::Comparison),
                "hachaos comparison (compare --format json)",
                "Old runs against new runs; format_version 1.",
            ),
        ),
        (
            "exploration.schema.json",
            doc(
                schemars::schema_for!(crate::explore::ExplorationRecord),
                "hachaos exploration (exploration.json, explore --format json)",
                "Seeded random schedules, their invariants, the shrunk failures; format_version 1.",
            ),
        ),
    ]
}
