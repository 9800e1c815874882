//! One direction of a TCP byte stream, put back in order.
//!
//! The sender's bytes arrive as segments that may repeat (retransmissions), overlap, come out of
//! order or never come at all. The application above (a `follow`, an HTTP parser) wants the bytes
//! in order, once each, and to know where some are missing. A [`Reassembler`] works in stream
//! offsets: offset 0 is the byte after the SYN (or the first byte seen, when the connection was
//! picked up mid-stream), and sequence numbers are unwrapped to 64-bit offsets near the next
//! expected one, so a stream may cross 2^32 any number of times.
//!
//! Policy, as Suricata and Zeek have it: the first copy of a byte wins. A later copy with the
//! same bytes is a retransmission, counted and dropped; one with different bytes is counted as an
//! inconsistent overlap, an evasion sign. Out-of-order segments are held until the bytes before
//! them come. Memory is bounded: past the per-direction cap (or the caller's shared budget) the
//! missing bytes are given up as a gap, delivered as such, and the stream goes on after them.

use std::collections::{BTreeMap, VecDeque};

use crate::source::Ts;

/// The frame a segment came in: its number and time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    /// Frame number.
    pub frame: u64,
    /// Capture time.
    pub ts: Ts,
}

/// Caps of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Most out-of-order bytes held waiting for a gap to fill.
    pub held: usize,
    /// Delivered bytes kept to compare retransmissions with (the last ones only).
    pub recent: usize,
}

/// One segment of the direction: its sequence number, payload, whether it carries a FIN, and
/// the frame it came in.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    /// Sequence number of its first byte.
    pub seq: u32,
    /// Payload, as captured.
    pub bytes: &'a [u8],
    /// It carries a FIN.
    pub fin: bool,
    /// The frame it came in.
    pub origin: Origin,
}

/// What a reassembler hands on, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Bytes at this stream offset, from the segment of this frame.
    Data { offset: u64, bytes: &'a [u8], origin: Origin },
    /// Bytes never seen, given up: the stream goes on after them.
    Gap { offset: u64, len: u64 },
}

/// What a direction's reassembly counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamStats {
    /// Segments with payload seen.
    pub segments: u64,
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes seen again with the same content (retransmissions and consistent overlaps).
    pub retransmitted: u64,
    /// Bytes seen again with different content (inconsistent overlaps).
    pub inconsistent: u64,
    /// Segments that carried inconsistent bytes.
    pub inconsistent_segments: u64,
    /// Gaps given up.
    pub gaps: u64,
    /// Bytes in those gaps (Zeek's `missed_bytes`).
    pub missed: u64,
    /// Times a cap forced a gap to be given up, or an out-of-order segment to be dropped.
    pub cap_hits: u64,
    /// Most out-of-order bytes held at once.
    pub held_max: u64,
}

/// One direction of a TCP stream; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Offset of the next byte to deliver.
    next: u64,
    /// Out-of-order pieces by offset, none overlapping another: bytes and origin.
    held: BTreeMap<u64, (Vec<u8>, Origin)>,
    held_bytes: usize,
    /// The last delivered bytes (ending at `next`).
    recent: VecDeque<u8>,
    /// Offset one past the last byte, once the FIN is seen.
    fin: Option<u64>,
    stats: StreamStats,
}

impl Reassembler {
    /// A direction whose first segment has not been seen.
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// What was counted so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Offset of the next byte to deliver.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Out-of-order bytes held now.
    pub fn held(&self) -> usize {
        self.held_bytes
    }

    /// Whether every byte up to the FIN has been delivered (or given up).
    pub fn complete(&self) -> bool {
        self.fin.is_some_and(|f| self.next >= f)
    }

