//! One side of a TCP connection: what it sent, the RFC 793 state an observer on the wire infers
//! for it, and the coarser state and sequence bookkeeping Zeek keeps for it (`TCP_Endpoint`).

use super::zeek::ZState;
use crate::report::conn::TcpState;

/// Endpoint flag: sent a SYN without ACK.
pub(super) const SENT_SYN: u8 = 0x01;
/// Endpoint flag: sent a SYN-ACK.
pub(super) const SENT_SYNACK: u8 = 0x02;
/// Endpoint flag: sent a FIN.
pub(super) const SENT_FIN: u8 = 0x04;
/// Endpoint flag: sent a RST.
pub(super) const SENT_RST: u8 = 0x08;
/// Endpoint flag: its initial sequence number is known (from its SYN, or the peer's ACK of it).
pub(super) const SYN_KNOWN: u8 = 0x10;
/// Endpoint flag: its stream's delivery point is set (Zeek's reassembler started).
pub(super) const REASSEMBLING: u8 = 0x20;
/// Endpoint flag: payload beyond a hole in its stream is held.
pub(super) const HOLDING: u8 = 0x40;

/// History mask (Zeek's `HIST_*_PKT`, one set per endpoint): a SYN or SYN-ACK letter recorded.
pub(super) const H_SYN: u8 = 0x01;
/// History mask: an `F` recorded.
pub(super) const H_FIN: u8 = 0x02;
/// History mask: an `R` recorded.
pub(super) const H_RST: u8 = 0x04;
/// History mask: an `I` (FIN and RST in one packet) recorded.
pub(super) const H_FIN_RST: u8 = 0x08;
/// History mask: a `D` recorded.
pub(super) const H_DATA: u8 = 0x10;
/// History mask: an `A` recorded.
pub(super) const H_ACK: u8 = 0x20;
/// History mask: a `Q` (SYN with FIN or RST) recorded.
pub(super) const H_MULTI: u8 = 0x40;

/// Connection flag: no SYN was seen first; the originator is a guess.
pub(super) const MID_STREAM: u8 = 0x01;
/// Connection flag: Zeek's heuristic flipped the roles (`^`).
pub(super) const FLIPPED: u8 = 0x02;
/// Connection flag: the last segment repeated sequence space already sent.
pub(super) const LAST_RETRANS: u8 = 0x04;
/// Connection flag: the application layer looked at its first bytes and read nothing more.
pub(super) const APP_OFF: u8 = 0x08;
/// Connection flag: the DNS analyzer has read a message of the connection.
pub(super) const DNS_SEEN: u8 = 0x10;

