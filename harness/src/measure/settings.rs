//! Reading the timing parameters out of a rendered `pgpool.conf`.

use std::collections::BTreeMap;
use std::time::Duration;

/// The settings of a rendered `pgpool.conf` (later lines win, as in pgpool itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgpoolSettings {
    values: BTreeMap<String, String>,
}

impl PgpoolSettings {
    /// Parses `key = value` lines; comments (`#`) and quotes are stripped.
    pub fn parse(text: &str) -> PgpoolSettings {
        let mut values = BTreeMap::new();
        for line in text.lines() {
            let line = strip_comment(line).trim();
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value)
                .replace("''", "'");
            values.insert(key.trim().to_ascii_lowercase(), value);
        }
        PgpoolSettings { values }
    }

    /// Settings already parsed (as [`PgpoolSettings::all`] returned them, e.g. from a stored
    /// run's evidence).
    pub fn from_values(values: BTreeMap<String, String>) -> PgpoolSettings {
        PgpoolSettings { values }
    }

    /// Applies overrides on top (the scenario's `config`).
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> PgpoolSettings {
        for (k, v) in overrides {
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .unwrap_or(v);
            self.values.insert(k.to_ascii_lowercase(), v.to_string());
        }
        self
    }

    /// A raw value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A value in seconds (pgpool's timing parameters are whole seconds unless noted).
    pub fn seconds(&self, key: &str) -> Option<Duration> {
        self.get(key)?.parse::<u64>().ok().map(Duration::from_secs)
    }

    /// A value in milliseconds (`wd_interval` is seconds; `health_check_timeout` seconds; this is
    /// for the few `_ms` style settings).
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }

    /// Every setting, for the run record.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }
}

fn strip_comment(line: &str) -> &str {
    // A '#' inside quotes is part of the value.
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_lines_and_overrides_win_and_quotes_are_stripped() {
        let text = "health_check_period = 5 # seconds\nhealth_check_period = 1\n\
                    trusted_servers = '10.77.1.1'  \n# health_check_timeout = 9\nname = 'a#b'\n";
        let s = PgpoolSettings::parse(text);
        assert_eq!(
            s.seconds("health_check_period"),
            Some(Duration::from_secs(1))
        );
        assert_eq!(s.get("trusted_servers"), Some("10.77.1.1"));
        assert_eq!(s.get("health_check_timeout"), None);
        assert_eq!(s.get("name"), Some("a#b"));
        let over = BTreeMap::from([("health_check_period".to_string(), "3".to_string())]);
        let s = s.with_overrides(&over);
        assert_eq!(
            s.seconds("health_check_period"),
            Some(Duration::from_secs(3))
        );
    }
}
