//! One conversation's bytes, both directions, in the order an application would have read them:
//! what `inspect follow` shows.
//!
//! As Wireshark's follow has it, the client is the sender of the conversation's first packet,
//! each direction's bytes come in stream order once each (a [`Reassembler`] per direction), and
//! bytes the receiver acknowledged that the capture never had are given up as a gap when
//! something held after them is acknowledged. Out-of-order bytes still held when the capture
//! ends are not shown: the receiver never had them in order either. A UDP conversation's
//! datagrams come as they are.

use std::net::IpAddr;

use super::reassembly::{Caps, Chunk, Origin, Piece, Reassembler, StreamStats};
use crate::decode::input::FlowSeg;
use crate::decode::tcpflag;
use crate::source::Ts;

/// One chunk of a followed conversation.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Sent by the server (the side that did not send the first packet).
    pub server: bool,
    /// The frame whose bytes these are (for a gap: the frame that gave it up).
    pub frame: u64,
    /// That frame's time.
    pub ts: Ts,
    /// Offset in the direction's stream.
    pub offset: u64,
    /// The bytes, or the size of a gap.
    pub data: Data<'a>,
}

/// What a record holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Data<'a> {
    /// Bytes of the stream.
    Bytes(&'a [u8]),
    /// Bytes missing from the capture, given up.
    Missing(u64),
}

/// Follows one conversation; see the module documentation.
#[derive(Debug)]
pub struct Follower {
    client: Option<(IpAddr, u16)>,
    server: Option<(IpAddr, u16)>,
    dirs: [Reassembler; 2],
    caps: Caps,
    budget: usize,
    /// UDP: bytes of each direction so far.
    udp_offsets: [u64; 2],
}

impl Follower {
    /// A conversation not seen yet, holding at most `caps.held` out-of-order bytes per direction.
    pub fn new(caps: Caps) -> Follower {
        Follower {
            client: None,
            server: None,
            dirs: [Reassembler::new(), Reassembler::new()],
            caps,
            budget: caps.held.saturating_mul(2),
            udp_offsets: [0, 0],
        }
    }

    /// The client's and the server's address and port, once a packet has been seen.
    pub fn ends(&self) -> Option<((IpAddr, u16), (IpAddr, u16))> {
        Some((self.client?, self.server?))
    }

    /// What each direction's reassembly counted (client's, server's).
    pub fn stats(&self) -> [StreamStats; 2] {
        [self.dirs[0].stats(), self.dirs[1].stats()]
    }

    /// A packet of the conversation, `payload` its captured payload; what it makes readable
    /// goes to `out`.
    pub fn packet(&mut self, f: &FlowSeg, payload: &[u8], frame: u64, ts: Ts, out: &mut dyn FnMut(Record<'_>)) {
        if self.client.is_none() {
            self.client = Some(f.src());
            self.server = Some(f.dst());
        }
        let server = Some(f.src()) != self.client;
        let side = usize::from(server);
        if !f.tcp {
            let offset = self.udp_offsets[side];
            self.udp_offsets[side] += payload.len() as u64;
            if !payload.is_empty() {
                out(Record { server, frame, ts, offset, data: Data::Bytes(payload) });
            }
            return;
        }
        let (caps, budget) = (self.caps, &mut self.budget);
        let seg = f.seg;
        let [client_dir, server_dir] = &mut self.dirs;
        let (mine, theirs) = if server { (server_dir, client_dir) } else { (client_dir, server_dir) };
        // What this packet acknowledges of the other direction comes first: bytes it gives up
        // and what was held after them.
        if seg.flags & tcpflag::ACK != 0 {
            theirs.acked_held(seg.ack, caps, budget, &mut |c| out(record(c, !server, frame, ts)));
            theirs.trim_acked(seg.ack);
        }
        if seg.flags & tcpflag::SYN != 0 {
            mine.syn(seg.seq);
        } else {
            mine.start_at(seg.seq);
        }
        let piece = Piece { seq: seg.seq, bytes: payload, fin: seg.flags & tcpflag::FIN != 0, origin: Origin { frame, ts } };
        mine.segment(piece, caps, budget, &mut |c| out(record(c, server, frame, ts)));
    }
}

/// A reassembler's chunk as a record of the conversation.
fn record<'a>(c: Chunk<'a>, server: bool, frame: u64, ts: Ts) -> Record<'a> {
    match c {
        Chunk::Data { offset, bytes, origin } => Record { server, frame: origin.frame, ts: origin.ts, offset, data: Data::Bytes(bytes) },
        Chunk::Gap { offset, len } => Record { server, frame, ts, offset, data: Data::Missing(len) },
    }
}
