//! TCP connection state, per endpoint, as an observer on the wire infers it.
//!
//! Each side of a connection has its own RFC 793 state. The observer applies two kinds of
//! evidence, in this order, to every segment from a sender S to a receiver R:
//!
//! 1. what the segment tells R: an ACK of R's SYN completes R's handshake (SYN_RCVD →
//!    ESTABLISHED, or SYN_SENT → ESTABLISHED on a SYN-ACK); an ACK of R's FIN moves R on
//!    (FIN_WAIT_1 → FIN_WAIT_2, CLOSING → TIME_WAIT, LAST_ACK → CLOSED); S's FIN reaching an R
//!    that has closed already moves it to CLOSING (FINs crossed) or TIME_WAIT (from FIN_WAIT_2);
//!    a RST closes R.
//! 2. what the segment proves about S: a SYN means SYN_SENT, a SYN-ACK SYN_RCVD; an ACK of R's
//!    FIN means S received it (ESTABLISHED → CLOSE_WAIT); a FIN means FIN_WAIT_1 (or LAST_ACK
//!    from CLOSE_WAIT, or CLOSING if R's FIN is already on the wire); a RST means CLOSED.
//!
//! A FIN's arrival is thus inferred from its acknowledgement, not from its appearance, so a
//! simultaneous close (each FIN sent before the other arrived) reads FIN_WAIT_1 → CLOSING →
//! TIME_WAIT on both sides, as RFC 793 has it. Zeek's `conn_state` and `history` are derived
//! from the two endpoints by pure functions ([`conn_state`]), which is what the tests pin down.


use super::endpoint::*;
use super::zeek::{conn_state, udp_conn_state};
use crate::decode::tcpflag::{ACK, FIN, RST, SYN};
use crate::decode::Seg;
use crate::report::conn::{ConnState, TcpState, Transition};

/// Longest history kept; later letters are dropped (Zeek's rules keep real histories short).
pub const HISTORY_MAX: usize = 14;

/// One recorded state change: time (ns), whether it is the responder's, from, to.
pub type Step = (i64, bool, TcpState, TcpState);

/// One tracked connection (TCP) or flow (UDP): both endpoints and the connection's history.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    /// The originator.
    pub orig: Endpoint,
    /// The responder.
    pub resp: Endpoint,
    /// First packet time, ns since the epoch.
    pub start_ns: i64,
    /// µs from the start to the first SYN-ACK (u32::MAX: none).
    synack_us: u32,
    /// µs from the start to the originator's ACK of the SYN-ACK (u32::MAX: none).
    ack_us: u32,
    /// µs from the start to the SYN (u32::MAX: none; 0 normally).
    syn_us: u32,
    hist: [u8; HISTORY_MAX],
    hist_len: u8,
    cflags: u8,
    /// Whether endpoint `a` of the flow key is the originator.
    pub orig_is_a: bool,
    /// Whether this is a UDP flow.
    pub udp: bool,
    /// State changes, kept only when asked for (`-V`).
    pub timeline: Option<Box<Vec<Step>>>,
}

fn us_since(start: i64, now: i64) -> u32 {
    (now.saturating_sub(start).max(0) / 1000).min(u32::MAX as i64 - 1) as u32
}

impl Conn {
    /// A new TCP connection whose first packet is `seg`; returns it and whether the sender of
    /// `seg` is the originator.
    pub fn new_tcp(seg: &Seg, now_ns: i64, timeline: bool) -> (Conn, bool) {
        let mut c = Conn {
            start_ns: now_ns,
            synack_us: u32::MAX,
            ack_us: u32::MAX,
            syn_us: u32::MAX,
            timeline: if timeline { Some(Box::default()) } else { None },
            ..Conn::default()
        };
        let syn = seg.flags & SYN != 0;
        let ack = seg.flags & ACK != 0;
        let sender_is_orig = if syn && ack {
            // The SYN was missed: its receiver is the originator, already in SYN_SENT.
            c.cflags |= FLIPPED;
            c.push_hist(b'^');
            c.orig.flags |= SYN_KNOWN;
            c.orig.syn_seq = seg.ack.wrapping_sub(1);
            c.set_state(false, TcpState::SynSent, now_ns);
            false
        } else if syn {
            true
        } else {
            // Mid-stream: both sides are assumed open already.
            c.cflags |= MID_STREAM;
            c.set_state(false, TcpState::Established, now_ns);
            c.set_state(true, TcpState::Established, now_ns);
            // Assumed, not seen: Zeek calls such endpoints "partial".
            c.orig.est = false;
            c.resp.est = false;
            true
        };
        (c, sender_is_orig)
    }

