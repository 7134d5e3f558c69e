//! A grammar's definition: one product's log format and what its lines mean (a *profile* file,
//! `images/<grammar>/profile.yaml`, validated: the regexes built, the event kinds resolved).
//! A [`super::Grammar`] runs one. Not the *release* a scenario names, which picks its grammar
//! by name.

use super::error::GrammarError;
use super::spec::{AttrType, DetachSpec, GrammarSpec};
use crate::timeline::EventKind;
use regex::Regex;

/// The built-in profiles, embedded so the binary works without the source tree.
const BUILTIN: &[(&str, &str)] = &[
    (
        "pgpool",
        include_str!("../../../images/pgpool/profile.yaml"),
    ),
    (
        "kingbase-v8r3",
        include_str!("../../../images/kingbase-v8r3/profile.yaml"),
    ),
];

/// Names of the built-in profiles, in the order `--profile auto` breaks ties.
pub const BUILTIN_NAMES: &[&str] = &["pgpool", "kingbase-v8r3"];

/// A line-prefix format, compiled.
#[derive(Clone, Debug)]
pub struct Prefix {
    /// Its name in the profile.
    pub name: String,
    /// The anchored regex.
    pub regex: Regex,
    /// Whether an unprefixed next line continues this one.
    pub continuation: bool,
}

/// A pattern → event rule, compiled.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The event it produces.
    pub kind: EventKind,
    /// Literals that must appear in the line before `regex` runs.
    pub keywords: Vec<String>,
    /// The message regex.
    pub regex: Regex,
    /// Typed attributes (name, type); groups not listed are strings.
    pub attr_types: Vec<(String, AttrType)>,
    /// Constant attributes.
    pub set: Vec<(String, String)>,
}

/// A line wrapper (syslog, journald, a quote), compiled.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Its name in the profile.
    pub name: String,
    /// The anchored regex.
    pub regex: Regex,
}

/// One step of an expected sequence, kinds resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceStep {
    /// What the step is.
    pub title: String,
    /// Kinds that must all occur.
    pub required: Vec<EventKind>,
    /// Kinds shown with the step.
    pub optional: Vec<EventKind>,
}

/// One expected way a failover unfolds (see [`super::SequenceSpec`]), kinds resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Its name, reported as how a failover started.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Whether it detaches the primary or a standby.
    pub detach: DetachSpec,
    /// Steps in order.
    pub steps: Vec<SequenceStep>,
    /// Kinds required after the first step, in any order.
    pub unordered: Vec<EventKind>,
}

/// A validated grammar definition (from a profile file), ready to build a [`super::Grammar`].
#[derive(Clone, Debug)]
pub struct GrammarDef {
    /// The profile name.
    pub name: String,
    /// What it covers.
    pub description: String,
    /// Literals voting for this profile in `--profile auto`.
    pub detect: Vec<String>,
    /// File-name patterns picked from a node directory.
    pub files: Vec<String>,
    /// Prefix formats, in order.
    pub prefixes: Vec<Prefix>,
    /// The glued-prefix regex, if any.
    pub glued: Option<Regex>,
    /// Rules, in priority order.
    pub rules: Vec<Rule>,
    /// Line wrappers removed before the prefixes are tried.
    pub envelopes: Vec<Envelope>,
    /// The expected ways a failover unfolds; empty = the seed's sequence.
    pub sequences: Vec<Sequence>,
}

fn compile(profile: &str, what: String, re: &str) -> Result<Regex, GrammarError> {
    Regex::new(re).map_err(|source| GrammarError::Regex {
        profile: profile.to_string(),
        what,
        source,
    })
}

impl GrammarDef {
    /// A built-in profile by name (`pgpool`, `kingbase-v8r3`).
    pub fn builtin(name: &str) -> Result<GrammarDef, GrammarError> {
        GrammarDef::from_spec(builtin_spec(name)?)
    }

