//! The flow key: a TCP or UDP packet's protocol and endpoints, in one canonical order.
//!
//! A connection is one thing however its packets face, so the key stores its two endpoints
//! lower (address, port) first and each packet says which way it went. The key is made here,
//! where the addresses are read, so that every analyzer downstream shares it; its hash, made
//! once with it, both places a flow in the table and partitions flows among shards, and since
//! the key is canonical the hash is the same for both directions.

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustc_hash::FxBuildHasher;

/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// A canonical 5-tuple: endpoint `a` is the lower (address, port) pair, `b` the higher.
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
    /// IP protocol number (6 TCP, 17 UDP).
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
}