    /// A new UDP flow; its first sender is the originator.
    pub fn new_udp(now_ns: i64) -> Conn {
        Conn { start_ns: now_ns, udp: true, synack_us: u32::MAX, ack_us: u32::MAX, syn_us: u32::MAX, ..Conn::default() }
    }

    /// Whether no SYN opened this connection (it was open when the capture began).
    pub fn mid_stream(&self) -> bool {
        self.cflags & MID_STREAM != 0
    }

    fn push_hist(&mut self, c: u8) {
        if let Some(slot) = self.hist.get_mut(self.hist_len as usize) {
            *slot = c;
            self.hist_len += 1;
        }
    }

    /// Whether the last segment repeated sequence space its sender had sent.
    pub fn last_was_retransmission(&self) -> bool {
        self.cflags & LAST_RETRANS != 0
    }

    /// Zeek's history letters.
    pub fn history_bytes(&self) -> &[u8] {
        self.hist.get(..self.hist_len as usize).unwrap_or(&[])
    }

    /// Zeek's history string.
    pub fn history(&self) -> String {
        self.hist.get(..self.hist_len as usize).map(|h| String::from_utf8_lossy(h).into_owned()).unwrap_or_default()
    }

    fn end_mut(&mut self, resp: bool) -> &mut Endpoint {
        if resp { &mut self.resp } else { &mut self.orig }
    }

    fn set_state(&mut self, resp: bool, to: TcpState, now_ns: i64) {
        let e = self.end_mut(resp);
        let from = e.state;
        if from == to {
            return;
        }
        e.state = to;
        if to == TcpState::Established {
            e.est = true;
        }
        if let Some(t) = self.timeline.as_mut() {
            // Bounded: a pathological connection cannot grow its timeline without limit.
            if t.len() < 64 {
                t.push((now_ns, resp, from, to));
            }
        }
    }

    /// Records a letter (upper case for the originator) subject to Zeek's "once" rule.
    fn letter(&mut self, from_resp: bool, upper: u8) {
        let c = if from_resp { upper.to_ascii_lowercase() } else { upper };
        self.push_hist(c);
    }

    /// Records a letter for the `n`-th occurrence of a counted event: at 1, 10, 100, ...
    fn log_letter(&mut self, from_resp: bool, upper: u8, n: u32) {
        if n == 1 || n == 10 || n == 100 || n == 1000 || n == 10_000 || n == 100_000 {
            self.letter(from_resp, upper);
        }
    }

    /// Whether a SYN from the originator-or-responder side `from_resp` starts a new connection
    /// on these ports: the old one was closed (RST, or FINs both ways), or was an attempt the
    /// peer never answered, and this SYN is not a retransmission of the one that opened it
    /// (retransmitted SYNs keep their ISN; a new ISN is a new attempt).
    pub fn reused_by(&self, from_resp: bool, seg: &Seg) -> bool {
        if seg.flags & (SYN | ACK) != SYN || self.udp {
            return false;
        }
        let (me, peer) = if from_resp { (&self.resp, &self.orig) } else { (&self.orig, &self.resp) };
        let closed = me.has(SENT_RST)
            || peer.has(SENT_RST)
            || (me.has(SENT_FIN) && peer.has(SENT_FIN))
            || matches!((me.state, peer.state), (TcpState::TimeWait | TcpState::Closed, TcpState::TimeWait | TcpState::Closed));
        let unanswered = me.has(SENT_SYN) && peer.pkts == 0;
        (closed || unanswered) && !(me.has(SYN_KNOWN) && me.syn_seq == seg.seq)
    }

