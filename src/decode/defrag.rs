//! IP fragment reassembly, on packet time: a datagram larger than a link's MTU arrives in
//! fragments, and the transport layer (and so the connection, as Zeek and tshark count it) is
//! the whole datagram's, seen on the frame that completes it.
//!
//! Fragments are kept by (source, destination, protocol, identification), IPv4 and IPv6 alike
//! (RFC 791, RFC 8200 4.5), until the last byte of the datagram has arrived; then the datagram
//! is rebuilt behind its first fragment's IP header and handed out once. Memory is bounded: at
//! most `max_datagrams` datagrams and `max_bytes` payload bytes are held (the oldest datagram
//! is dropped, and counted, to make room), and a datagram whose first fragment is older than
//! `timeout` is dropped (Linux's `ipfrag_time` is 30 s). A fragment that overlaps one already
//! held keeps the bytes that came first (Linux drops overlapping IPv6 fragments, RFC 5722); when
//! the overlapping bytes differ the overlap is counted as an evasion sign, since a monitor and
//! the receiver may then see different data (Ptacek and Newsham's insertion and evasion).
//!
//! One instance runs where frames become the analyzers' inputs, another in the printer; both
//! see every frame in order, so they reassemble the same datagrams at the same frames.

use std::collections::VecDeque;

use etherparse::{LaxIpv4Slice, LaxIpv6Slice, LaxNetSlice};
use rustc_hash::FxHashMap;

use super::Packet;

/// The limits of reassembly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DefragConfig {
    /// Most datagrams held incomplete at once.
    pub max_datagrams: usize,
    /// Most fragment payload bytes held at once.
    pub max_bytes: usize,
    /// Nanoseconds a datagram may wait for its missing fragments.
    pub timeout_ns: i64,
    /// Also verify each TCP and UDP checksum, marking a bad one ([`super::input::BAD_CHECKSUM`]):
    /// the other work of the frames-into-inputs stage that only some runs ask for.
    pub check_checksums: bool,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig { max_datagrams: 4096, max_bytes: 4 << 20, timeout_ns: 30_000_000_000, check_checksums: false }
    }
}

/// What reassembly counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefragStats {
    /// Fragments seen.
    pub fragments: u64,
    /// Datagrams rebuilt whole.
    pub reassembled: u64,
    /// Datagrams dropped incomplete after the timeout (or left incomplete at the end).
    pub timed_out: u64,
    /// Datagrams dropped to stay within the caps.
    pub evicted: u64,
    /// Fragments that overlapped bytes already held.
    pub overlaps: u64,
    /// Of those, fragments whose overlapping bytes differ: a sign of evasion.
    pub overlap_conflicts: u64,
}

/// One fragment as a datagram's list shows it: its frame, its offset and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// The frame number.
    pub frame: u64,
    /// Its offset in the datagram's payload.
    pub offset: u32,
    /// Its payload bytes.
    pub len: u32,
}

/// A datagram rebuilt whole, on the frame that completed it.
#[derive(Debug, Clone, Copy)]
pub struct Whole<'a> {
    /// The datagram: the first fragment's IP header (lengths and fragment fields made those
    /// of a whole datagram) and the payload.
    pub bytes: &'a [u8],
    /// Its fragments in the order they arrived.
    pub pieces: &'a [Piece],
    /// The wire bytes of the frames that carried them.
    pub frame_bytes: u64,
    /// Whether it is an IPv6 datagram.
    pub v6: bool,
}

/// A datagram rebuilt whole, decoded, for the views of the frame that completed it.
#[derive(Debug, Clone)]
pub struct Reassembled<'a> {
    /// The whole datagram (raw IP).
    pub packet: Packet<'a>,
    /// Its fragments in the order they arrived.
    pub pieces: &'a [Piece],
    /// Whether it is an IPv6 datagram.
    pub v6: bool,
}

