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

use super::flow::{outlived, Dir, FlowKey, FlowTable, Gone, CLASSES, IPPROTO_TCP, IPPROTO_UDP};
use super::tcp::{class, Conn, Seg};
use super::Analyzer;
use crate::decode::{tcpflag, wide_v4, Fast, Packet, TcpInfo};
use etherparse::LaxNetSlice;
use crate::report::conn::{ConnRecord, ConnSummary, TcpState, Transition, CONN_STATES};
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
    /// Build each leaving connection's record (uid, history, timeline) for the events and the
    /// table. Off only when no output shows them (quiet text without filters): the totals
    /// and conn_state counts are kept either way, and records are then not built at all.
    pub records: bool,
    /// Threads that may count the connections left at the end of a run when no record is
    /// built (`read --threads`).
    pub end_threads: usize,
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
            records: true,
            end_threads: 1,
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

    fn filtered(&self) -> bool {
        self.state.is_some() || self.port.is_some() || self.host.is_some()
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

/// All the tracker reads of one packet: its time and, for a TCP segment or a UDP datagram, its
/// endpoints and the segment. Small and `Copy`, so the two-thread `read` computes it on the
/// reading thread instead of decoding each frame a second time.
#[derive(Debug, Clone, Copy)]
pub struct ConnInput {
    /// Packet time.
    pub ts: Ts,
    /// The segment or datagram; None for anything but TCP and UDP over IP.
    pub flow: Option<ConnSeg>,
}

/// A TCP segment or UDP datagram as the tracker takes it: its flow key (made on the reading
/// thread, straight from the header's address bytes), the way it went, and the segment.
#[derive(Debug, Clone, Copy)]
pub struct ConnSeg {
    /// The flow's canonical key (protocol, both endpoints).
    pub key: FlowKey,
    /// Whether it went from endpoint `a` to endpoint `b` of the key.
    pub from_a: bool,
    /// Flags, numbers and lengths.
    pub seg: Seg,
    /// Whether it is a TCP segment.
    pub tcp: bool,
    /// For TCP, the SYN-flood detector's hash of the connection attempt the segment belongs to
    /// (`flood::attempt_hash`), made once with the input: the detector needs it twice, once to
    /// ask for its table's line ahead of time and once to use it; 0 for UDP.
    pub attempt: u64,
}

impl ConnSeg {
    /// A segment (`tcp`) or datagram of flow `key`, going from its endpoint `a` to `b` or back.
    pub fn new(key: FlowKey, from_a: bool, seg: Seg, tcp: bool) -> ConnSeg {
        let attempt = if tcp { super::flood::attempt_hash(&key, from_a, seg.flags) } else { 0 };
        ConnSeg { key, from_a, seg, tcp, attempt }
    }

    /// Source address and port.
    pub fn src(&self) -> (IpAddr, u16) {
        if self.from_a { self.key.a() } else { self.key.b() }
    }

    /// Destination address and port.
    pub fn dst(&self) -> (IpAddr, u16) {
        if self.from_a { self.key.b() } else { self.key.a() }
    }
}

impl ConnInput {
    /// The tracker's input from one decoded packet.
    pub fn of_packet(p: &Packet<'_>) -> ConnInput {
        ConnInput { ts: p.ts, flow: flow_of(p) }
    }

    /// The tracker's input from a frame as [`crate::decode::fast`] slices it (`ts` and `frame_len` its
    /// time and length on the wire): the same as [`ConnInput::of_packet`] of the packet
    /// [`crate::decode::decode`] makes of the frame, without making that packet.
    pub fn of_fast(f: &Fast<'_>, ts: Ts, frame_len: u32) -> ConnInput {
        let (s, d) = f.ip_addr_bytes();
        ConnInput { ts, flow: seg_of((s, d, false), f.tcp(), || f.udp(), f.ip_len(), frame_len) }
    }
}

/// A TCP or UDP packet over IP as [`ConnSeg`]; None for anything else.
fn flow_of(p: &Packet<'_>) -> Option<ConnSeg> {
    // One call for each IP version: made from one pair of address arrays, the IPv4 case was
    // compiled as byte-by-byte work on sixteen bytes (of_packet took 297 instructions, 167
    // before; `--threads 1` and live capture make every input this way).
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            seg_of((wide_v4(h.source()), wide_v4(h.destination()), false), p.tcp(), || p.udp(), p.ip_len(), p.len)
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            seg_of((h.source(), h.destination(), true), p.tcp(), || p.udp(), p.ip_len(), p.len)
        }
        _ => None,
    }
}

