//! The flow key: a TCP, UDP or ICMP packet's protocol and endpoints, in one canonical order.
//!
//! A connection is one thing however its packets face, so the key stores its two endpoints
//! lower (address, port) first and each packet says which way it went. The key is made here,
//! where the addresses are read, so that every analyzer downstream shares it; its hash, made
//! once with it, both places a flow in the table and partitions flows among shards, and since
//! the key is canonical the hash is the same for both directions.
//!
//! ICMP has no ports; its flows take Zeek's (`ICMP4_counterpart`, `ICMP6_counterpart` in
//! `src/packet_analysis/protocol/icmp/ICMP.cc`): the message type stands for the source port
//! and, for a request or reply, the type of its counterpart for the destination port, so that
//! an echo request and its reply share a key. Any other message is one-way: its key keeps the
//! sender first (not the lower endpoint) with the code as the destination port, so that, as in
//! Zeek, messages from one host to another are one flow and never the reverse of another.

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustc_hash::FxBuildHasher;

/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;

/// Zeek's ICMP "ports" of a message of `typ` and `code` (ICMPv6 when `v6`): the destination
/// port (the counterpart type of a request or reply, else the code) and whether the message is
/// one-way (it has no counterpart).
pub fn icmp_counterpart(v6: bool, typ: u8, code: u8) -> (u16, bool) {
    let counter = if v6 {
        match typ {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            131 => Some(130),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match typ {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    };
    match counter {
        Some(t) => (t, false),
        None => (code as u16, true),
    }
}

/// A canonical 5-tuple: endpoint `a` is the lower (address, port) pair, `b` the higher (for a
/// one-way ICMP message, `a` is its sender: see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    /// Lower endpoint's address (IPv4 in the first 4 bytes when `v6` is false).
    pub a_addr: [u8; 16],
    /// Higher endpoint's address.
    pub b_addr: [u8; 16],
    /// Lower endpoint's port.
    pub a_port: u16,
    /// Higher endpoint's port.
    pub b_port: u16,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub proto: u8,
    /// Whether the addresses are IPv6.
    pub v6: bool,
}

/// Which way a packet went relative to a [`FlowKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From endpoint `a` to endpoint `b`.
    AtoB,
    /// From endpoint `b` to endpoint `a`.
    BtoA,
}

/// An IPv4 address as a flow key holds it: in the first 4 of 16 bytes.
#[inline]
pub fn wide_v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    if let Some(head) = b.get_mut(..4) {
        head.copy_from_slice(&a);
    }
    b
}

fn addr_bytes(ip: IpAddr) -> ([u8; 16], bool) {
    match ip {
        IpAddr::V4(v4) => (wide_v4(v4.octets()), false),
        IpAddr::V6(v6) => (v6.octets(), true),
    }
}

impl FlowKey {
    /// The canonical key of a packet going from `src` to `dst`, and its direction.
    pub fn new(proto: u8, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> (FlowKey, Dir) {
        let (s, v6) = addr_bytes(src);
        let (d, _) = addr_bytes(dst);
        FlowKey::of_bytes(proto, (s, sport), (d, dport), v6)
    }

    /// [`FlowKey::new`] from the addresses as the key holds them, without making an [`IpAddr`]
    /// of each.
    #[inline]
    pub fn of_bytes(proto: u8, (s, sport): ([u8; 16], u16), (d, dport): ([u8; 16], u16), v6: bool) -> (FlowKey, Dir) {
        // Compared as big-endian numbers: the byte-by-byte order, in two instructions.
        if (u128::from_be_bytes(s), sport) <= (u128::from_be_bytes(d), dport) {
            (FlowKey { a_addr: s, b_addr: d, a_port: sport, b_port: dport, proto, v6 }, Dir::AtoB)
        } else {
            (FlowKey { a_addr: d, b_addr: s, a_port: dport, b_port: sport, proto, v6 }, Dir::BtoA)
        }
    }

    /// The key of a one-way ICMP message from `s` to `d` (addresses as the key holds them): the
    /// sender first, whatever the order, so the reverse direction is another flow.
    pub fn one_way(proto: u8, (s, sport): ([u8; 16], u16), (d, dport): ([u8; 16], u16), v6: bool) -> FlowKey {
        FlowKey { a_addr: s, b_addr: d, a_port: sport, b_port: dport, proto, v6 }
    }

    /// Whether this is an ICMP or ICMPv6 flow.
    pub fn icmp(&self) -> bool {
        self.proto == IPPROTO_ICMP || self.proto == IPPROTO_ICMPV6
    }

    fn ip(&self, b: &[u8; 16]) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(*b))
        } else {
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        }
    }

    /// Endpoint `a` as address and port.
    pub fn a(&self) -> (IpAddr, u16) {
        (self.ip(&self.a_addr), self.a_port)
    }

    /// Endpoint `b` as address and port.
    pub fn b(&self) -> (IpAddr, u16) {
        (self.ip(&self.b_addr), self.b_port)
    }

    /// A 64-bit hash of the key (FxHash): the seed of connection ids.
    pub fn hash64(&self) -> u64 {
        FxBuildHasher.hash_one(self)
    }

    /// The key's hash for the flow table and for partitioning: every field folded in once, each
    /// address half by a multiplication of its own, so that the multiplications do not wait for
    /// each other (a streaming hash such as FxHash takes ten in a row). Users mix it again
    /// before taking bits of it; it need only tell keys apart.
    #[inline]
    pub fn table_hash(&self) -> u64 {
        let half = |b: &[u8; 16], hi: bool| -> u64 {
            let r = if hi { b.get(8..16) } else { b.get(0..8) };
            r.and_then(|r| <[u8; 8]>::try_from(r).ok()).map_or(0, u64::from_le_bytes)
        };
        let rest = self.a_port as u64 | (self.b_port as u64) << 16 | (self.proto as u64) << 32 | (self.v6 as u64) << 40;
        half(&self.a_addr, false).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ half(&self.b_addr, false).wrapping_mul(0xc2b2_ae3d_27d4_eb4f).rotate_left(29)
            ^ half(&self.a_addr, true).wrapping_mul(0x1656_67b1_9e37_79f9)
            ^ half(&self.b_addr, true).wrapping_mul(0x27d4_eb2f_1656_67c5).rotate_left(43)
            ^ rest.wrapping_mul(0xff51_afd7_ed55_8ccd)
    }
}

