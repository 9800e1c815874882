//! The arithmetic of one network (IPv4 or IPv6) and of the two-host check.
//!
//! Both families are handled as integers (`u128` wide enough for either) so
//! that masks, networks and ranges are plain bit operations; `ipnetwork`
//! holds and validates the networks themselves.

use super::parse::{classful_prefix, v4net, v6net};
use super::{bad, SubnetError};
use crate::special::{classify_v4, classify_v6};
use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use serde::{Serialize, Serializer};
use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Serializes a number (or char) as a JSON string, the way ipcalc-ng writes every value.
pub(crate) fn ser_display<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The address as an integer, whatever its family.
pub(crate) fn to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address of this family for an integer (IPv4 keeps the low 32 bits).
pub(crate) fn from_u128(v: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(v))
    } else {
        IpAddr::V4(Ipv4Addr::from((v & u128::from(u32::MAX)) as u32))
    }
}

/// Address width in bits.
pub(crate) fn width(v6: bool) -> u32 {
    if v6 {
        128
    } else {
        32
    }
}

/// The netmask of `prefix` in a `bits`-wide family, as an integer.
pub(crate) fn mask_bits(prefix: u8, bits: u32) -> u128 {
    let p = u32::from(prefix).min(bits);
    if p == 0 {
        return 0;
    }
    // Ones in the top `p` of 128 bits, then moved down to the family's width.
    (u128::MAX << (128 - p)) >> (128 - bits)
}

/// All ones in a `bits`-wide family.
pub(crate) fn all_ones(bits: u32) -> u128 {
    mask_bits(bits as u8, bits)
}

/// The number of addresses in a block of `host_bits` host bits, in decimal (2^128 included).
pub(crate) fn count_str(host_bits: u32) -> String {
    if host_bits >= 128 {
        "340282366920938463463374607431768211456".to_string()
    } else {
        (1u128 << host_bits).to_string()
    }
}

/// An IPv4 value in binary octets, with `|` after the first `prefix` bits.
///
/// At an octet boundary the `|` replaces the dot, so every line of a view
/// keeps the same width and the boundary stays in the same column.
pub fn binary_v4(v: u32, prefix: u8) -> String {
    let bits = format!("{v:032b}");
    let p = usize::from(prefix.min(32));
    let mut out = String::with_capacity(36);
    for (i, ch) in bits.chars().enumerate() {
        if i > 0 && i % 8 == 0 {
            out.push(if i == p { '|' } else { '.' });
        } else if i == p {
            out.push('|');
        }
        out.push(ch);
    }
    if p == 32 {
        out.push('|');
    }
    out
}

/// Binary views of the four key values, network/host boundary marked with `|`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinaryView {
    /// The address.
    #[serde(rename = "ADDRESS")]
    pub address: String,
    /// The netmask.
    #[serde(rename = "NETMASK")]
    pub netmask: String,
    /// The wildcard (inverse) mask.
    #[serde(rename = "WILDCARD")]
    pub wildcard: String,
    /// The network address.
    #[serde(rename = "NETWORK")]
    pub network: String,
    /// The broadcast address (the all-ones host part).
    #[serde(rename = "BROADCAST")]
    pub broadcast: String,
}