    /// Applies one UDP datagram.
    pub fn udp_datagram(&mut self, from_resp: bool, seg: &Seg) {
        let first_payload = seg.len > 0 && !self.end_mut(from_resp).has(HIST_D);
        let e = self.end_mut(from_resp);
        e.pkts = e.pkts.saturating_add(1);
        e.bytes += seg.len as u64;
        e.ip_bytes += seg.ip_len as u64;
        e.frame_bytes += seg.frame_len as u64;
        if first_payload {
            e.flags |= HIST_D;
            self.letter(from_resp, b'D');
        }
    }

    /// Applies one TCP segment sent by the responder (`from_resp`) or the originator.
    pub fn segment(&mut self, from_resp: bool, seg: &Seg, now_ns: i64) {
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        let sender_first = self.end_mut(from_resp).pkts == 0;

        // Sequence bookkeeping: retransmissions and gaps, per direction.
        let seg_len = seg.len.wrapping_add(syn as u32).wrapping_add(fin as u32);
        let end = seg.seq.wrapping_add(seg_len);
        let (mut retrans, mut gap) = (false, false);
        {
            let e = self.end_mut(from_resp);
            if sender_first || (syn && !e.has(SYN_KNOWN)) {
                e.next_seq = end;
            } else if (seg.len > 0 || fin || (syn && e.has(if ack { SENT_SYNACK } else { SENT_SYN }))) && !rst {
                if seq_ge(e.next_seq, end) {
                    retrans = true;
                } else {
                    gap = seg.len > 0 && seq_lt(e.next_seq, seg.seq);
                    e.next_seq = end;
                }
            }
            e.pkts = e.pkts.saturating_add(1);
            e.ip_bytes += seg.ip_len as u64;
            e.frame_bytes += seg.frame_len as u64;
            if !retrans {
                e.bytes += seg.len as u64;
            }
        }

        if retrans {
            self.cflags |= LAST_RETRANS;
        } else {
            self.cflags &= !LAST_RETRANS;
        }
        // History letters (upper case from the originator), Zeek's repeat rules.
        self.history_letters(from_resp, seg, retrans, gap);

        // Handshake timing.
        let now_us = us_since(self.start_ns, now_ns);
        if syn && !ack && !from_resp && self.syn_us == u32::MAX {
            self.syn_us = now_us;
        }
        if syn && ack && from_resp && self.synack_us == u32::MAX {
            self.synack_us = now_us;
        }
        if ack && !syn && !from_resp && self.synack_us != u32::MAX && self.ack_us == u32::MAX {
            let r = &self.resp;
            if r.has(SYN_KNOWN) && seq_ge(seg.ack, r.syn_seq.wrapping_add(1)) {
                self.ack_us = now_us;
            }
        }

        // 1. What the segment tells the receiver.
        let peer = if from_resp { self.orig } else { self.resp };
        if rst {
            self.set_state(!from_resp, TcpState::Closed, now_ns);
        } else {
            if ack {
                let syn_acked = peer.has(SYN_KNOWN) && seq_ge(seg.ack, peer.syn_seq.wrapping_add(1));
                let fin_acked = peer.has(SENT_FIN) && seq_ge(seg.ack, peer.fin_seq.wrapping_add(1));
                let next = match peer.state {
                    TcpState::SynRcvd if syn_acked => Some(TcpState::Established),
                    TcpState::SynSent if syn_acked && syn => Some(TcpState::Established),
                    TcpState::FinWait1 if fin_acked => Some(TcpState::FinWait2),
                    TcpState::Closing if fin_acked => Some(TcpState::TimeWait),
                    TcpState::LastAck if fin_acked => Some(TcpState::Closed),
                    _ => None,
                };
                if let Some(s) = next {
                    self.set_state(!from_resp, s, now_ns);
                }
            }
            if fin {
                let p = if from_resp { self.orig.state } else { self.resp.state };
                match p {
                    TcpState::FinWait1 => self.set_state(!from_resp, TcpState::Closing, now_ns),
                    TcpState::FinWait2 => self.set_state(!from_resp, TcpState::TimeWait, now_ns),
                    _ => {}
                }
            }
        }

        // 2. What the segment proves about its sender.
        let me = *self.end_mut(from_resp);
        let peer = if from_resp { self.orig } else { self.resp };
        if rst {
            self.set_state(from_resp, TcpState::Closed, now_ns);
        } else {
            if syn && !ack && me.state == TcpState::Closed {
                self.set_state(from_resp, TcpState::SynSent, now_ns);
            }
            if syn && ack && matches!(me.state, TcpState::Closed | TcpState::SynSent) {
                self.set_state(from_resp, TcpState::SynRcvd, now_ns);
            }
            let acks_peer_fin = ack && peer.has(SENT_FIN) && seq_ge(seg.ack, peer.fin_seq.wrapping_add(1));
            let state = self.end_mut(from_resp).state;
            if acks_peer_fin && matches!(state, TcpState::Established | TcpState::SynRcvd) {
                self.set_state(from_resp, TcpState::CloseWait, now_ns);
            }
            if fin {
                let state = self.end_mut(from_resp).state;
                let next = match state {
                    TcpState::Established | TcpState::SynRcvd | TcpState::SynSent => {
                        // The peer's FIN is already on the wire and this FIN does not ack it:
                        // the two crossed, and this side will be CLOSING when it arrives.
                        if peer.has(SENT_FIN) && !acks_peer_fin { TcpState::Closing } else { TcpState::FinWait1 }
                    }
                    TcpState::CloseWait => TcpState::LastAck,
                    other => other,
                };
                if next == TcpState::Closing {
                    self.set_state(from_resp, TcpState::FinWait1, now_ns);
                }
                self.set_state(from_resp, next, now_ns);
            }
        }

        // Remember what this side sent, for the rules above and for Zeek's view.
        let e = self.end_mut(from_resp);
        if syn {
            e.flags |= SYN_KNOWN | if ack { SENT_SYNACK } else { SENT_SYN };
            e.syn_seq = seg.seq;
        }
        if fin && !e.has(SENT_FIN) {
            e.fin_seq = seg.seq.wrapping_add(seg.len).wrapping_add(syn as u32);
        }
        if fin {
            e.flags |= SENT_FIN;
        }
        if rst {
            e.flags |= SENT_RST;
            e.rst_seq = seg.seq;
        }
    }

