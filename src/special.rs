//! The IANA special-purpose address registries (RFC 6890 and its successors), as one table that
//! serves both the subnet calculator (which names the block an address is in, as ipcalc-ng
//! does) and the SYN-flood detector (which counts SYNs from blocks no real client sends from).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// The top `prefix` bits of a `bits`-bit address set.
const fn mask(prefix: u8, bits: u32) -> u128 {
    let p = if prefix as u32 > bits { bits } else { prefix as u32 };
    if p == 0 {
        0
    } else {
        let all = if bits >= 128 { u128::MAX } else { (1u128 << bits) - 1 };
        all & !((1u128 << (bits - p)) - 1) & all
    }
}

/// Which registered address block an address falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AddrSpace {
    /// The IANA special-purpose registry name, as ipcalc-ng prints it (e.g. "Private Use").
    pub name: &'static str,
    /// A short category: private, public, loopback, link-local, shared, multicast, documentation, reserved, ...
    pub kind: &'static str,
    /// The defining document, e.g. "RFC 1918".
    pub rfc: &'static str,
    /// Whether no real client sends from it (what the SYN-flood detector calls a bogon source).
    #[serde(skip)]
    pub bogon_source: bool,
}

const fn space(name: &'static str, kind: &'static str, rfc: &'static str) -> AddrSpace {
    AddrSpace { name, kind, rfc, bogon_source: false }
}

/// A block no real client sends a TCP SYN from.
const fn bogon(name: &'static str, kind: &'static str, rfc: &'static str) -> AddrSpace {
    AddrSpace { name, kind, rfc, bogon_source: true }
}

/// IPv4 special-purpose blocks (IANA registry, RFC 6890 and successors), most specific first.
const V4_SPACES: &[(u32, u8, AddrSpace)] = &[
    (
        0xFFFF_FFFF,
        32,
        bogon("Limited Broadcast", "broadcast", "RFC 919, RFC 8190"),
    ),
    (
        0xC000_0008,
        32,
        bogon("IPv4 dummy address", "reserved", "RFC 7600"),
    ),
    (
        0xC000_0009,
        32,
        bogon("Port Control Protocol Anycast", "anycast", "RFC 7723"),
    ),
    (
        0xC000_000A,
        32,
        bogon(
            "Traversal Using Relays around NAT Anycast",
            "anycast",
            "RFC 8155",
        ),
    ),
    (
        0xC000_00AA,
        31,
        bogon("NAT64/DNS64 Discovery", "reserved", "RFC 7050"),
    ),
    (
        0xC000_0000,
        29,
        bogon("IPv4 Service Continuity Prefix", "reserved", "RFC 7335"),
    ),
    (
        0xC000_0000,
        24,
        bogon("IETF Protocol Assignments", "reserved", "RFC 6890"),
    ),
    (
        0xC000_0200,
        24,
        bogon("Documentation (TEST-NET-1)", "documentation", "RFC 5737"),
    ),
    (0xC01F_C400, 24, space("AS112-v4", "anycast", "RFC 7535")),
    (0xC034_C100, 24, space("AMT", "anycast", "RFC 7450")),
    (
        0xC058_6300,
        24,
        space("6 to 4 Relay Anycast (Deprecated)", "anycast", "RFC 7526"),
    ),
    (
        0xC0AF_3000,
        24,
        space("Direct Delegation AS112 Service", "anycast", "RFC 7534"),
    ),
    (
        0xC633_6400,
        24,
        bogon("Documentation (TEST-NET-2)", "documentation", "RFC 5737"),
    ),
    (
        0xCB00_7100,
        24,
        bogon("Documentation (TEST-NET-3)", "documentation", "RFC 5737"),
    ),
    (
        0xA9FE_0000,
        16,
        bogon("Link Local", "link-local", "RFC 3927"),
    ),
    (0xC0A8_0000, 16, space("Private Use", "private", "RFC 1918")),
    (
        0xC612_0000,
        15,
        bogon("Benchmarking", "benchmarking", "RFC 2544"),
    ),
    (0xAC10_0000, 12, space("Private Use", "private", "RFC 1918")),
    (
        0x6440_0000,
        10,
        space("Shared Address Space", "shared", "RFC 6598"),
    ),
    (
        0x0000_0000,
        8,
        bogon("This host on this network", "this-network", "RFC 1122"),
    ),
    (0x0A00_0000, 8, space("Private Use", "private", "RFC 1918")),
    (0x7F00_0000, 8, bogon("Loopback", "loopback", "RFC 1122")),
    (0xE000_0000, 4, bogon("Multicast", "multicast", "RFC 5771")),
    (0xF000_0000, 4, bogon("Reserved", "reserved", "RFC 1112")),
];

