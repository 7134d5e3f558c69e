//! The release file (`images/<release>/release.yaml`, or any file given with `--profile-file`):
//! what a cluster of this release is made of and how the harness drives it.

use super::dialect::PgpoolVersion;
use crate::loader::{self, YamlError};
use serde::Deserialize;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One release: how to get its image, its versions, and the container contract it fills.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The release's name (for a built-in release: its folder's name).
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// Versions of what runs inside.
    pub versions: Versions,
    /// Build the image from Debian packages with a recipe folder of `images/` ...
    #[serde(default)]
    pub build: Option<Build>,
    /// ... or use this image, built elsewhere (bring your own image). Exactly one of the two.
    #[serde(default)]
    pub image: Option<String>,
    /// The log grammar: a built-in profile name (`pgpool`, `kingbase-v8r3`) or a profile file
    /// (relative to the release file).
    pub grammar: String,
    /// SHA-256 of the text this release was parsed from (set by the loaders, recorded as
    /// provenance; empty for a release built in code).
    #[serde(skip)]
    pub source_sha256: String,
    /// The ports the harness talks to.
    pub ports: Ports,
    /// Where the node writes its logs, and which files the grammar reads.
    pub logs: Logs,
    /// Commands run inside a node.
    pub commands: Commands,
    /// The pgpool configuration template inside the image (rendered for `versions.pgpool`).
    #[serde(default = "default_template")]
    pub pgpool_template: String,
    /// SQL answering one boolean: is this server in recovery (a standby)?
    #[serde(default = "default_role_query")]
    pub role_query: String,
    /// Workarounds of known bugs this release needs (applied only when declared; recorded in
    /// every run).
    #[serde(default)]
    pub workarounds: Vec<super::Workaround>,
}

/// Versions of what runs inside.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// The database, for people (`PostgreSQL 15`, `KingbaseES V8R3`).
    pub database: String,
    /// The pgpool-II (or fork) version whose parameter names the configuration uses.
    pub pgpool: PgpoolVersion,
}

/// How a built-in release's image is built.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// The folder of `images/` holding rootfs.sh, import.changes, Dockerfile and rootfs/; the
    /// release folder's own files are laid over it.
    pub recipe: String,
    /// The Debian suite (`bookworm`, `trixie`).
    pub suite: String,
    /// The PostgreSQL major packaged for it (`postgresql-<major>`).
    pub postgres_major: u32,
    /// How apt treats the suite (defaults: a stable suite, Valid-Until checked, security suite
    /// included).
    #[serde(default)]
    pub apt: Apt,
}

/// apt options of a built release: stated in the release file, written to `build.env`, and
/// recorded in every run's provenance (`run.json`), because they change what the image trusts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Apt {
    /// `false` accepts Release files past their `Valid-Until` (apt's
    /// `Acquire::Check-Valid-Until "false"`): needed for a testing suite whose Release files the
    /// mirror this machine sees has not refreshed.
    #[serde(default = "yes")]
    pub check_valid_until: bool,
    /// Whether `<suite>-security` is a source.
    #[serde(default = "yes")]
    pub security: bool,
}

impl Default for Apt {
    fn default() -> Self {
        Apt {
            check_valid_until: true,
            security: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// Ports on each node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ports {
    /// The database server.
    pub database: u16,
    /// pgpool (reached through the VIP).
    pub pool: u16,
}

/// The node's log files.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    /// The directory they are in.
    pub dir: String,
    /// The files (names inside `dir`) the harness tails, copies out and analyses.
    pub files: Vec<String>,
}

/// Commands the harness runs inside a node (argv, `{primary}` replaced by the primary's name).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commands {
    /// pgpool's `failover_command` (promotes the survivor; `%d %h ...` as pgpool documents).
    pub failover: String,
    /// Rejoin a node as standby of `{primary}`: rewind (or base backup), start, attach.
    pub rejoin: Vec<String>,
}

fn default_template() -> String {
    "/etc/hachaos/templates/pgpool.conf.in".into()
}