/// Everything about one IPv4 network; serializes with ipcalc-ng's keys plus our own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ipv4Report {
    /// The address as given.
    #[serde(rename = "ADDRESS")]
    pub address: Ipv4Addr,
    /// The network address (address AND mask).
    #[serde(rename = "NETWORK")]
    pub network: Ipv4Addr,
    /// The netmask, dotted.
    #[serde(rename = "NETMASK")]
    pub netmask: Ipv4Addr,
    /// The prefix length.
    #[serde(rename = "PREFIX", serialize_with = "ser_display")]
    pub prefix: u8,
    /// The directed broadcast; a /31 has none, so the limited broadcast (RFC 3021), and a /32 is itself.
    #[serde(rename = "BROADCAST")]
    pub broadcast: Ipv4Addr,
    /// The registry name of the network's address space (ipcalc-ng's wording).
    #[serde(rename = "ADDRSPACE")]
    pub addrspace: String,
    /// "Class A" .. "Class E", of the network address.
    #[serde(rename = "ADDRCLASS")]
    pub addrclass: String,
    /// The first usable host.
    #[serde(rename = "MINADDR")]
    pub min_addr: Ipv4Addr,
    /// The last usable host.
    #[serde(rename = "MAXADDR")]
    pub max_addr: Ipv4Addr,
    /// The number of usable hosts (ipcalc-ng's ADDRESSES).
    #[serde(rename = "ADDRESSES", serialize_with = "ser_display")]
    pub usable: u64,
    /// The number of addresses in the network, network and broadcast included.
    #[serde(rename = "TOTAL", serialize_with = "ser_display")]
    pub total: u64,
    /// The wildcard (inverse, "Cisco") mask.
    #[serde(rename = "WILDCARD")]
    pub wildcard: Ipv4Addr,
    /// The netmask in hexadecimal, upper case without 0x (as sipcalc prints it).
    #[serde(rename = "HEXNETMASK")]
    pub netmask_hex: String,
    /// The address as one decimal integer.
    #[serde(rename = "DECIMAL", serialize_with = "ser_display")]
    pub decimal: u32,
    /// The class letter A..E.
    #[serde(rename = "CLASS", serialize_with = "ser_display")]
    pub class: char,
    /// The short category of the address space (private, public, loopback, ...).
    #[serde(rename = "ADDRKIND")]
    pub kind: String,
    /// The document defining the address space.
    #[serde(rename = "ADDRRFC")]
    pub rfc: String,
    /// Remarks: an implied prefix, a point-to-point /31, a single-host /32.
    #[serde(rename = "NOTE", skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Binary views with the network/host boundary marked.
    #[serde(rename = "BINARY")]
    pub binary: BinaryView,
}

/// The class letter of an IPv4 address from its leading bits (RFC 791).
pub(crate) fn class_of(a: Ipv4Addr) -> char {
    classful_prefix(a).1
}

/// First and last usable host and their count: RFC 3021 makes both /31 addresses hosts, a /32 is one host.
pub(crate) fn v4_host_range(net: u32, prefix: u8) -> (u32, u32, u64) {
    let host_mask = !(mask_bits(prefix, 32) as u32);
    let bcast = net | host_mask;
    match prefix {
        32 => (net, net, 1),
        31 => (net, bcast, 2),
        _ => (
            net.wrapping_add(1),
            bcast.wrapping_sub(1),
            (1u64 << (32 - u32::from(prefix))) - 2,
        ),
    }
}

/// Computes the full IPv4 view of an address with its prefix; `note` explains an implied prefix.
pub fn ipv4_report(net: Ipv4Network, note: Option<String>) -> Ipv4Report {
    let prefix = net.prefix();
    let addr = u32::from(net.ip());
    let mask = mask_bits(prefix, 32) as u32;
    let network = addr & mask;
    let bcast = network | !mask;
    let (min, max, usable) = v4_host_range(network, prefix);
    let net_addr = Ipv4Addr::from(network);
    let space = classify_v4(net_addr);
    let class = class_of(net_addr);
    let mut notes: Vec<String> = note.into_iter().collect();
    let broadcast = match prefix {
        31 => {
            notes.push("a /31 is a point-to-point link (RFC 3021): both addresses are hosts and there is no directed broadcast, only the limited broadcast 255.255.255.255".to_string());
            Ipv4Addr::BROADCAST
        }
        32 => {
            notes.push("a /32 is a single host".to_string());
            Ipv4Addr::from(bcast)
        }
        _ => Ipv4Addr::from(bcast),
    };
    Ipv4Report {
        address: net.ip(),
        network: net_addr,
        netmask: Ipv4Addr::from(mask),
        prefix,
        broadcast,
        addrspace: space.name.to_string(),
        addrclass: format!("Class {class}"),
        min_addr: Ipv4Addr::from(min),
        max_addr: Ipv4Addr::from(max),
        usable,
        total: 1u64 << (32 - u32::from(prefix)),
        wildcard: Ipv4Addr::from(!mask),
        netmask_hex: format!("{mask:08X}"),
        decimal: addr,
        class,
        kind: space.kind.to_string(),
        rfc: space.rfc.to_string(),
        note: if notes.is_empty() {
            None
        } else {
            Some(notes.join("; "))
        },
        binary: BinaryView {
            address: binary_v4(addr, prefix),
            netmask: binary_v4(mask, prefix),
            wildcard: binary_v4(!mask, prefix),
            network: binary_v4(network, prefix),
            broadcast: binary_v4(bcast, prefix),
        },
    }
}

