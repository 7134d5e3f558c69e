//! Addresses: which subnet a run gets and where the nodes and the VIP sit in it.
//!
//! Each run gets its own /24 from `10.77.0.0/16` that overlaps no existing Docker network (so
//! parallel runs and other projects never clash). Docker allocates dynamically only from the upper
//! half (`ip_range` = `.128/25`); our nodes have fixed addresses and the VIP sits in the lower half,
//! so Docker can never hand the VIP to anything.

use std::net::Ipv4Addr;

/// An IPv4 network in CIDR form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    /// The network address.
    pub base: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
}

impl Subnet {
    /// Parses `a.b.c.d/n`.
    pub fn parse(s: &str) -> Option<Subnet> {
        let (addr, prefix) = s.split_once('/')?;
        let base: Ipv4Addr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        (prefix <= 32).then_some(Subnet { base, prefix })
    }

    fn range(&self) -> (u32, u32) {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        let start = u32::from(self.base) & mask;
        (start, start | !mask)
    }

    /// Whether two networks share any address.
    pub fn overlaps(&self, other: &Subnet) -> bool {
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        a0 <= b1 && b0 <= a1
    }

    /// The `n`-th address of the network.
    pub fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.range().0 + n)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// Picks the first /24 of `10.77.0.0/16`, starting at `start` (to spread parallel runs), that
/// overlaps none of `used`.
pub fn choose_subnet(used: &[Subnet], start: u8) -> Option<Subnet> {
    (0..=255u16)
        .map(|i| ((start as u16 + i) % 256) as u8)
        .map(|third| Subnet {
            base: Ipv4Addr::new(10, 77, third, 0),
            prefix: 24,
        })
        .find(|candidate| used.iter().all(|u| !u.overlaps(candidate)))
}

/// The addresses of one cluster.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Topology {
    /// The network, e.g. `10.77.3.0/24`.
    pub subnet: String,
    /// Docker's dynamic allocation range (upper half).
    pub ip_range: String,
    /// The bridge gateway (the host side): pgpool's `trusted_servers`.
    pub gateway: Ipv4Addr,
    /// The delegate IP, outside `ip_range`.
    pub vip: Ipv4Addr,
    /// Prefix length for the VIP.
    pub vip_prefix: u8,
    /// Fixed node addresses, in node order.
    pub nodes: Vec<Ipv4Addr>,
}

impl Topology {
    /// The layout inside `subnet` for `count` nodes: gateway `.1`, nodes `.11`, `.12`, ...,
    /// VIP `.100`, dynamic range `.128/25`.
    pub fn within(subnet: Subnet, count: u32) -> Topology {
        Topology {
            subnet: subnet.to_string(),
            ip_range: format!("{}/25", subnet.host(128)),
            gateway: subnet.host(1),
            vip: subnet.host(100),
            vip_prefix: subnet.prefix,
            nodes: (0..count).map(|i| subnet.host(11 + i)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_overlap_when_they_share_addresses() {
        let a = Subnet::parse("10.77.3.0/24").unwrap();
        assert!(a.overlaps(&Subnet::parse("10.77.0.0/16").unwrap()));
        assert!(a.overlaps(&Subnet::parse("10.77.3.128/25").unwrap()));
        assert!(!a.overlaps(&Subnet::parse("10.77.4.0/24").unwrap()));
        assert!(!a.overlaps(&Subnet::parse("172.17.0.0/16").unwrap()));
    }

    #[test]
    fn the_chosen_subnet_avoids_every_existing_network() {
        let used = [
            Subnet::parse("172.17.0.0/16").unwrap(),
            Subnet::parse("10.77.0.0/23").unwrap(),
            Subnet::parse("10.77.2.0/24").unwrap(),
        ];
        assert_eq!(choose_subnet(&used, 0).unwrap().to_string(), "10.77.3.0/24");
        assert_eq!(choose_subnet(&used, 9).unwrap().to_string(), "10.77.9.0/24");
        assert_eq!(
            choose_subnet(&[Subnet::parse("10.0.0.0/8").unwrap()], 0),
            None
        );
    }

    #[test]
    fn the_vip_and_nodes_stay_out_of_dockers_dynamic_range() {
        let t = Topology::within(Subnet::parse("10.77.5.0/24").unwrap(), 2);
        assert_eq!(t.gateway.to_string(), "10.77.5.1");
        assert_eq!(t.vip.to_string(), "10.77.5.100");
        assert_eq!(t.ip_range, "10.77.5.128/25");
        let dynamic = Subnet::parse(&t.ip_range).unwrap();
        for addr in t.nodes.iter().chain([&t.vip]) {
            let host = Subnet {
                base: *addr,
                prefix: 32,
            };
            assert!(!dynamic.overlaps(&host), "{addr} is in the dynamic range");
        }
    }
}
