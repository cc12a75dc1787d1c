//! Which addresses a granted name may resolve to: only globally reachable ones.
//!
//! The tables are the IANA IPv4 and IPv6 Special-Purpose Address Registries (entries as of
//! the 2025 registries, RFC 6890's format), row for row, each with its "Globally Reachable"
//! column; a unit test checks an address of every row. A registry value of "N/A" counts as
//! not reachable: this is a gate, and it denies what it cannot vouch for. On top of the
//! registries:
//! - the most specific row wins (192.0.0.9/32 is reachable inside 192.0.0.0/24, which is not);
//! - multicast, and IPv6 outside the global unicast space 2000::/3, are not destinations;
//! - an IPv6 address that carries an IPv4 address is judged by that address too: IPv4-mapped
//!   `::ffff:0:0/96` and the NAT64 well-known prefix `64:ff9b::/96` (reachable, RFC 6052) are
//!   reachable only when the IPv4 address inside is; 6to4 `2002::/16` and Teredo `2001::/32`
//!   are "N/A" in the registry and never reachable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};

/// A registry's "Globally Reachable" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `True`.
    Global,
    /// `False`.
    NotGlobal,
    /// `N/A`: treated as not reachable.
    NotApplicable,
}

/// One row of a special-purpose registry.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The address block.
    pub block: &'static str,
    /// The registry's name for it.
    pub name: &'static str,
    /// Where it is defined.
    pub rfc: &'static str,
    /// Whether it is globally reachable.
    pub reach: Reach,
}

const fn row(block: &'static str, name: &'static str, rfc: &'static str, reach: Reach) -> Row {
    Row {
        block,
        name,
        rfc,
        reach,
    }
}

use Reach::{Global, NotApplicable, NotGlobal};

/// The IANA IPv4 Special-Purpose Address Registry.
pub const IPV4_SPECIAL: &[Row] = &[
    row("0.0.0.0/8", "\"This network\"", "RFC 791", NotGlobal),
    row(
        "0.0.0.0/32",
        "\"This host on this network\"",
        "RFC 1122",
        NotGlobal,
    ),
    row("10.0.0.0/8", "Private-Use", "RFC 1918", NotGlobal),
    row(
        "100.64.0.0/10",
        "Shared Address Space",
        "RFC 6598",
        NotGlobal,
    ),
    row("127.0.0.0/8", "Loopback", "RFC 1122", NotGlobal),
    row("169.254.0.0/16", "Link Local", "RFC 3927", NotGlobal),
    row("172.16.0.0/12", "Private-Use", "RFC 1918", NotGlobal),
    row(
        "192.0.0.0/24",
        "IETF Protocol Assignments",
        "RFC 6890",
        NotGlobal,
    ),
    row(
        "192.0.0.0/29",
        "IPv4 Service Continuity Prefix",
        "RFC 7335",
        NotGlobal,
    ),
    row("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", NotGlobal),
    row(
        "192.0.0.9/32",
        "Port Control Protocol Anycast",
        "RFC 7723",
        Global,
    ),
    row(
        "192.0.0.10/32",
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        Global,
    ),
    row(
        "192.0.0.170/32",
        "NAT64/DNS64 Discovery",
        "RFC 8880",
        NotGlobal,
    ),
    row(
        "192.0.0.171/32",
        "NAT64/DNS64 Discovery",
        "RFC 8880",
        NotGlobal,
    ),
    row(
        "192.0.2.0/24",
        "Documentation (TEST-NET-1)",
        "RFC 5737",
        NotGlobal,
    ),
    row("192.31.196.0/24", "AS112-v4", "RFC 7535", Global),
    row("192.52.193.0/24", "AMT", "RFC 7450", Global),
    row(
        "192.88.99.0/24",
        "Deprecated (6to4 Relay Anycast)",
        "RFC 7526",
        NotApplicable,
    ),
    row(
        "192.88.99.2/32",
        "6a44-relay anycast address",
        "RFC 6751",
        NotApplicable,
    ),
    row("192.168.0.0/16", "Private-Use", "RFC 1918", NotGlobal),
    row(
        "192.175.48.0/24",
        "Direct Delegation AS112 Service",
        "RFC 7534",
        Global,
    ),
    row("198.18.0.0/15", "Benchmarking", "RFC 2544", NotGlobal),
    row(
        "198.51.100.0/24",
        "Documentation (TEST-NET-2)",
        "RFC 5737",
        NotGlobal,
    ),
    row(
        "203.0.113.0/24",
        "Documentation (TEST-NET-3)",
        "RFC 5737",
        NotGlobal,
    ),
    row("240.0.0.0/4", "Reserved", "RFC 1112", NotGlobal),
    row(
        "255.255.255.255/32",
        "Limited Broadcast",
        "RFC 8190",
        NotGlobal,
    ),
];