/// An IPv6 address with every group written as four hex digits.
pub fn expand_v6(a: Ipv6Addr) -> String {
    a.segments()
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Everything about one IPv6 network; serializes with ipcalc-ng's keys plus our own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ipv6Report {
    /// The address, expanded to eight four-digit groups.
    #[serde(rename = "FULLADDRESS")]
    pub full_address: String,
    /// The address, compressed (RFC 5952).
    #[serde(rename = "ADDRESS")]
    pub address: Ipv6Addr,
    /// The network address, expanded.
    #[serde(rename = "FULLNETWORK")]
    pub full_network: String,
    /// The network address, compressed.
    #[serde(rename = "NETWORK")]
    pub network: Ipv6Addr,
    /// The netmask as an address.
    #[serde(rename = "NETMASK")]
    pub netmask: Ipv6Addr,
    /// The prefix length.
    #[serde(rename = "PREFIX", serialize_with = "ser_display")]
    pub prefix: u8,
    /// The registry name of the network's address type (ipcalc-ng's wording).
    #[serde(rename = "ADDRSPACE")]
    pub addrspace: String,
    /// The first address (IPv6 has no broadcast, so every address counts).
    #[serde(rename = "MINADDR")]
    pub min_addr: Ipv6Addr,
    /// The last address.
    #[serde(rename = "MAXADDR")]
    pub max_addr: Ipv6Addr,
    /// The number of addresses, in decimal.
    #[serde(rename = "ADDRESSES")]
    pub addresses: String,
    /// The first address, expanded.
    #[serde(rename = "FULLMINADDR")]
    pub full_min_addr: String,
    /// The last address, expanded.
    #[serde(rename = "FULLMAXADDR")]
    pub full_max_addr: String,
    /// The short category (global-unicast, unique-local, link-local, multicast, loopback, ipv4-mapped, documentation, ...).
    #[serde(rename = "ADDRKIND")]
    pub kind: String,
    /// The document defining the address type.
    #[serde(rename = "ADDRRFC")]
    pub rfc: String,
}

/// Computes the full IPv6 view of an address with its prefix.
pub fn ipv6_report(net: Ipv6Network) -> Ipv6Report {
    let prefix = net.prefix();
    let addr = u128::from(net.ip());
    let mask = mask_bits(prefix, 128);
    let network = addr & mask;
    let last = network | !mask;
    let space = classify_v6(Ipv6Addr::from(network), prefix);
    Ipv6Report {
        full_address: expand_v6(net.ip()),
        address: net.ip(),
        full_network: expand_v6(Ipv6Addr::from(network)),
        network: Ipv6Addr::from(network),
        netmask: Ipv6Addr::from(mask),
        prefix,
        addrspace: space.name.to_string(),
        min_addr: Ipv6Addr::from(network),
        max_addr: Ipv6Addr::from(last),
        addresses: count_str(128 - u32::from(prefix)),
        full_min_addr: expand_v6(Ipv6Addr::from(network)),
        full_max_addr: expand_v6(Ipv6Addr::from(last)),
        kind: space.kind.to_string(),
        rfc: space.rfc.to_string(),
    }
}

/// One host of the two-host check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSide {
    /// The host's address.
    #[serde(rename = "ADDRESS")]
    pub address: IpAddr,
    /// The prefix it is configured with.
    #[serde(rename = "PREFIX", serialize_with = "ser_display")]
    pub prefix: u8,
    /// That prefix as a netmask.
    #[serde(rename = "NETMASK")]
    pub netmask: IpAddr,
    /// Address AND netmask: the network the host believes it is on.
    #[serde(rename = "NETWORK")]
    pub network: IpAddr,
    /// Whether the prefix was given for this host (false: borrowed from the other host or classful).
    #[serde(rename = "PREFIXGIVEN")]
    pub prefix_given: bool,
    /// The address in binary with the boundary marked (IPv4 only).
    #[serde(rename = "BINARY", skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
}