impl<'a> Whole<'a> {
    /// The datagram decoded, as a raw IP packet with fragment `p`'s frame number and time.
    pub fn decode(&self, p: &Packet<'_>) -> Reassembled<'a> {
        let frame = crate::source::Frame {
            number: p.number,
            ts: p.ts,
            linktype: super::linktype::RAW,
            len: self.bytes.len() as u32,
            data: self.bytes,
            interface: 0,
            ts_known: p.ts_known,
        };
        Reassembled { packet: super::decode(&frame), pieces: self.pieces, v6: self.v6 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: [u8; 16],
    dst: [u8; 16],
    id: u32,
    proto: u8,
    v6: bool,
}

/// A fragment's place in its datagram, read from its header.
struct Frag<'a> {
    key: Key,
    /// The IP header to rebuild the datagram behind (the fixed header for IPv6).
    header: &'a [u8],
    offset: u32,
    more: bool,
    payload: &'a [u8],
}

#[derive(Debug, Default)]
struct Datagram {
    header: Vec<u8>,
    data: Vec<u8>,
    /// Byte ranges held, sorted and disjoint.
    have: Vec<(u32, u32)>,
    /// The payload's length, once the last fragment came.
    total: Option<u32>,
    pieces: Vec<Piece>,
    frame_bytes: u64,
    /// Generation, to tell a stale age-queue entry from a datagram made anew under its key.
    gen: u64,
}

impl Datagram {
    fn held(&self) -> usize {
        self.data.len()
    }

    fn complete(&self) -> bool {
        match (self.total, self.have.as_slice()) {
            (Some(t), [(0, end)]) => *end >= t,
            (Some(0), []) => true,
            _ => false,
        }
    }
}

/// Reassembles fragments; see the module documentation.
#[derive(Debug, Default)]
pub struct Defrag {
    cfg: DefragConfig,
    table: FxHashMap<Key, Datagram>,
    /// Datagrams by age (first fragment's time), oldest first.
    ages: VecDeque<(i64, Key, u64)>,
    held: usize,
    gen: u64,
    stats: DefragStats,
    /// The last datagram rebuilt, and its fragments.
    out: Vec<u8>,
    pieces: Vec<Piece>,
}

/// Where a fragment of `p` sits, if `p` is a fragment.
fn frag_of<'b>(p: &'b Packet<'_>) -> Option<Frag<'b>> {
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => v4_frag(v4),
        Some(LaxNetSlice::Ipv6(v6)) => v6_frag(v6),
        _ => None,
    }
}

fn v4_frag<'b>(v4: &'b LaxIpv4Slice<'_>) -> Option<Frag<'b>> {
    let h = v4.header();
    let offset = h.fragments_offset().value() as u32 * 8;
    if offset == 0 && !h.more_fragments() {
        return None;
    }
    let pl = v4.payload();
    // A fragment cut by the snap length cannot be rebuilt.
    if pl.incomplete {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src[..4].copy_from_slice(&h.source());
    dst[..4].copy_from_slice(&h.destination());
    Some(Frag {
        key: Key { src, dst, id: h.identification() as u32, proto: h.protocol().0, v6: false },
        header: h.slice(),
        offset,
        more: h.more_fragments(),
        payload: pl.payload,
    })
}

fn v6_frag<'b>(v6: &'b LaxIpv6Slice<'_>) -> Option<Frag<'b>> {
    let pl = v6.payload();
    if !pl.fragmented || pl.incomplete {
        return None;
    }
    // The fragment header, among the extension headers.
    let (exts, _, _) = etherparse::Ipv6ExtensionsSlice::from_slice(v6.header().next_header(), v6.extensions().slice()).ok()?;
    let fh = exts.into_iter().find_map(|e| match e {
        etherparse::Ipv6ExtensionSlice::Fragment(f) => Some(f),
        _ => None,
    })?;
    let h = v6.header();
    Some(Frag {
        key: Key { src: h.source(), dst: h.destination(), id: fh.identification(), proto: pl.ip_number.0, v6: true },
        header: h.slice(),
        offset: fh.fragment_offset().value() as u32 * 8,
        more: fh.more_fragments(),
        payload: pl.payload,
    })
}

/// The IPv6 fragment header's fields of `p` (offset in bytes, more, identification), if any.
pub fn v6_fragment(p: &Packet<'_>) -> Option<(u32, bool, u32)> {
    let Some(LaxNetSlice::Ipv6(v6)) = &p.net else { return None };
    let f = v6_frag(v6)?;
    Some((f.offset, f.more, f.key.id))
}

impl Defrag {
    /// A reassembler with these limits.
    pub fn new(cfg: DefragConfig) -> Defrag {
        Defrag { cfg, ..Defrag::default() }
    }

    /// What it counted so far (datagrams still held count as timed out).
    pub fn stats(&self) -> DefragStats {
        DefragStats { timed_out: self.stats.timed_out + self.table.len() as u64, ..self.stats }
    }

    /// Takes packet `p` (a frame of `frame_len` bytes on the wire, at `now_ns`): nothing unless
    /// it is a fragment; the whole datagram when it is the fragment that completes one.
    pub fn packet(&mut self, p: &Packet<'_>, now_ns: i64) -> Option<Whole<'_>> {
        let f = frag_of(p)?;
        self.stats.fragments += 1;
        self.expire(now_ns);
        let end = f.offset.checked_add(f.payload.len() as u32)?;
        // An IPv4 datagram is at most 65535 bytes; a fragment beyond that is dropped.
        if end > 65_535 + 8 {
            return None;
        }
        if !self.table.contains_key(&f.key) {
            self.make_room(f.payload.len());
            self.gen += 1;
            let d = Datagram { gen: self.gen, ..Datagram::default() };
            self.table.insert(f.key, d);
            self.ages.push_back((now_ns, f.key, self.gen));
        }
        let before;
        {
            let d = self.table.get_mut(&f.key)?;
            before = d.held();
            d.pieces.push(Piece { frame: p.number, offset: f.offset, len: f.payload.len() as u32 });
            d.frame_bytes += p.len as u64;
            if f.offset == 0 {
                d.header.clear();
                d.header.extend_from_slice(f.header);
            }
            if !f.more {
                d.total = Some(end);
            }
            if d.data.len() < end as usize {
                d.data.resize(end as usize, 0);
            }
        }
        let (overlap, conflict) = self.place(&f, end);
        if overlap {
            self.stats.overlaps += 1;
        }
        if conflict {
            self.stats.overlap_conflicts += 1;
        }
        let d = self.table.get(&f.key)?;
        self.held = self.held.saturating_add(d.held()).saturating_sub(before);
        if !d.complete() || d.header.is_empty() {
            return None;
        }
        let d = self.table.remove(&f.key)?;
        self.held = self.held.saturating_sub(d.held());
        self.stats.reassembled += 1;
        let total = d.total.unwrap_or(0) as usize;
        self.out.clear();
        self.out.extend_from_slice(&d.header);
        let payload = d.data.get(..total).unwrap_or(&d.data);
        if f.key.v6 {
            // The fixed header, its next header the fragment's, its payload the whole one.
            if let Some(nh) = self.out.get_mut(6) {
                *nh = f.key.proto;
            }
            let len = (payload.len().min(u16::MAX as usize) as u16).to_be_bytes();
            if let Some(pl) = self.out.get_mut(4..6) {
                pl.copy_from_slice(&len);
            }
        } else {
            let len = ((d.header.len() + payload.len()).min(u16::MAX as usize) as u16).to_be_bytes();
            if let Some(tl) = self.out.get_mut(2..4) {
                tl.copy_from_slice(&len);
            }
            // Not a fragment any more: no MF, offset 0 (DF kept).
            if let Some(ff) = self.out.get_mut(6..8) {
                ff[0] &= 0x40;
                ff[1] = 0;
            }
        }
        self.out.extend_from_slice(payload);
        self.pieces = d.pieces;
        Some(Whole { bytes: &self.out, pieces: &self.pieces, frame_bytes: d.frame_bytes, v6: f.key.v6 })
    }

    /// Copies a fragment's bytes into its datagram where nothing is held yet, and says whether
    /// it overlapped bytes held and whether those differ.
    fn place(&mut self, f: &Frag<'_>, end: u32) -> (bool, bool) {
        let Some(d) = self.table.get_mut(&f.key) else { return (false, false) };
        let (start, mut overlap, mut conflict) = (f.offset, false, false);
        // The gaps of [start, end) not yet held get the new bytes; the held parts are compared.
        let mut cursor = start;
        let have = d.have.clone();
        for &(a, b) in &have {
            if b <= cursor || a >= end {
                continue;
            }
            if a > cursor {
                copy(&mut d.data, f, cursor, a);
            }
            let (oa, ob) = (a.max(cursor), b.min(end));
            if oa < ob {
                overlap = true;
                let old = d.data.get(oa as usize..ob as usize);
                let new = f.payload.get((oa - start) as usize..(ob - start) as usize);
                if old != new {
                    conflict = true;
                }
            }
            cursor = cursor.max(b);
        }
        if cursor < end {
            copy(&mut d.data, f, cursor, end);
        }
        // Merge [start, end) into the held ranges.
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(d.have.len() + 1);
        let (mut ns, mut ne) = (start, end);
        for &(a, b) in &d.have {
            if b < ns || a > ne {
                merged.push((a, b));
            } else {
                ns = ns.min(a);
                ne = ne.max(b);
            }
        }
        merged.push((ns, ne));
        merged.sort_unstable();
        d.have = merged;
        (overlap, conflict)
    }

    /// Drops the datagrams older than the timeout at `now_ns`.
    fn expire(&mut self, now_ns: i64) {
        while let Some(&(t, key, gen)) = self.ages.front() {
            if now_ns.saturating_sub(t) <= self.cfg.timeout_ns {
                break;
            }
            self.ages.pop_front();
            if self.table.get(&key).is_some_and(|d| d.gen == gen) {
                if let Some(d) = self.table.remove(&key) {
                    self.held = self.held.saturating_sub(d.held());
                    self.stats.timed_out += 1;
                }
            }
        }
    }

    /// Drops the oldest datagrams until one more of `bytes` fits the caps.
    fn make_room(&mut self, bytes: usize) {
        while self.table.len() >= self.cfg.max_datagrams.max(1) || (self.held + bytes > self.cfg.max_bytes && !self.table.is_empty()) {
            let Some((_, key, gen)) = self.ages.pop_front() else { break };
            if self.table.get(&key).is_some_and(|d| d.gen == gen) {
                if let Some(d) = self.table.remove(&key) {
                    self.held = self.held.saturating_sub(d.held());
                    self.stats.evicted += 1;
                }
            }
        }
    }
}

/// Copies `f`'s bytes for datagram positions [a, b) into `data`.
fn copy(data: &mut [u8], f: &Frag<'_>, a: u32, b: u32) {
    let src = f.payload.get((a - f.offset) as usize..(b - f.offset) as usize);
    if let (Some(dst), Some(src)) = (data.get_mut(a as usize..b as usize), src) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::{decode, linktype};
    use crate::source::{Frame, Ts};

    /// An IPv4 fragment (raw IP) of datagram `id` carrying `payload` at `offset`.
    fn v4(id: u16, offset: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, (id >> 8) as u8, id as u8, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let total = (20 + payload.len()) as u16;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        let ff = (offset / 8) | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(payload);
        h
    }

    fn feed(d: &mut Defrag, n: u64, bytes: &[u8], now: i64) -> Option<Vec<u8>> {
        let f = Frame { number: n, ts: Ts::default(), linktype: linktype::RAW, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
        let p = decode(&f);
        d.packet(&p, now).map(|w| w.bytes.to_vec())
    }

    fn udp(len: usize) -> Vec<u8> {
        let mut u = vec![0x12, 0x34, 0x00, 0x07, 0, 0, 0, 0];
        u[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
        u.extend((0..len).map(|i| i as u8));
        u
    }

    /// Out of order, the datagram completes on its last fragment to arrive, whole.
    #[test]
    fn out_of_order_fragments_make_the_datagram() {
        let dgram = udp(100);
        let mut d = Defrag::new(DefragConfig::default());
        assert!(feed(&mut d, 1, &v4(7, 48, true, &dgram[48..96]), 0).is_none());
        assert!(feed(&mut d, 2, &v4(7, 96, false, &dgram[96..]), 1).is_none());
        let whole = feed(&mut d, 3, &v4(7, 0, true, &dgram[..48]), 2).expect("complete");
        assert_eq!(&whole[20..], &dgram[..]);
        assert_eq!(u16::from_be_bytes([whole[2], whole[3]]) as usize, 20 + dgram.len());
        assert_eq!(u16::from_be_bytes([whole[6], whole[7]]), 0, "no longer a fragment");
        assert_eq!(d.stats().reassembled, 1);
    }

    /// A fragment that rewrites bytes already held is an evasion sign; the first bytes stay.
    #[test]
    fn conflicting_overlaps_are_counted_and_the_first_bytes_kept() {
        let dgram = udp(40);
        let mut d = Defrag::new(DefragConfig::default());
        assert!(feed(&mut d, 1, &v4(9, 0, true, &dgram[..24]), 0).is_none());
        let mut forged = dgram[16..].to_vec();
        forged[0] ^= 0xff;
        let whole = feed(&mut d, 2, &v4(9, 16, false, &forged), 1).expect("complete");
        assert_eq!(&whole[20..], &dgram[..], "the first bytes win");
        let s = d.stats();
        assert_eq!((s.overlaps, s.overlap_conflicts), (1, 1));
        // The same overlap with the same bytes is no conflict.
        assert!(feed(&mut d, 3, &v4(10, 0, true, &dgram[..24]), 2).is_none());
        assert!(feed(&mut d, 4, &v4(10, 16, false, &dgram[16..]), 3).is_some());
        assert_eq!((d.stats().overlaps, d.stats().overlap_conflicts), (2, 1));
    }

    /// A datagram older than the timeout is dropped; the caps drop the oldest to make room.
    #[test]
    fn timeout_and_caps_bound_what_is_held() {
        let dgram = udp(40);
        let cfg = DefragConfig { max_datagrams: 2, max_bytes: 1 << 20, timeout_ns: 1_000, check_checksums: false };
        let mut d = Defrag::new(cfg);
        assert!(feed(&mut d, 1, &v4(1, 0, true, &dgram[..24]), 0).is_none());
        assert!(feed(&mut d, 2, &v4(1, 24, false, &dgram[24..]), 5_000).is_none(), "its first half timed out");
        assert_eq!(d.stats().timed_out, 2, "the first half dropped; the second still held counts too");
        let mut d = Defrag::new(cfg);
        for id in 1..=3u16 {
            assert!(feed(&mut d, id as u64, &v4(id, 0, true, &dgram[..24]), 0).is_none());
        }
        assert_eq!(d.stats().evicted, 1);
        assert!(feed(&mut d, 9, &v4(1, 24, false, &dgram[24..]), 0).is_none(), "datagram 1 was evicted");
        assert!(feed(&mut d, 10, &v4(3, 24, false, &dgram[24..]), 0).is_some());
    }

    /// Hostile fragments: every cut of a fragment, offsets near the end of the space.
    #[test]
    fn hostile_fragments_are_safe() {
        let dgram = udp(40);
        let mut d = Defrag::new(DefragConfig::default());
        let f = v4(3, 8, true, &dgram);
        for n in 0..f.len() {
            let _ = feed(&mut d, n as u64, &f[..n], 0);
        }
        let _ = feed(&mut d, 99, &v4(4, 65_528, false, &dgram), 0);
        let _ = feed(&mut d, 100, &v4(4, 0, true, &[]), 0);
    }
}