fn default_role_query() -> String {
    "select pg_is_in_recovery()".into()
}

/// A release file that cannot be used: which file, which key, which value, and why.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// It does not parse (or has an unknown key): the loader says where.
    #[error("{0}")]
    Yaml(#[from] YamlError),
    /// It parses, but a value is wrong.
    #[error("{file}{}: at `{key}`: {message} (value: {value})", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        file: String,
        /// The 1-based line of the offending value, when the file has it.
        line: Option<usize>,
        /// The key path.
        key: String,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Release {
    /// Parses and validates a release file's text (`file` is used in messages).
    pub fn from_str(file: &str, text: &str) -> Result<Release, ReleaseError> {
        let mut release: Release = loader::from_str(file, text)?;
        if let Err(mut e) = release.validate(file) {
            if let ReleaseError::Invalid { key, line, .. } = &mut e {
                *line = loader::scan(file, text)
                    .ok()
                    .and_then(|index| index.get(key))
                    .map(|(l, _)| l);
            }
            return Err(e);
        }
        release.source_sha256 = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        Ok(release)
    }

    /// Reads, parses and validates a release file.
    pub fn from_path(path: &Path) -> Result<Release, ReleaseError> {
        let text = loader::read_text(path)?;
        Release::from_str(&path.display().to_string(), &text)
    }

    fn validate(&self, file: &str) -> Result<(), ReleaseError> {
        let bad = |key: &str, value: &str, message: &str| {
            Err(ReleaseError::Invalid {
                file: file.to_string(),
                line: None,
                key: key.to_string(),
                value: format!("{:?}", loader::clip(value, loader::MAX_ECHO_CHARS)),
                message: message.to_string(),
            })
        };
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
                && !s.starts_with(['.', '-'])
        };
        if !name_ok(&self.name) {
            return bad(
                "name",
                &self.name,
                "a release name is letters, digits, `-`, `_` and `.` (it goes into image tags)",
            );
        }
        match (&self.build, &self.image) {
            (Some(_), Some(image)) => {
                return bad(
                    "image",
                    image,
                    "give either `build:` (built here from Debian packages) or `image:` (built elsewhere), not both",
                )
            }
            (None, None) => {
                return bad(
                    "build",
                    "",
                    "give `build:` (built here from Debian packages) or `image:` (an image built elsewhere)",
                )
            }
            (Some(b), None) => {
                if !name_ok(&b.recipe) {
                    return bad("build.recipe", &b.recipe, "not a folder name of images/");
                }
                if b.suite.is_empty() || !b.suite.chars().all(|c| c.is_ascii_lowercase()) {
                    return bad(
                        "build.suite",
                        &b.suite,
                        "a Debian suite name (bookworm, trixie)",
                    );
                }
                if !(10..=99).contains(&b.postgres_major) {
                    return bad(
                        "build.postgres_major",
                        &b.postgres_major.to_string(),
                        "a PostgreSQL major version packaged by Debian (e.g. 15, 17)",
                    );
                }
            }
            (None, Some(image)) => {
                if image.trim().is_empty() || image.contains(char::is_whitespace) {
                    return bad("image", image, "an image reference such as vendor/db:8.3");
                }
            }
        }
        let v = self.versions.pgpool;
        // Parameter names are known for 3.x and 4.x only; `99.99` parses but is no release.
        if !(3..=4).contains(&v.major) || v.minor > 20 {
            return bad(
                "versions.pgpool",
                &v.to_string(),
                "a pgpool-II release (3.x or 4.x, e.g. \"4.3\")",
            );
        }
        if self.grammar.trim().is_empty() {
            return bad(
                "grammar",
                &self.grammar,
                "a built-in grammar (pgpool, kingbase-v8r3) or a profile file",
            );
        }
        for (key, port) in [
            ("ports.database", self.ports.database),
            ("ports.pool", self.ports.pool),
        ] {
            if port == 0 {
                return bad(key, "0", "a TCP port between 1 and 65535");
            }
        }
        if !self.logs.dir.starts_with('/') {
            return bad(
                "logs.dir",
                &self.logs.dir,
                "an absolute path inside the node",
            );
        }
        if self.logs.files.is_empty() {
            return bad(
                "logs.files",
                "[]",
                "at least one log file (the grammar's events come from them)",
            );
        }
        for (i, f) in self.logs.files.iter().enumerate() {
            if f.is_empty() || f.contains('/') || f.starts_with('.') {
                return bad(
                    &format!("logs.files[{i}]"),
                    f,
                    "a file name inside logs.dir (no `/`)",
                );
            }
        }
        if self.commands.failover.trim().is_empty() {
            return bad(
                "commands.failover",
                &self.commands.failover,
                "pgpool's failover_command is required: it promotes the survivor",
            );
        }
        if self
            .commands
            .rejoin
            .first()
            .is_none_or(|c| c.trim().is_empty())
        {
            return bad(
                "commands.rejoin",
                &format!("{:?}", self.commands.rejoin),
                "an argv list: the command that rewinds and re-attaches a node (`{primary}` is the primary's name)",
            );
        }
        if !self.pgpool_template.starts_with('/') {
            return bad(
                "pgpool_template",
                &self.pgpool_template,
                "an absolute path inside the image",
            );
        }
        if self.role_query.trim().is_empty() {
            return bad(
                "role_query",
                &self.role_query,
                "SQL returning one boolean: true on a standby",
            );
        }
        Ok(())
    }

    /// The grammar profile file, when `grammar` names a file rather than a built-in profile.
    pub fn grammar_file(&self, release_file: Option<&Path>) -> Option<PathBuf> {
        if crate::grammar::BUILTIN_NAMES.contains(&self.grammar.as_str()) {
            return None;
        }
        let p = Path::new(&self.grammar);
        Some(match release_file.and_then(Path::parent) {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        })
    }

    /// The rejoin command for `primary`.
    pub fn rejoin_argv(&self, primary: &str) -> Vec<String> {
        self.commands
            .rejoin
            .iter()
            .map(|a| a.replace("{primary}", primary))
            .collect()
    }

    /// The `build.env` a recipe's rootfs.sh and Dockerfile read (`None` for a foreign image).
    pub fn build_env(&self) -> Option<BTreeMap<&'static str, String>> {
        self.build.as_ref().map(|b| {
            let mut env = BTreeMap::from([
                ("SUITE", b.suite.clone()),
                ("PG_MAJOR", b.postgres_major.to_string()),
            ]);
            // Only what differs from the defaults, so a stable release's base hash (and its
            // cached image) does not change because the option exists.
            if !b.apt.check_valid_until {
                env.insert("CHECK_VALID_UNTIL", "false".into());
            }
            if !b.apt.security {
                env.insert("SECURITY", "false".into());
            }
            env
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name: r1
versions: {database: PostgreSQL 15, pgpool: "4.3"}
build: {recipe: common, suite: bookworm, postgres_major: 15}
grammar: pgpool
ports: {database: 5432, pool: 9999}
logs: {dir: /var/log/hachaos, files: [pgpool.log, postgresql.log]}
commands:
  failover: /usr/local/bin/hachaos-failover %d %h %m %H %M %P %N
  rejoin: [/usr/local/bin/hachaos-rejoin, "{primary}"]
"#;

    fn err(text: &str) -> String {
        Release::from_str("r.yaml", text).unwrap_err().to_string()
    }

    #[test]
    fn a_good_file_parses_with_defaults() {
        let r = Release::from_str("r.yaml", GOOD).unwrap();
        assert_eq!(r.versions.pgpool.to_string(), "4.3");
        assert_eq!(r.role_query, "select pg_is_in_recovery()");
        assert_eq!(r.rejoin_argv("node2")[1], "node2");
        assert_eq!(r.build_env().unwrap()["PG_MAJOR"], "15");
        assert!(r.grammar_file(None).is_none());
    }

    #[test]
    fn errors_name_file_key_and_value() {
        let e = err(&GOOD.replace("pgpool: \"4.3\"", "pgpool: \"four\""));
        assert!(
            e.contains("r.yaml") && e.contains("versions.pgpool") && e.contains("four"),
            "{e}"
        );
        let e = err(&GOOD.replace("pool: 9999", "pool: 0"));
        assert!(
            e.contains("r.yaml:6: at `ports.pool`") && e.contains("\"0\""),
            "{e}"
        );
        let e = err(&GOOD.replace("grammar: pgpool", "grammer: pgpool"));
        assert!(
            e.contains("r.yaml:") && e.contains("unknown field `grammer`"),
            "{e}"
        );
        let e = err(&GOOD.replace("files: [pgpool.log", "files: [../pgpool.log"));
        assert!(
            e.contains("logs.files[0]") && e.contains("../pgpool.log"),
            "{e}"
        );
        let e = err(&format!("{GOOD}image: vendor/x:1\n"));
        assert!(e.contains("at `image`") && e.contains("not both"), "{e}");
        let e = err(&GOOD.replace(
            "build: {recipe: common, suite: bookworm, postgres_major: 15}\n",
            "",
        ));
        assert!(e.contains("at `build`"), "{e}");
        let e = err(&GOOD.replace(
            "rejoin: [/usr/local/bin/hachaos-rejoin, \"{primary}\"]",
            "rejoin: []",
        ));
        assert!(e.contains("commands.rejoin"), "{e}");
        let e = err(&GOOD.replace("postgres_major: 15", "postgres_major: 7"));
        assert!(
            e.contains("build.postgres_major") && e.contains("\"7\""),
            "{e}"
        );
    }

    #[test]
    fn a_pgpool_version_that_never_existed_is_refused() {
        for v in ["99.99.99", "5.0", "2.3", "4.99"] {
            let e = err(&GOOD.replace("pgpool: \"4.3\"", &format!("pgpool: \"{v}\"")));
            assert!(
                e.contains("versions.pgpool") && e.contains("3.x or 4.x"),
                "{v}: {e}"
            );
        }
    }

    #[test]
    fn a_huge_value_is_echoed_clipped() {
        let long = "x".repeat(100_000);
        let e = err(&GOOD.replace("dir: /var/log/hachaos", &format!("dir: {long}")));
        assert!(e.contains("logs.dir") && e.len() < 1_000, "{}", e.len());
    }

    #[test]
    fn apt_options_default_to_a_stable_suite_and_reach_build_env_only_when_set() {
        let r = Release::from_str("r.yaml", GOOD).unwrap();
        let b = r.build.as_ref().unwrap();
        assert!(b.apt.check_valid_until && b.apt.security);
        let env = r.build_env().unwrap();
        assert!(!env.contains_key("CHECK_VALID_UNTIL") && !env.contains_key("SECURITY"));
        let r = Release::from_str(
            "r.yaml",
            &GOOD.replace(
                "postgres_major: 15}",
                "postgres_major: 15, apt: {check_valid_until: false, security: false}}",
            ),
        )
        .unwrap();
        let env = r.build_env().unwrap();
        assert_eq!(env["CHECK_VALID_UNTIL"], "false");
        assert_eq!(env["SECURITY"], "false");
        let e = err(&GOOD.replace(
            "postgres_major: 15}",
            "postgres_major: 15, apt: {check_valid: false}}",
        ));
        assert!(e.contains("unknown field `check_valid`"), "{e}");
    }

    #[test]
    fn a_grammar_file_is_relative_to_the_release_file() {
        let r = Release::from_str(
            "r.yaml",
            &GOOD.replace("grammar: pgpool", "grammar: my.yaml"),
        )
        .unwrap();
        assert_eq!(
            r.grammar_file(Some(Path::new("/p/release.yaml"))),
            Some(PathBuf::from("/p/my.yaml"))
        );
    }
}