/// The IANA IPv6 Special-Purpose Address Registry.
pub const IPV6_SPECIAL: &[Row] = &[
    row("::1/128", "Loopback Address", "RFC 4291", NotGlobal),
    row("::/128", "Unspecified Address", "RFC 4291", NotGlobal),
    row(
        "::ffff:0:0/96",
        "IPv4-mapped Address",
        "RFC 4291",
        NotGlobal,
    ),
    row("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", Global),
    row(
        "64:ff9b:1::/48",
        "IPv4-IPv6 Translat.",
        "RFC 8215",
        NotGlobal,
    ),
    row(
        "100::/64",
        "Discard-Only Address Block",
        "RFC 6666",
        NotGlobal,
    ),
    row("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", NotGlobal),
    row(
        "2001::/23",
        "IETF Protocol Assignments",
        "RFC 2928",
        NotGlobal,
    ),
    row("2001::/32", "TEREDO", "RFC 4380", NotApplicable),
    row(
        "2001:1::1/128",
        "Port Control Protocol Anycast",
        "RFC 7723",
        Global,
    ),
    row(
        "2001:1::2/128",
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        Global,
    ),
    row(
        "2001:1::3/128",
        "DNS-SD Service Registration Protocol Anycast",
        "RFC 9665",
        Global,
    ),
    row("2001:2::/48", "Benchmarking", "RFC 5180", NotGlobal),
    row("2001:3::/32", "AMT", "RFC 7450", Global),
    row("2001:4:112::/48", "AS112-v6", "RFC 7535", Global),
    row(
        "2001:10::/28",
        "Deprecated (previously ORCHID)",
        "RFC 4843",
        NotApplicable,
    ),
    row("2001:20::/28", "ORCHIDv2", "RFC 7343", Global),
    row(
        "2001:30::/28",
        "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
        "RFC 9374",
        Global,
    ),
    row("2001:db8::/32", "Documentation", "RFC 3849", NotGlobal),
    row("2002::/16", "6to4", "RFC 3056", NotApplicable),
    row(
        "2620:4f:8000::/48",
        "Direct Delegation AS112 Service",
        "RFC 7534",
        Global,
    ),
    row("3fff::/20", "Documentation", "RFC 9637", NotGlobal),
    row(
        "5f00::/16",
        "Segment Routing (SRv6) SIDs",
        "RFC 9602",
        NotGlobal,
    ),
    row("fc00::/7", "Unique-Local", "RFC 4193", NotGlobal),
    row("fe80::/10", "Link-Local Unicast", "RFC 4291", NotGlobal),
];

/// The most specific registry row that holds `ip`, if any.
pub fn special_row(ip: IpAddr) -> Option<&'static Row> {
    let table = match ip {
        IpAddr::V4(_) => IPV4_SPECIAL,
        IpAddr::V6(_) => IPV6_SPECIAL,
    };
    table
        .iter()
        .filter_map(|row| {
            // The tables are constants checked by a unit test; a row that did not parse
            // would simply never match.
            let block: IpNet = row.block.parse().ok()?;
            block.contains(&ip).then_some((block.prefix_len(), row))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, row)| row)
}

/// Whether a connection to `ip` reaches the public internet, and nothing else.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    if ip.is_multicast() {
        return false;
    }
    special_row(IpAddr::V4(ip)).is_none_or(|row| row.reach == Global)
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_ipv4(ip) {
        return is_global_v4(v4);
    }
    let global_unicast = Ipv6Net::new_assert(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
    if !global_unicast.contains(&ip) {
        return false;
    }
    special_row(IpAddr::V6(ip)).is_none_or(|row| row.reach == Global)
}