const V4_PUBLIC: AddrSpace = space("Internet", "public", "RFC 791");

/// The address space an IPv4 address belongs to.
pub fn classify_v4(a: Ipv4Addr) -> AddrSpace {
    let v = u32::from(a);
    V4_SPACES
        .iter()
        .find(|(net, p, _)| {
            let m = mask(*p, 32) as u32;
            v & m == *net
        })
        .map(|(_, _, s)| *s)
        .unwrap_or(V4_PUBLIC)
}

/// IPv6 special-purpose blocks (IANA registry, RFC 4291 and successors), most specific first.
const V6_SPACES: &[(u128, u8, AddrSpace)] = &[
    (
        0,
        128,
        bogon("Unspecified Address", "unspecified", "RFC 4291"),
    ),
    (1, 128, bogon("Loopback Address", "loopback", "RFC 4291")),
    (
        0x2001_0001_0000_0000_0000_0000_0000_0001,
        128,
        space("Port Control Protocol Anycast", "anycast", "RFC 7723"),
    ),
    (
        0x2001_0001_0000_0000_0000_0000_0000_0002,
        128,
        space(
            "Traversal Using Relays around NAT Anycast",
            "anycast",
            "RFC 8155",
        ),
    ),
    (
        0x0000_0000_0000_0000_0000_ffff_0000_0000,
        96,
        bogon("IPv4-mapped Address", "ipv4-mapped", "RFC 4291"),
    ),
    (
        0x0064_ff9b_0000_0000_0000_0000_0000_0000,
        96,
        space("IPv4-IPv6 Translat.", "translation", "RFC 6052"),
    ),
    (
        0x0064_ff9b_0001_0000_0000_0000_0000_0000,
        48,
        space("IPv4-IPv6 Translat.", "translation", "RFC 8215"),
    ),
    (
        0x2001_0002_0000_0000_0000_0000_0000_0000,
        48,
        space("Benchmarking", "benchmarking", "RFC 5180"),
    ),
    (
        0x2001_0004_0112_0000_0000_0000_0000_0000,
        48,
        space("AS112-v6", "anycast", "RFC 7535"),
    ),
    (
        0x2620_004f_8000_0000_0000_0000_0000_0000,
        48,
        space("Direct Delegation AS112 Service", "anycast", "RFC 7534"),
    ),
    (
        0x2001_0000_0000_0000_0000_0000_0000_0000,
        32,
        space("TEREDO", "teredo", "RFC 4380"),
    ),
    (
        0x2001_0003_0000_0000_0000_0000_0000_0000,
        32,
        space("AMT", "anycast", "RFC 7450"),
    ),
    (
        0x2001_0db8_0000_0000_0000_0000_0000_0000,
        32,
        bogon("Documentation", "documentation", "RFC 3849"),
    ),
    (
        0x2001_0010_0000_0000_0000_0000_0000_0000,
        28,
        space("Deprecated (previously ORCHID)", "reserved", "RFC 4843"),
    ),
    (
        0x2001_0020_0000_0000_0000_0000_0000_0000,
        28,
        space("ORCHIDv2", "reserved", "RFC 7343"),
    ),
    (
        0x2001_0000_0000_0000_0000_0000_0000_0000,
        23,
        space("IETF Protocol Assignments", "reserved", "RFC 2928"),
    ),
    (
        0x2002_0000_0000_0000_0000_0000_0000_0000,
        16,
        space("6to4", "6to4", "RFC 3056"),
    ),
    (
        0xfe80_0000_0000_0000_0000_0000_0000_0000,
        10,
        bogon("Link-Scoped Unicast", "link-local", "RFC 4291"),
    ),
    (
        0xff00_0000_0000_0000_0000_0000_0000_0000,
        8,
        bogon("Multicast", "multicast", "RFC 4291"),
    ),
    (
        0xfc00_0000_0000_0000_0000_0000_0000_0000,
        7,
        space("Unique Local Unicast", "unique-local", "RFC 4193"),
    ),
    (
        0x2000_0000_0000_0000_0000_0000_0000_0000,
        3,
        space("Global Unicast", "global-unicast", "RFC 4291"),
    ),
];