/// [`ConnSeg`] of a packet from address `s` to `d` (IPv6 or not) with these TCP fields, or else
/// these UDP ones, its IP length and its length on the wire.
#[inline(always)]
fn seg_of(
    (s, d, v6): ([u8; 16], [u8; 16], bool),
    tcp: Option<TcpInfo>,
    udp: impl FnOnce() -> Option<(u16, u16, u32)>,
    ip_len: u32,
    frame_len: u32,
) -> Option<ConnSeg> {
    let keyed = |proto: u8, sport: u16, dport: u16| FlowKey::of_bytes(proto, (s, sport), (d, dport), v6);
    if let Some(t) = tcp {
        let seg = Seg { flags: t.flags, seq: t.seq, ack: t.ack, len: t.payload_len, window: t.window, ip_len, frame_len };
        let (key, dir) = keyed(IPPROTO_TCP, t.sport, t.dport);
        return Some(ConnSeg::new(key, matches!(dir, Dir::AtoB), seg, true));
    }
    let (sport, dport, len) = udp()?;
    let seg = Seg { len, ip_len, frame_len, ..Seg::default() };
    let (key, dir) = keyed(IPPROTO_UDP, sport, dport);
    Some(ConnSeg::new(key, matches!(dir, Dir::AtoB), seg, false))
}

/// The Zeek state of a connection that left the table for reason `end`, its last packet at
/// `last_ns` in a timeout class of `timeout` ns: one whose TIME_WAIT ran out is closed at the
/// end of that timer first.
fn closing_state(c: &mut Conn, end: &str, last_ns: i64, timeout: i64) -> &'static str {
    if end == "time_wait_expired" {
        c.time_wait_over(last_ns.saturating_add(timeout));
    }
    c.conn_state()
}

/// A connection as the table keeps it. Until its second packet only the first is kept, from
/// which the connection is made again when needed: a scan or a SYN flood fills the table with
/// connections of one packet each (about 580,000 of the benchmark's 628,000), and a whole [`Conn`] in
/// each node made the node 216 bytes instead of 96. The kernel's first touch of that memory (a
/// page fault per 4 KiB) was a fifth of the tracker's time on the flood's packets.
#[derive(Debug)]
enum Tracked {
    /// One packet so far.
    First(First),
    /// Two or more.
    Conn(Box<Conn>),
}

/// The first packet of a connection, as the tracker took it.
#[derive(Debug, Clone, Copy)]
struct First {
    seg: Seg,
    now: i64,
    /// Whether the packet went from endpoint `a` to `b` of the flow key.
    from_a: bool,
    tcp: bool,
}

impl First {
    /// The connection after its first packet: exactly what the tracker made of it then, since
    /// that depends on nothing but the packet, its time and the settings.
    fn conn(&self, timeline: bool) -> Conn {
        let (mut c, sender_is_orig) = if self.tcp {
            Conn::new_tcp(&self.seg, self.now, timeline)
        } else {
            (Conn::new_udp(self.now), true)
        };
        c.orig_is_a = self.from_a == sender_is_orig;
        let from_resp = self.from_a != c.orig_is_a;
        if self.tcp {
            c.segment(from_resp, &self.seg, self.now);
        } else {
            c.udp_datagram(from_resp, &self.seg);
        }
        c
    }

    /// Whether the packet is the usual first one, a SYN alone (no ACK, FIN or RST), whose
    /// connection's class and state are known without making it (`a_lone_syn_is_known_ahead`
    /// holds them equal to the connection's for every flag combination).
    fn lone_syn(&self) -> bool {
        self.tcp && self.seg.flags & (tcpflag::SYN | tcpflag::ACK | tcpflag::FIN | tcpflag::RST) == tcpflag::SYN
    }

    /// [`Conn::class`] of [`First::conn`]. Like the state, it does not depend on whether the
    /// timeline is kept, so the connection is made for it without one.
    fn class(&self) -> u8 {
        if self.lone_syn() {
            class::SYN
        } else {
            self.conn(false).class()
        }
    }
}