/// Whether two hosts share a network, with the AND computations that decide it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoHostReport {
    /// The first host.
    #[serde(rename = "HOST1")]
    pub host1: HostSide,
    /// The second host.
    #[serde(rename = "HOST2")]
    pub host2: HostSide,
    /// Each address ANDed with a mask, e.g. "192.168.3.125 AND 255.255.255.128 = 192.168.3.0".
    #[serde(rename = "COMPUTATION")]
    pub computation: Vec<String>,
    /// Host 1, using its mask, sees host 2 on its own network.
    #[serde(rename = "HOST1SEESHOST2")]
    pub host1_sees_host2: bool,
    /// Host 2, using its mask, sees host 1 on its own network.
    #[serde(rename = "HOST2SEESHOST1")]
    pub host2_sees_host1: bool,
    /// Both see each other as local: they talk directly (through a switch).
    #[serde(rename = "SAMENETWORK")]
    pub same_network: bool,
    /// Traffic between them needs a router (or the masks need fixing).
    #[serde(rename = "ROUTER")]
    pub router_needed: bool,
    /// The conclusion in words.
    #[serde(rename = "VERDICT")]
    pub verdict: String,
    /// Why host 1's prefix was implied, if it was.
    #[serde(rename = "NOTE", skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn host_side(net: IpNetwork, given: bool) -> HostSide {
    let v6 = net.is_ipv6();
    let bits = width(v6);
    let mask = mask_bits(net.prefix(), bits);
    let addr = to_u128(net.ip());
    HostSide {
        address: net.ip(),
        prefix: net.prefix(),
        netmask: from_u128(mask, v6),
        network: from_u128(addr & mask, v6),
        prefix_given: given,
        binary: match net.ip() {
            IpAddr::V4(a) => Some(binary_v4(u32::from(a), net.prefix())),
            IpAddr::V6(_) => None,
        },
    }
}

/// Decides whether `a` and `b` share a network: each address ANDed with each host's mask.
pub fn two_host_report(
    a: IpNetwork,
    b: IpNetwork,
    b_prefix_given: bool,
    note: Option<String>,
) -> Result<TwoHostReport, SubnetError> {
    if a.is_ipv6() != b.is_ipv6() {
        return bad(format!(
            "{} {}: cannot compare an IPv4 and an IPv6 host",
            a.ip(),
            b.ip()
        ));
    }
    let v6 = a.is_ipv6();
    let bits = width(v6);
    let (av, bv) = (to_u128(a.ip()), to_u128(b.ip()));
    let (ma, mb) = (mask_bits(a.prefix(), bits), mask_bits(b.prefix(), bits));
    let show = |v: u128| from_u128(v, v6);
    let and_line = |x: u128, m: u128| format!("{} AND {} = {}", show(x), show(m), show(x & m));
    let mut computation = vec![and_line(av, ma), and_line(bv, ma)];
    if mb != ma {
        computation.push(and_line(bv, mb));
        computation.push(and_line(av, mb));
    }
    let h1 = av & ma == bv & ma;
    let h2 = av & mb == bv & mb;
    let net_a = format!("{}/{}", show(av & ma), a.prefix());
    let net_b = format!("{}/{}", show(bv & mb), b.prefix());
    let verdict = if av == bv {
        "the same address: a host cannot talk to a copy of itself — an address conflict".to_string()
    } else if h1 && h2 {
        format!(
            "same network {net_a}: they reach each other directly (through a switch, no router)"
        )
    } else if h1 {
        format!(
            "mask mismatch: {} (/{}) sees {} as local, but {} (/{}) sends to {} through its router; make the masks agree",
            a.ip(), a.prefix(), b.ip(), b.ip(), b.prefix(), a.ip()
        )
    } else if h2 {
        format!(
            "mask mismatch: {} (/{}) sees {} as local, but {} (/{}) sends to {} through its router; make the masks agree",
            b.ip(), b.prefix(), a.ip(), a.ip(), a.prefix(), b.ip()
        )
    } else {
        format!("different networks ({net_a} and {net_b}): traffic between them needs a router")
    };
    let same = h1 && h2 && av != bv;
    Ok(TwoHostReport {
        host1: host_side(a, note.is_none()),
        host2: host_side(b, b_prefix_given),
        computation,
        host1_sees_host2: h1,
        host2_sees_host1: h2,
        same_network: same,
        router_needed: !(h1 && h2),
        verdict,
        note,
    })
}

/// An IPv4 or IPv6 network from an integer and prefix.
pub(crate) fn net_of(v: u128, prefix: u8, v6: bool) -> IpNetwork {
    match from_u128(v, v6) {
        IpAddr::V4(a) => IpNetwork::V4(v4net(a, prefix)),
        IpAddr::V6(a) => IpNetwork::V6(v6net(a, prefix)),
    }
}
