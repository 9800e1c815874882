//! The sketches that describe a target's sources in bounded memory: HyperLogLog for distinct
//! counts, Space-Saving for the heaviest sources, and a distinct sample for the share of sources
//! that sent one SYN and nothing else.
//!
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

pub use crate::decode::key::mix64;
use crate::report::alert::TopSource;

/// Space-Saving counters per target.
const TOP_K: usize = 16;
/// Top sources shown in an alert.
const TOP_SHOWN: usize = 10;
/// Sources kept in the one-SYN sample.
pub(super) const SAMPLE_CAP: usize = 64;
/// Slots of the sample's hash table (twice the cap, so probes stay short).
const SAMPLE_SLOTS: usize = 2 * SAMPLE_CAP;
/// Registers of the source HyperLogLog (2^10).
const SOURCES_P: u8 = 10;
/// Registers of the bogon-source HyperLogLog (2^8).
const BOGONS_P: u8 = 8;
/// Registers of the destination address and port HyperLogLogs of a wider target (2^8: 6.5 %,
/// near exact below a few hundred).
const SPREAD_P: u8 = 8;

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


/// Space-Saving: the heaviest sources in `TOP_K` counters.
///
/// Each counter keeps its source's hash beside it: under a spoofed flood nearly every SYN comes
/// from a new source and is compared with all counters, and comparing 64-bit hashes first is
/// cheaper than comparing addresses.
#[derive(Debug, Clone)]
pub(super) struct TopK {
    /// (source, its hash, count, possible overcount), in the order the counters were taken.
    pub(super) items: Vec<(IpAddr, u64, u64, u64)>,
}

impl TopK {
    pub(super) fn new() -> TopK {
        TopK { items: Vec::with_capacity(TOP_K) }
    }

    /// Counts a SYN from `ip`, whose [`hash_ip`] is `h`.
    pub(super) fn add(&mut self, ip: IpAddr, h: u64) {
        if let Some(e) = self.items.iter_mut().find(|e| e.1 == h && e.0 == ip) {
            e.2 += 1;
            return;
        }
        if self.items.len() < TOP_K {
            self.items.push((ip, h, 1, 0));
            return;
        }
        // Replace the smallest counter; its count becomes the newcomer's possible overcount.
        if let Some(min) = self.items.iter_mut().min_by_key(|e| e.2) {
            let c = min.2;
            *min = (ip, h, c + 1, c);
        }
    }

    /// The sources certain to be heavier than every source not in the table: a full table's
    /// smallest counter is the most an unmonitored source can have sent (Metwally et al.,
    /// Lemma 3), so a counter whose lower bound (count less its error) exceeds it is a real
    /// heavy hitter, and its count certainly exceeds its own error too. Below capacity every
    /// count is exact.
    pub(super) fn top(&self) -> Vec<TopSource> {
        let floor = if self.items.len() < TOP_K { 0 } else { self.items.iter().map(|e| e.2).min().unwrap_or(0) };
        let mut v: Vec<TopSource> = self
            .items
            .iter()
            .filter(|e| e.2 - e.3 > floor)
            .map(|&(addr, _, syns, error)| TopSource { addr, syns, error })
            .collect();
        v.sort_by(|a, b| (b.syns - b.error, b.syns).cmp(&(a.syns - a.error, a.syns)).then(a.addr.cmp(&b.addr)));
        v.truncate(TOP_SHOWN);
        v
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
    }
}

/// One sampled source: its hash, SYNs sent, and whether it sent anything else.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SampleEntry {
    pub(super) h: u64,
    pub(super) syns: u32,
    pub(super) other: bool,
}

/// Distinct sample of sources, to estimate the share that sent one SYN and nothing else.
#[derive(Debug, Clone)]
pub(super) struct SourceSample {
    pub(super) level: u32,
    pub(super) n: usize,
    pub(super) slots: [SampleEntry; SAMPLE_SLOTS],
}

impl SourceSample {
    pub(super) fn new() -> SourceSample {
        SourceSample { level: 0, n: 0, slots: [SampleEntry::default(); SAMPLE_SLOTS] }
    }

    /// The sample's own hash of a source hash (independent of the HyperLogLog's register bits);
    /// never 0, which marks an empty slot.
    pub(super) fn rehash(h: u64) -> u64 {
        mix64(h ^ 0x5bd1_e995_5bd1_e995) | 1
    }