/// A 64-bit finalizer that spreads every input bit over every output bit (SplitMix64's): the
/// same on every run, so results are reproducible.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod test {
    use super::*;

    /// A xorshift64 sequence: repeatable pseudo-random test data.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The canonical order of a key's endpoints is the byte-by-byte order of (address, port),
    /// IPv4 and IPv6, for addresses that share any prefix, or are equal.
    #[test]
    fn endpoint_order_is_byte_order() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for i in 0..20_000 {
            let mut a = [0u8; 16];
            for b in a.iter_mut() {
                *b = next() as u8;
            }
            let mut b = a;
            if i % 17 != 0 {
                let k = (next() % 16) as usize;
                for byte in b.iter_mut().skip(k) {
                    *byte = next() as u8;
                }
            }
            let (pa, pb) = (next() as u16 % 4, next() as u16 % 4);
            let (ia, ib) = if i % 2 == 0 {
                (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))
            } else {
                let v4 = |x: [u8; 16]| IpAddr::V4(Ipv4Addr::new(x[0], x[1], x[2], x[3]));
                (v4(a), v4(b))
            };
            let (_, dir) = FlowKey::new(6, ia, pa, ib, pb);
            let bytes = |ip: IpAddr| addr_bytes(ip).0;
            let want = if (bytes(ia), pa) <= (bytes(ib), pb) { Dir::AtoB } else { Dir::BtoA };
            assert_eq!(dir, want, "{ia}:{pa} {ib}:{pb}");
        }
    }

    #[test]
    fn both_directions_share_one_key_and_hash() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let (k1, d1) = FlowKey::new(IPPROTO_TCP, a, 40000, b, 80);
        let (k2, d2) = FlowKey::new(IPPROTO_TCP, b, 80, a, 40000);
        assert_eq!(k1, k2);
        assert_eq!(k1.table_hash(), k2.table_hash());
        assert_ne!(d1, d2);
        assert_eq!(k1.a(), (a, 40000));
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let (k3, _) = FlowKey::new(IPPROTO_UDP, v6, 53, v6, 54);
        assert!(k3.v6 && k3.a() == (v6, 53));
    }

    /// Zeek's counterparts: an echo request and its reply (type 8 and 0, ICMPv6 128 and 129)
    /// name each other; an error message is one-way and its code is the destination port.
    #[test]
    fn icmp_ports_are_zeeks() {
        assert_eq!(icmp_counterpart(false, 8, 0), (0, false));
        assert_eq!(icmp_counterpart(false, 0, 0), (8, false));
        assert_eq!(icmp_counterpart(false, 3, 3), (3, true));
        assert_eq!(icmp_counterpart(false, 11, 1), (1, true));
        assert_eq!(icmp_counterpart(true, 128, 0), (129, false));
        assert_eq!(icmp_counterpart(true, 135, 0), (136, false));
        assert_eq!(icmp_counterpart(true, 1, 4), (4, true));
        for t in 0..=255u8 {
            for v6 in [false, true] {
                if let (c, false) = icmp_counterpart(v6, t, 0) {
                    assert_eq!(icmp_counterpart(v6, c as u8, 0), (t as u16, false), "{t} pairs both ways");
                }
            }
        }
    }
}
