//! Replays the fuzz corpus (`fuzz/corpus/<target>/`: seeds and what AFL kept) and the regression
//! inputs (`fuzz/regressions/<target>/`: every crash or hang found, and the hostile inputs of
//! issue 15) through the same entry points the fuzz targets call. A panic fails the test.

use std::path::Path;

fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir);
    let mut n = 0;
    for (name, entry) in hachaos::fuzzing::TARGETS {
        let Ok(files) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for f in files.filter_map(Result::ok).map(|e| e.path()) {
            if f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let data = std::fs::read(&f).unwrap();
            let replayed = std::panic::catch_unwind(|| entry(&data));
            assert!(replayed.is_ok(), "{name}: {} panics", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn every_corpus_input_is_handled_without_a_panic() {
    assert!(replay("corpus") >= 20, "the seed corpus is missing");
}

#[test]
fn every_regression_input_is_handled_without_a_panic() {
    assert!(
        replay("regressions") >= 10,
        "the regression inputs are missing"
    );
}

#[test]
fn every_target_has_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, _) in hachaos::fuzzing::TARGETS {
        let n = std::fs::read_dir(root.join(name)).map_or(0, |d| d.count());
        assert!(n > 0, "fuzz/corpus/{name} is empty");
    }
}
