//! Secret redaction: logs print passwords (the seed's `pcp_attach_node -W <base64>`), and a report
//! must never repeat one.

use regex::Regex;
use std::borrow::Cow;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Literals announcing a secret on a line that yields no event, for the scanner's keyword
/// search, so `redactions` counts it too: `-W `, `assword` / `ASSWORD`, a URI's `://`,
/// `sshpass`. Event text is redacted whole, every shape in any case, whatever this list says.
/// It is short on purpose: the keyword search keeps its SIMD prefilter (Teddy) only up to 64
/// literals in all (rule keywords included); at 66 a sparse log was scanned 3x slower.
pub const TRIGGERS: &[&str] = &["-W ", "assword", "ASSWORD", "://", "sshpass"];

/// A quoted value (single or double quotes, backslash escapes inside), or a bare one.
const QUOTED: &str = r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\\"(?:[^"\\]|\\[^"])*\\""#;

/// Replaces secrets in text and counts how many it replaced.
///
/// It runs on an event's whole text, after a line pgpool broke in two has been joined, so a
/// secret split across physical lines is seen whole. Shapes (keys in any case):
/// `-W pw`, `-Wpw`, `-W "two words"` (pcp commands), `--password x` / `--password=x`,
/// `password=x` / `passwd=x` / `PGPASSWORD=x` / `password: x` (a bare value runs to the next
/// space, quote, comma or bracket, so `password=a;b` is masked whole), quoted values with
/// escaped quotes, `"password":"x"` (JSON), a URI's `user:pw@`, `sshpass -p pw`.
#[derive(Clone, Debug)]
pub struct Redactor {
    patterns: Vec<Regex>,
    literals: Vec<String>,
    /// `-W` (pcp) and `://` (a URI): two of the literals one of which every shape contains.
    gate: [memchr::memmem::Finder<'static>; 2],
}

impl Redactor {
    /// A redactor for the built-in secret shapes plus `literals` (passwords a live run knows).
    /// Empty literals are ignored: they would match everywhere.
    pub fn new(literals: &[String]) -> Redactor {
        let bare = r#"[^\s"',\)\]]+"#;
        let patterns = [
            // pcp_* commands: `-W <password>`, `-W<password>`, `-W "two words"`.
            format!(r#"((?:^|[\s\[(])-W[ \t]*)({QUOTED}|[^\s\]\)]+)"#),
            // `--password x`, `--password=x`.
            format!(r#"((?i:--password)(?:[ \t]+|=))({QUOTED}|{bare})"#),
            // conninfo, environment, config and JSON: password=..., PGPASSWORD=..., passwd: ...,
            // "password": "...".
            format!(r#"((?i:passw(?:or)?d)\\?["']?\s*[=:]\s*)({QUOTED}|{bare})"#),
            // A URI's credentials: scheme://user:password@host.
            r#"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)@"#.to_string(),
            // sshpass -p <password>.
            format!(r#"((?i:sshpass)\s+-p[ \t]*)({QUOTED}|[^\s]+)"#),
        ]
        .iter()
        .map(|p| Regex::new(p).expect("built-in redaction regex compiles"))
        .collect();
        let literals: Vec<String> = literals.iter().filter(|s| !s.is_empty()).cloned().collect();
        Redactor {
            patterns,
            literals,
            gate: [
                memchr::memmem::Finder::new("-W").into_owned(),
                memchr::memmem::Finder::new("://").into_owned(),
            ],
        }
    }

    /// Whether `text` may hold a secret: false only when no shape can match, so the five
    /// regexes are not run (on an event-dense log they were a tenth of the analysis). Every
    /// built-in shape contains `-W` (pcp), `://` (a URI) or `pass` in any case (`--password`,
    /// `password=`, `passwd:`, `sshpass`); an extra literal is looked for as it is. Text that
    /// is not ASCII always goes to the regexes, whose case-insensitive matching follows
    /// Unicode (`ſ` matches `s`).
    fn may_hold_secret(&self, text: &str) -> bool {
        let b = text.as_bytes();
        !text.is_ascii()
            || self.gate.iter().any(|f| f.find(b).is_some())
            || memchr::memchr2_iter(b'a', b'A', b).any(|i| {
                i > 0
                    && b[i - 1].eq_ignore_ascii_case(&b'p')
                    && b.get(i + 1..i + 3)
                        .is_some_and(|s| s.eq_ignore_ascii_case(b"ss"))
            })
            || self.literals.iter().any(|l| text.contains(l.as_str()))
    }

    /// The extra literal secrets.
    pub fn literals(&self) -> &[String] {
        &self.literals
    }

    /// Byte ranges of the secrets in `text`, each with the key that announces it (`-W`,
    /// `password=`, ...): a line broken anywhere inside a range hides a secret from either half.
    pub fn spans(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        if !self.may_hold_secret(text) {
            return out;
        }
        for re in &self.patterns {
            for c in re.captures_iter(text) {
                if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                    out.push(k.start()..v.end());
                }
            }
        }
        for lit in &self.literals {
            out.extend(
                text.match_indices(lit.as_str())
                    .map(|(i, m)| i..i + m.len()),
            );
        }
        out
    }

    /// Redacts `text`, returning the new text and the number of secrets replaced.
    pub fn redact<'a>(&self, text: &'a str) -> (Cow<'a, str>, u64) {
        let mut out = Cow::Borrowed(text);
        let mut count = 0u64;
        if !self.may_hold_secret(text) {
            return (out, count);
        }
        for re in &self.patterns {
            let n = re
                .captures_iter(&out)
                .filter(|c| c.get(2).is_some_and(|m| m.as_str() != MASK))
                .count() as u64;
            if n > 0 {
                count += n;
                out = Cow::Owned(
                    re.replace_all(&out, |c: &regex::Captures<'_>| {
                        let tail = if c[0].ends_with('@') && !c[2].ends_with('@') {
                            "@"
                        } else {
                            ""
                        };
                        format!("{}{MASK}{tail}", &c[1])
                    })
                    .into_owned(),
                );
            }
        }
        for lit in &self.literals {
            let n = out.matches(lit.as_str()).count() as u64;
            if n > 0 {
                count += n;
                out = Cow::Owned(out.replace(lit.as_str(), MASK));
            }
        }
        (out, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pcp_password_after_dash_w_is_masked() {
        let r = Redactor::new(&[]);
        let (t, n) = r.redact("will try [pcp_attach_node -U kingbase -W MTIzNDU2 -h -n 0]");
        assert_eq!(n, 1);
        assert!(!t.contains("MTIzNDU2"), "{t}");
        assert!(t.contains("-W *** -h"), "{t}");
    }

    #[test]
    fn conninfo_and_environment_passwords_are_masked() {
        let r = Redactor::new(&[]);
        let (t, n) = r.redact("host=a password=s3cret user=x PGPASSWORD=hunter2 password='a b'");
        assert_eq!(n, 3, "{t}");
        for secret in ["s3cret", "hunter2", "a b"] {
            assert!(!t.contains(secret), "{t}");
        }
    }

    #[test]
    fn known_literal_secrets_are_masked_anywhere() {
        let r = Redactor::new(&["topsecret".to_string(), String::new()]);
        let (t, n) = r.redact("connecting with topsecret twice: topsecret");
        assert_eq!((t.as_ref(), n), ("connecting with *** twice: ***", 2));
    }

    #[test]
    fn every_documented_shape_is_masked_in_any_case() {
        let r = Redactor::new(&[]);
        for (line, secret) in [
            ("pcp_attach_node -U x -Wpw1234 -n 0", "pw1234"),
            ("pcp_attach_node -W \"two words\" -n 0", "two words"),
            ("pg_basebackup --password hunter22 -h x", "hunter22"),
            ("pg_basebackup --password=hunter23 -h x", "hunter23"),
            ("host=a PassWord=MiXed42 user=b", "MiXed42"),
            ("PGPASSWORD=envpw99 psql", "envpw99"),
            ("{\"user\":\"a\",\"password\":\"jsonpw77\"}", "jsonpw77"),
            ("password=semi;colon host=x", "semi;colon"),
            ("password='it\\'s a secret' host=x", "s a secret"),
            ("passwd=oldstyle55", "oldstyle55"),
            (
                "primary_conninfo = 'postgresql://repl:uripw66@node1:5432/db'",
                "uripw66",
            ),
            ("sshpass -p sshpw88 ssh postgres@node1", "sshpw88"),
        ] {
            let (t, n) = r.redact(line);
            assert!(n >= 1, "{line}: {t}");
            assert!(!t.contains(secret), "{line}: {t}");
        }
    }

    #[test]
    fn a_uri_keeps_its_user_and_host() {
        let r = Redactor::new(&[]);
        let (t, _) = r.redact("postgresql://repl:pw@node1/db");
        assert_eq!(t, "postgresql://repl:***@node1/db");
    }

    #[test]
    fn the_gate_lets_every_shape_through_in_any_case_and_unicode_to_the_regexes() {
        let r = Redactor::new(&["LiTeRaL".to_string()]);
        for line in [
            "pcp_attach_node -W pw",
            "PASSWD=x",
            "pAsSwOrD: x",
            "--Password x",
            "SSHPASS -p x",
            "postgresql://u:p@h",
            "a LiTeRaL here",
            "pa\u{17f}\u{17f}word=x",
        ] {
            assert!(r.may_hold_secret(line), "{line}");
        }
        assert!(!r.may_hold_secret("failover done. shutdown host node1(5432)"));
        // The regexes fold `ſ` to `s`, so non-ASCII text is never skipped.
        let (t, n) = r.redact("pa\u{17f}sword=unicode42");
        assert_eq!((n, t.contains("unicode42")), (1, false), "{t}");
    }

    #[test]
    fn text_without_secrets_is_borrowed_unchanged() {
        let r = Redactor::new(&[]);
        let (t, n) = r.redact("failover done. shutdown host");
        assert!(matches!(t, Cow::Borrowed(_)));
        assert_eq!(n, 0);
    }
}