impl Tracked {
    /// The connection, made from its first packet if that is all there is.
    fn into_conn(self, timeline: bool) -> Conn {
        match self {
            Tracked::First(f) => f.conn(timeline),
            Tracked::Conn(c) => *c,
        }
    }

    /// [`closing_state`] of the connection: a lone SYN's attempt is S0 whatever ended it
    /// (TIME_WAIT, the one end that changes a state, never runs on an attempt). A connection
    /// made for it keeps no timeline, which the state does not depend on.
    fn closing_state(&mut self, end: &str, last_ns: i64, timeout: i64) -> &'static str {
        match self {
            Tracked::First(f) if f.lone_syn() && end != "time_wait_expired" => "S0",
            Tracked::First(f) => closing_state(&mut f.conn(false), end, last_ns, timeout),
            Tracked::Conn(c) => closing_state(c, end, last_ns, timeout),
        }
    }

    /// The connection, for reading its state and counts (one made from its first packet keeps
    /// no timeline).
    fn view(&self) -> std::borrow::Cow<'_, Conn> {
        match self {
            Tracked::First(f) => std::borrow::Cow::Owned(f.conn(false)),
            Tracked::Conn(c) => std::borrow::Cow::Borrowed(c),
        }
    }

    /// The connection, kept whole from now on (always Some).
    fn conn_mut(&mut self, timeline: bool) -> Option<&mut Conn> {
        if let Tracked::First(f) = self {
            *self = Tracked::Conn(Box::new(f.conn(timeline)));
        }
        match self {
            Tracked::Conn(c) => Some(c),
            Tracked::First(_) => None,
        }
    }
}

/// Tracks connections; see the module documentation.
pub struct ConnAnalyzer {
    cfg: ConnConfig,
    table: FlowTable<Tracked>,
    next_sweep_ns: Option<i64>,
    last_ns: i64,
    tally: Tally,
    /// The key hashes of the inputs `warm` was last shown, whose index entries it asked for:
    /// at the next call it asks for their nodes.
    warmed: Vec<u64>,
    peak: usize,
    rows: Vec<ConnRecord>,
    /// Start and uid of the last row kept at the latest trim: a later record cannot make the
    /// table, so it is not copied (cloning and sorting every record was 6 % of a run).
    rows_bound: Option<(Ts, String)>,
}

/// What the tracker counts of the connections that left its table.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    tcp: u64,
    udp: u64,
    by_state: [u64; CONN_STATES.len()],
    by_end: [u64; ENDS.len()],
    /// Those that passed the filters.
    matched: u64,
}

/// The place of a state name in [`CONN_STATES`]: a `match` rather than a search of the list,
/// which compared strings one by one and took half the time of counting the connections left
/// at the end of a run (`state_and_end_places_follow_the_lists` checks the two agree).
fn state_place(conn_state: &str) -> Option<usize> {
    Some(match conn_state {
        "S0" => 0,
        "S1" => 1,
        "SF" => 2,
        "REJ" => 3,
        "S2" => 4,
        "S3" => 5,
        "RSTO" => 6,
        "RSTR" => 7,
        "RSTOS0" => 8,
        "RSTRH" => 9,
        "SH" => 10,
        "SHR" => 11,
        "OTH" => 12,
        _ => return None,
    })
}

/// The place of an end in [`ENDS`], as [`state_place`].
fn end_place(end: &str) -> Option<usize> {
    Some(match end {
        "end_of_input" => 0,
        "time_wait_expired" => 1,
        "syn_timeout" => 2,
        "half_open_timeout" => 3,
        "idle_timeout" => 4,
        "udp_timeout" => 5,
        "evicted" => 6,
        "reused" => 7,
        _ => return None,
    })
}

impl Tally {
    /// Adds `other`'s counts to these.
    fn merge(&mut self, other: &Tally) {
        self.tcp += other.tcp;
        self.udp += other.udp;
        self.matched += other.matched;
        for (a, b) in self.by_state.iter_mut().zip(other.by_state) {
            *a += b;
        }
        for (a, b) in self.by_end.iter_mut().zip(other.by_end) {
            *a += b;
        }
    }