/// The IPv4 address an IPv4-mapped or NAT64 (well-known prefix) address leads to.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let nat64 = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    nat64.contains(&ip).then(|| {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first address of a block, one in its middle and its last.
    fn samples(block: IpNet) -> [IpAddr; 3] {
        match block {
            IpNet::V4(n) => {
                let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
                [lo, lo + (hi - lo) / 2, hi].map(|a| IpAddr::V4(a.into()))
            }
            IpNet::V6(n) => {
                let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
                [lo, lo + (hi - lo) / 2, hi].map(|a| IpAddr::V6(a.into()))
            }
        }
    }

    #[test]
    fn every_registry_row_parses_and_is_judged_by_its_column() {
        for row in IPV4_SPECIAL.iter().chain(IPV6_SPECIAL) {
            let block: IpNet = row
                .block
                .parse()
                .unwrap_or_else(|e| panic!("{} ({}): {e}", row.block, row.name));
            assert_eq!(
                block.trunc(),
                block,
                "{} is not a network address",
                row.block
            );
            for ip in samples(block) {
                // A more specific row may hold the sample; then that row decides.
                let decider = special_row(ip).expect("inside a registry row");
                let expected = decider.reach == Global && !embeds_a_private_v4(ip);
                assert_eq!(
                    is_global(ip),
                    expected,
                    "{ip} in {} ({}, {})",
                    decider.block,
                    decider.name,
                    decider.rfc
                );
            }
        }
    }

    /// 64:ff9b::/96 is reachable in the registry, yet its first address wraps 0.0.0.0.
    fn embeds_a_private_v4(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).is_some_and(|v4| !is_global_v4(v4)),
            IpAddr::V4(_) => false,
        }
    }

    #[test]
    fn the_most_specific_row_wins() {
        let at = |s: &str| special_row(s.parse().unwrap()).map(|r| r.block);
        assert_eq!(at("192.0.0.9"), Some("192.0.0.9/32"));
        assert_eq!(at("192.0.0.11"), Some("192.0.0.0/24"));
        assert_eq!(at("0.0.0.0"), Some("0.0.0.0/32"));
        assert_eq!(at("2001:1::3"), Some("2001:1::3/128"));
        assert_eq!(at("2001:0:1::"), Some("2001::/32"));
        assert_eq!(at("8.8.8.8"), None);
        assert!(is_global("192.0.0.9".parse().unwrap()));
        assert!(!is_global("192.0.0.11".parse().unwrap()));
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.251",
            "239.255.255.250",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            // IPv4-compatible (deprecated) and other addresses outside 2000::/3.
            "::10.0.0.1",
            "::8.8.8.8",
            "4000::1",
        ] {
            assert!(!is_global(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "54.172.60.0",
            "1.1.1.1",
            "2600:1f18::1",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_global(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn ipv6_that_carries_ipv4_is_judged_by_the_ipv4_inside() {
        // NAT64: reachable only when the IPv4 address it translates to is.
        for (nat64, global) in [
            ("64:ff9b::808:808", true),    // 8.8.8.8
            ("64:ff9b::a00:1", false),     // 10.0.0.1
            ("64:ff9b::c0a8:101", false),  // 192.168.1.1
            ("64:ff9b::7f00:1", false),    // 127.0.0.1
            ("64:ff9b::a9fe:a9fe", false), // 169.254.169.254
            ("64:ff9b:1::a00:1", false),   // the local-use prefix, never
        ] {
            assert_eq!(is_global(nat64.parse().unwrap()), global, "{nat64}");
        }
        // 6to4 and Teredo are N/A in the registry, so never, whatever they wrap.
        for tunnel in [
            "2002:a00:1::1", // 6to4 around 10.0.0.1
            "2002:c0a8:101::1",
            "2002:808:808::1", // 6to4 around 8.8.8.8
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_global(tunnel.parse().unwrap()), "{tunnel}");
        }
        assert_eq!(
            embedded_ipv4("64:ff9b::a00:1".parse().unwrap()),
            Some(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(embedded_ipv4("2600:1f18::1".parse().unwrap()), None);
    }
}
