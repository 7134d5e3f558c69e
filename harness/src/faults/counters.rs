//! Packet counters of the rules in a hachaos chain (`iptables -L <chain> -v -x -n` in a node's
//! network namespace): how the packet-dropping faults prove that their rules really match
//! traffic, rather than trusting that `iptables -A` succeeded.

use super::error::FaultError;

/// One rule's counters, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleCount {
    /// Packets the rule matched.
    pub packets: u64,
    /// Its target (`DROP`, or empty for a counting rule).
    pub target: String,
}

/// Parses `iptables -L <chain> -v -x -n` output: a `Chain ...` line, a header line, then one
/// line per rule starting with `pkts bytes target`.
pub(crate) fn parse(text: &str) -> Vec<RuleCount> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("pkts"))
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let packets = f.next()?.parse().ok()?;
            let _bytes = f.next()?;
            let target = f.next().unwrap_or_default();
            // A rule without a target shows its protocol (`all`, `0`, `17`) in that column.
            let target = if target.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                target.to_string()
            } else {
                String::new()
            };
            Some(RuleCount { packets, target })
        })
        .collect()
}

/// The counters of `chain` in the network namespace of `pid`.
pub(crate) async fn read(pid: i64, chain: &str) -> Result<Vec<RuleCount>, FaultError> {
    let args = [
        "-t".to_string(),
        pid.to_string(),
        "-n".into(),
        "iptables".into(),
        "-w".into(),
        "-L".into(),
        chain.into(),
        "-v".into(),
        "-x".into(),
        "-n".into(),
    ];
    let command = format!("nsenter {}", args.join(" "));
    let out = tokio::process::Command::new("nsenter")
        .args(&args)
        .output()
        .await
        .map_err(|e| FaultError::Command {
            command: command.clone(),
            status: "spawn failed".into(),
            stderr: e.to_string().to_lowercase(),
        })?;
    if !out.status.success() {
        return Err(FaultError::Command {
            command,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded in a node (iptables 1.8.11, nft backend) with heartbeat-drop's rule.
    const DROP_ONLY: &str = "\
Chain hb-in (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
       3     1140 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:9694
";

    #[test]
    fn a_drop_rule_and_its_packets_are_read() {
        assert_eq!(
            parse(DROP_ONLY),
            vec![RuleCount {
                packets: 3,
                target: "DROP".into()
            }]
        );
    }

    #[test]
    fn a_counting_rule_has_no_target() {
        let text = "\
Chain hachaos-loss-in (1 references)
    pkts      bytes target     prot opt in     out     source               destination
     120    10080            0    --  !lo    *       0.0.0.0/0            0.0.0.0/0
      37     3108 DROP       0    --  !lo    *       0.0.0.0/0            0.0.0.0/0            statistic mode random probability 0.30000000009
";
        let rules = parse(text);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].packets, 120);
        assert_eq!(rules[0].target, "");
        assert_eq!(rules[1].target, "DROP");
        assert_eq!(rules[1].packets, 37);
    }

    #[test]
    fn an_empty_chain_has_no_rules() {
        assert!(parse(
            "Chain x (0 references)\n pkts bytes target prot opt in out source destination\n"
        )
        .is_empty());
    }
}