    /// Counts one connection of protocol `proto`, in state `conn_state`, that ended by `end`.
    fn add(&mut self, proto: u8, conn_state: &str, end: &str) {
        self.count(proto, conn_state);
        if let Some(n) = end_place(end).and_then(|i| self.by_end.get_mut(i)) {
            *n += 1;
        }
    }

    /// Counts one connection by protocol and state only (the live view's open connections).
    fn count(&mut self, proto: u8, conn_state: &str) {
        if proto == IPPROTO_TCP {
            self.tcp += 1;
        } else {
            self.udp += 1;
        }
        if let Some(n) = state_place(conn_state).and_then(|i| self.by_state.get_mut(i)) {
            *n += 1;
        }
    }
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
            tally: Tally::default(),
            warmed: Vec::new(),
            peak: 0,
            rows: Vec::new(),
            rows_bound: None,
        }
    }

    /// Whether nothing would show a connection's record: no per-connection records are wanted
    /// and no filter applies, so only the counts are kept.
    fn counts_only(&self) -> bool {
        !self.cfg.records && !self.cfg.filtered()
    }

    /// Connections currently tracked.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }

    /// Reports a connection that left the table for reason `end`.
    fn emit(&mut self, g: Gone<Tracked>, end: &'static str, events: &mut Vec<Event>) {
        let Gone { key, mut val, last_ns, class } = g;
        let timeout = self.table.timeout(class);
        if self.counts_only() {
            // Every connection matches, and nothing would show the record.
            self.tally.add(key.proto, val.closing_state(end, last_ns, timeout), end);
            self.tally.matched += 1;
            return;
        }
        let mut c = val.into_conn(self.cfg.timeline);
        let conn_state = closing_state(&mut c, end, last_ns, timeout);
        self.tally.add(key.proto, conn_state, end);
        let rec = record(&key, &c, last_ns, end, c.transitions());
        if !self.cfg.matches(&rec) {
            return;
        }
        self.tally.matched += 1;
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

    /// Sees one packet's input (what [`Analyzer::packet`] does after taking it from the packet).
    pub fn input(&mut self, x: &ConnInput, events: &mut Vec<Event>) {
        let now = ts_ns(x.ts);
        self.last_ns = self.last_ns.max(now);
        match self.next_sweep_ns {
            Some(t) if now < t => {}
            _ => {
                self.sweep(now, events);
                self.next_sweep_ns = Some(now.saturating_add(SWEEP_NS));
            }
        }
        let Some(ConnSeg { key, from_a, seg, tcp: is_tcp, .. }) = x.flow else { return };
        let hash = key.table_hash();

        let mut slot = self.table.find_hashed(&key, hash);
        if let Some(s) = slot {
            if self.table.is_stale(s, now) {
                if let Some(g) = self.table.remove(s) {
                    let end = expiry_end(g.class);
                    self.emit(g, end, events);
                }
                slot = None;
            } else if let Some(c) = self.table.get_mut(s).and_then(|(_, t)| t.conn_mut(self.cfg.timeline)) {
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
                let first = First { seg, now, from_a, tcp: is_tcp };
                let class = first.class();
                self.table.insert_hashed(key, hash, Tracked::First(first), now, class);
                self.peak = self.peak.max(self.table.len());
                return;
            }
        };
        let Some(c) = self.table.get_mut(slot).and_then(|(_, t)| t.conn_mut(self.cfg.timeline)) else { return };
        let from_resp = from_a != c.orig_is_a;
        if is_tcp {
            c.segment(from_resp, &seg, now);
        } else {
            c.udp_datagram(from_resp, &seg);
        }
        let class = c.class();
        self.table.touch(slot, now, class);
    }
}

impl Analyzer for ConnAnalyzer {
    fn packet(&mut self, p: &Packet<'_>, events: &mut Vec<Event>) {
        self.input(&ConnInput::of_packet(p), events);
    }

    fn takes_conn_input(&self) -> bool {
        true
    }

    fn conn_input(&mut self, x: &ConnInput, events: &mut Vec<Event>) {
        self.input(x, events);
    }

