//! The connection tracker: every TCP connection and UDP flow, from first packet to report.
//!
//! Packets find their connection in the bounded [`FlowTable`]; TCP segments drive the
//! per-endpoint state machine of [`super::tcp`]. Connections leave the table when their timer
//! runs out on packet time (TIME_WAIT, unanswered SYN, half-open, idle), when the table is full
//! (the longest idle is evicted), when a new SYN reuses their ports after a close, or at the end
//! of input; each leaves exactly once, as one [`ConnRecord`], so every TCP and UDP packet is
//! counted in exactly one reported connection. Records are pushed as events as they leave (JSON
//! streams them like Zeek's conn.log) and a bounded, filtered set is kept for the text table.

use std::net::IpAddr;

use super::flow::{FlowKey, FlowTable, Gone, CLASSES, IPPROTO_TCP};
use super::tcp::{class, Conn, Seg};
use super::Analyzer;
use crate::decode::Packet;
use crate::report::conn::{ConnRecord, ConnSummary, TcpState, CONN_STATES};
use crate::report::{Event, Report};
use crate::source::Ts;

/// Which connections the table shows (totals always count every connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateFilter {
    /// Either endpoint ended in this RFC 793 state.
    Tcp(TcpState),
    /// Zeek's conn_state is this.
    Zeek(&'static str),
}

