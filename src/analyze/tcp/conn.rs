//! TCP connection state, per endpoint, as an observer on the wire infers it, and as Zeek keeps
//! it for its conn.log.
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
//! TIME_WAIT on both sides, as RFC 793 has it.
//!
//! Beside them each endpoint keeps Zeek's coarser state, moved by Zeek's rules
//! (`UpdateStateMachine` in `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`), from
//! which `conn_state` follows ([`super::zeek::conn_state`]); the history letters, retransmissions
//! (`update_history`, `update_last_seq`, `TCP_Endpoint::DidRxmit`), the originator and its `^`
//! flips and the reuse of a four-tuple by a new connection (`IsReuse`) follow Zeek's rules too.
//! The tests beside the code pin each rule down.

use super::endpoint::*;
use super::zeek::{conn_state, udp_conn_state, ZState};
use crate::decode::tcpflag::{ACK, FIN, RST, SYN};
use crate::decode::Seg;
use crate::report::conn::{ConnState, TcpState, Transition};

/// Longest history kept; later letters are dropped (Zeek's rules keep real histories short).
pub const HISTORY_MAX: usize = 14;

/// One recorded state change: time (ns), whether it is the responder's, from, to.
pub type Step = (i64, bool, TcpState, TcpState);

/// What a tracked flow carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// A TCP connection.
    #[default]
    Tcp,
    /// A UDP flow.
    Udp,
    /// ICMP messages between two hosts, as Zeek pairs them.
    Icmp,
}

/// A sequence-space jump Zeek does not believe of a SYN or RST (`TOO_LARGE_SEQ_DELTA`).
const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

/// Service bit: DNS messages were seen on it.
pub const SERVICE_DNS: u8 = 1;
/// Service bit: DHCP messages were seen on it.
pub const SERVICE_DHCP: u8 = 2;
/// Service bit: its content was HTTP.
pub const SERVICE_HTTP: u8 = 4;
/// Service bit: its content was TLS (Zeek's `ssl`).
pub const SERVICE_SSL: u8 = 8;

/// Zeek's `service` of each set of service bits, the names in Zeek's (sorted) order.
const SERVICE_NAMES: [&str; 16] = [
    "",
    "dns",
    "dhcp",
    "dhcp,dns",
    "http",
    "dns,http",
    "dhcp,http",
    "dhcp,dns,http",
    "ssl",
    "dns,ssl",
    "dhcp,ssl",
    "dhcp,dns,ssl",
    "http,ssl",
    "dns,http,ssl",
    "dhcp,http,ssl",
    "dhcp,dns,http,ssl",
];

/// Zeek's `service` of a connection's service bits (`dns`, `http`, `dhcp,dns`, ...), or None.
pub fn service_name(bits: u8) -> Option<&'static str> {
    SERVICE_NAMES.get(usize::from(bits & 15)).copied().filter(|s| !s.is_empty())
}

/// One tracked connection (TCP) or flow (UDP, ICMP): both endpoints and the connection's history.
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
    /// µs from the start to the packet that completed the close as Zeek sees it (u32::MAX: not
    /// closed): see [`Conn::zeek_end_ns`].
    close_us: u32,
    hist: [u8; HISTORY_MAX],
    hist_len: u8,
    cflags: u8,
    /// What the application layer found it carries (Zeek's `service`): [`SERVICE_DNS`],
    /// [`SERVICE_DHCP`], [`SERVICE_HTTP`], [`SERVICE_SSL`].
    pub service: u8,
    /// Whether endpoint `a` of the flow key is the originator.
    pub orig_is_a: bool,
    /// What the flow carries.
    pub kind: Kind,
    /// Bytes of content gaps, both ways (Zeek's `missed_bytes`; saturates at 4 GiB).
    pub missed: u32,
    /// State changes, kept only when asked for (`-V`).
    pub timeline: Option<Box<Vec<Step>>>,
    /// Both directions' byte streams, when they are reassembled (`--reassemble`).
    pub streams: Option<Box<crate::analyze::stream::Streams>>,
}

fn us_since(start: i64, now: i64) -> u32 {
    (now.saturating_sub(start).max(0) / 1000).min(u32::MAX as i64 - 1) as u32
}

impl Conn {
    fn blank(kind: Kind, now_ns: i64, timeline: bool) -> Conn {
        Conn {
            start_ns: now_ns,
            synack_us: u32::MAX,
            ack_us: u32::MAX,
            syn_us: u32::MAX,
            close_us: u32::MAX,
            kind,
            timeline: if timeline { Some(Box::default()) } else { None },
            ..Conn::default()
        }
    }

    /// A new TCP connection whose first packet is `seg`, its sender the responder when `flip`
    /// (Zeek's choice, [`super::zeek::flip_first`]); returns it and whether the sender of `seg`
    /// is the originator.
    pub fn new_tcp(seg: &Seg, now_ns: i64, timeline: bool, flip: bool) -> (Conn, bool) {
        let mut c = Conn::blank(Kind::Tcp, now_ns, timeline);
        if flip {
            c.cflags |= FLIPPED;
            c.push_hist(b'^');
        }
        let sender_is_orig = !flip;
        let syn = seg.flags & SYN != 0;
        let ack = seg.flags & ACK != 0;
        if syn && ack {
            // The SYN was missed: the SYN-ACK's receiver sent it and is in SYN_SENT.
            let receiver_is_resp = sender_is_orig;
            let r = c.end_mut(receiver_is_resp);
            r.flags |= SYN_KNOWN;
            r.syn_seq = seg.ack.wrapping_sub(1);
            c.set_state(receiver_is_resp, TcpState::SynSent, now_ns);
        } else if !syn {
            // Mid-stream: both sides are assumed open already.
            c.cflags |= MID_STREAM;
            c.set_state(false, TcpState::Established, now_ns);
            c.set_state(true, TcpState::Established, now_ns);
        }
        (c, sender_is_orig)
    }

