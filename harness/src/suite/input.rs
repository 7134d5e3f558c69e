//! What a suite runs: scenario files, folders of them and set files, expanded into scenario files
//! before anything starts.
//!
//! - a `.yaml`/`.yml` file is one scenario;
//! - a folder stands for its `*.yaml`/`*.yml` files (not its subfolders), in name order;
//! - a `.txt` file is a set: one scenario file name per line, `#` starts a comment. A name is
//!   looked up next to the set, then one folder up (`faults/sets/qualify.txt` names files of
//!   `faults/`).
//!
//! Anything else, a missing path, or a set line naming no file is an error with the file and line.

use std::path::{Path, PathBuf};

/// One scenario file of a suite and where it was named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioInput {
    /// The file.
    pub file: PathBuf,
    /// Where it was named: the argument itself, or `set.txt:7`.
    pub origin: String,
}

/// Why the inputs cannot be expanded (bad input: nothing was started).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct InputError {
    /// `file` or `file:line`.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

fn is_scenario(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

fn is_set(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()) == Some("txt")
}

/// Expands `given` (files, folders, set files) into scenario files, in the order given, each file
/// once (the first mention wins). Every error is collected, so one run of the command names them
/// all.
pub fn expand(given: &[PathBuf]) -> Result<Vec<ScenarioInput>, Vec<InputError>> {
    let mut out: Vec<ScenarioInput> = Vec::new();
    let mut errors = Vec::new();
    let push = |out: &mut Vec<ScenarioInput>, input: ScenarioInput| {
        if !out.iter().any(|o| same_file(&o.file, &input.file)) {
            out.push(input);
        }
    };
    for path in given {
        let origin = path.display().to_string();
        if path.is_dir() {
            match folder(path) {
                Ok(files) if files.is_empty() => errors.push(InputError {
                    origin,
                    message: "a folder without scenario files (*.yaml)".into(),
                }),
                Ok(files) => files.into_iter().for_each(|f| {
                    push(
                        &mut out,
                        ScenarioInput {
                            file: f,
                            origin: origin.clone(),
                        },
                    )
                }),
                Err(e) => errors.push(InputError {
                    origin,
                    message: format!("cannot list: {}", e.to_string().to_lowercase()),
                }),
            }
        } else if !path.exists() {
            errors.push(InputError {
                origin,
                message: "no such file or folder".into(),
            });
        } else if is_set(path) {
            match set(path) {
                Ok(files) => files.into_iter().for_each(|f| push(&mut out, f)),
                Err(mut e) => errors.append(&mut e),
            }
        } else if is_scenario(path) {
            push(
                &mut out,
                ScenarioInput {
                    file: path.clone(),
                    origin,
                },
            );
        } else {
            errors.push(InputError {
                origin,
                message: "neither a scenario (*.yaml), a set (*.txt) nor a folder".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn folder(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_scenario(p))
        .collect();
    files.sort();
    Ok(files)
}

/// The scenario files a set names.
pub fn set(path: &Path) -> Result<Vec<ScenarioInput>, Vec<InputError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![InputError {
            origin: path.display().to_string(),
            message: format!("cannot read: {}", e.to_string().to_lowercase()),
        }]
    })?;
    let here = path.parent().unwrap_or(Path::new("."));
    let up = here.parent();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let name = line.split('#').next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let origin = format!("{}:{}", path.display(), i + 1);
        let candidates: Vec<PathBuf> = std::iter::once(here.join(name))
            .chain(up.map(|u| u.join(name)))
            .collect();
        match candidates.iter().find(|c| c.is_file()) {
            Some(f) if is_scenario(f) => out.push(ScenarioInput {
                file: f.clone(),
                origin,
            }),
            Some(f) => errors.push(InputError {
                origin,
                message: format!("`{name}` ({}) is not a scenario file (*.yaml)", f.display()),
            }),
            None => errors.push(InputError {
                origin,
                message: format!(
                    "no scenario file `{name}` (looked for {})",
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../faults")
    }

    #[test]
    fn a_folder_is_its_scenario_files_in_name_order() {
        let got = expand(&[faults()]).unwrap();
        assert!(got.len() >= 14, "{got:?}");
        let names: Vec<_> = got.iter().map(|g| g.file.clone()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(got.iter().all(|g| is_scenario(&g.file)));
    }

    #[test]
    fn a_set_names_files_of_the_folder_above_it_with_its_lines_as_origin() {
        let got = expand(&[faults().join("sets/qualify.txt")]).unwrap();
        assert_eq!(got.len(), 4);
        assert!(got[0].file.ends_with("primary-shutdown.yaml"));
        assert!(
            got[0].origin.ends_with("qualify.txt:6"),
            "{}",
            got[0].origin
        );
    }

    #[test]
    fn a_file_named_twice_runs_once() {
        let one = faults().join("primary-crash.yaml");
        let got = expand(&[one.clone(), faults().join("sets/qualify.txt"), one]).unwrap();
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn bad_inputs_are_all_named_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("nightly.txt");
        std::fs::write(
            &set,
            "# nightly\nmissing.yaml\n\nnotes.md # not a scenario\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.md"), "x").unwrap();
        let errs = expand(&[
            set.clone(),
            dir.path().join("nope.yaml"),
            dir.path().join("notes.md"),
        ])
        .unwrap_err();
        let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("nightly.txt:2: no scenario file `missing.yaml`"));
        assert!(msgs[1].contains("nightly.txt:4: `notes.md`"));
        assert!(msgs[2].ends_with("nope.yaml: no such file or folder"));
        assert!(msgs[3].contains("notes.md: neither a scenario"));
    }
}