    /// The SYN of this direction, with its sequence number: offset 0 is the byte after it. A
    /// SYN seen again (retransmitted) changes nothing.
    pub fn syn(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq.wrapping_add(1));
        }
    }

    /// The stream offset of sequence number `seq`: the 64-bit value nearest the next expected
    /// offset, so that wraparound is crossed in either direction; None before offset 0.
    fn offset(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        let rel = seq.wrapping_sub(base);
        let d = rel.wrapping_sub(self.next as u32) as i32 as i64;
        u64::try_from(self.next as i64 + d).ok()
    }

    /// A segment of this direction. In-order bytes (and any held bytes they unblock) go to `out`;
    /// `budget` is the caller's shared allowance of held bytes over every stream, which
    /// out-of-order bytes held here draw from (and released bytes return to).
    pub fn segment(&mut self, piece: Piece<'_>, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        let Piece { seq, bytes: payload, fin, origin: frame } = piece;
        if self.base.is_none() {
            if payload.is_empty() {
                return;
            }
            // Picked up mid-stream: the first byte seen is offset 0.
            self.base = Some(seq);
        }
        let Some(start) = self.offset(seq) else { return };
        let end = start.saturating_add(payload.len() as u64);
        if fin && self.fin.is_none() {
            self.fin = Some(end);
        }
        if payload.is_empty() {
            return;
        }
        self.stats.segments += 1;
        // Bytes already delivered: compared with what was, then dropped.
        let mut bytes = payload;
        let mut start = start;
        if start < self.next {
            let old = (self.next.min(end) - start) as usize;
            self.compare_delivered(start, bytes.get(..old).unwrap_or(&[]));
            bytes = bytes.get(old..).unwrap_or(&[]);
            start = self.next;
            if bytes.is_empty() {
                return;
            }
        }
        if start == self.next {
            // In order up to the first held piece; held bytes beyond it were here first.
            let upto = match self.held.first_key_value() {
                Some((&h, _)) if h < end => (h - start) as usize,
                _ => bytes.len(),
            };
            self.deliver(start, bytes.get(..upto).unwrap_or(&[]), frame, caps, out);
            if let Some(rest) = bytes.get(upto..).filter(|r| !r.is_empty()) {
                self.hold(start + upto as u64, rest, frame, caps, budget, out);
            }
            self.drain(caps, budget, out);
        } else {
            self.hold(start, bytes, frame, caps, budget, out);
        }
    }

    /// Compares bytes seen again at `start` with the delivered bytes still kept.
    fn compare_delivered(&mut self, start: u64, bytes: &[u8]) {
        let kept_from = self.next - self.recent.len() as u64;
        let mut same = true;
        for (k, &b) in bytes.iter().enumerate() {
            let at = start + k as u64;
            if at < kept_from {
                continue;
            }
            if self.recent.get((at - kept_from) as usize) != Some(&b) {
                same = false;
                self.stats.inconsistent += 1;
            }
        }
        if same {
            self.stats.retransmitted += bytes.len() as u64;
        } else {
            self.stats.inconsistent_segments += 1;
        }
    }

    /// Hands on in-order bytes at `start` (== `next`).
    fn deliver(&mut self, start: u64, bytes: &[u8], frame: Origin, caps: Caps, out: &mut dyn FnMut(Chunk<'_>)) {
        out(Chunk::Data { offset: start, bytes, origin: frame });
        self.next = start + bytes.len() as u64;
        self.stats.delivered += bytes.len() as u64;
        // Keep the tail of what was delivered, for comparing retransmissions.
        let keep = caps.recent;
        if bytes.len() >= keep {
            self.recent.clear();
            self.recent.extend(bytes.get(bytes.len() - keep..).unwrap_or(&[]));
        } else {
            let over = (self.recent.len() + bytes.len()).saturating_sub(keep);
            self.recent.drain(..over.min(self.recent.len()));
            self.recent.extend(bytes);
        }
    }

    /// Hands on the held pieces that now follow on.
    fn drain(&mut self, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        while let Some((&at, _)) = self.held.first_key_value() {
            if at > self.next {
                return;
            }
            let Some((bytes, frame)) = self.held.remove(&at) else { return };
            self.release(bytes.len(), budget);
            let end = at + bytes.len() as u64;
            if end <= self.next {
                self.compare_delivered(at, &bytes);
                continue;
            }
            let old = (self.next - at) as usize;
            self.compare_delivered(at, bytes.get(..old).unwrap_or(&[]));
            let start = self.next;
            self.deliver(start, bytes.get(old..).unwrap_or(&[]), frame, caps, out);
        }
    }

    fn release(&mut self, n: usize, budget: &mut usize) {
        self.held_bytes -= n;
        *budget += n;
    }

    /// Holds out-of-order bytes at `start` (> `next`), the first copy of each byte winning.
    fn hold(&mut self, start: u64, bytes: &[u8], frame: Origin, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        // The parts not held yet, each compared where it overlaps a held piece.
        let end = start + bytes.len() as u64;
        let mut fresh: Vec<(u64, u64)> = Vec::new();
        let mut at = start;
        let overlapping: Vec<(u64, u64)> = self
            .held
            .range(..end)
            .filter(|(&s, (b, _))| s + b.len() as u64 > start)
            .map(|(&s, (b, _))| (s, s + b.len() as u64))
            .collect();
        let mut same = true;
        for (s, e) in overlapping {
            if s > at {
                fresh.push((at, s));
            }
            let (from, to) = (s.max(start), e.min(end));
            if let Some((held, _)) = self.held.get(&s) {
                let theirs = held.get((from - s) as usize..(to - s) as usize).unwrap_or(&[]);
                let mine = bytes.get((from - start) as usize..(to - start) as usize).unwrap_or(&[]);
                let differ = theirs.iter().zip(mine).filter(|(a, b)| a != b).count() as u64;
                if differ > 0 {
                    same = false;
                    self.stats.inconsistent += differ;
                }
                self.stats.retransmitted += (to - from) - differ;
            }
            at = at.max(e);
        }
        if !same {
            self.stats.inconsistent_segments += 1;
        }
        if at < end {
            fresh.push((at, end));
        }
        for (s, e) in fresh {
            let n = (e - s) as usize;
            let piece = bytes.get((s - start) as usize..(e - start) as usize).unwrap_or(&[]);
            let full = |r: &Reassembler, budget: &usize| r.held_bytes + n > caps.held || n > *budget;
            if full(self, budget) {
                // No room: the earliest missing bytes are given up until this piece fits, or
                // until it is the earliest waiting, when the bytes before it are given up and it
                // goes on. Bytes that came are never dropped; only bytes that did not are.
                self.stats.cap_hits += 1;
                while full(self, budget) && self.held.first_key_value().is_some_and(|(&f, _)| f < s) {
                    self.skip_gap(caps, budget, out);
                }
                if full(self, budget) || s <= self.next {
                    if s > self.next {
                        self.gap(s - self.next, out);
                    }
                    let skip = (self.next.saturating_sub(s) as usize).min(piece.len());
                    if skip < piece.len() {
                        let at = self.next;
                        self.deliver(at, piece.get(skip..).unwrap_or(&[]), frame, caps, out);
                    }
                    self.drain(caps, budget, out);
                    continue;
                }
            }
            self.held_bytes += n;
            *budget -= n;
            self.held.insert(s, (piece.to_vec(), frame));
        }
        self.stats.held_max = self.stats.held_max.max(self.held_bytes as u64);
    }

    /// Gives up the bytes missing before the first held piece: a gap, then the pieces that follow.
    fn skip_gap(&mut self, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        let Some((&at, _)) = self.held.first_key_value() else { return };
        if at > self.next {
            self.gap(at - self.next, out);
        }
        self.drain(caps, budget, out);
    }

    /// A gap of `len` bytes at `next`.
    fn gap(&mut self, len: u64, out: &mut dyn FnMut(Chunk<'_>)) {
        out(Chunk::Gap { offset: self.next, len });
        self.stats.gaps += 1;
        self.stats.missed += len;
        self.next += len;
        self.recent.clear();
    }

    /// The receiver acknowledged up to `ack`: delivered bytes before it are not kept to compare
    /// retransmissions with any more (a sender retransmits only what was not acknowledged), so
    /// what a direction keeps is bounded by the bytes in flight.
    pub fn trim_acked(&mut self, ack: u32) {
        let Some(upto) = self.offset(ack) else { return };
        let kept_from = self.next - self.recent.len() as u64;
        if upto <= kept_from {
            return;
        }
        let drop = (upto.min(self.next) - kept_from) as usize;
        if drop >= self.recent.len() {
            // Freed, not just emptied: most connections keep nothing between bursts.
            self.recent = VecDeque::new();
        } else {
            self.recent.drain(..drop);
        }
    }

    /// Offset 0 is sequence number `seq`, unless it is known already: a direction picked up
    /// mid-stream by a segment without payload.
    pub fn start_at(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
        }
    }

    /// The peer acknowledged up to `ack`, past some held bytes: the bytes missing before those
    /// will not come, so they are given up as gaps and the held bytes go on. Missing bytes with
    /// nothing held after them wait (what Wireshark's follow does).
    pub fn acked_held(&mut self, ack: u32, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        let Some(upto) = self.offset(ack) else { return };
        while self.held.first_key_value().is_some_and(|(&at, _)| at < upto) {
            self.skip_gap(caps, budget, out);
        }
    }

    /// The peer acknowledged up to `ack`: bytes before it that never came will not come (the
    /// receiver has them; the capture missed them), so they are given up as gaps now, with what
    /// was held after them.
    pub fn acked(&mut self, ack: u32, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        let Some(upto) = self.offset(ack) else { return };
        // A FIN takes a sequence number: an ack of it is one past the last byte.
        let upto = match self.fin {
            Some(f) if upto > f => f,
            _ => upto,
        };
        while self.next < upto {
            match self.held.first_key_value() {
                Some((&at, _)) if at < upto => self.skip_gap(caps, budget, out),
                _ => {
                    self.gap(upto - self.next, out);
                    return;
                }
            }
        }
    }

    /// The connection is over: every held piece goes on, with the gaps before them.
    pub fn finish(&mut self, caps: Caps, budget: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        while !self.held.is_empty() {
            self.skip_gap(caps, budget, out);
        }
        if let Some(f) = self.fin {
            if f > self.next {
                self.gap(f - self.next, out);
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const CAPS: Caps = Caps { held: 1 << 20, recent: 4096 };

    /// Feeds segments (seq, payload, fin) and returns the stream as delivered: data, with `_N_`
    /// for a gap of N bytes.
    struct Run {
        r: Reassembler,
        budget: usize,
        text: String,
        offsets: Vec<u64>,
    }

    impl Run {
        fn new(isn: Option<u32>) -> Run {
            let mut r = Reassembler::new();
            if let Some(s) = isn {
                r.syn(s);
            }
            Run { r, budget: usize::MAX / 2, text: String::new(), offsets: Vec::new() }
        }

        fn seg(&mut self, seq: u32, payload: &str, caps: Caps) -> &mut Run {
            let Run { r, budget, text, offsets } = self;
            r.segment(Piece { seq, bytes: payload.as_bytes(), fin: false, origin: Origin::default() }, caps, budget, &mut |c| match c {
                Chunk::Data { offset, bytes, .. } => {
                    offsets.push(offset);
                    text.push_str(&String::from_utf8_lossy(bytes));
                }
                Chunk::Gap { offset, len } => {
                    offsets.push(offset);
                    text.push_str(&format!("_{len}_"));
                }
            });
            self
        }

        fn s(&mut self, seq: u32, payload: &str) -> &mut Run {
            self.seg(seq, payload, CAPS)
        }

        fn finish(&mut self) -> &mut Run {
            let Run { r, budget, text, .. } = self;
            r.finish(CAPS, budget, &mut |c| match c {
                Chunk::Data { bytes, .. } => text.push_str(&String::from_utf8_lossy(bytes)),
                Chunk::Gap { len, .. } => text.push_str(&format!("_{len}_")),
            });
            self
        }
    }

    #[test]
    fn in_order_segments_pass_through() {
        let mut run = Run::new(Some(1000));
        run.s(1001, "hello ").s(1007, "world");
        assert_eq!(run.text, "hello world");
        assert_eq!(run.offsets, vec![0, 6]);
        assert_eq!(run.r.stats().delivered, 11);
    }

    #[test]
    fn out_of_order_waits_for_the_gap() {
        let mut run = Run::new(Some(0));
        run.s(7, "world").s(1, "hello ");
        assert_eq!(run.text, "hello world");
        assert_eq!(run.r.stats().held_max, 5);
        assert_eq!(run.r.held(), 0);
    }

    #[test]
    fn retransmissions_are_counted_and_dropped() {
        let mut run = Run::new(Some(0));
        run.s(1, "abcdef").s(1, "abcdef").s(4, "defg");
        assert_eq!(run.text, "abcdefg");
        let st = run.r.stats();
        assert_eq!((st.retransmitted, st.inconsistent, st.inconsistent_segments), (9, 0, 0));
    }

    #[test]
    fn overlaps_with_different_bytes_keep_the_first_and_are_reported() {
        let mut run = Run::new(Some(0));
        // Delivered first, then a copy that disagrees on two bytes.
        run.s(1, "attack").s(1, "atTAck");
        assert_eq!(run.text, "attack");
        assert_eq!((run.r.stats().inconsistent, run.r.stats().inconsistent_segments), (2, 1));
        // Held out of order first, then an overlapping copy that disagrees: first wins there too.
        let mut run = Run::new(Some(0));
        run.s(4, "DEF").s(4, "DxF").s(1, "abc");
        assert_eq!(run.text, "abcDEF");
        assert_eq!((run.r.stats().inconsistent, run.r.stats().retransmitted), (1, 2));
    }

    #[test]
    fn a_segment_spanning_held_pieces_fills_only_the_holes() {
        let mut run = Run::new(Some(0));
        run.s(3, "cd").s(7, "gh").s(1, "abXXefYYij");
        // First copies win: "cd" and "gh" were held before the spanning segment.
        assert_eq!(run.text, "abcdefghij");
        assert_eq!(run.r.stats().inconsistent, 4);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let isn = u32::MAX - 3;
        let mut run = Run::new(Some(isn));
        // Offset 0 is u32::MAX - 2; the fourth byte has sequence number 0.
        run.s(isn.wrapping_add(1), "abc").s(0, "def").s(3, "ghi");
        assert_eq!(run.text, "abcdefghi");
        assert_eq!(run.offsets, vec![0, 3, 6]);
        // Out of order across the wrap, and a stream longer than 2^32 is simulated by moving
        // `next` on: offsets keep growing.
        let mut run = Run::new(Some(isn));
        run.s(3, "ghi").s(0, "def").s(isn.wrapping_add(1), "abc");
        assert_eq!(run.text, "abcdefghi");
    }

    #[test]
    fn picked_up_mid_stream_starts_at_the_first_byte_seen() {
        let mut run = Run::new(None);
        run.s(5000, "late ").s(5005, "start");
        assert_eq!(run.text, "late start");
        assert_eq!(run.offsets, vec![0, 5]);
    }

    #[test]
    fn a_gap_never_filled_is_given_up_at_the_end() {
        let mut run = Run::new(Some(0));
        run.s(1, "abc").s(10, "jk").finish();
        assert_eq!(run.text, "abc_6_jk");
        let st = run.r.stats();
        assert_eq!((st.gaps, st.missed), (1, 6));
    }

    #[test]
    fn the_cap_on_held_bytes_gives_up_the_gap() {
        let caps = Caps { held: 4, recent: 16 };
        let mut run = Run::new(Some(0));
        run.seg(1, "ab", caps).seg(10, "jkl", caps).seg(20, "tuvw", caps);
        // Holding "tuvw" after "jkl" would pass 4 bytes: the 7 bytes missing before "jkl" are
        // given up.
        assert_eq!(run.text, "ab_7_jkl");
        assert_eq!(run.r.stats().cap_hits, 1);
        assert_eq!(run.r.held(), 4);
        // A piece earlier than every held one that does not fit: the bytes before it are given
        // up and it goes on at once, and so do the held bytes right after it.
        run.seg(15, "opqrs", caps);
        assert_eq!(run.text, "ab_7_jkl_2_opqrstuvw");
        assert_eq!((run.r.held(), run.r.stats().gaps, run.r.stats().missed), (0, 2, 9));
        // The shared budget binds too.
        let mut run = Run::new(Some(0));
        run.budget = 2;
        run.s(5, "efg");
        assert_eq!(run.r.stats().cap_hits, 1);
        assert_eq!((run.r.held(), run.text.as_str()), (0, "_4_efg"));
    }

    #[test]
    fn acked_bytes_never_seen_are_a_gap() {
        let mut run = Run::new(Some(100));
        run.s(101, "abc").s(110, "jk");
        let Run { r, budget, text, .. } = &mut run;
        r.acked(115, CAPS, budget, &mut |c| match c {
            Chunk::Data { bytes, .. } => text.push_str(&String::from_utf8_lossy(bytes)),
            Chunk::Gap { len, .. } => text.push_str(&format!("_{len}_")),
        });
        assert_eq!(run.text, "abc_6_jk_3_");
        assert_eq!(run.r.stats().missed, 9);
        assert_eq!(run.r.next(), 14);
    }

    #[test]
    fn acknowledged_bytes_are_not_kept() {
        let mut run = Run::new(Some(0));
        run.s(1, "abcdef");
        assert_eq!(run.r.recent.len(), 6);
        run.r.trim_acked(4);
        assert_eq!(run.r.recent.iter().map(|&b| b as char).collect::<String>(), "def");
        // A retransmission of acknowledged bytes still counts as one, never as inconsistent.
        run.s(1, "XYZ");
        assert_eq!((run.r.stats().retransmitted, run.r.stats().inconsistent), (3, 0));
        run.r.trim_acked(7);
        assert_eq!(run.r.recent.capacity(), 0);
    }

    #[test]
    fn the_fin_marks_the_end() {
        let mut run = Run::new(Some(0));
        let Run { r, budget, text, .. } = &mut run;
        r.segment(Piece { seq: 1, bytes: b"bye", fin: true, origin: Origin::default() }, CAPS, budget, &mut |c| {
            if let Chunk::Data { bytes, .. } = c {
                text.push_str(&String::from_utf8_lossy(bytes));
            }
        });
        assert!(r.complete());
        assert_eq!(run.text, "bye");
    }

    #[test]
    fn random_segmentation_reassembles_the_stream() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let len = 1 + (rnd() % 3000) as usize;
            let stream: Vec<u8> = (0..len).map(|_| b'a' + (rnd() % 26) as u8).collect();
            let isn = rnd() as u32;
            // Segments of random sizes, shuffled a little, with some sent twice.
            let mut segs = Vec::new();
            let mut at = 0;
            while at < len {
                let n = (1 + rnd() % 200) as usize;
                let e = (at + n).min(len);
                segs.push((at, e));
                if rnd() % 5 == 0 {
                    segs.push((at, e));
                }
                at = e;
            }
            for k in 0..segs.len() {
                let j = k + (rnd() % 4) as usize;
                if j < segs.len() {
                    segs.swap(k, j);
                }
            }
            let mut r = Reassembler::new();
            r.syn(isn);
            let mut got = Vec::new();
            let mut budget = usize::MAX / 2;
            for (s, e) in segs {
                let seq = isn.wrapping_add(1).wrapping_add(s as u32);
                r.segment(Piece { seq, bytes: &stream[s..e], fin: false, origin: Origin::default() }, CAPS, &mut budget, &mut |c| {
                    if let Chunk::Data { bytes, .. } = c {
                        got.extend_from_slice(bytes);
                    }
                });
            }
            assert_eq!(got, stream, "round {round}");
            assert_eq!((r.stats().inconsistent, r.held()), (0, 0), "round {round}");
        }
    }

    #[test]
    fn under_tight_caps_every_delivered_byte_is_the_sent_one_and_chunks_follow_on() {
        let mut x: u64 = 0xfeed_beef_1234_5679;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let len = 1 + (rnd() % 4000) as usize;
            let stream: Vec<u8> = (0..len).map(|_| (rnd() % 251) as u8).collect();
            let isn = rnd() as u32;
            let caps = Caps { held: (rnd() % 600) as usize, recent: (rnd() % 64) as usize };
            let mut r = Reassembler::new();
            r.syn(isn);
            let (mut at_end, mut budget) = (0u64, (rnd() % 2000) as usize);
            let start_budget = budget;
            let mut check = |c: Chunk<'_>| match c {
                Chunk::Data { offset, bytes, .. } => {
                    assert_eq!(offset, at_end, "round {round}: data does not follow on");
                    assert_eq!(bytes, &stream[offset as usize..offset as usize + bytes.len()], "round {round}");
                    at_end += bytes.len() as u64;
                }
                Chunk::Gap { offset, len } => {
                    assert_eq!(offset, at_end, "round {round}: gap does not follow on");
                    assert!(len > 0);
                    at_end += len;
                }
            };
            for _ in 0..(len / 50 + 5) {
                // Random pieces, some dropped on the way (never sent), some sent twice.
                let s0 = (rnd() % len as u64) as usize;
                let e0 = (s0 + 1 + (rnd() % 300) as usize).min(len);
                let seq = isn.wrapping_add(1).wrapping_add(s0 as u32);
                r.segment(Piece { seq, bytes: &stream[s0..e0], fin: false, origin: Origin::default() }, caps, &mut budget, &mut check);
                assert!(r.held() <= caps.held, "round {round}: held {} over the cap {}", r.held(), caps.held);
            }
            r.finish(caps, &mut budget, &mut check);
            assert_eq!((r.held(), budget), (0, start_budget), "round {round}: held bytes not all released");
        }
    }
}
