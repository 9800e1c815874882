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
    pub(super) gaps: u16,
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

    /// Whether Zeek counts this endpoint as closed (`did_close`): it sent a FIN or a RST.
    pub(super) fn did_close(&self) -> bool {
        self.has(SENT_FIN | SENT_RST)
    }
}
