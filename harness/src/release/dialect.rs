//! pgpool-II parameter names per version: templates and scenario overrides are written once, with
//! the names of one version, and rendered for the version a release runs.
//!
//! The knowledge itself is data, `images/pgpool/parameters.yaml` (compiled in): which parameter
//! was renamed in which version, and which appeared when. This module only applies it.

use crate::loader;
use serde::Deserialize;
use std::fmt;
use std::sync::OnceLock;

/// A pgpool-II `major.minor` version (`4.3`, `4.6`). Patch levels do not change parameter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PgpoolVersion {
    /// Major (4).
    pub major: u32,
    /// Minor (3).
    pub minor: u32,
}

/// A text that is not a pgpool-II version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a pgpool-II version (major.minor, e.g. 4.3)")]
pub struct VersionError(pub String);

impl PgpoolVersion {
    /// Parses `4.3` (a patch level, `4.3.5`, is accepted and ignored).
    pub fn parse(text: &str) -> Result<PgpoolVersion, VersionError> {
        let mut parts = text.trim().split('.');
        let num = |p: Option<&str>| -> Result<u32, VersionError> {
            p.and_then(|s| s.parse::<u32>().ok())
                .ok_or_else(|| VersionError(text.to_string()))
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        if let Some(patch) = parts.next() {
            num(Some(patch))?;
        }
        if parts.next().is_some() {
            return Err(VersionError(text.to_string()));
        }
        Ok(PgpoolVersion { major, minor })
    }
}

impl fmt::Display for PgpoolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl<'de> Deserialize<'de> for PgpoolVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML reads `4.3` as a float and `"4.3"` as a string: accept both.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PgpoolVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a pgpool-II version such as \"4.3\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PgpoolVersion, E> {
                PgpoolVersion::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<PgpoolVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PgpoolVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PgpoolVersion, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    #[serde(rename = "in")]
    since: PgpoolVersion,
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Introduced {
    #[serde(rename = "in")]
    since: PgpoolVersion,
    name: String,
}

/// The parameter-name table (`images/pgpool/parameters.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialects {
    templates_version: PgpoolVersion,
    #[serde(default)]
    renamed: Vec<Rename>,
    #[serde(default)]
    introduced: Vec<Introduced>,
}

const PARAMETERS_YAML: &str = include_str!("../../../images/pgpool/parameters.yaml");

/// What a parameter written with the template's name becomes in one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// The version knows it under this name.
    Name(String),
    /// The version does not have it (introduced later).
    Absent {
        /// The version that introduced it.
        since: PgpoolVersion,
    },
}

impl Dialects {
    /// The compiled-in table.
    pub fn builtin() -> &'static Dialects {
        static TABLE: OnceLock<Dialects> = OnceLock::new();
        TABLE.get_or_init(|| {
            loader::from_str("<builtin:images/pgpool/parameters.yaml>", PARAMETERS_YAML)
                .expect("images/pgpool/parameters.yaml parses (unit-tested)")
        })
    }

    /// The version the templates' parameter names belong to.
    pub fn templates_version(&self) -> PgpoolVersion {
        self.templates_version
    }

    /// How `name` (as the templates spell it) is spelled by `version`.
    pub fn spell(&self, name: &str, version: PgpoolVersion) -> Spelling {
        let base = self.templates_version;
        let mut current = name.to_string();
        for r in &self.renamed {
            if base >= r.since && version < r.since && current.eq_ignore_ascii_case(&r.to) {
                current = r.from.clone();
            } else if base < r.since && version >= r.since && current.eq_ignore_ascii_case(&r.from)
            {
                current = r.to.clone();
            }
        }
        for i in &self.introduced {
            if version < i.since && name.eq_ignore_ascii_case(&i.name) {
                return Spelling::Absent { since: i.since };
            }
        }
        Spelling::Name(current)
    }

    /// The template spelling of `name` as written for `version` (the inverse of [`spell`]), so
    /// that a rendered file read back from a node is understood whatever its version.
    ///
    /// [`spell`]: Dialects::spell
    pub fn canonical(&self, name: &str, version: PgpoolVersion) -> String {
        let base = self.templates_version;
        for r in &self.renamed {
            if base >= r.since && version < r.since && name.eq_ignore_ascii_case(&r.from) {
                return r.to.clone();
            }
            if base < r.since && version >= r.since && name.eq_ignore_ascii_case(&r.to) {
                return r.from.clone();
            }
        }
        name.to_string()
    }

    /// Renders a pgpool.conf (template or override) written with the templates' names for
    /// `version`: renamed parameters get that version's name, parameters it does not have are
    /// commented out with the reason. Comments, blank lines and values are kept as they are.
    pub fn render(&self, text: &str, version: PgpoolVersion) -> String {
        let mut out = String::with_capacity(text.len() + 256);
        for line in text.split_inclusive('\n') {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            match parameter_of(body) {
                Some((name, rest)) => match self.spell(name, version) {
                    Spelling::Name(spelled) => {
                        let indent = &body[..body.len() - body.trim_start().len()];
                        out.push_str(indent);
                        out.push_str(&spelled);
                        out.push_str(rest);
                    }
                    Spelling::Absent { since } => {
                        out.push_str(&format!(
                            "# {} (not in pgpool-II {version}: since {since})",
                            body.trim_start()
                        ));
                    }
                },
                None => out.push_str(body),
            }
            out.push_str(newline);
        }
        out
    }
}