    pub(super) fn find(&mut self, s: u64) -> Option<&mut SampleEntry> {
        let mut i = (s >> 1) as usize % SAMPLE_SLOTS;
        for _ in 0..SAMPLE_SLOTS {
            let e = self.slots.get(i)?;
            if e.h == s || e.h == 0 {
                return self.slots.get_mut(i);
            }
            i = (i + 1) % SAMPLE_SLOTS;
        }
        None
    }

    pub(super) fn syn(&mut self, h: u64) {
        let s = Self::rehash(h);
        if s.leading_zeros() < self.level {
            return;
        }
        let inserted = match self.find(s) {
            Some(e) if e.h == s => {
                e.syns = e.syns.saturating_add(1);
                false
            }
            Some(e) => {
                *e = SampleEntry { h: s, syns: 1, other: false };
                true
            }
            None => false,
        };
        if inserted {
            self.n += 1;
            if self.n > SAMPLE_CAP {
                self.raise_level();
            }
        }
    }

    pub(super) fn other(&mut self, h: u64) {
        let s = Self::rehash(h);
        if s.leading_zeros() < self.level {
            return;
        }
        if let Some(e) = self.find(s) {
            if e.h == s {
                e.other = true;
            }
        }
    }

    /// Halves the sampling rate until the sample fits again.
    pub(super) fn raise_level(&mut self) {
        while self.n > SAMPLE_CAP && self.level < 64 {
            self.level += 1;
            let old = self.slots;
            self.slots = [SampleEntry::default(); SAMPLE_SLOTS];
            self.n = 0;
            let level = self.level;
            for e in old.iter().filter(|e| e.h != 0 && e.h.leading_zeros() >= level) {
                if let Some(slot) = self.find(e.h) {
                    *slot = *e;
                    self.n += 1;
                }
            }
        }
    }

    /// Share of sampled sources that sent one SYN and nothing else (None when empty).
    pub(super) fn one_syn_share(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let one = self.slots.iter().filter(|e| e.h != 0 && e.syns == 1 && !e.other).count();
        Some(one as f64 / self.n as f64)
    }

    pub(super) fn clear(&mut self) {
        *self = SourceSample::new();
    }
}

/// Where the SYNs counted by a target went: distinct addresses and ports, and their ranges.
#[derive(Debug, Clone)]
pub(super) struct Spread {
    pub(super) hosts: Hll,
    pub(super) ports: Hll,
    /// Lowest and highest destination address (as a number; IPv4 in the low 32 bits).
    pub(super) addr: Option<(u128, u128)>,
    pub(super) port: Option<(u16, u16)>,
}

impl Spread {
    fn new() -> Spread {
        Spread { hosts: Hll::new(SPREAD_P), ports: Hll::new(SPREAD_P), addr: None, port: None }
    }

    pub(super) fn add(&mut self, dst: IpAddr, port: u16) {
        let a = match dst {
            IpAddr::V4(a) => u32::from(a) as u128,
            IpAddr::V6(a) => u128::from(a),
        };
        self.hosts.add_hash(hash_ip(dst));
        self.addr = Some(self.addr.map_or((a, a), |(lo, hi)| (lo.min(a), hi.max(a))));
        self.ports.add_hash(mix64(port as u64 ^ 0x7070_0000));
        self.port = Some(self.port.map_or((port, port), |(lo, hi)| (lo.min(port), hi.max(port))));
    }

    fn clear(&mut self) {
        self.hosts.clear();
        self.ports.clear();
        self.addr = None;
        self.port = None;
    }
}

/// What is known about a target's sources since the sketches were last cleared.
#[derive(Debug, Clone)]
pub(super) struct Sketches {
    pub(super) sources: Hll,
    pub(super) bogons: Hll,
    pub(super) sample: SourceSample,
    pub(super) top: TopK,
    pub(super) spread: Spread,
    pub(super) since_ms: u32,
}

impl Sketches {
    pub(super) fn new(now_ms: u32) -> Sketches {
        Sketches {
            sources: Hll::new(SOURCES_P),
            bogons: Hll::new(BOGONS_P),
            sample: SourceSample::new(),
            top: TopK::new(),
            spread: Spread::new(),
            since_ms: now_ms,
        }
    }

    pub(super) fn clear(&mut self, now_ms: u32) {
        self.sources.clear();
        self.bogons.clear();
        self.sample.clear();
        self.top.clear();
        self.spread.clear();
        self.since_ms = now_ms;
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