/// `a` before `b` in sequence space (RFC 793 modular comparison).
pub(super) fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` at or after `b` in sequence space.
pub(super) fn seq_ge(a: u32, b: u32) -> bool {
    !seq_lt(a, b)
}

/// What one side of a connection sent, and the states it is in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Endpoint {
    /// RFC 793 state.
    pub state: TcpState,
    pub(super) flags: u8,
    /// Zeek's state.
    pub(super) zs: ZState,
    /// Zeek's state before the last change.
    pub(super) zprev: ZState,
    /// Zeek's history masks recorded for this endpoint (`H_*`).
    pub(super) hist: u8,
    /// Packets sent.
    pub pkts: u32,
    /// Payload bytes sent, retransmissions not counted again.
    pub bytes: u64,
    /// IP bytes sent.
    pub ip_bytes: u64,
    /// Frame bytes sent.
    pub frame_bytes: u64,
    /// Zeek's start of the sequence space: the ISN of a SYN, one before the first sequence number
    /// of an endpoint seen mid-stream, or one before the peer's ACK while it sent nothing.
    pub(super) syn_seq: u32,
    /// Where its last FIN ended (sequence number plus payload, plus one for a SYN).
    pub(super) fin_seq: u32,
    /// Sequence number of its last RST.
    pub(super) rst_seq: u32,
    /// Where its payload, SYN and FIN seen so far end (for bytes and gaps).
    pub(super) next_seq: u32,
    /// Zeek's `LastSeq`: the highest end of a segment, by its rules (for retransmissions).
    pub(super) last_seq: u32,
    /// Retransmitted segments: Zeek's, a segment whose payload was already seen.
    pub retrans: u32,
    pub(super) zero_win: u16,
    /// Packets with a bad checksum (`--check-checksums`), for Zeek's scaled `C` letters.
    pub(super) bad_checksums: u16,
    /// Content gaps: holes in its stream that the peer acknowledged (Zeek's `gap_cnt`).
    pub(super) gaps: u16,
    /// Where its stream is delivered in order up to (Zeek's `last_reassem_seq`, absolute).
    pub(super) reassem: u32,
    /// Where payload held beyond a hole starts (with [`HOLDING`]); it ends at `next_seq`, the
    /// highest end seen. Zeek keeps each block; one span is enough to tell a hole from held
    /// data except where several holes interleave with data before the peer acknowledges them.
    pub(super) held_from: u32,
}

impl Endpoint {
    pub(super) fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// The sequence number just before this end's first byte (its ISN, or as if a SYN had been
    /// seen), once it is known: where its byte stream starts.
    pub fn stream_base(&self) -> Option<u32> {
        (self.zs != ZState::Inactive).then_some(self.syn_seq)
    }

    /// Zeek's state of this endpoint.
    pub fn z(&self) -> ZState {
        self.zs
    }

    /// Zeek's state before the last change.
    pub(super) fn z_prev(&self) -> ZState {
        self.zprev
    }

    /// Moves Zeek's state to `to`, remembering the one left (a move to the same state is none).
    pub(super) fn set_z(&mut self, to: ZState) {
        if self.zs != to {
            self.zprev = self.zs;
            self.zs = to;
        }
    }

    /// Whether Zeek reports content gaps of this endpoint: established, or closed from
    /// established (`is_clean` in `TCP_Reassembler.cc`).
    pub(super) fn clean(&self) -> bool {
        self.zs == ZState::Established || (self.zs == ZState::Closed && self.zprev == ZState::Established)
    }

    /// Starts its stream at `start` (Zeek's start of sequence space plus one): nothing held.
    pub(super) fn start_stream(&mut self, start: u32) {
        self.flags = (self.flags | REASSEMBLING) & !HOLDING;
        self.reassem = start;
    }

    /// Takes payload [seq, end) into its stream (Zeek's `DataSent` into the reassembler), after
    /// `next_seq` took it into account: in order it moves the delivery point on (through what
    /// was held beyond), beyond a hole it is held.
    pub(super) fn stream_data(&mut self, seq: u32, end: u32) {
        if !self.has(REASSEMBLING) || !seq_lt(self.reassem, end) {
            return;
        }
        if seq_ge(self.reassem, seq) {
            self.reassem = end;
            if self.has(HOLDING) && seq_ge(self.reassem, self.held_from) {
                if seq_lt(self.reassem, self.next_seq) {
                    self.reassem = self.next_seq;
                }
                self.flags &= !HOLDING;
            }
        } else if !self.has(HOLDING) || seq_lt(seq, self.held_from) {
            self.held_from = seq;
            self.flags |= HOLDING;
        }
    }

    /// The peer acknowledged its stream up to `ack` (Zeek's `AckReceived`, `TrimToSeq`,
    /// `Undelivered`): the holes below `ack` that were never seen are content gaps. Returns
    /// their count and bytes (at most two: below the held span, and between it and `ack`).
    pub(super) fn stream_acked(&mut self, ack: u32) -> (u32, u64) {
        if !self.has(REASSEMBLING) {
            return (0, 0);
        }
        // The FIN's own sequence number is no data (`AckReceived`).
        let ack = if self.has(SENT_FIN) && seq_ge(ack, self.fin_seq) { self.fin_seq } else { ack };
        // An ACK behind the delivery point, or implausibly far ahead of it (a broken or forged
        // number, as Zeek doubts a SYN's or RST's beyond `TOO_LARGE_SEQ_DELTA`), shows nothing.
        let ahead = ack.wrapping_sub(self.reassem) as i32;
        if ahead <= 0 || ahead > 1 << 30 {
            return (0, 0);
        }
        let (mut n, mut bytes) = (0u32, 0u64);
        if self.has(HOLDING) && seq_lt(self.held_from, ack) {
            if seq_lt(self.reassem, self.held_from) {
                n += 1;
                bytes += self.held_from.wrapping_sub(self.reassem) as u64;
            }
            self.reassem = self.next_seq;
            self.flags &= !HOLDING;
        }
        if seq_lt(self.reassem, ack) {
            n += 1;
            bytes += ack.wrapping_sub(self.reassem) as u64;
            self.reassem = ack;
        }
        (n, bytes)
    }

    /// Whether Zeek counts this endpoint as closed (`did_close`): it sent a FIN or a RST.
    pub(super) fn did_close(&self) -> bool {
        self.has(SENT_FIN | SENT_RST)
    }
}