    /// A new UDP flow; its first sender is the originator unless `flip` (Zeek's choice).
    pub fn new_udp(now_ns: i64, flip: bool) -> Conn {
        let mut c = Conn::blank(Kind::Udp, now_ns, false);
        if flip {
            c.cflags |= FLIPPED;
            c.push_hist(b'^');
        }
        c
    }

    /// A new ICMP flow; its first sender is the originator.
    pub fn new_icmp(now_ns: i64) -> Conn {
        Conn::blank(Kind::Icmp, now_ns, false)
    }

    /// Whether no SYN opened this connection (it was open when the capture began).
    pub fn mid_stream(&self) -> bool {
        self.cflags & MID_STREAM != 0
    }

    /// Whether the application layer has given up on this connection's bytes (they start no
    /// protocol it reads, or it has read all it wants).
    pub fn app_off(&self) -> bool {
        self.cflags & super::endpoint::APP_OFF != 0
    }

    /// The application layer reads no more of this connection's bytes.
    pub fn set_app_off(&mut self) {
        self.cflags |= super::endpoint::APP_OFF;
    }

    /// The content showed service `name` (`http`, `ssl` or `dns`).
    pub fn set_service(&mut self, name: &str) {
        self.service |= match name {
            "http" => SERVICE_HTTP,
            "ssl" => SERVICE_SSL,
            "dns" => SERVICE_DNS,
            _ => 0,
        };
    }

    /// Takes back a service the bytes broke after confirming it (Zeek's `analyzer_failed`).
    pub fn clear_service(&mut self, name: &str) {
        if name == "ssl" {
            self.service &= !SERVICE_SSL;
        }
    }

    fn push_hist(&mut self, c: u8) {
        if let Some(slot) = self.hist.get_mut(self.hist_len as usize) {
            *slot = c;
            self.hist_len += 1;
        }
    }

    /// Whether `seg` is a SYN (or SYN-ACK) with the sequence number of the one its sender's end
    /// of this connection sent.
    pub fn repeats_syn(&self, seg: &Seg) -> bool {
        let e = if seg.flags & ACK != 0 { &self.resp } else { &self.orig };
        seg.flags & SYN != 0 && e.has(SYN_KNOWN) && e.syn_seq == seg.seq
    }

    /// Whether the last segment repeated sequence space its sender had sent.
    pub fn last_was_retransmission(&self) -> bool {
        self.cflags & LAST_RETRANS != 0
    }

    /// Zeek's history letters.
    pub fn hist_bytes(&self) -> &[u8] {
        self.hist.get(..self.hist_len as usize).unwrap_or_default()
    }

    /// Zeek's history string.
    pub fn history(&self) -> String {
        String::from_utf8_lossy(self.hist_bytes()).into_owned()
    }

    fn end_mut(&mut self, resp: bool) -> &mut Endpoint {
        if resp { &mut self.resp } else { &mut self.orig }
    }

    fn end(&self, resp: bool) -> &Endpoint {
        if resp { &self.resp } else { &self.orig }
    }

    fn set_state(&mut self, resp: bool, to: TcpState, now_ns: i64) {
        let e = self.end_mut(resp);
        let from = e.state;
        if from == to {
            return;
        }
        e.state = to;
        if let Some(t) = self.timeline.as_mut() {
            // Bounded: a pathological connection cannot grow its timeline without limit.
            if t.len() < 64 {
                t.push((now_ns, resp, from, to));
            }
        }
    }

    /// Records a letter, upper case for the originator.
    fn letter(&mut self, from_resp: bool, upper: u8) {
        let c = if from_resp { upper.to_ascii_lowercase() } else { upper };
        self.push_hist(c);
    }

    /// Records a letter the first time its mask is seen from this side (Zeek's `CheckHistory`);
    /// returns whether it had been seen before.
    fn once(&mut self, from_resp: bool, mask: u8, upper: u8) -> bool {
        let e = self.end_mut(from_resp);
        if e.hist & mask != 0 {
            return true;
        }
        e.hist |= mask;
        self.letter(from_resp, upper);
        false
    }

    /// Records a letter for the `n`-th occurrence of a counted event: at 1, 10, 100, ...
    /// (Zeek's `ScaledHistoryEntry`).
    fn log_letter(&mut self, from_resp: bool, upper: u8, n: u32) {
        if n == 1 || n == 10 || n == 100 || n == 1000 || n == 10_000 || n == 100_000 {
            self.letter(from_resp, upper);
        }
    }

    /// Whether Zeek counts the connection closed in some sense: either end sent a FIN or a RST
    /// (`TCPSessionAdapter::IsClosed`).
    fn is_closed(&self) -> bool {
        self.orig.did_close() || self.resp.did_close()
    }

    /// Whether `seg` starts a new connection on these ports, by Zeek's rule
    /// (`TCPSessionAdapter::IsReuse`): only a SYN (or, when the originator has sent nothing, a
    /// SYN-ACK) can; once either end has closed with a FIN or a RST any such SYN does; while
    /// open, one whose sequence number is not the originator's ISN (not a retransmission), unless
    /// it is the SYN of a handshake whose SYN-ACK came first.
    pub fn reused_by(&self, seg: &Seg) -> bool {
        if self.kind != Kind::Tcp || seg.flags & SYN == 0 {
            return false;
        }
        let ack = seg.flags & ACK != 0;
        let conn_orig = if ack {
            if self.orig.z() != ZState::Inactive {
                return false;
            }
            &self.resp
        } else {
            &self.orig
        };
        if self.is_closed() {
            return true;
        }
        if seg.seq == conn_orig.syn_seq {
            return false;
        }
        let reordered_handshake = !ack
            && conn_orig.z() == ZState::SynAckSent
            && self.resp.z() == ZState::Inactive
            && seg.seq == self.resp.syn_seq;
        !reordered_handshake
    }