/// Parses `--state`: an RFC 793 state name or a Zeek conn_state.
pub fn parse_state_filter(s: &str) -> Result<StateFilter, String> {
    if let Some(t) = TcpState::parse(s) {
        return Ok(StateFilter::Tcp(t));
    }
    let up = s.trim().to_ascii_uppercase();
    match CONN_STATES.iter().find(|(n, _)| *n == up) {
        Some((n, _)) => Ok(StateFilter::Zeek(n)),
        None => Err(format!(
            "unknown state '{s}': expected an RFC 793 state ({}) or a Zeek conn_state ({})",
            TcpState::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
            CONN_STATES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Settings of the tracker.
#[derive(Debug, Clone)]
pub struct ConnConfig {
    /// Most connections tracked at once.
    pub max_conns: usize,
    /// TIME_WAIT length (2×MSL), seconds.
    pub time_wait: f64,
    /// How long an unanswered SYN is kept, seconds.
    pub syn_timeout: f64,
    /// How long a half-open or half-closed connection may stay idle, seconds.
    pub half_open_timeout: f64,
    /// How long an established connection may stay idle, seconds.
    pub idle_timeout: f64,
    /// How long a UDP flow may stay idle, seconds.
    pub udp_timeout: f64,
    /// Keep each connection's state timeline.
    pub timeline: bool,
    /// Rows kept for the table.
    pub max_rows: usize,
    /// `--state`.
    pub state: Option<StateFilter>,
    /// `--port`: either endpoint's port.
    pub port: Option<u16>,
    /// `--host`: either endpoint's address.
    pub host: Option<IpAddr>,
}

impl Default for ConnConfig {
    fn default() -> Self {
        ConnConfig {
            max_conns: 500_000,
            time_wait: 60.0,
            syn_timeout: 60.0,
            half_open_timeout: 60.0,
            idle_timeout: 300.0,
            udp_timeout: 60.0,
            timeline: false,
            max_rows: 1000,
            state: None,
            port: None,
            host: None,
        }
    }
}

impl ConnConfig {
    fn matches(&self, r: &ConnRecord) -> bool {
        let state_ok = match &self.state {
            None => true,
            Some(StateFilter::Tcp(t)) => r.orig_state == Some(*t) || r.resp_state == Some(*t),
            Some(StateFilter::Zeek(z)) => r.conn_state == *z,
        };
        state_ok
            && self.port.is_none_or(|p| r.orig_p == p || r.resp_p == p)
            && self.host.is_none_or(|h| r.orig_h == h || r.resp_h == h)
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.state {
            Some(StateFilter::Tcp(t)) => parts.push(format!("state {t}")),
            Some(StateFilter::Zeek(z)) => parts.push(format!("conn_state {z}")),
            None => {}
        }
        if let Some(p) = self.port {
            parts.push(format!("port {p}"));
        }
        if let Some(h) = self.host {
            parts.push(format!("host {h}"));
        }
        parts.join(", ")
    }
}

/// Why connections leave the table, as reported in `end`.
const ENDS: [&str; 8] =
    ["end_of_input", "time_wait_expired", "syn_timeout", "half_open_timeout", "idle_timeout", "udp_timeout", "evicted", "reused"];

fn expiry_end(class: u8) -> &'static str {
    match class {
        class::SYN => "syn_timeout",
        class::HALF_OPEN => "half_open_timeout",
        class::OPEN => "idle_timeout",
        class::CLOSED => "time_wait_expired",
        _ => "udp_timeout",
    }
}

fn ts_ns(t: Ts) -> i64 {
    t.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn ns_ts(ns: i64) -> Ts {
    Ts { sec: ns.div_euclid(1_000_000_000), nsec: ns.rem_euclid(1_000_000_000) as u32 }
}

fn secs_ns(s: f64) -> i64 {
    if s.is_finite() && s > 0.0 { (s * 1e9).min(i64::MAX as f64 / 2.0) as i64 } else { 0 }
}

/// A connection id that depends only on the connection (5-tuple and start time), as "C" and
/// eleven base-62 digits.
pub fn uid(key: &FlowKey, start_ns: i64) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // A multiplicative mix so that nearby start times give unrelated ids.
    let mut v = key.hash64() ^ (start_ns as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    v ^= v >> 31;
    let mut s = String::with_capacity(12);
    s.push('C');
    for _ in 0..11 {
        s.push(DIGITS.get((v % 62) as usize).copied().unwrap_or(b'0') as char);
        v /= 62;
    }
    s
}

/// Tracks connections; see the module documentation.
pub struct ConnAnalyzer {
    cfg: ConnConfig,
    table: FlowTable<Conn>,
    next_sweep_ns: Option<i64>,
    last_ns: i64,
    tcp: u64,
    udp: u64,
    by_state: [u64; CONN_STATES.len()],
    by_end: [u64; ENDS.len()],
    peak: usize,
    matched: u64,
    rows: Vec<ConnRecord>,
    /// Start and uid of the last row kept at the latest trim: a later record cannot make the
    /// table, so it is not copied (cloning and sorting every record was 6 % of a run).
    rows_bound: Option<(Ts, String)>,
}

/// Connections reported per `drain` call at the end of a run.
const DRAIN_BATCH: usize = 4096;

/// How often (packet time) the table's expired connections are collected.
const SWEEP_NS: i64 = 1_000_000_000;

impl ConnAnalyzer {
    /// A tracker with the given settings.
    pub fn new(cfg: ConnConfig) -> Self {
        let mut t = [0i64; CLASSES];
        t[class::SYN as usize] = secs_ns(cfg.syn_timeout);
        t[class::HALF_OPEN as usize] = secs_ns(cfg.half_open_timeout);
        t[class::OPEN as usize] = secs_ns(cfg.idle_timeout);
        t[class::CLOSED as usize] = secs_ns(cfg.time_wait);
        t[class::UDP as usize] = secs_ns(cfg.udp_timeout);
        ConnAnalyzer {
            table: FlowTable::new(cfg.max_conns, t),
            cfg,
            next_sweep_ns: None,
            last_ns: i64::MIN,
            tcp: 0,
            udp: 0,
            by_state: [0; CONN_STATES.len()],
            by_end: [0; ENDS.len()],
            peak: 0,
            matched: 0,
            rows: Vec::new(),
            rows_bound: None,
        }
    }

    /// Connections currently tracked.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }

    /// Reports a connection that left the table for reason `end`.
    fn emit(&mut self, g: Gone<Conn>, end: &'static str, events: &mut Vec<Event>) {
        let Gone { key, val: mut c, last_ns, class } = g;
        if end == "time_wait_expired" {
            c.time_wait_over(last_ns.saturating_add(self.table.timeout(class)));
        }
        let ((oh, op), (rh, rp)) = if c.orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
        let conn_state = c.conn_state();
        let (rtt1, rtt2) = c.handshake_rtt();
        let tcp = key.proto == IPPROTO_TCP;
        let rec = ConnRecord {
            ts: ns_ts(c.start_ns).as_secs_f64(),
            uid: uid(&key, c.start_ns),
            orig_h: oh,
            orig_p: op,
            resp_h: rh,
            resp_p: rp,
            proto: if tcp { "tcp" } else { "udp" },
            duration: last_ns.saturating_sub(c.start_ns).max(0) as f64 / 1e9,
            orig_bytes: c.orig.bytes,
            resp_bytes: c.resp.bytes,
            conn_state,
            history: c.history(),
            orig_pkts: c.orig.pkts as u64,
            orig_ip_bytes: c.orig.ip_bytes,
            resp_pkts: c.resp.pkts as u64,
            resp_ip_bytes: c.resp.ip_bytes,
            orig_state: tcp.then_some(c.orig.state),
            resp_state: tcp.then_some(c.resp.state),
            orig_frame_bytes: c.orig.frame_bytes,
            resp_frame_bytes: c.resp.frame_bytes,
            orig_retrans: c.orig.retrans,
            resp_retrans: c.resp.retrans,
            rtt_syn_synack: rtt1,
            rtt_synack_ack: rtt2,
            mid_stream: c.mid_stream(),
            end,
            timeline: c.transitions(),
            start: ns_ts(c.start_ns),
        };
        if tcp {
            self.tcp += 1;
        } else {
            self.udp += 1;
        }
        if let Some(i) = CONN_STATES.iter().position(|(n, _)| *n == conn_state) {
            if let Some(n) = self.by_state.get_mut(i) {
                *n += 1;
            }
        }
        if let Some(i) = ENDS.iter().position(|n| *n == end) {
            if let Some(n) = self.by_end.get_mut(i) {
                *n += 1;
            }
        }
        if !self.cfg.matches(&rec) {
            return;
        }
        self.matched += 1;
        let beyond = self.rows_bound.as_ref().is_some_and(|(ts, uid)| (rec.start, &rec.uid) > (*ts, uid));
        if self.cfg.max_rows > 0 && !beyond {
            self.rows.push(rec.clone());
            if self.rows.len() >= self.cfg.max_rows.saturating_mul(2) {
                self.trim_rows();
            }
        }
        events.push(Event::Conn(Box::new(rec)));
    }

    /// Keeps the earliest-starting `max_rows` rows.
    fn trim_rows(&mut self) {
        self.rows.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
        self.rows.truncate(self.cfg.max_rows);
        if self.rows.len() >= self.cfg.max_rows {
            self.rows_bound = self.rows.last().map(|r| (r.start, r.uid.clone()));
        }
    }

    fn sweep(&mut self, now_ns: i64, events: &mut Vec<Event>) {
        while let Some(g) = self.table.pop_expired(now_ns) {
            let end = expiry_end(g.class);
            self.emit(g, end, events);
        }
    }
}

impl Analyzer for ConnAnalyzer {
    fn packet(&mut self, p: &Packet<'_>, events: &mut Vec<Event>) {
        let now = ts_ns(p.ts);
        self.last_ns = self.last_ns.max(now);
        match self.next_sweep_ns {
            Some(t) if now < t => {}
            _ => {
                self.sweep(now, events);
                self.next_sweep_ns = Some(now.saturating_add(SWEEP_NS));
            }
        }
        let Some((key, dir)) = FlowKey::of_packet(p) else { return };
        let tcp_info = p.tcp();
        let seg = match (&tcp_info, p.udp()) {
            (Some(t), _) => Seg {
                flags: t.flags,
                seq: t.seq,
                ack: t.ack,
                len: t.payload_len,
                window: t.window,
                ip_len: p.ip_len(),
                frame_len: p.len,
            },
            (None, Some((_, _, len))) => Seg { len, ip_len: p.ip_len(), frame_len: p.len, ..Seg::default() },
            (None, None) => return,
        };
        let is_tcp = tcp_info.is_some();
        let from_a = matches!(dir, super::flow::Dir::AtoB);

        let mut slot = self.table.find(&key);
        if let Some(s) = slot {
            if self.table.is_stale(s, now) {
                if let Some(g) = self.table.remove(s) {
                    let end = expiry_end(g.class);
                    self.emit(g, end, events);
                }
                slot = None;
            } else if let Some((_, c)) = self.table.get_mut(s) {
                let from_resp = from_a != c.orig_is_a;
                if is_tcp && c.reused_by(from_resp, &seg) {
                    if let Some(g) = self.table.remove(s) {
                        self.emit(g, "reused", events);
                    }
                    slot = None;
                }
            }
        }
        let slot = match slot {
            Some(s) => s,
            None => {
                if self.table.is_full() {
                    self.sweep(now, events);
                }
                if self.table.is_full() {
                    if let Some(g) = self.table.evict_oldest() {
                        self.emit(g, "evicted", events);
                    }
                }
                let (mut c, sender_is_orig) = if is_tcp {
                    Conn::new_tcp(&seg, now, self.cfg.timeline)
                } else {
                    (Conn::new_udp(now), true)
                };
                c.orig_is_a = from_a == sender_is_orig;
                let class = c.class();
                let s = self.table.insert(key, c, now, class);
                self.peak = self.peak.max(self.table.len());
                s
            }
        };
        let Some((_, c)) = self.table.get_mut(slot) else { return };
        let from_resp = from_a != c.orig_is_a;
        if is_tcp {
            c.segment(from_resp, &seg, now);
        } else {
            c.udp_datagram(from_resp, &seg);
        }
        let class = c.class();
        self.table.touch(slot, now, class);
    }

    fn drain(&mut self, events: &mut Vec<Event>) -> bool {
        // What had expired by the last packet's time is reported as expired; the rest is
        // still open at the end of the input. A batch at a time: JSON streams it out.
        for _ in 0..DRAIN_BATCH {
            let g = match self.table.pop_expired(self.last_ns) {
                Some(g) => {
                    let end = expiry_end(g.class);
                    self.emit(g, end, events);
                    continue;
                }
                None => self.table.pop_any(),
            };
            let Some(g) = g else { return false };
            self.emit(g, "end_of_input", events);
        }
        !self.table.is_empty()
    }

    fn finish(&mut self, report: &mut Report, events: &mut Vec<Event>) {
        while self.drain(events) {}
        self.trim_rows();
        report.conns = Some(ConnSummary {
            tcp: self.tcp,
            udp: self.udp,
            by_state: CONN_STATES
                .iter()
                .zip(self.by_state.iter())
                .filter(|(_, n)| **n > 0)
                .map(|((s, _), n)| (s.to_string(), *n))
                .collect(),
            by_end: ENDS.iter().zip(self.by_end.iter()).filter(|(_, n)| **n > 0).map(|(s, n)| (s.to_string(), *n)).collect(),
            evicted: self.by_end.get(6).copied().unwrap_or(0),
            max_conns: self.cfg.max_conns,
            peak: self.peak,
            matched: self.matched,
            rows: std::mem::take(&mut self.rows),
            max_rows: self.cfg.max_rows,
            filter: self.cfg.describe(),
        });
    }
}
