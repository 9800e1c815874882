//! The pending-attempt table: every connection attempt that has not completed yet, in a fixed
//! table of 4-way buckets keyed by a hash of the attempt's four-tuple.

#[cfg(test)]
use std::net::IpAddr;

#[cfg(test)]
use super::sketches::hash_ip;
use super::sketches::mix64;
use crate::decode::{tcpflag, FlowKey};

/// Slots per bucket of the pending table.
pub(super) const WAYS: usize = 4;

/// Hash of a connection attempt: client address and port, server address and port. The
/// detector makes it from the flow key ([`attempt_key_hash`], the same value); this form is
/// the definition the tests hold that one to.
#[cfg(test)]
pub(super) fn key_hash(client: IpAddr, cport: u16, server: IpAddr, sport: u16) -> u64 {
    let ports = ((cport as u64) << 16) | sport as u64;
    mix64(hash_ip(client) ^ mix64(hash_ip(server).wrapping_add(ports)))
}

/// [`hash_ip`] of an address as a flow key holds it (an IPv4 address in the first 4 bytes).
#[inline]
pub(super) fn hash_addr_bytes(b: &[u8; 16], v6: bool) -> u64 {
    if v6 {
        let v = u128::from_be_bytes(*b);
        mix64((v >> 64) as u64 ^ mix64(v as u64 ^ (6u64 << 56)))
    } else {
        mix64(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64 | (4u64 << 32))
    }
}

/// Hash of the connection attempt of flow `k` whose client is endpoint `a` (`client_is_a`) or
/// `b`: the hash of the client's address and port with the server's, made from the key's bytes
/// rather than from [`IpAddr`]s.
#[inline]
pub(super) fn attempt_key_hash(k: &FlowKey, client_is_a: bool) -> u64 {
    let (ha, hb) = (hash_addr_bytes(&k.a_addr, k.v6), hash_addr_bytes(&k.b_addr, k.v6));
    let (hc, cport, hs, sport) = if client_is_a { (ha, k.a_port, hb, k.b_port) } else { (hb, k.b_port, ha, k.a_port) };
    let ports = ((cport as u64) << 16) | sport as u64;
    mix64(hc ^ mix64(hs.wrapping_add(ports)))
}

/// Whether these flags are a SYN-ACK's (SYN and ACK, no RST).
pub(super) fn is_synack(flags: u8) -> bool {
    flags & tcpflag::SYN != 0 && flags & tcpflag::ACK != 0 && flags & tcpflag::RST == 0
}

/// The hash of the attempt a segment of flow `key` going from its endpoint `a` (`from_a`) or
/// `b` with these flags looks up first: a SYN-ACK goes from the server to the client, anything
/// else is taken from the client (a RST is then also looked up the other way). Made once, with
/// the segment's input ([`ConnSeg::attempt`]).
#[inline]
pub(crate) fn attempt_hash(key: &FlowKey, from_a: bool, flags: u8) -> u64 {
    attempt_key_hash(key, from_a != is_synack(flags))
}

/// State of a pending attempt.
pub(super) const ST_SYN: u64 = 1;
pub(super) const ST_SYNACK: u64 = 2;
/// Beside the state: the wider targets (address, subnet) count the attempt too.
pub(super) const AGG: u64 = 4;
/// The bits of a slot's hash word that are not the hash.
const FLAG_BITS: u64 = AGG | 3;

/// One pending attempt: four-tuple hash with the state in its low two bits (0: empty) and
/// [`AGG`] in the third, the time of its first packet in ms since the run's first packet, and
/// its address-and-port target (index and generation).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Slot {
    pub(super) fp: u64,
    pub(super) ts: u32,
    pub(super) tgt: u32,
}

impl Slot {
    pub(super) fn matches(&self, h: u64) -> bool {
        self.fp != 0 && self.fp & !FLAG_BITS == h & !FLAG_BITS
    }
    pub(super) fn state(&self) -> u64 {
        self.fp & 3
    }
}

/// Words (u64) a slot takes in the pending table: the hash with the state, then the time (low
/// half) and the target (high half). A bucket's ways take one 64-byte cache line.
pub(super) const SLOT_WORDS: usize = 2;
/// Words of one bucket.
pub(super) const BUCKET_WORDS: usize = WAYS * SLOT_WORDS;

/// The one-byte tag of a hash (never 0, which marks an empty way): the top byte, which the
/// bucket index does not use.
pub(super) fn tag_of(h: u64) -> u8 {
    ((h >> 56) as u8).max(1)
}