    fn history_letters(&mut self, from_resp: bool, seg: &Seg, retrans: bool, gap: bool) {
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        let e = *self.end_mut(from_resp);
        if syn && !ack && (!e.has(SENT_SYN) || e.syn_seq != seg.seq) {
            self.letter(from_resp, b'S');
        }
        if syn && ack && (!e.has(SENT_SYNACK) || e.syn_seq != seg.seq) {
            self.letter(from_resp, b'H');
        }
        if ack && !syn && !fin && !rst && seg.len == 0 && !e.has(HIST_A) {
            self.end_mut(from_resp).flags |= HIST_A;
            self.letter(from_resp, b'A');
        }
        if seg.len > 0 && !e.has(HIST_D) {
            self.end_mut(from_resp).flags |= HIST_D;
            self.letter(from_resp, b'D');
        }
        let fin_seq = seg.seq.wrapping_add(seg.len).wrapping_add(syn as u32);
        if fin && (!e.has(SENT_FIN) || e.fin_seq != fin_seq) {
            self.letter(from_resp, b'F');
        }
        if rst && (!e.has(SENT_RST) || e.rst_seq != seg.seq) {
            self.letter(from_resp, b'R');
        }
        if retrans {
            let n = {
                let e = self.end_mut(from_resp);
                e.retrans = e.retrans.saturating_add(1);
                e.retrans
            };
            self.log_letter(from_resp, b'T', n);
        }
        if gap {
            let n = {
                let e = self.end_mut(from_resp);
                e.gaps = e.gaps.saturating_add(1);
                e.gaps as u32
            };
            self.log_letter(from_resp, b'G', n);
        }
        if seg.window == 0 && !rst {
            let n = {
                let e = self.end_mut(from_resp);
                e.zero_win = e.zero_win.saturating_add(1);
                e.zero_win as u32
            };
            self.log_letter(from_resp, b'W', n);
        }
        if ((syn && (fin || rst)) || (fin && rst)) && !e.has(HIST_QI) {
            self.end_mut(from_resp).flags |= HIST_QI;
            self.letter(from_resp, if syn { b'Q' } else { b'I' });
        }
    }