    /// Parses and validates profile YAML; `label` names the source in errors.
    pub fn from_yaml(label: &str, text: &str) -> Result<GrammarDef, GrammarError> {
        let spec: GrammarSpec = crate::loader::from_str(label, text)?;
        GrammarDef::from_spec(spec)
    }

    /// Reads and validates a profile file (`--profile-file`).
    pub fn from_path(path: &std::path::Path) -> Result<GrammarDef, GrammarError> {
        let spec: GrammarSpec = crate::loader::from_path(path)?;
        GrammarDef::from_spec(spec)
    }

    /// Validates a parsed spec: regexes compile, kinds exist, every rule has a keyword.
    pub fn from_spec(spec: GrammarSpec) -> Result<GrammarDef, GrammarError> {
        let name = spec.name.clone();
        let mut prefixes = Vec::new();
        for p in &spec.prefixes {
            prefixes.push(Prefix {
                name: p.name.clone(),
                regex: compile(&name, format!("prefix `{}`", p.name), &p.regex)?,
                continuation: p.continuation,
            });
        }
        let glued = match &spec.glued {
            Some(g) => Some(compile(&name, "glued".to_string(), g)?),
            None => None,
        };
        let mut rules = Vec::new();
        for (index, r) in spec.rules.iter().enumerate() {
            let kind = EventKind::from_name(&r.kind).ok_or_else(|| GrammarError::UnknownKind {
                profile: name.clone(),
                index,
                kind: r.kind.clone(),
            })?;
            let keywords: Vec<String> = r
                .keywords
                .iter()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect();
            if keywords.is_empty() {
                return Err(GrammarError::NoKeywords {
                    profile: name.clone(),
                    index,
                    kind: r.kind.clone(),
                });
            }
            rules.push(Rule {
                kind,
                keywords,
                regex: compile(&name, format!("rule {index} (`{}`)", r.kind), &r.regex)?,
                attr_types: r.attrs.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                set: r.set.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            });
        }
        let mut envelopes = Vec::new();
        for e in &spec.envelopes {
            envelopes.push(Envelope {
                name: e.name.clone(),
                regex: compile(&name, format!("envelope `{}`", e.name), &e.regex)?,
            });
        }
        let kinds = |what: &str, names: &[String]| -> Result<Vec<EventKind>, GrammarError> {
            names
                .iter()
                .map(|k| {
                    EventKind::from_name(k).ok_or_else(|| GrammarError::UnknownSequenceKind {
                        profile: name.clone(),
                        what: what.to_string(),
                        kind: k.clone(),
                    })
                })
                .collect()
        };
        let mut sequences = Vec::new();
        for q in &spec.sequences {
            let mut steps = Vec::new();
            for (i, st) in q.steps.iter().enumerate() {
                let what = format!("sequences.{}.steps[{i}]", q.name);
                let required = kinds(&what, &st.required)?;
                if required.is_empty() {
                    return Err(GrammarError::EmptyStep {
                        profile: name.clone(),
                        what,
                    });
                }
                steps.push(SequenceStep {
                    title: st.title.clone(),
                    required,
                    optional: kinds(&what, &st.optional)?,
                });
            }
            sequences.push(Sequence {
                name: q.name.clone(),
                description: q.description.clone(),
                detach: q.detach,
                steps,
                unordered: kinds(&format!("sequences.{}.unordered", q.name), &q.unordered)?,
            });
        }
        Ok(GrammarDef {
            name,
            description: spec.description,
            detect: spec.detect,
            files: spec.files,
            prefixes,
            glued,
            rules,
            envelopes,
            sequences,
        })
    }

    /// Whether a file name matches one of [`GrammarDef::files`] (`*` matches any run of characters).
    pub fn wants_file(&self, file_name: &str) -> bool {
        self.files.iter().any(|p| glob_match(p, file_name))
    }

    /// How strongly `sample` (the start of a log) looks like this profile: occurrences of its
    /// detect literals.
    pub fn score(&self, sample: &[u8]) -> usize {
        score(&self.detect, sample)
    }
}

