//! Secret redaction: logs print passwords (the seed's `pcp_attach_node -W <base64>`), and a report
//! must never repeat one.

use regex::Regex;
use std::borrow::Cow;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Literal triggers: a line is only run through the redaction regexes when it contains one, so
/// the scanner can fold them into its keyword search.
pub const TRIGGERS: &[&str] = &["-W ", "-W\t", "password", "PASSWORD", "Password"];

/// Replaces secrets in text and counts how many it replaced.
#[derive(Clone, Debug)]
pub struct Redactor {
    patterns: Vec<Regex>,
    literals: Vec<String>,
}

impl Redactor {
    /// A redactor for the built-in secret shapes plus `literals` (passwords a live run knows).
    /// Empty literals are ignored: they would match everywhere.
    pub fn new(literals: &[String]) -> Redactor {
        let patterns = [
            // pcp_* commands: `-W <password>` (kingbase prints the pcp password this way).
            r"(-W[ \t]+)([^\s\]\)]+)",
            // conninfo and environment: password=..., PGPASSWORD=..., password: '...'
            r#"((?i:password)\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s"',;\)\]]+)"#,
        ]
        .iter()
        .map(|p| Regex::new(p).expect("built-in redaction regex compiles"))
        .collect();
        Redactor {
            patterns,
            literals: literals.iter().filter(|s| !s.is_empty()).cloned().collect(),
        }
    }

    /// The extra literal secrets, for the scanner's keyword search.
    pub fn literals(&self) -> &[String] {
        &self.literals
    }

    /// Redacts `text`, returning the new text and the number of secrets replaced.
    pub fn redact<'a>(&self, text: &'a str) -> (Cow<'a, str>, u64) {
        let mut out = Cow::Borrowed(text);
        let mut count = 0u64;
        for re in &self.patterns {
            let n = re
                .captures_iter(&out)
                .filter(|c| c.get(2).is_some_and(|m| m.as_str() != MASK))
                .count() as u64;
            if n > 0 {
                count += n;
                out = Cow::Owned(
                    re.replace_all(&out, |c: &regex::Captures<'_>| format!("{}{MASK}", &c[1]))
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
    fn text_without_secrets_is_borrowed_unchanged() {
        let r = Redactor::new(&[]);
        let (t, n) = r.redact("failover done. shutdown host");
        assert!(matches!(t, Cow::Borrowed(_)));
        assert_eq!(n, 0);
    }
}