    /// Applies one packet of this flow, sent by the responder (`from_resp`) or the originator.
    pub fn packet(&mut self, from_resp: bool, seg: &Seg, now_ns: i64) {
        match self.kind {
            Kind::Tcp => self.segment(from_resp, seg, now_ns),
            Kind::Udp => self.udp_datagram(from_resp, seg),
            Kind::Icmp => self.icmp_message(from_resp, seg),
        }
    }

    /// Applies one UDP datagram: Zeek notes `D` (`d`) once for a datagram from the originator
    /// (responder), whatever its length.
    pub fn udp_datagram(&mut self, from_resp: bool, seg: &Seg) {
        self.count(from_resp, seg);
        self.end_mut(from_resp).bytes += seg.len as u64;
        self.once(from_resp, H_DATA, b'D');
    }

    /// A TCP segment or UDP datagram whose checksum is bad: Zeek notes `C` (`c` from the
    /// responder; scaled as `T` is, at the 1st, 10th, 100th...) and otherwise ignores it, so it
    /// is neither counted nor reassembled.
    pub fn bad_checksum(&mut self, from_resp: bool) {
        let n = {
            let e = self.end_mut(from_resp);
            e.bad_checksums = e.bad_checksums.saturating_add(1);
            u32::from(e.bad_checksums)
        };
        self.log_letter(from_resp, b'C', n);
    }

    /// Applies one ICMP message: counted, with no history (Zeek keeps none for ICMP).
    pub fn icmp_message(&mut self, from_resp: bool, seg: &Seg) {
        self.count(from_resp, seg);
        self.end_mut(from_resp).bytes += seg.len as u64;
    }

    fn count(&mut self, from_resp: bool, seg: &Seg) {
        let e = self.end_mut(from_resp);
        e.pkts = e.pkts.saturating_add(1);
        e.ip_bytes += seg.ip_len as u64;
        e.frame_bytes += seg.frame_len as u64;
    }