    /// Zeek's `conn_state` of this connection now.
    pub fn conn_state(&self) -> ConnState {
        if self.udp {
            return udp_conn_state(self.orig.pkts > 0, self.resp.pkts > 0);
        }
        let o = self.orig.zeek(&self.resp);
        let r = self.resp.zeek(&self.orig);
        let bytes = self.orig.bytes > 0 || self.resp.bytes > 0;
        // "S, then R, with no SYN-ACK, ACK, FIN or data in between": the originator sent only
        // SYNs and RSTs, and the responder nothing.
        let syn_then_rst = self.orig.has(SENT_SYN)
            && self.orig.has(SENT_RST)
            && !self.orig.has(SENT_FIN | HIST_A | HIST_D | SENT_SYNACK)
            && self.resp.pkts == 0;
        conn_state(o, r, bytes, syn_then_rst)
    }

    /// Seconds from SYN to SYN-ACK, and from SYN-ACK to the ACK of it, when seen.
    pub fn handshake_rtt(&self) -> (Option<f64>, Option<f64>) {
        let s = |a: u32, b: u32| if a != u32::MAX && b != u32::MAX && b >= a { Some((b - a) as f64 / 1e6) } else { None };
        (s(self.syn_us, self.synack_us), s(self.synack_us, self.ack_us))
    }

    /// The state timeline, as report transitions.
    pub fn transitions(&self) -> Vec<Transition> {
        let Some(t) = &self.timeline else { return Vec::new() };
        t.iter()
            .map(|&(ns, resp, from, to)| Transition {
                t: ns.saturating_sub(self.start_ns) as f64 / 1e9,
                end: if resp { "resp" } else { "orig" },
                from,
                to,
            })
            .collect()
    }

    /// Records the TIME_WAIT timer's end: the endpoints in TIME_WAIT become CLOSED at `at_ns`.
    pub fn time_wait_over(&mut self, at_ns: i64) {
        for resp in [false, true] {
            if self.end_mut(resp).state == TcpState::TimeWait {
                self.set_state(resp, TcpState::Closed, at_ns);
            }
        }
    }

    /// The timeout class: see [`class`].
    pub fn class(&self) -> u8 {
        if self.udp {
            return class::UDP;
        }
        use TcpState::*;
        let (o, r) = (self.orig.state, self.resp.state);
        let done = |s: TcpState| matches!(s, Closed | TimeWait);
        if o == SynSent && self.resp.pkts == 0 {
            class::SYN
        } else if self.orig.has(SENT_RST) || self.resp.has(SENT_RST) || (done(o) && done(r)) {
            class::CLOSED
        } else if o == Established && r == Established {
            class::OPEN
        } else {
            class::HALF_OPEN
        }
    }
}

/// Timeout classes: each has its own idle timeout and recency list in the flow table.
pub mod class {
    /// Only SYNs from the originator, nothing back.
    pub const SYN: u8 = 0;
    /// Handshake incomplete, or one side closed and the other not yet.
    pub const HALF_OPEN: u8 = 1;
    /// Both sides established.
    pub const OPEN: u8 = 2;
    /// Closed by RST or by FINs both ways: TIME_WAIT runs.
    pub const CLOSED: u8 = 3;
    /// A UDP flow.
    pub const UDP: u8 = 4;
}

#[cfg(test)]
mod test {
    use super::*;
    use TcpState::*;

    const S: u8 = SYN;
    const SA: u8 = SYN | ACK;
    const A: u8 = ACK;
    const FA: u8 = FIN | ACK;
    const R: u8 = RST;
    const RA: u8 = RST | ACK;
    const PA: u8 = crate::decode::tcpflag::PSH | ACK;

    /// A scripted exchange between an originator (ISN 1000) and a responder (ISN 5000).
    struct Script {
        c: Option<Conn>,
        t: i64,
        seq: [u32; 2],
        ack: [u32; 2],
    }

    impl Script {
        fn new() -> Self {
            Script { c: None, t: 0, seq: [1000, 5000], ack: [0, 0] }
        }