    fn warm(&mut self, xs: &[ConnInput]) {
        // A pipeline over the windows of inputs the calls announce, two windows ahead of the
        // inputs: the nodes of the window before this one are asked for (their index entries,
        // asked for one call ago, are in the cache by now), then the key hashes of this window
        // are made and their index entries asked for. Prefetches do not wait, so the misses are
        // in flight while earlier packets are handled. `input` makes each hash again: five
        // independent multiplications cost less than keeping the hashes beside their inputs
        // and matching them up (a queue of keys, compared endpoint by endpoint, until the
        // reading thread made the keys).
        for &hash in &self.warmed {
            self.table.prefetch_node(hash);
        }
        self.warmed.clear();
        if self.table.is_full() {
            // This window's inputs may each evict one, after those of the window before it.
            self.table.prefetch_oldest(xs.len(), xs.len());
        }
        for x in xs {
            let Some(f) = &x.flow else { continue };
            let hash = f.key.table_hash();
            self.table.prefetch_index(hash);
            self.warmed.push(hash);
        }
    }

    fn drain(&mut self, events: &mut Vec<Event>) -> bool {
        // What had expired by the last packet's time is reported as expired; the rest is
        // still open at the end of the input. A batch at a time: JSON streams it out.
        if self.counts_only() {
            // Nothing shows a record, so the order does not matter: one sequential pass counts
            // every connection left, each as expired (as `pop_expired` would find it) or open.
            let now = self.last_ns;
            let timeouts = self.table.timeouts();
            let threads = self.cfg.end_threads.min(std::thread::available_parallelism().map_or(1, |n| n.get()));
            let parts = self.table.drain_unordered(threads, Tally::default, |tally, key, tracked, last_ns, class| {
                let t = timeouts.get(class as usize).copied().unwrap_or(i64::MAX);
                let end = if outlived(now, last_ns, t) { expiry_end(class) } else { "end_of_input" };
                tally.add(key.proto, tracked.closing_state(end, last_ns, t), end);
                tally.matched += 1;
            });
            for part in &parts {
                self.tally.merge(part);
            }
            return false;
        }
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
        let rows = std::mem::take(&mut self.rows);
        report.conns = Some(self.summary(&self.tally, rows));
    }

    fn snapshot(&self, report: &mut Report) {
        report.conns = Some(self.open_summary());
    }
}

/// The live view (`capture --conns`): read-only, so a redraw never changes the analysis.
impl ConnAnalyzer {
    /// The summary as it stands now: totals over every connection so far (those that left the
    /// table, and those still in it by their state now; `by_end` counts only the former), and
    /// as rows the connections still in the table that pass the filters, by start, with `end`
    /// set to `open`.
    fn open_summary(&self) -> ConnSummary {
        let mut tally = self.tally;
        // The connections kept as their first packet are made for a moment, not kept: a redraw
        // under a flood would otherwise hold a whole connection for each of them.
        let mut open: Vec<(i64, u64, &FlowKey, &Tracked, i64)> = Vec::with_capacity(self.table.len());
        for (key, t, last_ns) in self.table.iter() {
            let c = t.view();
            tally.count(key.proto, c.conn_state());
            open.push((c.start_ns, key.hash64(), key, t, last_ns));
        }
        open.sort_unstable_by_key(|&(start, hash, ..)| (start, hash));
        // Without filters every open connection matches: build only the rows that are shown.
        let filtered = self.cfg.filtered();
        let mut matched = 0u64;
        let mut rows = Vec::new();
        for &(_, _, key, t, last_ns) in &open {
            if !filtered && rows.len() >= self.cfg.max_rows {
                matched = open.len() as u64;
                break;
            }
            let rec = self.open_record(key, &t.view(), last_ns);
            if !self.cfg.matches(&rec) {
                continue;
            }
            matched += 1;
            if rows.len() < self.cfg.max_rows {
                rows.push(rec);
            }
        }
        rows.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
        tally.matched = matched;
        self.summary(&tally, rows)
    }