    /// Swaps the roles (Zeek's `FlipRoles`): the originator becomes the responder. Zeek notes
    /// `^`; `as_if_first` writes the history as if the flip had come with the first packet
    /// (`^`, then the letters so far with their case swapped).
    fn flip(&mut self, as_if_first: bool) {
        std::mem::swap(&mut self.orig, &mut self.resp);
        self.orig_is_a = !self.orig_is_a;
        self.cflags |= FLIPPED;
        if let Some(t) = self.timeline.as_mut() {
            for step in t.iter_mut() {
                step.1 = !step.1;
            }
        }
        if as_if_first {
            // The SYN-ACK's sender, now the responder, is where Zeek leaves a responder whose
            // SYN-ACK came first: established (`UpdateInactiveState`).
            if self.resp.z() == ZState::SynAckSent {
                self.resp.zprev = ZState::Inactive;
                self.resp.zs = ZState::Established;
            }
            let n = (self.hist_len as usize).min(HISTORY_MAX - 1);
            self.hist.copy_within(0..n, 1);
            self.hist[0] = b'^';
            for c in self.hist.iter_mut().take(n + 1).skip(1) {
                *c = if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() };
            }
            self.hist_len = (n + 1) as u8;
        } else {
            self.push_hist(b'^');
        }
        // Both flips come to a connection that began with the new responder's SYN-ACK.
        if self.synack_us == u32::MAX && self.resp.has(SENT_SYNACK) {
            self.synack_us = 0;
        }
    }

    /// A DNS message of this connection, sent by its originator (`from_orig`), a response when
    /// `response` (the QR bit). Zeek's DNS analyzer (`DNS_Interpreter::ParseMessage`) flips the
    /// roles (`^`) when the first message it reads is a response from the originator, unless
    /// the responder's address is multicast.
    pub fn dns_message(&mut self, from_orig: bool, response: bool, resp_multicast: bool) {
        if self.cflags & DNS_SEEN != 0 {
            return;
        }
        self.cflags |= DNS_SEEN;
        if from_orig && response && !resp_multicast {
            self.flip(false);
        }
    }

    /// Whether `seg` makes Zeek flip a connection that began with a SYN-ACK from the side it made
    /// the originator: an ACK or data, either way, before anything else (zeek/zeek#2191: a scan
    /// elicits RSTs or nothing, never these).
    fn flips_synack_start(&self, seg: &Seg) -> bool {
        self.kind == Kind::Tcp
            && self.orig.z() == ZState::SynAckSent
            && self.resp.z() == ZState::Inactive
            && seg.flags & (SYN | RST) == 0
            && (seg.flags & ACK != 0 || seg.len > 0)
    }

    /// Applies one TCP segment sent by the responder (`from_resp`) or the originator.
    pub fn segment(&mut self, from_resp: bool, seg: &Seg, now_ns: i64) {
        let mut from_resp = from_resp;
        if self.flips_synack_start(seg) {
            self.flip(true);
            from_resp = !from_resp;
        }
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        let sender_first = self.end_mut(from_resp).pkts == 0;

        // Sequence bookkeeping for bytes and gaps, per direction: payload is counted once.
        let seg_len = seg.len.wrapping_add(syn as u32).wrapping_add(fin as u32);
        let end = seg.seq.wrapping_add(seg_len);
        let mut seen = false;
        {
            let e = self.end_mut(from_resp);
            if sender_first || (syn && !e.has(SYN_KNOWN)) {
                e.next_seq = end;
            } else if (seg.len > 0 || fin || (syn && e.has(if ack { SENT_SYNACK } else { SENT_SYN }))) && !rst {
                if seq_ge(e.next_seq, end) {
                    seen = true;
                } else {
                    e.next_seq = end;
                }
            }
            e.pkts = e.pkts.saturating_add(1);
            e.ip_bytes += seg.ip_len as u64;
            e.frame_bytes += seg.frame_len as u64;
            if !seen {
                e.bytes += seg.len as u64;
            }
        }

        if seen {
            self.cflags |= LAST_RETRANS;
        } else {
            self.cflags &= !LAST_RETRANS;
        }
        // Zeek's view, in its order (`TCPSessionAdapter::Process`): history letters, zero
        // window, retransmission, its state machine (which may flip the roles), then the gaps
        // this segment's ACK reveals in the peer's stream, then this segment's payload into
        // the sender's stream.
        self.history_letters(from_resp, seg);
        let (me, peer) = (self.end(from_resp), self.end(!from_resp));
        if seg.window == 0 && !rst && peer.z() != ZState::Closed && me.z() != ZState::Reset {
            let n = {
                let e = self.end_mut(from_resp);
                e.zero_win = e.zero_win.saturating_add(1);
                e.zero_win as u32
            };
            self.log_letter(from_resp, b'W', n);
        }
        if self.zeek_sequence(from_resp, seg) {
            let n = {
                let e = self.end_mut(from_resp);
                e.retrans = e.retrans.saturating_add(1);
                e.retrans
            };
            self.log_letter(from_resp, b'T', n);
        }
        if self.zeek_states(from_resp, seg) {
            from_resp = !from_resp;
        }
        if ack {
            self.content_gaps(from_resp, seg.ack);
        }
        if seg.len > 0 && !rst {
            let start = seg.seq.wrapping_add(syn as u32);
            self.end_mut(from_resp).stream_data(start, start.wrapping_add(seg.len));
        }

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

        // Zeek's `ConnectionClosed` runs at an end's first FIN or RST only.
        let first_close = (fin || rst) && !self.end(from_resp).did_close();
        // Remember what this side sent, for the rules above and for Zeek's view.
        let e = self.end_mut(from_resp);
        if syn {
            e.flags |= SYN_KNOWN | if ack { SENT_SYNACK } else { SENT_SYN };
            e.syn_seq = seg.seq;
        }
        if fin {
            e.flags |= SENT_FIN;
            e.fin_seq = seg.seq.wrapping_add(seg.len).wrapping_add(syn as u32);
        }
        if rst {
            e.flags |= SENT_RST;
            e.rst_seq = seg.seq;
        }
        if first_close && self.close_us == u32::MAX && self.zeek_close_complete(from_resp, rst) {
            self.close_us = now_us;
        }
    }

    /// Zeek's history letters for one segment (`update_history`): a packet with two of SYN, FIN
    /// and RST is `I` (FIN and RST) or `Q`, once; one with one of them is `S`/`H`, `F` or `R`,
    /// the latter two again for a new sequence number; one with none is `D` with payload, else
    /// `A` with an ACK, each once. A SYN with a new sequence number either starts a new
    /// connection ([`Conn::reused_by`]) or re-bases its endpoint, so `S` and `H` come once.
    fn history_letters(&mut self, from_resp: bool, seg: &Seg) {
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        let (fin_seq, rst_seq) = (self.end(from_resp).fin_seq, self.end(from_resp).rst_seq);
        match syn as u8 + fin as u8 + rst as u8 {
            0 if seg.len > 0 => {
                self.once(from_resp, H_DATA, b'D');
            }
            0 if ack => {
                self.once(from_resp, H_ACK, b'A');
            }
            0 => {}
            1 if syn => {
                self.once(from_resp, H_SYN, if ack { b'H' } else { b'S' });
            }
            1 if fin => {
                if self.once(from_resp, H_FIN, b'F') && fin_seq != seg.seq.wrapping_add(seg.len) {
                    self.letter(from_resp, b'F');
                }
            }
            1 => {
                if self.once(from_resp, H_RST, b'R') && rst_seq != seg.seq {
                    self.letter(from_resp, b'R');
                }
            }
            _ if fin && rst => {
                self.once(from_resp, H_FIN_RST, b'I');
            }
            _ => {
                self.once(from_resp, H_MULTI, b'Q');
            }
        }
    }

    /// The content gaps an ACK from `from_resp`'s side reveals in its peer's stream: bytes the
    /// peer sent that were never seen but are acknowledged (`TCP_Reassembler::AckReceived`,
    /// `Undelivered`, `Gap`). Zeek counts them in `missed_bytes` and notes `G`/`g` (scaled, as
    /// for retransmissions) only while both ends are established or closed from there; an ACK
    /// of at most the first byte of a connection picked up mid-stream is no gap.
    fn content_gaps(&mut self, from_resp: bool, ack: u32) {
        let data_resp = !from_resp;
        let peer = self.end(data_resp);
        if self.mid_stream() && ack.wrapping_sub(peer.syn_seq) <= 2 {
            return;
        }
        let (n, bytes) = self.end_mut(data_resp).stream_acked(ack);
        if n == 0 || !(self.orig.clean() && self.resp.clean()) {
            return;
        }
        self.missed = self.missed.saturating_add(u32::try_from(bytes).unwrap_or(u32::MAX));
        for _ in 0..n {
            let count = {
                let e = self.end_mut(data_resp);
                e.gaps = e.gaps.saturating_add(1);
                e.gaps as u32
            };
            self.log_letter(data_resp, b'G', count);
        }
    }

    /// Zeek's sequence bookkeeping of the sender (`init_endpoint`, `init_peer`,
    /// `update_last_seq`); returns whether the segment is a retransmission: its payload ends
    /// at or before the highest end seen, so all of it was seen already.
    fn zeek_sequence(&mut self, from_resp: bool, seg: &Seg) -> bool {
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        // A RST's payload is not part of the stream.
        let seg_len = if rst { 0 } else { seg.len }.wrapping_add(syn as u32).wrapping_add(fin as u32);
        let end = seg.seq.wrapping_add(seg_len);
        if ack {
            let peer = self.end_mut(!from_resp);
            if peer.z() == ZState::Inactive {
                // Numbered as if the peer's SYN had been seen.
                peer.syn_seq = seg.ack.wrapping_sub(1);
                peer.last_seq = seg.ack.wrapping_sub(1);
                peer.start_stream(seg.ack);
            }
        }
        let e = self.end_mut(from_resp);
        let rebase = match e.z() {
            ZState::Inactive => {
                if syn {
                    e.syn_seq = seg.seq;
                    e.last_seq = end;
                } else {
                    // Numbered as if a SYN had been seen, the first segment new.
                    e.syn_seq = seg.seq.wrapping_sub(1);
                    e.last_seq = seg.seq;
                }
                e.start_stream(e.syn_seq.wrapping_add(1));
                false
            }
            ZState::SynSent | ZState::SynAckSent => syn && seg.seq != e.syn_seq,
            ZState::Established | ZState::Partial => syn,
            ZState::Reset => syn && e.z_prev() == ZState::Inactive,
            ZState::Closed => false,
        };
        if rebase {
            e.syn_seq = seg.seq;
            e.last_seq = end;
            e.start_stream(seg.seq.wrapping_add(1));
        }
        let delta = end.wrapping_sub(e.last_seq) as i32;
        if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta) {
            false
        } else if fin && e.last_seq == e.syn_seq.wrapping_add(1) {
            e.last_seq = end;
            false
        } else if e.z() == ZState::Reset {
            false
        } else if delta > 0 {
            e.last_seq = end;
            false
        } else {
            seg.len > 0
        }
    }

    /// Zeek's endpoint states after one segment (`UpdateStateMachine`); returns whether it
    /// flipped the roles (a SYN answering a SYN-ACK that came first from the originator).
    fn zeek_states(&mut self, from_resp: bool, seg: &Seg) -> bool {
        use ZState::*;
        let f = seg.flags;
        let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
        let is_orig = !from_resp;
        // The endpoints keep their roles through a flip: track them by the sender's side.
        let mut me = from_resp;
        let mut flipped = false;
        match self.end(me).z() {
            Inactive => {
                if syn {
                    if is_orig {
                        self.end_mut(me).set_z(if ack { SynAckSent } else { SynSent });
                    } else {
                        if !ack && self.end(!me).z() == SynAckSent {
                            self.flip(false);
                            flipped = true;
                            me = !me;
                            self.end_mut(!me).set_z(Established);
                        }
                        if self.end(!me).z() == SynSent {
                            self.end_mut(!me).set_z(Established);
                        }
                        self.end_mut(me).set_z(Established);
                    }
                }
                if fin {
                    self.end_mut(me).set_z(Closed);
                }
                if rst {
                    self.end_mut(me).set_z(Reset);
                }
                if self.end(me).z() == Inactive {
                    if !is_orig && seg.len == 0 && self.orig.z() == SynSent {
                        // An ACK of the SYN before the SYN-ACK: not yet a partial connection.
                    } else if ack && self.end(!me).z() == Established {
                        // The SYN was missed, the SYN-ACK seen: the handshake completes.
                        self.end_mut(me).set_z(Established);
                    } else {
                        self.end_mut(me).set_z(Partial);
                    }
                }
            }
            SynSent | SynAckSent => {
                if fin {
                    self.end_mut(me).set_z(Closed);
                }
                if rst {
                    self.end_mut(me).set_z(Reset);
                }
            }
            state @ (Established | Partial) => {
                if syn && state == Partial && self.end(!me).z() == Inactive && !ack {
                    self.end_mut(me).set_z(SynSent);
                }
                if fin && !rst {
                    self.end_mut(me).set_z(Closed);
                    // A FIN then a RST from the peer was a normal close after all.
                    let peer = self.end_mut(!me);
                    if peer.z() == Reset && peer.z_prev() == Closed {
                        peer.set_z(Closed);
                    }
                }
                if rst {
                    self.end_mut(me).set_z(Reset);
                }
            }
            Closed => {
                // A RST after both ends closed changes nothing: the close was complete.
                if rst && self.end(!me).z() != Closed {
                    self.end_mut(me).set_z(Reset);
                }
            }
            Reset => {}
        }
        flipped
    }

    /// Zeek's `conn_state` of this connection now.
    pub fn conn_state(&self) -> ConnState {
        match self.kind {
            Kind::Udp => udp_conn_state(self.orig.pkts > 0, self.resp.pkts > 0),
            Kind::Icmp => ConnState::OTH,
            Kind::Tcp => {
                let sizes_zero = self.orig.bytes == 0 && self.resp.bytes == 0;
                conn_state(self.orig.z(), self.resp.z(), sizes_zero, self.hist_bytes())
            }
        }
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

    /// Whether the first FIN or RST of one end (the responder's when `from_resp`), a RST when
    /// `rst`, completes the close as Zeek's `TCPSessionAdapter::ConnectionClosed` decides it
    /// (`close_complete`): that end was reset, or its peer closed already or never sent
    /// anything. A RST from an end whose FIN came earlier is no first close, so it completes
    /// nothing: Zeek's `ExpireTimer` ends that connection once it is idle for
    /// `tcp_connection_linger` (5 s, the closed class's timeout here).
    fn zeek_close_complete(&self, from_resp: bool, rst: bool) -> bool {
        let peer = self.end(!from_resp);
        rst || peer.did_close() || peer.z() == ZState::Inactive
    }

    /// When Zeek's TCP timers remove this connection, ns since the epoch (i64::MAX: none runs),
    /// so that a later packet on its four-tuple starts a new connection with its own uid:
    /// - `AttemptTimer`, `attempt_ns` (`tcp_attempt_delay`) after the first SYN, ends an attempt
    ///   the responder never answered (the originator still in SYN_SENT or SYN_ACK_SENT, the
    ///   responder inactive), however many SYNs came since;
    /// - `ConnDeleteTimer`, `close_ns` (`tcp_close_delay`) after the packet that completed the
    ///   close, ends it whatever comes later.
    pub fn zeek_end_ns(&self, attempt_ns: i64, close_ns: i64) -> i64 {
        if self.kind != Kind::Tcp {
            return i64::MAX;
        }
        let at = |us: u32| self.start_ns.saturating_add(us as i64 * 1000);
        let mut end = i64::MAX;
        if self.syn_us != u32::MAX
            && matches!(self.orig.z(), ZState::SynSent | ZState::SynAckSent)
            && self.resp.z() == ZState::Inactive
        {
            end = at(self.syn_us).saturating_add(attempt_ns);
        }
        if self.close_us != u32::MAX {
            end = end.min(at(self.close_us).saturating_add(close_ns));
        }
        end
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
        match self.kind {
            Kind::Udp => return class::UDP,
            Kind::Icmp => return class::ICMP,
            Kind::Tcp => {}
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
    /// An ICMP flow.
    pub const ICMP: u8 = 5;
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
        /// Whether the first packet's sender is made the responder (Zeek's port heuristic).
        flip: bool,
    }

    impl Script {
        fn new() -> Self {
            Script { c: None, t: 0, seq: [1000, 5000], ack: [0, 0], flip: false }
        }

        /// An exchange whose first packet comes from a likely server port: its sender is the
        /// responder.
        fn flipped() -> Self {
            Script { flip: true, ..Script::new() }
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
                    let (mut c, sender_is_orig) = Conn::new_tcp(&seg, self.t, true, self.flip);
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

        /// Rewinds the sender's next sequence number by `n` (to resend what it sent).
        fn rewind(&mut self, resp: bool, n: u32) {
            let i = resp as usize;
            self.seq[i] = self.seq[i].wrapping_sub(n);
        }

        fn retrans(&self) -> (u32, u32) {
            let c = self.c.as_ref().unwrap();
            (c.orig.retrans, c.resp.retrans)
        }

        /// Whether a SYN from `resp` with sequence number `seq` would start a new connection.
        fn reused(&self, flags: u8, seq: u32) -> bool {
            let seg = Seg { flags, seq, ..Seg::default() };
            self.c.as_ref().unwrap().reused_by(&seg)
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

    /// RFC 793's simultaneous open, applied to one connection; Zeek would not see it so: the
    /// second SYN is not the originator's ISN, so it starts a connection of its own
    /// (`IsReuse`), which the tracker does (`reused_by`).
    #[test]
    fn simultaneous_open() {
        let mut s = Script::new();
        s.send(false, S, 0);
        assert!(s.reused(S, 5000), "Zeek: a SYN with another ISN is a new connection");
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
        // One SYN letter per side (the SYN-ACKs carry the same ISNs: `update_history`).
        assert_eq!(s.zeek(), (ConnState::S1, "Ss".to_string()));
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

    /// A SYN-ACK first from a likely server port: Zeek makes its receiver the originator, `^`
    /// (`WantConnection`); its RST then is RSTRH and its FIN SHR (`conn_state`).
    #[test]
    fn synack_first_from_a_server_port_is_flipped() {
        let mut s = Script::flipped();
        s.seq = [1001, 5000];
        s.ack = [0, 1001];
        s.send(true, SA, 0);
        assert_eq!(s.states(), (Established, SynRcvd));
        s.send(true, RA, 0);
        assert_eq!(s.zeek(), (ConnState::RSTRH, "^hr".to_string()));
        let mut s = Script::flipped();
        s.seq = [1001, 5000];
        s.ack = [0, 1001];
        s.send(true, SA, 0);
        s.send(true, FA, 0);
        assert_eq!(s.zeek(), (ConnState::SHR, "^hf".to_string()));
    }

    /// Two hosts exchanging segments on one connection, as the tracker feeds it: each packet's
    /// side follows from which host sent it and which host is the originator now.
    struct Hosts {
        c: Conn,
        t: i64,
        /// Whether host `a` is the originator.
        a_orig: bool,
    }

    impl Hosts {
        /// The connection of a first segment from host `a`.
        fn new(flags: u8, seq: u32, ack: u32, flip: bool) -> Hosts {
            let seg = Seg { flags, seq, ack, window: 1000, ip_len: 40, frame_len: 54, ..Seg::default() };
            let (mut c, a_orig) = Conn::new_tcp(&seg, 0, true, flip);
            c.orig_is_a = a_orig;
            c.segment(!a_orig, &seg, 0);
            Hosts { c, t: 0, a_orig }
        }

        fn send(&mut self, from_a: bool, flags: u8, seq: u32, ack: u32, len: u32) -> &Conn {
            self.t += 1_000_000;
            let seg = Seg { flags, seq, ack, len, window: 1000, ip_len: 40 + len, frame_len: 54 + len };
            let from_resp = from_a != self.c.orig_is_a;
            assert!(!self.c.reused_by(&seg), "not a new connection");
            self.c.segment(from_resp, &seg, self.t);
            self.a_orig = self.c.orig_is_a;
            &self.c
        }

        fn zeek(&self) -> (ConnState, String) {
            (self.c.conn_state(), self.c.history())
        }
    }

    /// A SYN-ACK first between ports Zeek does not flip: its sender is the originator (`H`,
    /// state SYN_ACK_SENT) until an ACK or data follows, either way, when Zeek flips the roles
    /// (zeek/zeek#2191) and the history reads as if the flip had come first: the baseline of
    /// Zeek's `core/tcp/flip-without-syn.zeek` reads `^hADadFf`.
    #[test]
    fn synack_first_then_ack_flips() {
        // Host a (ISN 5000) answers host b's unseen SYN (ISN 1000).
        let mut h = Hosts::new(SA, 5000, 1001, false);
        assert!(h.a_orig);
        assert_eq!(h.zeek(), (ConnState::OTH, "H".to_string()));
        h.send(false, A, 1001, 5001, 0);
        assert!(!h.a_orig, "the roles are swapped");
        assert_eq!(h.zeek(), (ConnState::S1, "^hA".to_string()));
        h.send(false, PA, 1001, 5001, 10);
        h.send(true, A, 5001, 1011, 0);
        h.send(true, PA, 5001, 1011, 20);
        h.send(false, A, 1011, 5021, 0);
        h.send(false, FA, 1011, 5021, 0);
        h.send(true, FA, 5021, 1012, 0);
        h.send(false, A, 1012, 5022, 0);
        assert_eq!(h.zeek(), (ConnState::SF, "^hADadFf".to_string()));
        let (o, r) = (h.c.orig.state, h.c.resp.state);
        assert_eq!((o, r), (TimeWait, Closed));
        // A RST instead of the ACK (a scan's answer): no flip.
        let mut h = Hosts::new(SA, 5000, 1001, false);
        h.send(false, R, 1001, 0, 0);
        assert_eq!(h.zeek(), (ConnState::REJ, "Hr".to_string()));
        assert!(h.a_orig);
    }

    /// The SYN after its SYN-ACK (both seen, in the wrong order): the SYN is not a new
    /// connection (`IsReuse`), and Zeek flips the roles on it, `^` after the letters so far
    /// (`UpdateInactiveState`).
    #[test]
    fn synack_then_syn_is_a_reordered_handshake() {
        let mut h = Hosts::new(SA, 5000, 1001, false);
        let seg = |seq| Seg { flags: S, seq, ..Seg::default() };
        assert!(!h.c.reused_by(&seg(1000)), "the SYN the SYN-ACK answered");
        assert!(h.c.reused_by(&seg(7777)), "another SYN");
        h.send(false, S, 1000, 0, 0);
        assert!(!h.a_orig);
        assert_eq!(h.zeek(), (ConnState::S1, "Hs^".to_string()));
        h.send(false, A, 1001, 5001, 0);
        assert_eq!(h.zeek(), (ConnState::S1, "Hs^A".to_string()));
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

    /// Zeek's retransmission (`update_last_seq`, `DidRxmit`): a segment with payload that ends
    /// at or before the highest end seen; `T` at the 1st, 10th, 100th... (`ScaledHistoryEntry`).
    #[test]
    fn retransmissions_are_segments_whose_payload_was_seen() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 100);
        // Resend the same 100 bytes, twice.
        s.rewind(false, 100);
        s.send(false, PA, 100);
        s.rewind(false, 100);
        s.send(false, PA, 100);
        let c = s.c.as_ref().unwrap();
        assert_eq!((c.orig.retrans, c.orig.bytes, c.orig.pkts), (2, 100, 5));
        assert_eq!(c.history(), "ShADT");
        // A segment reaching past what was seen is new data, even if it overlaps.
        s.rewind(false, 50);
        s.send(false, PA, 100);
        assert_eq!(s.retrans(), (2, 0));
        // Eight more resends make the tenth: a second T.
        for _ in 0..8 {
            s.rewind(false, 100);
            s.send(false, PA, 100);
        }
        assert_eq!((s.retrans(), s.zeek().1.as_str()), ((10, 0), "ShADTT"));
    }

    /// What Zeek does not count: a repeated SYN, a repeated FIN, a keep-alive (one below the next
    /// sequence number, no payload) and a duplicate ACK carry no payload, so no `T`.
    #[test]
    fn repeated_control_segments_are_not_retransmissions() {
        let mut s = Script::new();
        s.send(false, S, 0);
        s.rewind(false, 1);
        s.send(false, S, 0);
        assert_eq!((s.zeek().1.as_str(), s.retrans()), ("S", (0, 0)));
        s.send(true, SA, 0);
        s.send(false, A, 0);
        s.send(true, PA, 10);
        // Duplicate ACKs.
        s.send(false, A, 0);
        s.send(false, A, 0);
        // A keep-alive: the last byte's sequence number, no payload.
        s.rewind(false, 1);
        s.send(false, A, 0);
        s.seq[0] += 1;
        // A FIN and its repeat.
        s.send(false, FA, 0);
        s.rewind(false, 1);
        s.send(false, FA, 0);
        assert_eq!(s.retrans(), (0, 0));
        assert_eq!(s.zeek().1, "ShAdF");
    }

    /// A RST after both ends sent their FIN leaves SF: Zeek's closed endpoint takes no RST once
    /// its peer closed too (`UpdateClosedState`), and a FIN answering a FIN-then-RST turns the
    /// RST back into a close (`UpdateEstablishedState`). The history is the one of Zeek's
    /// `core/tcp/fin-rst-timeout.zeek` baseline, `ShADadtFRfr`, conn_state SF.
    #[test]
    fn rst_after_the_close_keeps_sf() {
        let mut s = Script::new();
        s.handshake();
        s.send(false, FA, 0);
        s.send(true, FA, 0);
        s.send(false, A, 0);
        s.send(false, RA, 0);
        assert_eq!(s.zeek(), (ConnState::SF, "ShAFfR".to_string()));
        let mut s = Script::new();
        s.handshake();
        s.send(false, PA, 10);
        s.send(true, A, 0);
        s.send(true, PA, 20);
        s.rewind(true, 20);
        s.send(true, PA, 20);
        s.send(false, FA, 0);
        s.send(false, RA, 0);
        assert_eq!(s.zeek().0, ConnState::RSTO, "a RST before the peer's FIN aborts");
        s.send(true, FA, 0);
        s.send(true, R, 0);
        assert_eq!(s.zeek(), (ConnState::SF, "ShADadtFRfr".to_string()));
    }

    /// A connection seen from one side only (the client's packets): Zeek's responder stays
    /// inactive, so S0 while the client is in its handshake and SH once it sends a FIN.
    #[test]
    fn half_duplex_client_side_is_s0_then_sh() {
        let mut s = Script::new();
        s.send(false, S, 0);
        s.ack[0] = 5001;
        s.send(false, A, 0);
        s.send(false, PA, 100);
        assert_eq!(s.zeek(), (ConnState::S0, "SAD".to_string()));
        s.send(false, FA, 0);
        assert_eq!(s.zeek(), (ConnState::SH, "SADF".to_string()));
    }

    /// A connection seen from the server's side only, its first packet data from a likely
    /// server port: flipped, the originator inactive, so OTH, and SHR after the server's FIN.
    #[test]
    fn half_duplex_server_side_is_oth_then_shr() {
        let mut s = Script::flipped();
        s.send(true, PA, 100);
        assert_eq!(s.zeek(), (ConnState::OTH, "^d".to_string()));
        s.send(true, FA, 0);
        assert_eq!(s.zeek(), (ConnState::SHR, "^df".to_string()));
    }

    /// History letters with two of SYN, FIN and RST: `I` for FIN and RST, `Q` for SYN with
    /// either, each once per side and instead of the single letters (`update_history`).
    #[test]
    fn multi_flag_letters() {
        let mut s = Script::new();
        s.send(false, S | FIN, 0);
        s.send(false, S | FIN, 0);
        assert_eq!(s.zeek().1, "Q");
        let mut s = Script::new();
        s.handshake();
        s.send(false, FIN | R, 0);
        s.send(true, FIN | RA, 0);
        assert_eq!(s.zeek().1, "ShAIi");
        // An F or R again only for a new sequence number.
        let mut s = Script::new();
        s.handshake();
        s.send(false, R, 0);
        s.send(false, R, 0);
        s.seq[0] += 5;
        s.send(false, R, 0);
        assert_eq!(s.zeek().1, "ShARR");
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
        // The ACK's own letters first (`update_history`, `update_window`), then the gap it
        // reveals in the originator's stream (`AckReceived`, after the state machine).
        assert_eq!(s.zeek().1, "ShADawG");
        assert_eq!(s.c.as_ref().unwrap().missed, 50);
    }

    /// Data that arrives out of order fills its hole before the ACK: no gap (Zeek's
    /// reassembler delivers the held block when the hole fills).
    #[test]
    fn out_of_order_data_is_no_gap() {
        let mut s = Script::new();
        s.handshake();
        let first = s.seq[0];
        s.seq[0] += 10;
        s.send(false, PA, 10);
        s.seq[0] = first;
        s.send(false, PA, 10);
        s.seq[0] = first + 20;
        s.send_ack(true, A, first + 20);
        let c = s.c.as_ref().unwrap();
        assert!(!c.history().contains(['G', 'g']), "{}", c.history());
        assert_eq!(c.missed, 0);
    }

    /// Two holes, each acknowledged: two gaps, the bytes of both, one letter (scaled: the
    /// next at the tenth, `ScaledHistoryEntry`).
    #[test]
    fn each_acknowledged_hole_is_a_gap() {
        let mut s = Script::new();
        s.handshake();
        s.send(true, PA, 100);
        s.seq[1] += 30;
        s.send(true, PA, 100);
        s.send(false, A, 0);
        s.seq[1] += 7;
        s.send(true, PA, 100);
        s.send(false, A, 0);
        let c = s.c.as_ref().unwrap();
        assert_eq!((c.history().as_str(), c.missed, c.resp.gaps), ("ShAdg", 37, 2));
        for _ in 0..8 {
            s.seq[1] += 1;
            let ack = s.seq[1];
            s.send_ack(false, A, ack);
        }
        let c = s.c.as_ref().unwrap();
        assert_eq!((c.history().as_str(), c.missed, c.resp.gaps), ("ShAdgg", 45, 10));
    }

    /// A gap an RST acknowledges is no gap in the history: the RST resets its sender first
    /// (`UpdateStateMachine` before `AckReceived`), and Zeek reports gaps only between clean
    /// ends (`established_or_cleanly_closing`).
    #[test]
    fn a_gap_acknowledged_by_a_rst_is_not_reported() {
        let mut s = Script::new();
        s.handshake();
        s.seq[0] += 40;
        s.send(false, PA, 10);
        s.send(true, RA, 0);
        let c = s.c.as_ref().unwrap();
        assert_eq!((c.history().as_str(), c.missed), ("ShADr", 0));
    }

    /// A connection picked up mid-stream has partial ends, never clean: no gaps reported.
    #[test]
    fn partial_connections_report_no_gaps() {
        let mut s = Script::new();
        s.send(false, PA, 10);
        s.send(true, PA, 10);
        s.seq[0] += 100;
        s.send(false, PA, 10);
        s.send(true, A, 0);
        let c = s.c.as_ref().unwrap();
        assert!(!c.history().contains(['G', 'g']), "{}", c.history());
        assert_eq!(c.missed, 0);
    }

    /// Zeek's `IsReuse`: a SYN on an open connection is a new one unless it carries the
    /// originator's ISN (a retransmission); once either side closed (FIN or RST), any SYN is.
    #[test]
    fn reuse_follows_zeeks_rule() {
        let mut s = Script::new();
        s.send(false, S, 0);
        assert!(!s.reused(S, 1000), "same ISN: a retransmission");
        assert!(s.reused(S, 777), "another ISN: another attempt");
        assert!(!s.reused(A, 777), "no SYN, no new connection");
        s.send(true, RA, 0);
        assert!(s.reused(S, 1000), "after the RST even the same ISN starts anew");
        // Open: only another ISN.
        let mut s = Script::new();
        s.handshake();
        assert!(!s.reused(S, 1000));
        assert!(s.reused(S, 777));
        // A SYN-ACK only while the originator has sent nothing.
        assert!(!s.reused(SA, 777));
        // Half-closed is closed.
        s.send(true, FA, 0);
        assert!(s.reused(S, 1000));
    }

    #[test]
    fn tracked_state_is_small() {
        // The per-connection cost the table pays (plus the key, links and a hash slot): Zeek's
        // state and last sequence number of each end cost 16 bytes over RFC 793's alone, its
        // stream's delivery point and held span (content gaps) 16 more, missed bytes 4 (and 4
        // of padding), the pointer to the reassembled streams (null unless `--reassemble`) 8.
        assert!(std::mem::size_of::<Conn>() <= 208, "Conn is {} bytes", std::mem::size_of::<Conn>());
    }
}

