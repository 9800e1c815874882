//! TCP streams: each direction's bytes put back in order ([`reassembly`]), a conversation's two
//! directions together ([`follow`]), Wireshark's stream numbers ([`index`]), and where an
//! application's messages lie in the bytes ([`framing`]).
//!
//! In a run, reassembly is part of the connection tracker ([`Streams`] rides on a tracked
//! connection), so that a stream starts, ends and is reused exactly when its connection is, and
//! only when asked for (`--reassemble`): `read -q` without it copies no payload byte.

pub mod follow;
pub mod framing;
pub mod index;
pub mod reassembly;

use self::reassembly::{Caps, Chunk, Origin, Piece, Reassembler, StreamStats};
use crate::decode::{tcpflag, Seg};

/// How a run reassembles its TCP streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Caps of each direction.
    pub caps: Caps,
    /// Out-of-order bytes all streams together may hold (each shard holds its share).
    pub budget: usize,
}

/// One segment as a connection's streams take it.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// Sent by the responder (else by the originator).
    pub from_resp: bool,
    /// Its TCP header fields.
    pub seg: &'a Seg,
    /// Its captured payload.
    pub payload: &'a [u8],
    /// Where in the capture it was.
    pub origin: Origin,
}

/// Both directions of one connection's stream: the originator's and the responder's.
#[derive(Debug, Clone, Default)]
pub struct Streams {
    dirs: [Reassembler; 2],
    /// The application protocol reading the bytes, when one was recognised.
    pub app: Option<crate::analyze::app::session::Session>,
    /// The originator's first segment, held and not yet reassembled, while the responder's
    /// first bytes have still to say whether the connection is worth reading (the tracker's
    /// `feed_streams`).
    pub first: Option<HeldFirst>,
}

/// A segment kept as it came, to be fed to the streams later.
#[derive(Debug, Clone)]
pub struct HeldFirst {
    /// Its TCP header fields.
    pub seg: Seg,
    /// Its captured payload.
    pub bytes: Vec<u8>,
    /// Where in the capture it was.
    pub origin: Origin,
}

impl Streams {
    /// The streams of a connection whose ends start their bytes after these sequence numbers
    /// (None: not known yet).
    pub fn new(bases: [Option<u32>; 2]) -> Streams {
        let mut s = Streams::default();
        for (r, b) in s.dirs.iter_mut().zip(bases) {
            if let Some(b) = b {
                r.syn(b);
            }
        }
        s
    }

    /// A segment of the responder (`from_resp`) or the originator, with its captured payload. What
    /// it makes readable goes to `out`, with the direction (true: the responder's). An ACK
    /// gives up the bytes of the other direction it acknowledges that never came (Zeek's
    /// content gap) and frees the bytes kept to compare retransmissions with.
    pub fn segment(&mut self, s: Sent<'_>, cfg: &StreamConfig, budget: &mut usize, out: &mut dyn FnMut(bool, Chunk<'_>)) {
        let Sent { from_resp, seg, payload, origin } = s;
        let [orig, resp] = &mut self.dirs;
        let (mine, theirs) = if from_resp { (resp, orig) } else { (orig, resp) };
        if seg.flags & tcpflag::ACK != 0 {
            theirs.acked(seg.ack, cfg.caps, budget, &mut |c| out(!from_resp, c));
            theirs.trim_acked(seg.ack);
        }
        if seg.flags & tcpflag::SYN != 0 {
            mine.syn(seg.seq);
        }
        if seg.flags & tcpflag::RST != 0 {
            // A reset's payload is not part of the stream.
            return;
        }
        let piece = Piece { seq: seg.seq, bytes: payload, fin: seg.flags & tcpflag::FIN != 0, origin };
        mine.segment(piece, cfg.caps, budget, &mut |c| out(from_resp, c));
    }

    /// The connection ended: what is still held goes on, after the gaps before it.
    pub fn finish(&mut self, cfg: &StreamConfig, budget: &mut usize, out: &mut dyn FnMut(bool, Chunk<'_>)) {
        let [orig, resp] = &mut self.dirs;
        orig.finish(cfg.caps, budget, &mut |c| out(false, c));
        resp.finish(cfg.caps, budget, &mut |c| out(true, c));
    }

    /// Whether the responder's (`from_resp`) or originator's stream has ended in order (its FIN
    /// delivered).
    pub fn ended(&self, from_resp: bool) -> bool {
        self.dirs.get(usize::from(from_resp)).is_some_and(Reassembler::complete)
    }

    /// What each direction counted (originator's, responder's).
    pub fn stats(&self) -> [StreamStats; 2] {
        [self.dirs[0].stats(), self.dirs[1].stats()]
    }

    /// Out-of-order bytes held now.
    pub fn held(&self) -> usize {
        self.dirs[0].held() + self.dirs[1].held()
    }
}

/// What the streams of a run counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamTally {
    /// Connections whose stream was reassembled.
    pub streams: u64,
    /// Segments with payload.
    pub segments: u64,
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes seen again with the same content.
    pub retransmitted: u64,
    /// Bytes seen again with different content (an evasion sign).
    pub inconsistent: u64,
    /// Streams with such bytes.
    pub inconsistent_streams: u64,
    /// Gaps given up.
    pub gaps: u64,
    /// Bytes in them (Zeek's `missed_bytes`).
    pub missed: u64,
    /// Times a cap forced a gap to be given up early.
    pub cap_hits: u64,
    /// Most out-of-order bytes one stream held at once.
    pub held_peak: u64,
    /// The caps: per direction, and over all streams.
    pub cap_per_direction: u64,
    /// Bytes all streams together could hold.
    pub cap_total: u64,
}

impl StreamTally {
    /// Adds one finished connection's streams.
    pub fn add(&mut self, s: &Streams) {
        let st = s.stats();
        self.streams += 1;
        let mut inconsistent = 0;
        for d in st {
            self.segments += d.segments;
            self.delivered += d.delivered;
            self.retransmitted += d.retransmitted;
            inconsistent += d.inconsistent;
            self.gaps += d.gaps;
            self.missed += d.missed;
            self.cap_hits += d.cap_hits;
        }
        self.held_peak = self.held_peak.max(st[0].held_max + st[1].held_max);
        self.inconsistent += inconsistent;
        self.inconsistent_streams += u64::from(inconsistent > 0);
    }

    /// Adds another shard's totals.
    pub fn merge(&mut self, o: &StreamTally) {
        self.streams += o.streams;
        self.segments += o.segments;
        self.delivered += o.delivered;
        self.retransmitted += o.retransmitted;
        self.inconsistent += o.inconsistent;
        self.inconsistent_streams += o.inconsistent_streams;
        self.gaps += o.gaps;
        self.missed += o.missed;
        self.cap_hits += o.cap_hits;
        self.held_peak = self.held_peak.max(o.held_peak);
    }
}