        /// Sends from `resp` with flags and payload; returns the conn after it.
        fn send(&mut self, resp: bool, flags: u8, len: u32) -> &Conn {
            let i = resp as usize;
            self.t += 1_000_000;
            let seg = Seg { flags, seq: self.seq[i], ack: self.ack[i], len, window: 1000, ip_len: 40 + len, frame_len: 54 + len };
            let adv = len + (flags & SYN != 0) as u32 + (flags & FIN != 0) as u32;
            self.seq[i] = self.seq[i].wrapping_add(adv);
            self.ack[1 - i] = self.seq[i];
            match &mut self.c {
                None => {
                    let (mut c, sender_is_orig) = Conn::new_tcp(&seg, self.t, true);
                    assert_eq!(sender_is_orig, !resp);
                    c.segment(resp, &seg, self.t);
                    self.c = Some(c);
                }
                Some(c) => c.segment(resp, &seg, self.t),
            }
            self.c.as_ref().unwrap()
        }

        /// Sends a segment with an explicit ack number (for crossing FINs).
        fn send_ack(&mut self, resp: bool, flags: u8, ack: u32) -> &Conn {
            let i = resp as usize;
            self.ack[i] = ack;
            self.send(resp, flags, 0)
        }

        fn states(&self) -> (TcpState, TcpState) {
            let c = self.c.as_ref().unwrap();
            (c.orig.state, c.resp.state)
        }

        fn zeek(&self) -> (ConnState, String) {
            let c = self.c.as_ref().unwrap();
            (c.conn_state(), c.history())
        }

        fn handshake(&mut self) {
            self.send(false, S, 0);
            self.send(true, SA, 0);
            self.send(false, A, 0);
        }

        fn path(&self, resp: bool) -> Vec<TcpState> {
            let c = self.c.as_ref().unwrap();
            let mut v = vec![];
            for (_, r, from, to) in c.timeline.as_ref().unwrap().iter() {
                if *r == resp {
                    if v.is_empty() {
                        v.push(*from);
                    }
                    v.push(*to);
                }
            }
            v
        }
    }

    #[test]
    fn handshake_states_and_rtt() {
        let mut s = Script::new();
        s.send(false, S, 0);
        assert_eq!(s.states(), (SynSent, Closed));
        assert_eq!(s.zeek().0, ConnState::S0);
        s.send(true, SA, 0);
        assert_eq!(s.states(), (Established, SynRcvd));
        s.send(false, A, 0);
        assert_eq!(s.states(), (Established, Established));
        assert_eq!(s.zeek(), (ConnState::S1, "ShA".to_string()));
        assert_eq!(s.c.as_ref().unwrap().handshake_rtt(), (Some(0.001), Some(0.001)));
    }

