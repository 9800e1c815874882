//! HyperLogLog: how many distinct things were seen, in a few hundred bytes to a few KiB.
//!
//! A SYN flood from random spoofed sources brings millions of addresses; counting them exactly
//! would need memory in proportion to the attack. HyperLogLog (Flajolet, Fusy, Gandouet, Meunier,
//! "HyperLogLog: the analysis of a near-optimal cardinality estimation algorithm", 2007) keeps
//! `m = 2^p` one-byte registers: the first `p` bits of a 64-bit hash pick a register, which keeps
//! the largest "position of the first 1 bit" seen in the rest of the hash. The estimate is the
//! paper's bias-corrected harmonic mean, with linear counting below `2.5 m` (where the raw
//! estimate is biased). The standard error is about `1.04 / sqrt(m)`: 3.3 % at `p = 10`, 1.6 % at
//! `p = 12`. With 64-bit hashes the paper's large-range correction (for 32-bit hashes) is not
//! needed.
//!
//! The hash is [`mix64`], a fixed 64-bit finalizer (the multiply-xorshift construction of
//! SplitMix64): fast, well spread, and the same on every run so that results are reproducible.

use std::net::IpAddr;

/// Smallest and largest precision accepted (registers = 2^p).
pub const MIN_P: u8 = 4;
/// Largest precision accepted.
pub const MAX_P: u8 = 16;

/// A HyperLogLog sketch with `2^p` registers.
#[derive(Debug, Clone)]
pub struct Hll {
    p: u8,
    regs: Box<[u8]>,
}

impl Hll {
    /// An empty sketch with `2^p` registers (`p` clamped to 4..=16).
    pub fn new(p: u8) -> Hll {
        let p = p.clamp(MIN_P, MAX_P);
        Hll { p, regs: vec![0u8; 1 << p].into_boxed_slice() }
    }

    /// Adds one item by its 64-bit hash (use [`mix64`] or [`hash_ip`]).
    #[inline]
    pub fn add_hash(&mut self, h: u64) {
        let idx = (h >> (64 - self.p)) as usize;
        // Rank of the first 1 bit in the remaining 64 - p bits, counting from 1; the sentinel bit
        // caps it at 64 - p + 1 when those bits are all zero.
        let rest = (h << self.p) | (1u64 << (self.p - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if let Some(r) = self.regs.get_mut(idx) {
            if rank > *r {
                *r = rank;
            }
        }
    }

    /// Number of registers.
    pub fn registers(&self) -> usize {
        self.regs.len()
    }

    /// The estimated number of distinct items added.
    pub fn estimate(&self) -> f64 {
        let m = self.regs.len() as f64;
        let alpha = match self.regs.len() {
            16 => 0.673,
            32 => 0.697,
            64 => 0.709,
            _ => 0.7213 / (1.0 + 1.079 / m),
        };
        let mut sum = 0.0;
        let mut zeros = 0usize;
        for &r in self.regs.iter() {
            sum += 1.0 / (1u64 << r) as f64;
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = alpha * m * m / sum;
        if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        }
    }

    /// The estimate rounded to a whole count.
    pub fn count(&self) -> u64 {
        self.estimate().round() as u64
    }

    /// Forgets everything added.
    pub fn clear(&mut self) {
        self.regs.fill(0);
    }

    /// Adds every item of `other` (same precision; a different one is ignored and returns false).
    pub fn merge(&mut self, other: &Hll) -> bool {
        if other.p != self.p {
            return false;
        }
        for (a, b) in self.regs.iter_mut().zip(other.regs.iter()) {
            *a = (*a).max(*b);
        }
        true
    }
}

/// A 64-bit finalizer that spreads every input bit over every output bit.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of an IP address; IPv4 and IPv6 addresses never share a value by construction.
#[inline]
pub fn hash_ip(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(a) => mix64(u32::from(a) as u64 | (4u64 << 32)),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            mix64((v >> 64) as u64 ^ mix64(v as u64 ^ (6u64 << 56)))
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn fill(p: u8, n: u64) -> Hll {
        let mut h = Hll::new(p);
        for i in 0..n {
            h.add_hash(mix64(i));
        }
        h
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(Hll::new(10).count(), 0);
    }

    #[test]
    fn small_counts_are_near_exact() {
        // Linear counting: 100 items in 1024 registers has a standard deviation of about 2.2;
        // allow 3.5 of them per set and one for the mean of four disjoint sets.
        let mut total = 0.0;
        for off in [0u64, 1000, 5000, 77_777] {
            let mut h = Hll::new(10);
            for i in off..off + 100 {
                h.add_hash(mix64(i));
            }
            let c = h.estimate();
            assert!((92.0..=108.0).contains(&c), "{c}");
            total += c;
        }
        assert!((total / 4.0 - 100.0).abs() < 2.5, "{}", total / 4.0);
    }

    #[test]
    fn duplicates_do_not_count() {
        let mut h = Hll::new(10);
        for _ in 0..10 {
            for i in 0..500u64 {
                h.add_hash(mix64(i));
            }
        }
        let c = h.count() as f64;
        assert!((c - 500.0).abs() < 500.0 * 0.1, "{c}");
    }

    #[test]
    fn large_counts_within_error() {
        // p = 12: standard error 1.6 %; allow four of them.
        for n in [10_000u64, 200_000, 1_000_000] {
            let c = fill(12, n).estimate();
            let err = (c - n as f64).abs() / n as f64;
            assert!(err < 0.065, "n {n}: estimate {c}, error {err}");
        }
    }

    #[test]
    fn merge_is_union() {
        let mut a = Hll::new(10);
        let mut b = Hll::new(10);
        for i in 0..3000u64 {
            a.add_hash(mix64(i));
        }
        for i in 2000..5000u64 {
            b.add_hash(mix64(i));
        }
        assert!(a.merge(&b));
        let c = a.estimate();
        assert!((c - 5000.0).abs() < 5000.0 * 0.13, "{c}");
        assert!(!a.merge(&Hll::new(8)));
    }

    #[test]
    fn ip_hashes_differ_across_families() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::from([0u8; 4]));
        let v6: IpAddr = "::ffff:10.0.0.1".parse().unwrap_or(IpAddr::from([0u16; 8]));
        assert_ne!(hash_ip(v4), hash_ip(v6));
    }
}