/// Occurrences of the `detect` literals in `sample`.
fn score(detect: &[String], sample: &[u8]) -> usize {
    detect
        .iter()
        .map(|lit| memchr::memmem::find_iter(sample, lit.as_bytes()).count())
        .sum()
}

/// A built-in profile's spec, parsed and not yet compiled.
fn builtin_spec(name: &str) -> Result<GrammarSpec, GrammarError> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| GrammarError::Unknown(name.to_string()))?;
    Ok(crate::loader::from_str(&format!("<builtin:{name}>"), text)?)
}

/// Picks the built-in profile whose detect literals occur most often in `samples`; `None` when
/// none occurs at all (then the user must say which). Ties go to the earlier of
/// [`BUILTIN_NAMES`].
pub fn detect(samples: &[&[u8]]) -> Result<Option<GrammarDef>, GrammarError> {
    // Only the winner is compiled: scoring needs the detect literals alone, and compiling a
    // profile's regexes costs as much as scanning megabytes of log.
    let mut best: Option<(usize, &str)> = None;
    for name in BUILTIN_NAMES {
        let spec = builtin_spec(name)?;
        let score: usize = samples.iter().map(|s| score(&spec.detect, s)).sum();
        if score > 0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| GrammarDef::builtin(name)).transpose()
}

/// `*`-only glob matching (enough for log file names).
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_compiles() {
        for name in BUILTIN_NAMES {
            let p = GrammarDef::builtin(name).unwrap();
            assert_eq!(&p.name, name);
            assert!(!p.rules.is_empty());
        }
    }

    #[test]
    fn an_unknown_profile_name_is_an_error_listing_the_builtins() {
        let err = GrammarDef::builtin("mysql").unwrap_err().to_string();
        assert!(
            err.contains("mysql") && err.contains("kingbase-v8r3"),
            "{err}"
        );
    }

    #[test]
    fn a_rule_with_an_unknown_kind_is_rejected_with_its_index() {
        let yaml =
            "name: x\nprefixes: []\nrules:\n  - kind: nope\n    keywords: [a]\n    regex: a\n";
        let err = GrammarDef::from_yaml("x.yaml", yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rule 0") && err.contains("`nope`"), "{err}");
    }

    #[test]
    fn a_rule_without_keywords_is_rejected() {
        let yaml =
            "name: x\nprefixes: []\nrules:\n  - kind: promote\n    keywords: []\n    regex: a\n";
        let err = GrammarDef::from_yaml("x.yaml", yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no keywords"), "{err}");
    }

    #[test]
    fn an_unknown_key_in_a_profile_names_its_path() {
        let yaml = "name: x\nprefixes: []\nrules: []\nrulez: []\n";
        let err = GrammarDef::from_yaml("x.yaml", yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.yaml") && err.contains("rulez"), "{err}");
    }

    #[test]
    fn file_globs_match_log_names() {
        assert!(glob_match("*.log", "cluster.log"));
        assert!(glob_match("pgpool*.log", "pgpool-2026.log"));
        assert!(!glob_match("pgpool*.log", "postgresql.log"));
        assert!(glob_match("cluster.log", "cluster.log"));
    }

    #[test]
    fn kingbase_wording_is_detected_as_kingbase() {
        let sample =
            b"2022-08-30 15:38:13: pid 1: LOG:  health checking retry count 1\nfailover_stream.sh";
        assert_eq!(detect(&[sample]).unwrap().unwrap().name, "kingbase-v8r3");
    }

    #[test]
    fn pgpool_4_wording_is_detected_as_pgpool() {
        let sample = b"2026-11-25 12:00:00.001: health_check0 pid 9: LOG:  health check retrying on DB node: 0 (round:1)";
        assert_eq!(detect(&[sample]).unwrap().unwrap().name, "pgpool");
    }

    #[test]
    fn text_with_no_known_wording_detects_nothing() {
        assert!(detect(&[b"hello world"]).unwrap().is_none());
    }
}