    /// The summary from these totals and rows, with the table's cap and filter; shared by the
    /// end of the run and the live view.
    fn summary(&self, tally: &Tally, rows: Vec<ConnRecord>) -> ConnSummary {
        ConnSummary {
            tcp: tally.tcp,
            udp: tally.udp,
            by_state: CONN_STATES
                .iter()
                .zip(tally.by_state.iter())
                .filter(|(_, n)| **n > 0)
                .map(|((s, _), n)| (s.to_string(), *n))
                .collect(),
            by_end: ENDS.iter().zip(tally.by_end.iter()).filter(|(_, n)| **n > 0).map(|(s, n)| (s.to_string(), *n)).collect(),
            evicted: tally.by_end.get(6).copied().unwrap_or(0),
            max_conns: self.cfg.max_conns,
            peak: self.peak,
            matched: tally.matched,
            rows,
            max_rows: self.cfg.max_rows,
            filter: self.cfg.describe(),
        }
    }

    /// The record of a connection still in the table, as it stands after its last packet.
    fn open_record(&self, key: &FlowKey, c: &Conn, last_ns: i64) -> ConnRecord {
        record(key, c, last_ns, "open", Vec::new())
    }
}

/// The conn.log record of connection `c`, as it stands at `last_ns`; `end` says why it is
/// reported (it left the table, or `open` for a live snapshot).
fn record(key: &FlowKey, c: &Conn, last_ns: i64, end: &'static str, timeline: Vec<Transition>) -> ConnRecord {
    let ((oh, op), (rh, rp)) = if c.orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
    let (rtt1, rtt2) = c.handshake_rtt();
    let tcp = key.proto == IPPROTO_TCP;
    ConnRecord {
        ts: ns_ts(c.start_ns).as_secs_f64(),
        uid: uid(key, c.start_ns),
        orig_h: oh,
        orig_p: op,
        resp_h: rh,
        resp_p: rp,
        proto: if tcp { "tcp" } else { "udp" },
        duration: last_ns.saturating_sub(c.start_ns).max(0) as f64 / 1e9,
        orig_bytes: c.orig.bytes,
        resp_bytes: c.resp.bytes,
        conn_state: c.conn_state(),
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
        timeline,
        start: ns_ts(c.start_ns),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::decode;
    use crate::decode::tcpflag::{ACK, FIN, PSH, SYN};
    use crate::source::Frame;
    use std::net::Ipv4Addr;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    /// An Ethernet/IPv4 frame carrying a TCP segment (RFC 793 header, no options) or, with
    /// `flags` None, a UDP datagram (RFC 768), with `len` payload bytes.
    fn frame(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, tcp: Option<(u8, u32, u32)>, len: u16) -> Vec<u8> {
        let l4 = if tcp.is_some() { 20 } else { 8 };
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&(20 + l4 + len).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 64, if tcp.is_some() { 6 } else { 17 }, 0, 0]);
        f.extend_from_slice(&src.octets());
        f.extend_from_slice(&dst.octets());
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        match tcp {
            Some((flags, seq, ack)) => {
                f.extend_from_slice(&seq.to_be_bytes());
                f.extend_from_slice(&ack.to_be_bytes());
                f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
            }
            None => {
                f.extend_from_slice(&(8 + len).to_be_bytes());
                f.extend_from_slice(&[0, 0]);
            }
        }
        f.resize(f.len() + len as usize, b'x');
        f
    }

    /// A packet at `ms` milliseconds into the run.
    struct Pkt {
        ms: u64,
        data: Vec<u8>,
    }

    fn tcp(ms: u64, from_client: bool, flags: u8, seq: u32, ack: u32, len: u16) -> Pkt {
        let (s, sp, d, dp) = if from_client { (CLIENT, 40000, SERVER, 80) } else { (SERVER, 80, CLIENT, 40000) };
        Pkt { ms, data: frame(s, sp, d, dp, Some((flags, seq, ack)), len) }
    }

    fn udp(ms: u64, len: u16) -> Pkt {
        Pkt { ms, data: frame(CLIENT, 5353, SERVER, 53, None, len) }
    }

    /// A handshake, 5 bytes each way, a close from the client (ISNs 100 and 900), then a UDP
    /// query at 1 s and, past TIME_WAIT (60 s) but within the UDP timeout (60 s), another one
    /// that sweeps the closed connection.
    fn script() -> Vec<Pkt> {
        vec![
            tcp(0, true, SYN, 100, 0, 0),
            tcp(1, false, SYN | ACK, 900, 101, 0),
            tcp(2, true, ACK, 101, 901, 0),
            tcp(3, true, PSH | ACK, 101, 901, 5),
            tcp(4, false, PSH | ACK, 901, 106, 5),
            tcp(5, true, FIN | ACK, 106, 906, 0),
            tcp(6, false, FIN | ACK, 906, 107, 0),
            tcp(7, true, ACK, 107, 907, 0),
            udp(1_000, 30),
            udp(60_500, 30),
        ]
    }

    fn feed(a: &mut ConnAnalyzer, p: &Pkt, events: &mut Vec<Event>) {
        let ts = Ts { sec: 1_000 + (p.ms / 1000) as i64, nsec: (p.ms % 1000) as u32 * 1_000_000 };
        let f = Frame { number: 1, ts, linktype: 1, len: p.data.len() as u32, data: &p.data, interface: 0, ts_known: true };
        a.packet(&decode(&f), events);
    }

    fn snap(a: &ConnAnalyzer) -> ConnSummary {
        let mut r = Report::default();
        a.snapshot(&mut r);
        r.conns.unwrap_or_default()
    }

    /// Events and final summary of a run, as JSON, taking a snapshot after every packet or not.
    fn run(snapshots: bool) -> (Vec<String>, String) {
        let mut a = ConnAnalyzer::new(ConnConfig::default());
        let mut events = Vec::new();
        for p in script() {
            feed(&mut a, &p, &mut events);
            if snapshots {
                let _ = snap(&a);
            }
        }
        let mut r = Report::default();
        a.finish(&mut r, &mut events);
        let ev = events.iter().map(|e| serde_json::to_string(e).unwrap_or_default()).collect();
        (ev, serde_json::to_string(&r.conns).unwrap_or_default())
    }

    #[test]
    fn state_and_end_places_follow_the_lists() {
        for (i, (name, _)) in CONN_STATES.iter().enumerate() {
            assert_eq!(state_place(name), Some(i), "{name}");
        }
        for (i, name) in ENDS.iter().enumerate() {
            assert_eq!(end_place(name), Some(i), "{name}");
        }
        assert_eq!(state_place("S4"), None);
        assert_eq!(end_place("expired"), None);
    }

    #[test]
    fn a_lone_syn_is_known_ahead() {
        // Every flag combination, with and without payload, either way along the key, TCP and
        // UDP: the class and the closing state told without making the connection (or by making
        // it without a timeline) are the ones of the connection made from the packet.
        let mut lone = 0;
        for flags in 0..=u8::MAX {
            for len in [0, 7] {
                for from_a in [false, true] {
                    for tcp in [false, true] {
                        let seg = Seg { flags, seq: 1000, ack: 77, len, window: 512, ip_len: 40 + len, frame_len: 54 + len };
                        let f = First { seg, now: 5_000, from_a, tcp };
                        // With the timeline kept (`-V`) or not: it changes no state.
                        for timeline in [false, true] {
                            let c = f.conn(timeline);
                            assert_eq!(f.class(), c.class(), "class, flags {flags:#04x} len {len} tcp {tcp}");
                            for end in ENDS {
                                let t = 60_000_000_000;
                                let want = closing_state(&mut c.clone(), end, 5_000, t);
                                let got = Tracked::First(f).closing_state(end, 5_000, t);
                                assert_eq!(got, want, "state at {end}, flags {flags:#04x} len {len} tcp {tcp}");
                            }
                        }
                        lone += usize::from(f.lone_syn());
                    }
                }
            }
        }
        // Sanity: the shortcut was taken (SYN with any of PSH, URG, ECE, CWR, and none).
        assert_eq!(lone, 16 * 2 * 2);
    }

    #[test]
    fn a_first_packet_takes_less_room_than_a_connection() {
        // What the table keeps of a connection until its second packet (a scan's or a flood's
        // connections never have one): the packet, not the 160-byte connection.
        assert!(std::mem::size_of::<Tracked>() <= 40, "Tracked is {} bytes", std::mem::size_of::<Tracked>());
    }

    #[test]
    fn snapshots_leave_the_analysis_unchanged() {
        let (plain_events, plain_report) = run(false);
        let (snap_events, snap_report) = run(true);
        // Sanity: the run itself reported both connections.
        assert_eq!(plain_events.len(), 2);
        assert_eq!(snap_events, plain_events);
        assert_eq!(snap_report, plain_report);
    }

    #[test]
    fn snapshot_lists_open_connections_as_they_stand() {
        let mut a = ConnAnalyzer::new(ConnConfig::default());
        let mut events = Vec::new();
        let pkts = script();
        for p in pkts.iter().take(3) {
            feed(&mut a, p, &mut events);
        }
        let s = snap(&a);
        assert_eq!((s.tcp, s.udp, s.matched), (1, 0, 1));
        let row = &s.rows[0];
        assert_eq!((row.orig_h, row.orig_p, row.resp_p), (IpAddr::from(CLIENT), 40000, 80));
        assert_eq!((row.orig_state, row.resp_state), (Some(TcpState::Established), Some(TcpState::Established)));
        assert_eq!((row.conn_state, row.end, row.orig_pkts, row.resp_pkts), ("S1", "open", 2, 1));
        assert!(s.by_end.is_empty());

        // Closed by the client (it waits in TIME_WAIT), and a UDP query with no answer yet.
        for p in pkts.iter().take(9).skip(3) {
            feed(&mut a, p, &mut events);
        }
        let s = snap(&a);
        assert_eq!((s.tcp, s.udp, s.rows.len()), (1, 1, 2));
        let row = &s.rows[0];
        assert_eq!((row.orig_state, row.resp_state), (Some(TcpState::TimeWait), Some(TcpState::Closed)));
        assert_eq!((row.conn_state, row.orig_bytes, row.resp_bytes), ("SF", 5, 5));
        assert_eq!((s.rows[1].proto, s.rows[1].conn_state), ("udp", "S0"));
        assert!(events.is_empty(), "nothing has left the table yet");

        // Past TIME_WAIT the TCP connection leaves: counted in the totals, no longer a row.
        feed(&mut a, &pkts[9], &mut events);
        let s = snap(&a);
        assert_eq!(events.len(), 1);
        assert_eq!((s.tcp, s.udp, s.rows.len(), s.rows[0].proto), (1, 1, 1, "udp"));
        assert_eq!(s.by_end, vec![("time_wait_expired".to_string(), 1)]);
        assert_eq!(s.by_state, vec![("S0".to_string(), 1), ("SF".to_string(), 1)]);
    }

    #[test]
    fn snapshot_applies_the_table_filters() {
        let cfg = ConnConfig { port: Some(53), max_rows: 5, ..ConnConfig::default() };
        let mut a = ConnAnalyzer::new(cfg);
        let mut events = Vec::new();
        for p in script().iter().take(9) {
            feed(&mut a, p, &mut events);
        }
        let s = snap(&a);
        assert_eq!((s.tcp, s.udp, s.matched, s.rows.len()), (1, 1, 1, 1));
        assert_eq!(s.rows[0].resp_p, 53);
        assert_eq!(s.filter, "port 53");
    }

    #[test]
    fn without_records_the_totals_stay_and_no_record_is_emitted() {
        let run = |records: bool| {
            let mut a = ConnAnalyzer::new(ConnConfig { records, ..ConnConfig::default() });
            let mut events = Vec::new();
            for p in script() {
                feed(&mut a, &p, &mut events);
            }
            let mut r = Report::default();
            a.finish(&mut r, &mut events);
            (events.len(), r.conns.unwrap_or_default())
        };
        let (with_events, with) = run(true);
        let (without_events, without) = run(false);
        assert_eq!((with_events, without_events), (2, 0));
        // The closed TCP connection (SF, swept after TIME_WAIT) and the unanswered UDP flow
        // (S0, still open at the end).
        let by_state = vec![("S0".to_string(), 1), ("SF".to_string(), 1)];
        let by_end = vec![("end_of_input".to_string(), 1), ("time_wait_expired".to_string(), 1)];
        assert_eq!((&with.by_state, &with.by_end), (&by_state, &by_end));
        assert_eq!((&without.by_state, &without.by_end), (&by_state, &by_end));
        assert_eq!((without.tcp, without.udp, without.matched, without.rows.len()), (1, 1, 2, 0));
        assert_eq!(with.rows.len(), 2);
    }
}