    #[test]
    fn originator_closes_first() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 10);
        s.send(true, PA, 20);
        s.send(false, FA, 0);
        assert_eq!(s.states(), (FinWait1, Established));
        assert_eq!(s.zeek().0, ConnState::S2);
        s.send(true, A, 0);
        assert_eq!(s.states(), (FinWait2, CloseWait));
        s.send(true, FA, 0);
        assert_eq!(s.states(), (TimeWait, LastAck));
        s.send(false, A, 0);
        assert_eq!(s.states(), (TimeWait, Closed));
        assert_eq!(s.zeek(), (ConnState::SF, "ShADdFaf".to_string()));
        assert_eq!(s.path(false), vec![Closed, SynSent, Established, FinWait1, FinWait2, TimeWait]);
        assert_eq!(s.path(true), vec![Closed, SynRcvd, Established, CloseWait, LastAck, Closed]);
        let c = s.c.as_mut().unwrap();
        assert_eq!((c.orig.bytes, c.resp.bytes, c.orig.pkts, c.resp.pkts), (10, 20, 5, 4));
        assert_eq!(c.class(), class::CLOSED);
        c.time_wait_over(99);
        assert_eq!((c.orig.state, c.resp.state), (Closed, Closed));
    }

    #[test]
    fn responder_closes_first_three_way() {
        let mut s = Script::new();
        s.handshake();
        s.send(true, FA, 0);
        assert_eq!(s.zeek().0, ConnState::S3);
        // The originator's FIN carries the ACK of the responder's FIN.
        s.send(false, FA, 0);
        assert_eq!(s.states(), (LastAck, TimeWait));
        s.send(true, A, 0);
        assert_eq!(s.states(), (Closed, TimeWait));
        assert_eq!(s.path(false), vec![Closed, SynSent, Established, CloseWait, LastAck, Closed]);
        assert_eq!(s.path(true), vec![Closed, SynRcvd, Established, FinWait1, FinWait2, TimeWait]);
        assert_eq!(s.zeek(), (ConnState::SF, "ShAfFa".to_string()));
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        let mut s = Script::new();
        s.handshake();
        let (o_fin_ack, r_fin_ack) = (s.ack[0], s.ack[1]);
        s.send_ack(false, FA, o_fin_ack);
        // The responder's FIN crossed: it does not acknowledge the originator's FIN.
        s.send_ack(true, FA, r_fin_ack);
        assert_eq!(s.states(), (Closing, Closing));
        s.send(false, A, 0);
        s.send(true, A, 0);
        assert_eq!(s.states(), (TimeWait, TimeWait));
        for end in [false, true] {
            assert_eq!(s.path(end).get(3..), Some(&[FinWait1, Closing, TimeWait][..]));
        }
        assert_eq!(s.zeek().0, ConnState::SF);
    }

    #[test]
    fn simultaneous_open() {
        let mut s = Script::new();
        s.send(false, S, 0);
        // The other side's SYN crosses the first one.
        s.ack[1] = 0;
        let seg = Seg { flags: S, seq: 5000, ack: 0, len: 0, window: 100, ip_len: 40, frame_len: 54 };
        s.seq[1] = 5001;
        s.ack[0] = 5001;
        s.t += 1;
        s.c.as_mut().unwrap().segment(true, &seg, s.t);
        assert_eq!(s.states(), (SynSent, SynSent));
        // Each answers with SYN-ACK (same ISN), acknowledging the other's SYN.
        let sa_o = Seg { flags: SA, seq: 1000, ack: 5001, ..seg };
        let sa_r = Seg { flags: SA, seq: 5000, ack: 1001, ..seg };
        s.c.as_mut().unwrap().segment(false, &sa_o, s.t + 1);
        assert_eq!(s.states(), (SynRcvd, Established));
        s.c.as_mut().unwrap().segment(true, &sa_r, s.t + 2);
        assert_eq!(s.states(), (Established, Established));
        assert_eq!(s.path(false), vec![Closed, SynSent, SynRcvd, Established]);
        assert_eq!(s.path(true), vec![Closed, SynSent, Established]);
        assert_eq!(s.zeek(), (ConnState::S1, "SsHh".to_string()));
    }

    #[test]
    fn refused_is_rej() {
        let mut s = Script::new();
        s.send(false, S, 0);
        s.send(true, RA, 0);
        assert_eq!(s.states(), (Closed, Closed));
        assert_eq!(s.zeek(), (ConnState::REJ, "Sr".to_string()));
        assert_eq!(s.c.as_ref().unwrap().class(), class::CLOSED);
    }

    #[test]
    fn resets_after_establishment() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 5);
        s.send(false, R, 0);
        assert_eq!(s.zeek(), (ConnState::RSTO, "ShADR".to_string()));
        let mut s = Script::new();
        s.handshake();
        s.send(true, RA, 0);
        assert_eq!(s.zeek(), (ConnState::RSTR, "ShAr".to_string()));
    }

    #[test]
    fn originator_syn_then_rst_is_rstos0() {
        let mut s = Script::new();
        s.send(false, S, 0);
        s.send(false, R, 0);
        assert_eq!(s.zeek(), (ConnState::RSTOS0, "SR".to_string()));
        assert_eq!(s.states(), (Closed, Closed));
    }

    #[test]
    fn synack_first_is_flipped() {
        let mut s = Script::new();
        s.seq = [1001, 5000];
        s.ack = [0, 1001];
        s.send(true, SA, 0);
        assert_eq!(s.states(), (Established, SynRcvd));
        s.send(true, RA, 0);
        assert_eq!(s.zeek(), (ConnState::RSTRH, "^hr".to_string()));
        let mut s = Script::new();
        s.seq = [1001, 5000];
        s.ack = [0, 1001];
        s.send(true, SA, 0);
        s.send(true, FA, 0);
        assert_eq!(s.zeek(), (ConnState::SHR, "^hf".to_string()));
    }

    #[test]
    fn syn_then_fin_is_sh() {
        let mut s = Script::new();
        s.send(false, S, 0);
        s.send(false, FA, 0);
        assert_eq!(s.zeek(), (ConnState::SH, "SF".to_string()));
    }

    #[test]
    fn mid_stream_is_oth_and_partial() {
        let mut s = Script::new();
        s.send(false, PA, 100);
        assert!(s.c.as_ref().unwrap().mid_stream());
        assert_eq!(s.states(), (Established, Established));
        s.send(true, A, 0);
        assert_eq!(s.zeek(), (ConnState::OTH, "Da".to_string()));
        s.send(false, FA, 0);
        s.send(true, FA, 0);
        s.send(false, A, 0);
        assert_eq!(s.states(), (TimeWait, Closed));
        assert_eq!(s.zeek().0, ConnState::SF);
        // Mid-stream, a FIN from one side only: the other is "partial", so SH.
        let mut s = Script::new();
        s.send(false, PA, 100);
        s.send(false, FA, 0);
        assert_eq!(s.zeek().0, ConnState::SH);
        // And an originator RST with a silent responder is OTH.
        let mut s = Script::new();
        s.send(false, PA, 100);
        s.send(false, R, 0);
        assert_eq!(s.zeek().0, ConnState::OTH);
    }

    #[test]
    fn retransmissions_are_counted_once_per_range() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 100);
        // Resend the same 100 bytes.
        s.seq[0] -= 100;
        s.send(false, PA, 100);
        s.seq[0] -= 100;
        s.send(false, PA, 100);
        let c = s.c.as_ref().unwrap();
        assert_eq!((c.orig.retrans, c.orig.bytes, c.orig.pkts), (2, 100, 5));
        assert_eq!(c.history(), "ShADT");
        // A retransmitted SYN is a retransmission, not a new S.
        let mut s = Script::new();
        s.send(false, S, 0);
        s.seq[0] = 1000;
        s.send(false, S, 0);
        assert_eq!((s.zeek().1.as_str(), s.c.as_ref().unwrap().orig.retrans), ("ST", 1));
    }

    #[test]
    fn zero_window_and_gap_letters() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 10);
        s.seq[0] += 50; // a hole of 50 bytes
        s.send(false, PA, 10);
        let seg = Seg { flags: A, seq: s.seq[1], ack: s.seq[0], len: 0, window: 0, ip_len: 40, frame_len: 54 };
        s.c.as_mut().unwrap().segment(true, &seg, 10);
        assert_eq!(s.zeek().1, "ShADGaw");
    }

    #[test]
    fn reuse_needs_a_closed_connection_and_a_new_isn() {
        let mut s = Script::new();
        s.send(false, S, 0);
        let retrans = Seg { flags: S, seq: 1000, ..Seg::default() };
        assert!(!s.c.as_ref().unwrap().reused_by(false, &retrans));
        s.send(true, RA, 0);
        assert!(!s.c.as_ref().unwrap().reused_by(false, &retrans), "same ISN: a retransmission");
        let fresh = Seg { flags: S, seq: 777, ..Seg::default() };
        assert!(s.c.as_ref().unwrap().reused_by(false, &fresh));
        // An unanswered attempt followed by a SYN with a new ISN: a new attempt.
        let mut s = Script::new();
        s.send(false, S, 0);
        assert!(s.c.as_ref().unwrap().reused_by(false, &fresh));
        // Once answered and open, a stray SYN is part of the connection.
        s.send(true, SA, 0);
        s.send(false, A, 0);
        assert!(!s.c.as_ref().unwrap().reused_by(false, &fresh));
    }

    #[test]
    fn tracked_state_is_small() {
        // The per-connection cost the table pays (plus the key, links and a hash slot).
        assert!(std::mem::size_of::<Conn>() <= 160, "Conn is {} bytes", std::mem::size_of::<Conn>());
    }
}