/// The pending table: 4-way buckets of [`Slot`]s, and beside them one tag byte per way.
///
/// Most packets are ACKs of established connections that were never pending; looking each up in
/// the slots (8 MiB at the default size) would cost a cache miss per packet. The tags (1/16 of
/// the size) answer those lookups: a slot is read only when its tag matches (1 in 255 for a way
/// holding another attempt).
///
/// The slots are zeroed memory, which the kernel hands out a page at a time as it is first
/// written: a slot is read only after its tag says it was written, so every page is first
/// written, once, and a capture of a few packets does not pay for writing 8 MiB of empty slots.
/// Zeroed memory comes as a `Vec<u64>`, which is only 8-byte aligned, so it has one bucket more
/// and the buckets start at its first 64-byte boundary.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub(super) words: Vec<u64>,
    /// Index in `words` of the first bucket's first word.
    pub(super) first: usize,
    pub(super) buckets: usize,
    pub(super) tags: Vec<[u8; WAYS]>,
}

impl Pending {
    pub(super) fn is_empty(&self) -> bool {
        self.buckets == 0
    }

    pub(super) fn alloc(&mut self, slots: usize) {
        let n = (slots / WAYS).max(1);
        self.words = vec![0; (n + 1) * BUCKET_WORDS];
        let off = (self.words.as_ptr() as usize / 8) % BUCKET_WORDS;
        self.first = (BUCKET_WORDS - off) % BUCKET_WORDS;
        self.buckets = n;
        self.tags = vec![[0; WAYS]; n];
    }

    /// First slot index of `h`'s bucket.
    pub(super) fn base(&self, h: u64) -> usize {
        ((h >> 24) as usize & (self.buckets.max(1) - 1)) * WAYS
    }

    /// Where the words of slot `i` are in `words` (None past the last slot).
    pub(super) fn span(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let at = self.first + i.checked_mul(SLOT_WORDS)?;
        (i < self.buckets * WAYS).then_some(at..at + SLOT_WORDS)
    }

    /// The two words of slot `i`.
    pub(super) fn words(&self, i: usize) -> Option<&[u64]> {
        self.words.get(self.span(i)?)
    }

    pub(super) fn get(&self, i: usize) -> Option<Slot> {
        match *self.words(i)? {
            [fp, rest] => Some(Slot { fp, ts: rest as u32, tgt: (rest >> 32) as u32 }),
            _ => None,
        }
    }

    pub(super) fn words_mut(&mut self, i: usize) -> Option<&mut [u64]> {
        let span = self.span(i)?;
        self.words.get_mut(span)
    }

    /// Whether slot `i` holds an attempt (read from the tags).
    pub(super) fn occupied(&self, i: usize) -> bool {
        self.tags.get(i / WAYS).and_then(|t| t.get(i % WAYS)).is_some_and(|&t| t != 0)
    }

    pub(super) fn set(&mut self, i: usize, s: Slot) {
        let tag = if s.fp == 0 { 0 } else { tag_of(s.fp) };
        if let Some([fp, rest]) = self.words_mut(i) {
            *fp = s.fp;
            *rest = s.ts as u64 | (s.tgt as u64) << 32;
        }
        if let Some(t) = self.tags.get_mut(i / WAYS).and_then(|t| t.get_mut(i % WAYS)) {
            *t = tag;
        }
    }

    /// Sets the state bits of the attempt in slot `i`.
    pub(super) fn set_state(&mut self, i: usize, state: u64) {
        if let Some([fp, _]) = self.words_mut(i) {
            *fp = (*fp & !3) | state;
        }
    }

    /// Index of the attempt with hash `h`.
    pub(super) fn find(&self, h: u64) -> Option<usize> {
        let base = self.base(h);
        let tags = self.tags.get(base / WAYS)?;
        let tag = tag_of(h);
        (0..WAYS)
            .filter(|&w| tags.get(w) == Some(&tag))
            .map(|w| base + w)
            .find(|&i| self.get(i).is_some_and(|s| s.matches(h)))
    }

    /// Asks for the tags of `h`'s bucket and, for an attempt about to be recorded, the bucket
    /// itself, without waiting (see [`super::Analyzer::warm`]).
    pub(super) fn prefetch(&self, h: u64, slots_too: bool) {
        self.prefetch_bucket(self.base(h) / WAYS, slots_too);
    }

    /// Asks for slot `i` and its tag, without waiting.
    pub(super) fn prefetch_slot(&self, i: usize) {
        self.prefetch_bucket(i / WAYS, true);
    }

    /// Asks for the tags of bucket `b` and, with `slots_too`, its slots.
    pub(super) fn prefetch_bucket(&self, b: usize, slots_too: bool) {
        if let Some(t) = self.tags.get(b) {
            mem_prefetch::prefetch_read_data::<[u8; WAYS], 3>(t);
        }
        if slots_too {
            if let Some(x) = b.checked_mul(BUCKET_WORDS).and_then(|w| self.words.get(self.first + w)) {
                mem_prefetch::prefetch_read_data::<u64, 3>(x);
            }
        }
    }

    /// Whether slot `i` still holds the attempt first seen at `ts`.
    pub(super) fn holds(&self, i: usize, ts: u32) -> bool {
        self.occupied(i) && self.get(i).is_some_and(|s| s.fp != 0 && s.ts == ts)
    }
}

/// How a pending attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Completed,
    Reset,
    Expired,
}
