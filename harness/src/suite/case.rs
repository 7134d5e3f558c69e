//! A suite's cases (scenario case × release × repeat), their stable names, and sharding.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One run of a suite: a scenario case (a matrix case has its own name) on one release, the
/// `repeat`-th time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Case {
    /// The scenario's (case's) name, e.g. `primary-crash` or `partition[trusted_servers=none]`.
    pub scenario: String,
    /// The release it runs on.
    pub release: String,
    /// 1-based repetition.
    pub repeat: u32,
}

impl Case {
    /// The case's name, stable across edits of the scenario file (no line numbers) and unique in
    /// a suite: `<release>/<scenario>#<repeat>`. Sharding and merging key on it.
    pub fn name(&self) -> String {
        format!("{}/{}#{}", self.release, self.scenario, self.repeat)
    }
}

/// `--shard k/n`: this machine runs the k-th of n disjoint parts of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shard {
    /// 1-based part.
    pub k: u32,
    /// Number of parts.
    pub n: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A `--shard` that is not `k/n` with 1 <= k <= n.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}`: expected k/n with 1 <= k <= n (e.g. 2/3)")]
pub struct ShardError(pub String);

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether `case` belongs to this shard: by a hash of its name, so every machine computes the
    /// same split from the same command line, and adding a scenario moves no other case.
    pub fn contains(&self, case: &Case) -> bool {
        let digest = Sha256::digest(case.name().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first) % self.n as u64) as u32 == self.k - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<Case> {
        let mut v = Vec::new();
        for s in [
            "primary-crash",
            "primary-shutdown",
            "partition",
            "standby-shutdown",
        ] {
            for r in ["pg15-pgpool43", "pg17-pgpool46"] {
                for repeat in 1..=3 {
                    v.push(Case {
                        scenario: s.into(),
                        release: r.into(),
                        repeat,
                    });
                }
            }
        }
        v
    }

    #[test]
    fn shards_parse_only_as_k_of_n() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard { k: 2, n: 3 });
        for bad in ["3/2", "0/2", "1/0", "2", "a/b", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_split_a_suite_into_disjoint_parts_that_cover_it() {
        let all = cases();
        for n in 1..=5 {
            let mut seen = 0;
            for k in 1..=n {
                let shard = Shard { k, n };
                let part: Vec<_> = all.iter().filter(|c| shard.contains(c)).collect();
                seen += part.len();
                for c in &part {
                    let owners = (1..=n).filter(|k| Shard { k: *k, n }.contains(c)).count();
                    assert_eq!(owners, 1, "{} in several shards", c.name());
                }
            }
            assert_eq!(seen, all.len());
        }
        // Not all in one shard (24 cases over 3 shards).
        let first = all
            .iter()
            .filter(|c| Shard { k: 1, n: 3 }.contains(c))
            .count();
        assert!(first > 0 && first < all.len());
    }

    #[test]
    fn a_case_name_has_the_release_and_repeat_and_no_line_numbers() {
        let c = Case {
            scenario: "primary-crash".into(),
            release: "pg17-pgpool46".into(),
            repeat: 2,
        };
        assert_eq!(c.name(), "pg17-pgpool46/primary-crash#2");
    }
}
