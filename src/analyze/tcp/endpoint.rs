//! One side of a TCP connection: what it sent, and the RFC 793 state an observer on the wire
//! infers for it.

use super::zeek::ZeekEnd;
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
/// Endpoint flag: history letter `D` recorded.
pub(super) const HIST_D: u8 = 0x20;
/// Endpoint flag: history letter `A` recorded.
pub(super) const HIST_A: u8 = 0x40;
/// Endpoint flag: history letters `Q` or `I` recorded (one bit each would be two more bytes).
pub(super) const HIST_QI: u8 = 0x80;

/// Connection flag: no SYN was seen first; the originator is the first sender (a guess).
pub(super) const MID_STREAM: u8 = 0x01;
/// Connection flag: the first packet was a SYN-ACK, so the originator is its receiver (`^`).
pub(super) const FLIPPED: u8 = 0x02;
/// Connection flag: the last segment repeated sequence space already sent.
pub(super) const LAST_RETRANS: u8 = 0x04;

/// `a` before `b` in sequence space (RFC 793 modular comparison).
pub(super) fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` at or after `b` in sequence space.
pub(super) fn seq_ge(a: u32, b: u32) -> bool {
    !seq_lt(a, b)
}

/// What one side of a connection sent, and the state it is in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Endpoint {
    /// RFC 793 state.
    pub state: TcpState,
    pub(super) flags: u8,
    /// Packets sent.
    pub pkts: u32,
    /// Payload bytes sent, retransmissions not counted again.
    pub bytes: u64,
    /// IP bytes sent.
    pub ip_bytes: u64,
    /// Frame bytes sent.
    pub frame_bytes: u64,
    pub(super) syn_seq: u32,
    pub(super) fin_seq: u32,
    pub(super) rst_seq: u32,
    pub(super) next_seq: u32,
    /// Retransmitted segments.
    pub retrans: u32,
    /// Reached ESTABLISHED through a handshake it took part in (not assumed mid-stream).
    pub(super) est: bool,
    pub(super) zero_win: u16,
    pub(super) gaps: u16,
}

impl Endpoint {
    pub(super) fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// Zeek's view of this endpoint, for [`super::zeek::conn_state`].
    pub fn zeek(&self, peer: &Endpoint) -> ZeekEnd {
        if self.has(SENT_RST) {
            ZeekEnd::Reset
        } else if self.has(SENT_FIN) {
            ZeekEnd::Closed
        } else if self.pkts == 0 {
            ZeekEnd::Inactive
        } else if self.est {
            ZeekEnd::Established
        } else if self.has(SENT_SYNACK) {
            // A SYN-ACK answering the peer's SYN accepts the connection (S1 for "Sh").
            if peer.has(SENT_SYN) { ZeekEnd::Established } else { ZeekEnd::SynAckSent }
        } else if self.has(SENT_SYN) {
            ZeekEnd::SynSent
        } else {
            ZeekEnd::Partial
        }
    }
}