const V6_RESERVED: AddrSpace = space("Reserved", "reserved", "RFC 4291");

/// The address type of the IPv6 network `a/prefix` (use 128 for one address).
///
/// Unlike IPv4 (where ipcalc-ng, and so we, look at the network address
/// alone), an IPv6 network only belongs to a registered block that contains
/// all of it: `::/0` is not "Unspecified" just because it starts at `::`.
pub fn classify_v6(a: Ipv6Addr, prefix: u8) -> AddrSpace {
    let v = u128::from(a);
    V6_SPACES
        .iter()
        .find(|(net, p, _)| prefix >= *p && v & mask(*p, 128) == *net)
        .map(|(_, _, s)| *s)
        .unwrap_or(V6_RESERVED)
}


/// First octets of IPv4 addresses that fall in a bogon block: most sources are ruled out by
/// one lookup before the table is searched.
const BOGON_FIRST_OCTETS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < V4_SPACES.len() {
        let (net, prefix, space) = V4_SPACES[i];
        if space.bogon_source {
            let first = (net >> 24) as usize;
            let span = if prefix >= 8 { 1 } else { 1usize << (8 - prefix) };
            let mut k = 0;
            while k < span && first + k < 256 {
                t[first + k] = true;
                k += 1;
            }
        }
        i += 1;
    }
    t
};

/// Whether `ip` is in a block no real client sends from.
pub fn bogon_source(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => BOGON_FIRST_OCTETS.get(a.octets()[0] as usize).copied().unwrap_or(false) && classify_v4(a).bogon_source,
        IpAddr::V6(a) => classify_v6(a, 128).bogon_source,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn bogon_blocks_are_the_unsendable_ones() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        for b in ["0.1.2.3", "127.0.0.1", "169.254.9.9", "192.0.0.9", "192.0.2.7", "198.19.0.1", "198.51.100.3", "203.0.113.1", "224.0.0.5", "240.1.1.1", "255.255.255.255"] {
            assert!(bogon_source(ip(b)), "{b}");
        }
        for ok in ["10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "8.8.8.8", "223.255.255.255", "192.31.196.1", "198.17.255.255"] {
            assert!(!bogon_source(ip(ok)), "{ok}");
        }
        for b in ["::", "::1", "ff02::1", "fe80::1", "2001:db8::1", "::ffff:1.2.3.4"] {
            assert!(bogon_source(ip(b)), "{b}");
        }
        for ok in ["2a00:1450::1", "fd00::1", "2002::1", "64:ff9b::1"] {
            assert!(!bogon_source(ip(ok)), "{ok}");
        }
    }

    #[test]
    fn the_first_octet_filter_agrees_with_the_table() {
        for first in 0..=255u32 {
            for rest in [0u32, 0x0000_0001, 0x00FF_FFFF, 0x0000_02AA, 0x0012_3456, 0x0000_0200, 0x0033_6400] {
                let a = Ipv4Addr::from(first << 24 | rest);
                assert_eq!(bogon_source(IpAddr::V4(a)), classify_v4(a).bogon_source, "{a}");
            }
        }
    }
}