/// `name` and everything after it, for a `name = value` line (not a comment).
fn parameter_of(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.is_empty() {
        return None;
    }
    let end = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    if end == 0 {
        return None;
    }
    let rest = &trimmed[end..];
    rest.trim_start()
        .starts_with('=')
        .then(|| (&trimmed[..end], rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PgpoolVersion {
        PgpoolVersion::parse(s).unwrap()
    }

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(v("4.3"), PgpoolVersion { major: 4, minor: 3 });
        assert_eq!(v("4.3.5"), v("4.3"));
        assert!(v("4.3") < v("4.10"));
        for bad in ["4", "four.3", "4.3.x", "4.3.5.1", ""] {
            assert!(PgpoolVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_table_knows_the_4_3_names() {
        let d = Dialects::builtin();
        assert_eq!(d.templates_version(), v("4.6"));
        assert_eq!(
            d.spell("delegate_ip", v("4.3")),
            Spelling::Name("delegate_IP".into())
        );
        assert_eq!(
            d.spell("unix_socket_directories", v("4.3")),
            Spelling::Name("socket_dir".into())
        );
        assert_eq!(
            d.spell("trusted_server_command", v("4.3")),
            Spelling::Absent { since: v("4.4") }
        );
        assert_eq!(
            d.spell("delegate_ip", v("4.6")),
            Spelling::Name("delegate_ip".into())
        );
        assert_eq!(
            d.spell("health_check_period", v("4.3")),
            Spelling::Name("health_check_period".into())
        );
        // Newer than the templates: 4.7 renamed logdir.
        assert_eq!(
            d.spell("logdir", v("4.7")),
            Spelling::Name("work_dir".into())
        );
        assert_eq!(d.spell("logdir", v("4.6")), Spelling::Name("logdir".into()));
        // 4.7's listen settings: a 4.6 (or 4.3) configuration must not carry them.
        for name in [
            "wd_listen_address",
            "wd_heartbeat_listen_addresses",
            "recovery_database",
        ] {
            assert_eq!(
                d.spell(name, v("4.6")),
                Spelling::Absent { since: v("4.7") },
                "{name}"
            );
            assert_eq!(d.spell(name, v("4.7")), Spelling::Name(name.into()));
        }
    }

    #[test]
    fn canonical_inverts_spell() {
        let d = Dialects::builtin();
        for version in ["4.3", "4.6", "4.7"] {
            for name in ["delegate_ip", "unix_socket_directories", "logdir", "port"] {
                if let Spelling::Name(spelled) = d.spell(name, v(version)) {
                    assert_eq!(
                        d.canonical(&spelled, v(version)),
                        name,
                        "{name} @ {version}"
                    );
                }
            }
        }
    }

    #[test]
    fn render_rewrites_names_only_on_parameter_lines() {
        let d = Dialects::builtin();
        let text = "# delegate_ip is the VIP\ndelegate_ip = '10.0.0.1'\n  unix_socket_directories='/run'\ntrusted_server_command = 'ping %h'\nport = 9999";
        assert_eq!(
            d.render(text, v("4.3")),
            "# delegate_ip is the VIP\ndelegate_IP = '10.0.0.1'\n  socket_dir='/run'\n# trusted_server_command = 'ping %h' (not in pgpool-II 4.3: since 4.4)\nport = 9999"
        );
        assert_eq!(d.render(text, v("4.6")), text);
    }
}
