//! The connection tracker: every TCP connection and UDP flow, from first packet to report.
//!
//! Packets find their connection in the bounded flow table; TCP segments drive the per-endpoint
//! state machine of [`super::conn`]. Connections leave the table when their timer runs out on
//! packet time (TIME_WAIT, unanswered SYN, half-open, idle), when their partition of the table is
//! full (its longest idle is evicted), when a new SYN reuses their ports after a close, or at the
//! end of input; each leaves exactly once, as one [`ConnRecord`], so every TCP and UDP packet is
//! counted in exactly one reported connection. Records are pushed as events as they leave (JSON
//! streams them like Zeek's conn.log) and a bounded, filtered set is kept for the text table.
//!
//! A tracker is one shard: it owns the partitions `p` with `p % shards == shard` and sees every
//! frame, its own flows' packets to track them and all others for the time. Every shard sweeps
//! its expired flows at the same frames, and each event carries an order key (timeout class,
//! then the frame that last touched the flow) that puts the events of all shards back in the
//! order one tracker owning every partition makes them. [`ConnTracker::join`] gathers the
//! shards again at the end.

use std::net::IpAddr;

use super::conn::{class, Conn, Kind, SERVICE_DHCP, SERVICE_DNS};
use crate::analyze::app::{self, AppTracker};
use crate::cli::ConnSort;
use crate::report::app::AppReport;
use crate::analyze::flow::{outlived, partition, partition_cap, partitions, FlowTable, Gone, CLASSES};
use crate::analyze::stream::reassembly::Origin;
use crate::analyze::app::session::{AppConfig, Found, Session};
use crate::analyze::stream::{HeldFirst, Sent, StreamConfig, StreamTally, Streams};
use crate::report::web::{Ends, Message, WebSummary};
use crate::analyze::{Analyzer, Events, LookAhead, Sink};
use super::zeek;
use crate::decode::key::{IPPROTO_TCP, IPPROTO_UDP};
use crate::decode::encap::TunnelKind;
use crate::decode::input::Tunnel;
use crate::decode::{tcpflag, FlowKey, FlowSeg, Input, Seg};
use crate::filter::ConnNote;
use crate::report::conn::{ConnRecord, ConnState, ConnSummary, End, TcpState, Transition, TunnelAction, TunnelRecord};
use crate::report::traffic::Services;
use crate::report::{Event, Report, Weird};
use rustc_hash::FxHashMap;
use crate::source::Ts;
use crate::analyze::timeline::{Merge, Timeline};

/// Which connections the table shows (totals always count every connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Either endpoint ended in this RFC 793 state.
    Tcp(TcpState),
    /// Zeek's conn_state is this.
    Zeek(ConnState),
}

/// Parses `--state`: an RFC 793 state name or a Zeek conn_state.
pub fn parse_state_filter(s: &str) -> Result<StateFilter, String> {
    if let Some(t) = TcpState::parse(s) {
        return Ok(StateFilter::Tcp(t));
    }
    match ConnState::parse(s) {
        Some(c) => Ok(StateFilter::Zeek(c)),
        None => Err(format!(
            "unknown state '{s}': expected an RFC 793 state ({}) or a Zeek conn_state ({})",
            TcpState::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
            ConnState::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
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
    /// How long an ICMP flow may stay idle, seconds.
    pub icmp_timeout: f64,
    /// Zeek's `dns_session_timeout` for UDP flows on a DNS port, seconds.
    pub dns_timeout: f64,
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
    /// Threads that may count the connections left at the end of a run when no record is built.
    pub end_threads: usize,
    /// Which rows the table keeps (the first `max_rows` in this order) and their order.
    pub sort: ConnSort,
    /// Reassemble every TCP connection's stream (`--reassemble all`), with these caps.
    pub streams: Option<StreamConfig>,
    /// The application layer (HTTP, TLS), when on.
    pub app: Option<AppConfig>,
}

/// Where a row goes in the table's order: a rank (0 when sorting by start; otherwise the
/// complement of the size, so that the largest comes first), then start and uid.
type RowKey = (u64, Ts, String);

fn row_key(sort: ConnSort, r: &ConnRecord) -> RowKey {
    let rank = match sort {
        ConnSort::Start => 0,
        ConnSort::Bytes => u64::MAX - r.orig_bytes.saturating_add(r.resp_bytes),
        ConnSort::Pkts => u64::MAX - r.orig_pkts.saturating_add(r.resp_pkts),
        ConnSort::Duration => u64::MAX - (r.duration * 1e9) as u64,
    };
    (rank, r.start, r.uid.clone())
}

pub fn by_row_key(sort: ConnSort) -> impl Fn(&ConnRecord, &ConnRecord) -> std::cmp::Ordering {
    move |a, b| {
        if sort == ConnSort::Start {
            a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid))
        } else {
            row_key(sort, a).cmp(&row_key(sort, b))
        }
    }
}

impl ConnConfig {
    fn matches(&self, r: &ConnRecord) -> bool {
        let state_ok = match self.state {
            None => true,
            Some(StateFilter::Tcp(t)) => r.orig_state == Some(t) || r.resp_state == Some(t),
            Some(StateFilter::Zeek(z)) => r.conn_state == z,
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
        match self.state {
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

    /// The idle timeout (ns) of each class.
    fn timeouts(&self) -> [i64; CLASSES] {
        let mut t = [0i64; CLASSES];
        t[class::SYN as usize] = secs_ns(self.syn_timeout);
        t[class::HALF_OPEN as usize] = secs_ns(self.half_open_timeout);
        t[class::OPEN as usize] = secs_ns(self.idle_timeout);
        t[class::CLOSED as usize] = secs_ns(self.time_wait);
        t[class::UDP as usize] = secs_ns(self.udp_timeout);
        t[class::ICMP as usize] = secs_ns(self.icmp_timeout);
        t
    }
}

/// Why a connection of timeout class `class` that outlived its timeout left.
fn expiry_end(class: u8) -> End {
    match class {
        class::SYN => End::SynTimeout,
        class::HALF_OPEN => End::HalfOpenTimeout,
        class::OPEN => End::IdleTimeout,
        class::CLOSED => End::TimeWaitExpired,
        class::UDP => End::UdpTimeout,
        _ => End::IcmpTimeout,
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
    uid_text(uid_value(key, start_ns))
}

/// The number a uid spells (see [`uid`]): kept instead of the text where many are held.
pub fn uid_value(key: &FlowKey, start_ns: i64) -> u64 {
    // A multiplicative mix so that nearby start times give unrelated ids.
    let v = key.hash64() ^ (start_ns as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    v ^ (v >> 31)
}

/// The uid that `v` spells.
pub fn uid_text(v: u64) -> String {
    uid_ascii(v).iter().map(|&b| b as char).collect()
}

/// [`uid`]'s twelve ASCII characters, without allocating (the display filter's `conn.uid`).
pub fn uid_bytes(key: &FlowKey, start_ns: i64) -> [u8; 12] {
    uid_ascii(uid_value(key, start_ns))
}

fn uid_ascii(mut v: u64) -> [u8; 12] {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = [b'C'; 12];
    for d in s.iter_mut().skip(1) {
        *d = DIGITS.get((v % 62) as usize).copied().unwrap_or(b'0');
        v /= 62;
    }
    s
}

/// The order key of an event about a flow of timeout class `class` last touched by frame `seq`:
/// one tracker's sweep takes the expired flows class by class, each class's least recently
/// touched first.
fn order_key(class: u8, seq: u64) -> u64 {
    (class as u64) << 60 | (seq & ((1 << 60) - 1))
}

/// The Zeek state of a connection that left the table for reason `end`, its last packet at
/// `last_ns` in a timeout class of `timeout` ns: one whose TIME_WAIT ran out is closed at the
/// end of that timer first.
fn closing_state(c: &mut Conn, end: End, last_ns: i64, timeout: i64) -> ConnState {
    if end == End::TimeWaitExpired {
        c.time_wait_over(last_ns.saturating_add(timeout));
    }
    c.conn_state()
}

/// Whether Zeek's DNS analyzer removed the UDP flow `x` of `slot` before `now`
/// ([`zeek::dns_session_over`]; the frame before this one came at `prev`), when it has a DNS
/// port.
#[inline]
fn dns_over(table: &FlowTable<Tracked>, slot: u32, x: &FlowSeg, prev: i64, now: i64, timeout_ns: i64) -> bool {
    zeek::dns_ports(x.key.a_port, x.key.b_port)
        && table.get(slot).zip(table.last_ns(slot)).is_some_and(|((_, t), last)| zeek::dns_session_over(t.start_ns(), last, prev, now, timeout_ns))
}

/// A connection as the table keeps it. Until its second packet only the first is kept, from
/// which the connection is made again when needed: a scan or a SYN flood fills the table with
/// connections of one packet each, and a whole [`Conn`] in each node would more than double the
/// node (the kernel's first touch of that memory, a page fault per 4 KiB, then dominates).
#[derive(Debug)]
enum Tracked {
    /// One packet so far.
    First(First),
    /// Two or more.
    Conn(Box<Conn>),
}

/// The first packet of a connection, as the tracker took it (its flow key beside it in the
/// table).
#[derive(Debug, Clone, Copy)]
struct First {
    seg: Seg,
    now: i64,
    /// Whether the packet went from endpoint `a` to `b` of the flow key.
    from_a: bool,
}

/// Whether `addr` (as a flow key holds it) is the IPv4 broadcast address, which Zeek never makes
/// an originator.
fn broadcast(addr: &[u8; 16], v6: bool) -> bool {
    !v6 && addr.get(..4) == Some(&[255u8; 4][..])
}

impl First {
    /// The connection of flow `key` after its first packet: exactly what the tracker made of it
    /// then, since that depends on nothing but the packet, its key, its time and the settings.
    fn conn(&self, key: &FlowKey, timeline: bool) -> Conn {
        let (sport, dport, dst) =
            if self.from_a { (key.a_port, key.b_port, &key.b_addr) } else { (key.b_port, key.a_port, &key.a_addr) };
        let flip = zeek::flip_first(key.proto, self.seg.flags, sport, dport, broadcast(dst, key.v6));
        let (mut c, sender_is_orig) = match key.proto {
            IPPROTO_TCP => Conn::new_tcp(&self.seg, self.now, timeline, flip),
            IPPROTO_UDP => (Conn::new_udp(self.now, flip), !flip),
            _ => (Conn::new_icmp(self.now), true),
        };
        c.orig_is_a = self.from_a == sender_is_orig;
        let from_resp = self.from_a != c.orig_is_a;
        c.packet(from_resp, &self.seg, self.now);
        c
    }

    /// Whether the packet is the usual first one, a TCP SYN alone (no ACK, FIN or RST), whose
    /// connection's class and state are known without making it (`a_lone_syn_is_known_ahead`
    /// holds them equal to the connection's for every flag combination).
    fn lone_syn(&self, key: &FlowKey) -> bool {
        key.proto == IPPROTO_TCP
            && self.seg.flags & (tcpflag::SYN | tcpflag::ACK | tcpflag::FIN | tcpflag::RST) == tcpflag::SYN
    }

    /// [`Conn::class`] of [`First::conn`]. Like the state, it does not depend on whether the
    /// timeline is kept, so the connection is made for it without one.
    fn class(&self, key: &FlowKey) -> u8 {
        if self.lone_syn(key) {
            class::SYN
        } else {
            self.conn(key, false).class()
        }
    }
}

impl Tracked {
    /// The time of the connection's first packet, ns.
    fn start_ns(&self) -> i64 {
        match self {
            Tracked::First(f) => f.now,
            Tracked::Conn(c) => c.start_ns,
        }
    }

    /// [`Conn::zeek_end_ns`] of the connection of flow `key`.
    fn zeek_end_ns(&self, key: &FlowKey, attempt_ns: i64, close_ns: i64) -> i64 {
        match self {
            Tracked::First(f) if f.lone_syn(key) => f.now.saturating_add(attempt_ns),
            Tracked::First(f) => f.conn(key, false).zeek_end_ns(attempt_ns, close_ns),
            Tracked::Conn(c) => c.zeek_end_ns(attempt_ns, close_ns),
        }
    }

    /// The connection of flow `key`, made from its first packet if that is all there is.
    fn into_conn(self, key: &FlowKey, timeline: bool) -> Conn {
        match self {
            Tracked::First(f) => f.conn(key, timeline),
            Tracked::Conn(c) => *c,
        }
    }

    /// [`closing_state`] of the connection: a lone SYN's attempt is S0 whatever ended it
    /// (TIME_WAIT, the one end that changes a state, never runs on an attempt).
    fn closing_state(&mut self, key: &FlowKey, end: End, last_ns: i64, timeout: i64) -> ConnState {
        match self {
            Tracked::First(f) if f.lone_syn(key) && end != End::TimeWaitExpired => ConnState::S0,
            Tracked::First(f) => closing_state(&mut f.conn(key, false), end, last_ns, timeout),
            Tracked::Conn(c) => closing_state(c, end, last_ns, timeout),
        }
    }

    /// The connection, for reading its state and counts (one made from its first packet keeps
    /// no timeline).
    fn view(&self, key: &FlowKey) -> std::borrow::Cow<'_, Conn> {
        match self {
            Tracked::First(f) => std::borrow::Cow::Owned(f.conn(key, false)),
            Tracked::Conn(c) => std::borrow::Cow::Borrowed(c),
        }
    }

    /// The connection's service bits, packets and IP bytes both ways, as its record gives
    /// them; one packet so far has no service yet and is counted without making the
    /// connection (`first_packet_totals_are_the_connections`).
    fn totals(&self) -> (u8, u64, u64) {
        match self {
            Tracked::First(f) => (0, 1, u64::from(f.seg.ip_len)),
            Tracked::Conn(c) => conn_totals(c),
        }
    }

    /// The connection, kept whole from now on (always Some).
    fn conn_mut(&mut self, key: &FlowKey, timeline: bool) -> Option<&mut Conn> {
        if let Tracked::First(f) = self {
            *self = Tracked::Conn(Box::new(f.conn(key, timeline)));
        }
        match self {
            Tracked::Conn(c) => Some(c),
            Tracked::First(_) => None,
        }
    }
}

/// [`Tracked::totals`] of a whole connection.
fn conn_totals(c: &Conn) -> (u8, u64, u64) {
    (c.service, u64::from(c.orig.pkts) + u64::from(c.resp.pkts), c.orig.ip_bytes + c.resp.ip_bytes)
}

/// Connections, packets and IP bytes of the connections of one set of service bits.
#[derive(Debug, Clone, Copy, Default)]
struct ServiceTally {
    conns: u64,
    packets: u64,
    bytes: u64,
}

/// What the tracker counts of the connections that left its table.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    tcp: u64,
    udp: u64,
    icmp: u64,
    by_state: [u64; ConnState::ALL.len()],
    by_end: [u64; End::LEFT.len()],
    /// Those that passed the filters.
    matched: u64,
    /// What their reassembled streams counted.
    streams: StreamTally,
    /// Those that passed the filters, per set of service bits (`-z service`): counted here
    /// so that no record needs to be made for them.
    services: [ServiceTally; 16],
}

impl Tally {
    /// Adds `other`'s counts to these.
    fn merge(&mut self, other: &Tally) {
        self.streams.merge(&other.streams);
        self.tcp += other.tcp;
        self.udp += other.udp;
        self.icmp += other.icmp;
        self.matched += other.matched;
        for (a, b) in self.by_state.iter_mut().zip(other.by_state) {
            *a += b;
        }
        for (a, b) in self.by_end.iter_mut().zip(other.by_end) {
            *a += b;
        }
        for (a, b) in self.services.iter_mut().zip(other.services) {
            a.conns += b.conns;
            a.packets += b.packets;
            a.bytes += b.bytes;
        }
    }

    /// Counts one connection that passed the filters, of [`Tracked::totals`] `totals`.
    fn matched(&mut self, (service, packets, bytes): (u8, u64, u64)) {
        self.matched += 1;
        if let Some(s) = self.services.get_mut(usize::from(service & 15)) {
            s.conns += 1;
            s.packets += packets;
            s.bytes += bytes;
        }
    }

    /// The per-service counts, named as the records name the services.
    fn services(&self) -> Services {
        let mut out = Services::default();
        for (bits, s) in self.services.iter().enumerate().filter(|(_, s)| s.conns > 0) {
            out.add_counts(super::conn::service_name(bits as u8), s.conns, s.packets, s.bytes);
        }
        out
    }

    /// Counts one connection of protocol `proto`, in state `state`, that ended by `end`.
    fn add(&mut self, proto: u8, state: ConnState, end: End) {
        self.count(proto, state);
        if let Some(n) = self.by_end.get_mut(end.index()) {
            *n += 1;
        }
    }

    /// Counts one connection by protocol and state only (the live view's open connections).
    fn count(&mut self, proto: u8, state: ConnState) {
        match proto {
            IPPROTO_TCP => self.tcp += 1,
            IPPROTO_UDP => self.udp += 1,
            _ => self.icmp += 1,
        }
        if let Some(n) = self.by_state.get_mut(state.index()) {
            *n += 1;
        }
    }
}

/// How often (packet time) the table's expired connections are collected.
const SWEEP_NS: i64 = 1_000_000_000;

/// Tracks connections; see the module documentation.
pub struct ConnTracker {
    cfg: ConnConfig,
    /// Every partition of the table; only the owned ones are ever filled.
    parts: Vec<FlowTable<Tracked>>,
    shard: usize,
    shards: usize,
    next_sweep_ns: Option<i64>,
    last_ns: i64,
    /// `last_ns` before the frame at hand: when the frame before it came.
    prev_ns: i64,
    /// Frames seen: each flow remembers the last one that touched it.
    seq: u64,
    tally: Tally,
    /// Connections in the owned partitions, and the most there were at once.
    live: usize,
    peak: usize,
    /// Whether the last packet started a new connection on a four-tuple with the SYN its
    /// predecessor had sent already (same ISN): Wireshark's retransmission, though Zeek's
    /// rules make it a new connection (the display filter's `tcp.analysis.retransmission`).
    resyn: bool,
    /// The frame at hand is a [`crate::decode::input::CONTINUED`] one: it moves the
    /// connections already tracked on, and starts none.
    continuing: bool,
    /// The last frame's time before the first continued one: a record with later packets was
    /// continued.
    main_end_ns: Option<i64>,
    rows: Vec<ConnRecord>,
    /// The order key of the last row kept at the latest trim: a record after it cannot make
    /// the table, so it is not copied.
    rows_bound: Option<RowKey>,
    /// The partitions and hashes of the inputs last announced to [`LookAhead::warm`], whose
    /// index entries it asked for: at the next call it asks for their nodes.
    warmed: Vec<(usize, u64)>,
    /// Every tunnel seen, the same in every shard (each sees every frame), so that a shard
    /// knows the uid of a tunnel its connection came through whoever owns the tunnel.
    tunnels: Tunnels,
    /// The uids (as numbers) of the tunnels each of this shard's tunneled connections came
    /// through; only connections that came through one have an entry.
    parents: FxHashMap<FlowKey, Parents>,
    /// Out-of-order bytes this shard's streams may still hold, of its share of the budget.
    stream_budget: usize,
    /// What the application layer counted.
    web: WebSummary,
    /// The application transactions of this shard's flows.
    app: AppTracker,
    /// Connections open and half open over time, when kept ([`ConnTracker::keep_series`]).
    series: Option<Box<ConnSeries>>,
    want_series: bool,
}

/// The table's size over time: sampled as each second of packet time ends, in every shard at
/// the same frames, so that the shards' samples add up to the whole table's.
#[derive(Debug, Clone)]
struct ConnSeries {
    open: Timeline,
    half_open: Timeline,
    /// The second of the last frame (epoch seconds).
    sec: i64,
}

/// Order keys of a frame's events about its tunnel: the outer connection's, then the tunnel's,
/// then (unordered, `u64::MAX`) the inner connection's, whichever shards own them.
const KEY_OUTER: u64 = u64::MAX - 2;
const KEY_TUNNEL: u64 = u64::MAX - 1;
const KEY_INNER: u64 = u64::MAX;

/// Zeek's `Tunnel::expiration_interval`: an IP tunnel that carried nothing for an hour expires.
const TUNNEL_EXPIRY_NS: i64 = 3600 * 1_000_000_000;

/// Most tunnel parents kept per connection (Zeek's set is unbounded; a connection that moves
/// between more tunnels than this keeps its first ones).
const MAX_PARENTS: usize = 4;

/// A tunneled connection's parents.
#[derive(Debug, Clone, Copy, Default)]
struct Parents {
    uids: [u64; MAX_PARENTS],
    n: u8,
}

impl Parents {
    fn add(&mut self, v: u64) {
        let n = self.n as usize;
        if self.uids.get(..n).is_some_and(|u| u.contains(&v)) {
            return;
        }
        if let Some(slot) = self.uids.get_mut(n) {
            *slot = v;
            self.n += 1;
        }
    }

    /// The uids, in text order (Zeek's set has none; this one is stable).
    fn texts(&self) -> Vec<String> {
        let mut t: Vec<String> = self.uids.iter().take(self.n as usize).map(|v| uid_text(*v)).collect();
        t.sort();
        t
    }
}

/// One tunnel as the tracker keeps it.
#[derive(Debug, Clone, Copy)]
struct TunnelEntry {
    kind: TunnelKind,
    /// Its first and last frame's times: the uid is the outer flow's with this start.
    start_ns: i64,
    last_ns: i64,
    /// Whether endpoint `a` of the key is the tunnel's originator.
    orig_is_a: bool,
    /// Whether it carried a connection yet (Zeek logs a tunnel when it does).
    discovered: bool,
}

impl TunnelEntry {
    fn uid(&self, key: &FlowKey) -> u64 {
        uid_value(key, self.start_ns)
    }

    /// Whether it ended before `now`: a UDP tunnel with its outer connection (idle for the UDP
    /// timeout), an IP tunnel after Zeek's hour.
    fn over(&self, key: &FlowKey, now: i64, udp_timeout: i64) -> bool {
        let timeout = if key.proto == IPPROTO_UDP { udp_timeout } else { TUNNEL_EXPIRY_NS };
        outlived(now, self.last_ns, timeout)
    }

    fn record(&self, key: &FlowKey, ts_ns: i64, action: TunnelAction) -> TunnelRecord {
        let ((oh, op), (rh, rp)) = if self.orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
        TunnelRecord {
            ts: ns_ts(ts_ns).as_secs_f64(),
            uid: uid_text(self.uid(key)),
            orig_h: oh,
            orig_p: op,
            resp_h: rh,
            resp_p: rp,
            tunnel_type: self.kind,
            action,
        }
    }
}

/// The tunnels seen, by outer key.
type Tunnels = FxHashMap<FlowKey, TunnelEntry>;

impl ConnTracker {
    /// The tracker of shard `shard` of `shards`.
    pub fn new(cfg: ConnConfig, shard: usize, shards: usize) -> Self {
        let n = partitions(cfg.max_conns);
        let timeouts = cfg.timeouts();
        let parts = (0..n)
            .map(|p| {
                let owned = p % shards.max(1) == shard;
                FlowTable::new(if owned { partition_cap(cfg.max_conns, p, n) } else { 1 }, timeouts)
            })
            .collect();
        let cfg_budget = cfg.streams.or(cfg.app.map(|a| a.streams)).map_or(0, |st| st.budget / shards.max(1));
        ConnTracker {
            parts,
            cfg,
            shard,
            shards: shards.max(1),
            next_sweep_ns: None,
            last_ns: i64::MIN,
            prev_ns: i64::MIN,
            seq: 0,
            tally: Tally::default(),
            live: 0,
            resyn: false,
            continuing: false,
            main_end_ns: None,
            peak: 0,
            rows: Vec::new(),
            rows_bound: None,
            warmed: Vec::new(),
            tunnels: Tunnels::default(),
            parents: FxHashMap::default(),
            stream_budget: cfg_budget,
            web: WebSummary::default(),
            app: AppTracker::default(),
            series: None,
            want_series: false,
        }
    }

    /// Keeps the connections open and half open per second for the pictures and sparklines.
    pub fn keep_series(&mut self) {
        self.want_series = true;
    }

    /// TCP connections of the owned partitions whose handshake is incomplete or that are half
    /// closed (the SYN and half-open timeout classes).
    fn half_open(&self) -> usize {
        (self.shard..self.parts.len()).step_by(self.shards).filter_map(|p| self.parts.get(p)).map(|t| t.class_len(class::SYN) + t.class_len(class::HALF_OPEN)).sum()
    }

    /// Samples the table when a frame of a later second than the last comes (before it
    /// counts): the level held from the last frame's second until this one's.
    #[inline(never)]
    fn note_series(&mut self, ts: crate::source::Ts) {
        let (open, half) = match &self.series {
            Some(s) if ts.sec > s.sec => (self.live as u64, self.half_open() as u64),
            Some(_) => return,
            None => {
                let s = ConnSeries { open: Timeline::new(ts, Merge::Max), half_open: Timeline::new(ts, Merge::Max), sec: ts.sec };
                self.series = Some(Box::new(s));
                return;
            }
        };
        if let Some(s) = &mut self.series {
            s.open.sample_span(s.sec, ts.sec - 1, open);
            s.half_open.sample_span(s.sec, ts.sec - 1, half);
            s.sec = ts.sec;
        }
    }

    /// The last second's sample, and the series into `report`.
    fn finish_series(&mut self, report: &mut Report) {
        let (open, half) = (self.live as u64, self.half_open() as u64);
        if let Some(mut s) = self.series.take() {
            s.open.sample_span(s.sec, s.sec, open);
            s.half_open.sample_span(s.sec, s.sec, half);
            let series = report.series.get_or_insert_with(Default::default);
            series.open = Some(s.open);
            series.half_open = Some(s.half_open);
        }
    }

    /// One tracker of the shards of a run, once they have all seen every frame: each partition
    /// from its owner, with the counts and rows of all, and `peak` (the most connections all
    /// shards tracked at once, which no shard knows alone).
    pub fn join(shards: Vec<ConnTracker>, peak: usize) -> Option<ConnTracker> {
        let mut it = shards.into_iter();
        let mut all = it.next()?;
        for mut other in it {
            for (p, table) in other.parts.iter_mut().enumerate() {
                if p % other.shards == other.shard {
                    if let Some(mine) = all.parts.get_mut(p) {
                        std::mem::swap(mine, table);
                    }
                }
            }
            all.tally.merge(&other.tally);
            all.web.merge(std::mem::take(&mut other.web));
            all.app.join(std::mem::take(&mut other.app));
            all.parents.extend(other.parents.drain());
            all.live += other.live;
            if let (Some(a), Some(b)) = (all.series.as_mut(), other.series.as_ref()) {
                a.open.add_all(&b.open);
                a.half_open.add_all(&b.half_open);
            }
            all.rows.append(&mut other.rows);
            if all.rows.len() >= all.cfg.max_rows.saturating_mul(2) {
                all.trim_rows();
            }
        }
        all.shard = 0;
        all.shards = 1;
        all.peak = peak;
        Some(all)
    }

    /// What the tracker knows of `x`'s connection right after `x` (None when `x` is no TCP or
    /// UDP packet, or its flow is another shard's): for the display filter's `conn.*` fields.
    pub fn note(&self, x: &Input) -> Option<ConnNote> {
        let f = x.flow()?;
        let p = partition(f.hash, self.parts.len());
        if !self.owns(p) {
            return None;
        }
        let t = self.parts.get(p)?;
        let (key, tracked) = t.get(t.find_hashed(&f.key, f.hash)?)?;
        let c = tracked.view(key);
        let from_resp = f.from_a != c.orig_is_a;
        let mut history = [0u8; crate::analyze::tcp::conn::HISTORY_MAX];
        let h = c.hist_bytes();
        if let Some(d) = history.get_mut(..h.len()) {
            d.copy_from_slice(h);
        }
        Some(ConnNote {
            uid: uid_bytes(key, c.start_ns),
            state: c.conn_state(),
            history,
            history_len: h.len() as u8,
            tcp_state: f.tcp.then(|| if from_resp { c.resp.state } else { c.orig.state }),
            retransmission: f.tcp && (c.last_was_retransmission() || self.resyn),
        })
    }

    /// Whether it takes TCP payloads (streams are reassembled).
    pub fn wants_payloads(&self) -> bool {
        self.cfg.streams.is_some() || self.cfg.app.is_some()
    }

    /// Connections in the table now (of the partitions this shard owns).
    pub fn tracked(&self) -> usize {
        self.live
    }

    fn owns(&self, p: usize) -> bool {
        p % self.shards == self.shard
    }

    /// Whether nothing would show a connection's record: no per-connection records are wanted
    /// and no filter applies, so only the counts are kept.
    fn counts_only(&self) -> bool {
        !self.cfg.records && !self.cfg.filtered()
    }

    /// Reports a connection that left partition `p` for reason `end`; `key` orders it among the
    /// frame's events (None: after the ordered ones).
    fn emit(&mut self, p: usize, g: Gone<Tracked>, end: End, key: Option<u64>, out: &mut dyn FnMut(Option<u64>, Event)) {
        self.live = self.live.saturating_sub(1);
        let Gone { key: flow, mut val, last_ns, class, .. } = g;
        if let Tracked::Conn(c) = &mut val {
            let mut ctx = AppCtx { cfg: &self.cfg, budget: &mut self.stream_budget, web: &mut self.web, messages: false, app: None, seq: 0 };
            end_streams(&flow, c, &mut ctx, &mut self.tally.streams, ns_ts(last_ns), &mut |e| out(key, e));
        }
        let timeout = self.parts.get(p).map_or(i64::MAX, |t| t.timeout(class));
        if self.counts_only() {
            self.tally.add(flow.proto, val.closing_state(&flow, end, last_ns, timeout), end);
            self.tally.matched(val.totals());
            return;
        }
        let mut c = val.into_conn(&flow, self.cfg.timeline);
        let state = closing_state(&mut c, end, last_ns, timeout);
        self.tally.add(flow.proto, state, end);
        let mut rec = record(&flow, &c, last_ns, end, c.transitions());
        rec.continued = self.main_end_ns.is_some_and(|m| last_ns > m);
        if !self.parents.is_empty() {
            if let Some(ps) = self.parents.remove(&flow) {
                rec.tunnel_parents = ps.texts();
            }
        }
        // A tunnel over UDP closes with its outer connection (Zeek's `finalize_tunnel` hook).
        let closed = if self.tunnels.is_empty() { None } else { self.close_tunnel(&flow, c.start_ns) };
        if self.cfg.matches(&rec) {
            self.tally.matched(conn_totals(&c));
            self.keep_row(rec.clone());
            out(key, Event::Conn(Box::new(rec)));
        }
        if let Some(t) = closed {
            out(key, Event::Tunnel(Box::new(t)));
        }
    }

    /// Keeps a matched record for the table, if it may make it.
    fn keep_row(&mut self, rec: ConnRecord) {
        let beyond = self.rows_bound.as_ref().is_some_and(|bound| row_key(self.cfg.sort, &rec) > *bound);
        if self.cfg.max_rows > 0 && !beyond {
            self.rows.push(rec);
            if self.rows.len() >= self.cfg.max_rows.saturating_mul(2) {
                self.trim_rows();
            }
        }
    }

    /// The CLOSE record of the UDP tunnel whose outer connection `flow`, begun at `start_ns`,
    /// just left, if it carried a connection; the tunnel is forgotten.
    fn close_tunnel(&mut self, flow: &FlowKey, start_ns: i64) -> Option<TunnelRecord> {
        let t = self.tunnels.get(flow).filter(|t| t.start_ns == start_ns).copied()?;
        self.tunnels.remove(flow);
        t.discovered.then(|| t.record(flow, self.last_ns, TunnelAction::Close))
    }

    /// The tunnel part of a frame that came through tunnel `t`: its outer UDP flow is tracked
    /// as a connection (by the shard that owns it), the tunnel is noted or refreshed (by every
    /// shard alike), and its owner logs it the first time it carries a connection.
    fn tunnel_frame(&mut self, t: &Tunnel, x: &Input, now: i64, out: &mut Events) {
        let outer = t.outer_seg(x.len);
        let p = partition(outer.hash, self.parts.len());
        let owner = self.owns(p);
        if t.over_udp() && owner {
            self.flow_packet(p, &outer, now, None, out, KEY_OUTER);
        }
        if self.counts_only() {
            return;
        }
        let udp_timeout = secs_ns(self.cfg.udp_timeout);
        let key = t.key;
        let stale = self.tunnels.get(&key).is_some_and(|e| e.over(&key, now, udp_timeout));
        if stale {
            if let Some(e) = self.tunnels.remove(&key) {
                if owner && e.discovered && !t.over_udp() {
                    out.push_at(KEY_TUNNEL, Event::Tunnel(Box::new(e.record(&key, now, TunnelAction::Expire))));
                }
            }
        }
        let e = self.tunnels.entry(key).or_insert_with(|| {
            let (sport, dport) = if t.from_a { (key.a_port, key.b_port) } else { (key.b_port, key.a_port) };
            let flip = t.over_udp() && zeek::flip_first(IPPROTO_UDP, 0, sport, dport, false);
            TunnelEntry { kind: t.kind, start_ns: now, last_ns: now, orig_is_a: t.from_a != flip, discovered: false }
        });
        e.last_ns = now;
        if x.flow().is_some() && !e.discovered {
            e.discovered = true;
            if owner {
                let rec = e.record(&key, now, TunnelAction::Discover);
                out.push_at(KEY_TUNNEL, Event::Tunnel(Box::new(rec)));
            }
        }
    }

    /// Forgets the tunnels that ended by `now` (every shard alike); the owner logs an IP
    /// tunnel's expiry (a UDP tunnel closed with its outer connection).
    fn sweep_tunnels(&mut self, now: i64, out: &mut Events) {
        let udp_timeout = secs_ns(self.cfg.udp_timeout);
        let n = self.parts.len();
        let mut expired: Vec<(u64, TunnelRecord)> = Vec::new();
        let (shard, shards) = (self.shard, self.shards);
        self.tunnels.retain(|key, e| {
            if !e.over(key, now, udp_timeout) {
                return true;
            }
            if key.proto != IPPROTO_UDP && e.discovered && partition(key.table_hash(), n) % shards == shard {
                expired.push((e.uid(key), e.record(key, now, TunnelAction::Expire)));
            }
            false
        });
        // After the swept connections (classes 0 to 5), by uid: an order that does not depend
        // on which shard owns which tunnel.
        for (v, r) in expired {
            out.push_at((CLASSES as u64) << 60 | (v & ((1 << 60) - 1)), Event::Tunnel(Box::new(r)));
        }
    }

    /// Keeps the first `max_rows` rows in the table's order.
    fn trim_rows(&mut self) {
        self.rows.sort_by(by_row_key(self.cfg.sort));
        self.rows.truncate(self.cfg.max_rows);
        if self.rows.len() >= self.cfg.max_rows {
            self.rows_bound = self.rows.last().map(|r| row_key(self.cfg.sort, r));
        }
    }

    /// Takes out the flows of partition `p` that outlived their timeout at `now_ns`, each
    /// ordered by `ordered` (false: after the ordered events, in the order taken).
    fn sweep(&mut self, p: usize, now_ns: i64, ordered: bool, out: &mut Events) {
        while let Some(g) = self.parts.get_mut(p).and_then(|t| t.pop_expired(now_ns)) {
            let end = expiry_end(g.class);
            let key = ordered.then(|| order_key(g.class, g.seq));
            self.emit(p, g, end, key, &mut |k, e| match k {
                Some(k) => out.push_at(k, e),
                None => out.push(e),
            });
        }
    }

    /// One TCP segment or UDP datagram of a flow in partition `p`, at `now`, with its captured
    /// payload when streams are reassembled; `at` orders the events of a frame's flows (a
    /// tunneled frame has two).
    fn flow_packet(&mut self, p: usize, x: &FlowSeg, now: i64, payload: Option<(&[u8], Origin)>, out: &mut Events, at: u64) {
        let seq = self.seq;
        let timeline = self.cfg.timeline;
        let Some(table) = self.parts.get_mut(p) else { return };
        let mut slot = table.find_hashed(&x.key, x.hash);
        if let Some(s) = slot {
            // A connection whose timer ran out before this packet has left; one that was closed
            // and gets a new SYN is replaced by a new one.
            let (attempt_ns, close_ns) = (secs_ns(self.cfg.syn_timeout), secs_ns(self.cfg.time_wait));
            // Both of Zeek's timers run from a packet of the connection, none before its first.
            let zeek_over = x.tcp
                && table.get(s).is_some_and(|(k, t)| {
                    now.saturating_sub(t.start_ns()) >= attempt_ns.min(close_ns) && t.zeek_end_ns(k, attempt_ns, close_ns) <= now
                });
            let zeek_over = zeek_over || (x.key.proto == IPPROTO_UDP && dns_over(table, s, x, self.prev_ns, now, secs_ns(self.cfg.dns_timeout)));
            let gone = if zeek_over || table.is_stale(s, now) {
                table.remove(s).map(|g| {
                    let end = expiry_end(g.class);
                    (g, end)
                })
            } else {
                // Only a SYN may start a new connection: other packets skip the test.
                let mut resyn = false;
                let reused = x.tcp
                    && x.seg.flags & tcpflag::SYN != 0
                    && table
                        .get_mut(s)
                        .and_then(|(k, t)| {
                            let c = t.view(k);
                            c.reused_by(&x.seg).then(|| resyn = c.repeats_syn(&x.seg))
                        })
                        .is_some();
                self.resyn = resyn;
                let Some(table) = self.parts.get_mut(p) else { return };
                if reused { table.remove(s).map(|g| (g, End::Reused)) } else { None }
            };
            if let Some((g, end)) = gone {
                slot = None;
                self.emit(p, g, end, None, &mut |_, e| out.push_at(at, e));
            }
        }
        let Some(slot) = slot else {
            if self.continuing {
                // The next input's own run has it.
                return;
            }
            if self.parts.get(p).is_some_and(|t| t.is_full()) {
                self.sweep(p, now, false, out);
            }
            if let Some(g) = self.parts.get_mut(p).filter(|t| t.is_full()).and_then(|t| t.evict_oldest()) {
                self.emit(p, g, End::Evicted, None, &mut |_, e| out.push_at(at, e));
            }
            let first = First { seg: x.seg, now, from_a: x.from_a };
            let mut class = first.class(&x.key);
            let mut val = Tracked::First(first);
            // A first packet with bytes for a stream makes the connection at once, to hold them.
            // (With the application layer only, for the first bytes of a protocol it reads.)
            let dns = self.cfg.app.is_some() && crate::decode::app::tcp(x.src().1, x.dst().1).is_some();
            let wanted = |b: &[u8]| self.cfg.streams.is_some() || dns || (self.cfg.app.is_some() && Session::recognises(b));
            if let Some((bytes, origin)) = payload.filter(|(b, _)| x.tcp && !b.is_empty() && wanted(b)) {
                let mut c = first.conn(&x.key, timeline);
                let from_resp = x.from_a != c.orig_is_a;
                let messages = self.cfg.app.is_some_and(|a| a.messages);
                let mut ctx = AppCtx { cfg: &self.cfg, budget: &mut self.stream_budget, web: &mut self.web, messages, app: Some(&mut self.app), seq };
                feed_streams(&x.key, &mut c, Sent { from_resp, seg: &x.seg, payload: bytes, origin }, &mut ctx, &mut |e| out.push(e));
                class = c.class();
                val = Tracked::Conn(Box::new(c));
            }
            if let Some(t) = self.parts.get_mut(p) {
                t.insert(x.key, x.hash, val, now, class, seq);
                self.live += 1;
                self.peak = self.peak.max(self.live);
            }
            return;
        };
        let Some(table) = self.parts.get_mut(p) else { return };
        let Some(c) = table.get_mut(slot).and_then(|(k, t)| t.conn_mut(k, timeline)) else { return };
        let from_resp = x.from_a != c.orig_is_a;
        c.packet(from_resp, &x.seg, now);
        if let (Some((bytes, origin)), true) = (payload, x.tcp) {
            let messages = self.cfg.app.is_some_and(|a| a.messages);
            let mut ctx = AppCtx { cfg: &self.cfg, budget: &mut self.stream_budget, web: &mut self.web, messages, app: Some(&mut self.app), seq };
            feed_streams(&x.key, c, Sent { from_resp, seg: &x.seg, payload: bytes, origin }, &mut ctx, &mut |e| out.push(e));
        }
        let class = c.class();
        table.touch(slot, now, class, seq);
    }

    /// The connections left at the end, each as expired (its timeout had passed by the last
    /// packet's time) or still open, counted on up to `end_threads` threads: nothing shows their
    /// records, so the order does not matter.
    fn count_left(&mut self) {
        let now = self.last_ns;
        let threads = self.cfg.end_threads.clamp(1, std::thread::available_parallelism().map_or(1, |n| n.get()));
        let cfg = &self.cfg;
        let count = |tables: &mut [FlowTable<Tracked>]| {
            let mut tally = Tally::default();
            let mut web = WebSummary::default();
            for t in tables {
                let timeouts = t.timeouts();
                t.drain_each(|key, tracked, last_ns, class| {
                    if let Tracked::Conn(c) = tracked {
                        // The budget is spent: what is held is given back to no one.
                        let mut ctx = AppCtx { cfg, budget: &mut usize::MAX.clone(), web: &mut web, messages: false, app: None, seq: 0 };
                        end_streams(key, c, &mut ctx, &mut tally.streams, ns_ts(last_ns), &mut |_| {});
                    }
                    let timeout = timeouts.get(class as usize).copied().unwrap_or(i64::MAX);
                    let end = if outlived(now, last_ns, timeout) { expiry_end(class) } else { End::EndOfInput };
                    tally.add(key.proto, tracked.closing_state(key, end, last_ns, timeout), end);
                    tally.matched(tracked.totals());
                });
            }
            (tally, web)
        };
        let chunk = self.parts.len().div_ceil(threads).max(1);
        let tallies: Vec<(Tally, WebSummary)> = std::thread::scope(|s| {
            let mut chunks = self.parts.chunks_mut(chunk);
            let first = chunks.next();
            let others: Vec<_> = chunks
                .map(|c| {
                    let count = &count;
                    // A chunk whose thread cannot be had is counted here.
                    let (tx, rx) = std::sync::mpsc::channel::<&mut [FlowTable<Tracked>]>();
                    match std::thread::Builder::new().name("inspect-count".into()).spawn_scoped(s, move || rx.recv().ok().map(count)) {
                        Ok(h) => match tx.send(c) {
                            Ok(()) => Ok(h),
                            Err(back) => Err(back.0),
                        },
                        Err(_) => Err(c),
                    }
                })
                .collect();
            let mut all = vec![first.map(count).unwrap_or_default()];
            for o in others {
                match o {
                    Ok(h) => all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
                    Err(c) => all.push(count(c)),
                }
            }
            all
        });
        for (t, web) in tallies {
            self.tally.merge(&t);
            self.web.merge(web);
        }
        self.live = 0;
    }

    /// Reports every connection left at the end, in the order one table holding every
    /// partition gives them: while the least recently touched connection of some timeout class
    /// had outlived its timeout by the last packet's time, the first such class's goes, as
    /// expired; otherwise the first non-empty class's goes, as open at the end of input.
    fn report_left(&mut self, out: &mut dyn Sink) {
        let now = self.last_ns;
        let timeouts = self.cfg.timeouts();
        // Each class's connections, least recently touched first: (frame, partition, slot, time).
        let mut lists: [Vec<(u64, u32, u32, i64)>; CLASSES] = Default::default();
        for (p, t) in self.parts.iter_mut().enumerate() {
            t.begin_drain();
            for (slot, class, last_ns, seq) in t.slots() {
                if let Some(l) = lists.get_mut(class as usize) {
                    l.push((seq, p as u32, slot, last_ns));
                }
            }
        }
        for l in &mut lists {
            l.sort_unstable();
        }
        let mut next = [0usize; CLASSES];
        loop {
            let head = |c: usize| lists.get(c).and_then(|l| l.get(next.get(c).copied().unwrap_or(usize::MAX)));
            let expired = (0..CLASSES).find(|&c| {
                head(c).is_some_and(|&(_, _, _, last)| outlived(now, last, timeouts.get(c).copied().unwrap_or(i64::MAX)))
            });
            let (class, end) = match expired {
                Some(c) => (c, None),
                None => match (0..CLASSES).find(|&c| head(c).is_some()) {
                    Some(c) => (c, Some(End::EndOfInput)),
                    None => break,
                },
            };
            let Some(&(_, p, slot, _)) = head(class) else { break };
            if let Some(n) = next.get_mut(class) {
                *n += 1;
            }
            let p = p as usize;
            let Some(g) = self.parts.get_mut(p).and_then(|t| t.remove(slot)) else { continue };
            let end = end.unwrap_or_else(|| expiry_end(g.class));
            self.emit(p, g, end, None, &mut |_, e| out.event(e));
        }
    }
}

impl ConnTracker {
    /// A frame that came through a tunnel: the tunnel, then the connection inside it, which
    /// names the tunnel among its parents.
    #[cold]
    fn tunneled(&mut self, t: &Tunnel, x: &Input, payload: Option<&[u8]>, now: i64, out: &mut Events) {
        self.tunnel_frame(t, x, now, out);
        let Some(f) = x.flow() else { return };
        let p = partition(f.hash, self.parts.len());
        if !self.owns(p) {
            return;
        }
        let origin = payload.map(|b| (b, Origin { frame: x.number, ts: x.ts }));
        self.flow_packet(p, f, now, origin, out, KEY_INNER);
        // The application layer inside a tunnel, as outside it.
        if let Some(bytes) = payload.filter(|_| app::span(f).is_some()) {
            self.app_packet(p, x, f, bytes, out);
        }
        if self.counts_only() {
            return;
        }
        if let Some(e) = self.tunnels.get(&t.key) {
            let v = e.uid(&t.key);
            self.parents.entry(f.key).or_default().add(v);
        }
    }
}

impl Analyzer for ConnTracker {
    /// An input alone: its payload and a tunnel it came through are not known here (see
    /// [`ConnTracker::packet_with`]).
    fn packet(&mut self, x: &Input, out: &mut Events) {
        self.packet_with(x, None, &[], out);
    }

    fn finish(&mut self, report: &mut Report, out: &mut dyn Sink) {
        self.finish_series(report);
        if self.counts_only() {
            self.count_left();
        } else {
            self.report_left(out);
        }
        let mut app = AppReport::default();
        self.app.finish(&mut app, &mut |e| out.event(e));
        report.app = Some(app);
        self.trim_rows();
        let rows = std::mem::take(&mut self.rows);
        report.conns = Some(self.summary(&self.tally, rows));
        if let Some(cfg) = &self.cfg.streams {
            let mut t = self.tally.streams;
            t.cap_per_direction = cfg.caps.held as u64;
            t.cap_total = cfg.budget as u64;
            report.streams = Some(t);
        }
        if !self.web.is_empty() {
            report.web = Some(std::mem::take(&mut self.web));
        }
    }

    fn snapshot(&self, report: &mut Report) {
        report.conns = Some(self.open_summary());
    }
}

impl ConnTracker {
    /// A frame, with its TCP payload (the captured bytes) when streams are reassembled, and
    /// the tunnel it came through, if any, in `tunnels`, the list kept beside the inputs
    /// ([`Input::tunnel`]).
    pub fn packet_with(&mut self, x: &Input, payload: Option<&[u8]>, tunnels: &[Tunnel], out: &mut Events) {
        let now = ts_ns(x.ts);
        if self.want_series {
            self.note_series(x.ts);
        }
        self.seq += 1;
        self.resyn = false;
        self.continuing = x.has(crate::decode::input::CONTINUED);
        if self.continuing && self.main_end_ns.is_none() {
            self.main_end_ns = Some(self.last_ns);
        }
        self.prev_ns = self.last_ns;
        self.last_ns = self.last_ns.max(now);
        match self.next_sweep_ns {
            Some(t) if now < t => {}
            _ => {
                for p in (self.shard..self.parts.len()).step_by(self.shards) {
                    self.sweep(p, now, true, out);
                }
                if !self.tunnels.is_empty() {
                    self.sweep_tunnels(now, out);
                }
                self.next_sweep_ns = Some(now.saturating_add(SWEEP_NS));
            }
        }
        if let Some(t) = x.tunnel_in(tunnels) {
            self.tunneled(t, x, payload, now, out);
            return;
        }
        let Some(f) = x.flow() else { return };
        let p = partition(f.hash, self.parts.len());
        if x.has(crate::decode::input::BAD_CHECKSUM) {
            if self.owns(p) {
                self.bad_checksum(p, f);
            }
            return;
        }
        if self.owns(p) {
            let origin = payload.map(|b| (b, Origin { frame: x.number, ts: x.ts }));
            self.flow_packet(p, f, now, origin, out, KEY_INNER);
            if let Some(bytes) = payload.filter(|_| app::span(f).is_some()) {
                self.app_packet(p, x, f, bytes, out);
            }
        }
    }

    /// A packet of flow `f` (partition `p`) whose checksum is bad: its connection notes it, as
    /// Zeek does, and nothing else sees it (no connection is made for it: Zeek's would hold
    /// nothing but the letter).
    #[cold]
    fn bad_checksum(&mut self, p: usize, f: &FlowSeg) {
        let timeline = self.cfg.timeline;
        let Some(table) = self.parts.get_mut(p) else { return };
        let Some(slot) = table.find_hashed(&f.key, f.hash) else { return };
        if let Some(c) = table.get_mut(slot).and_then(|(k, t)| t.conn_mut(k, timeline)) {
            c.bad_checksum(f.from_a != c.orig_is_a);
        }
    }

    /// The application message of a packet of flow `f` (partition `p`), already tracked: paired
    /// into a transaction with the connection's uid, and the connection's service noted.
    fn app_packet(&mut self, p: usize, x: &Input, f: &FlowSeg, bytes: &[u8], out: &mut Events) {
        if f.tcp && self.cfg.app.is_some() {
            // DNS over TCP is read from the connection's reassembled stream (`feed_streams`).
            return;
        }
        let Some(seen) = app::parse(f, bytes) else { return };
        let service = match seen.service() {
            Some("dns") => SERVICE_DNS,
            Some(_) => SERVICE_DHCP,
            None => 0,
        };
        let timeline = self.cfg.timeline;
        let Some(table) = self.parts.get_mut(p) else { return };
        let Some(slot) = table.find_hashed(&f.key, f.hash) else { return };
        let Some((key, t)) = table.get_mut(slot) else { return };
        let key = *key;
        let (start, orig_is_a) = if service != 0 {
            let Some(c) = t.conn_mut(&key, timeline) else { return };
            c.service |= service;
            if let app::Seen::Dns { header, .. } = &seen {
                let from_orig = f.from_a == c.orig_is_a;
                let resp = if c.orig_is_a { key.b().0 } else { key.a().0 };
                c.dns_message(from_orig, header.flags & 0x8000 != 0, resp.is_multicast());
            }
            (c.start_ns, c.orig_is_a)
        } else {
            let c = t.view(&key);
            (c.start_ns, c.orig_is_a)
        };
        let (orig, resp) = if orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
        let c = app::ConnRef { uid: uid(&key, start), orig, resp, order: self.seq };
        self.app.packet(x, f, seen, c, &mut |e| out.push(e));
    }
}

/// What feeding a connection's streams needs of the tracker.
struct AppCtx<'a> {
    cfg: &'a ConnConfig,
    /// This shard's budget of out-of-order bytes.
    budget: &'a mut usize,
    web: &'a mut WebSummary,
    /// Whole messages are wanted as events.
    messages: bool,
    /// The shard's transactions, which DNS messages over TCP join (None: not kept).
    app: Option<&'a mut AppTracker>,
    /// The frame's place among all frames of the run.
    seq: u64,
}

/// A segment's bytes into its connection's streams, made when the first bytes come (with
/// `--reassemble all` for every connection, else only for those whose first bytes start a
/// protocol the application layer reads); the budget is this shard's. The first bytes of the
/// connection sent again with different content are a weird (Zeek's `rexmit_inconsistency`,
/// once a connection); what the application layer finds goes out as events.
fn feed_streams(key: &FlowKey, c: &mut Conn, sent: Sent<'_>, ctx: &mut AppCtx<'_>, out: &mut dyn FnMut(Event)) {
    if ctx.cfg.streams.is_none() && ctx.cfg.app.is_some() && !ctx.messages {
        match hold_first(key, c, &sent, ctx.cfg) {
            Held::No => {}
            Held::Kept => return,
            Held::NotHttp => {
                c.streams = None;
                c.set_app_off();
                return;
            }
            Held::Replay(h) => replay_first(key, c, h, ctx, out),
        }
    }
    feed_streams_now(key, c, sent, ctx, out);
}

/// [`feed_streams`] without holding a first segment.
fn feed_streams_now(key: &FlowKey, c: &mut Conn, sent: Sent<'_>, ctx: &mut AppCtx<'_>, out: &mut dyn FnMut(Event)) {
    let Sent { from_resp, seg, payload: bytes, origin } = sent;
    let all = ctx.cfg.streams.as_ref();
    let Some(cfg) = all.or(ctx.cfg.app.as_ref().map(|a| &a.streams)) else { return };
    if c.streams.is_none() {
        if bytes.is_empty() && (all.is_none() || seg.flags & tcpflag::SYN == 0) {
            // Nothing to hold yet: a stream starts with a SYN or with bytes.
            return;
        }
        if all.is_none() && (c.app_off() || ((from_resp || !wanted_first(ctx.cfg, bytes)) && !dns_port(ctx.cfg, key))) {
            c.set_app_off();
            return;
        }
    }
    let bases = [c.orig.stream_base(), c.resp.stream_base()];
    let mut s = c.streams.take().unwrap_or_else(|| Box::new(Streams::new(bases)));
    if s.app.is_none() && !bytes.is_empty() && !c.app_off() {
        // The connection's first bytes choose its protocol, once.
        s.app = if dns_port(ctx.cfg, key) {
            Some(Session::dns(crate::decode::app::tcp_logged(key.a().1, key.b().1)))
        } else if ctx.cfg.app.is_some() && !from_resp {
            Session::detect(bytes, !ctx.messages)
        } else {
            None
        };
        if s.app.is_none() {
            c.set_app_off();
        }
    }
    let mut app = s.app.take();
    let before = s.stats().iter().map(|d| d.inconsistent).sum::<u64>();
    // Past the point where a run showing no frames stops reading (a TLS session followed for its
    // records' versions), the bytes are not compared, so that every view reports the same.
    let compared = all.is_some() || !app.as_ref().is_some_and(Session::past_lazy_end);
    let mut found: Vec<(Found, bool)> = Vec::new();
    {
        let now = origin.ts;
        let mut to_app = |from_resp: bool, chunk: crate::analyze::stream::reassembly::Chunk<'_>| {
            if let Some(a) = app.as_mut() {
                a.chunk(from_resp, chunk, now, &mut |f| found.push((f, from_resp)));
            }
        };
        s.segment(sent, cfg, ctx.budget, &mut to_app);
    }
    if let Some(a) = app.as_mut() {
        for dir in [false, true] {
            if s.ended(dir) {
                a.end(dir, origin.ts, &mut |f| found.push((f, dir)));
            }
        }
    }
    let after = s.stats().iter().map(|d| d.inconsistent).sum::<u64>();
    let ends = ends(key, c);
    if before == 0 && after > 0 && compared {
        out(Event::Weird(Box::new(Weird {
            ts: origin.ts.as_secs_f64(),
            uid: uid(key, c.start_ns),
            orig_h: ends.orig_h,
            orig_p: ends.orig_p,
            resp_h: ends.resp_h,
            resp_p: ends.resp_p,
            name: "rexmit_inconsistency",
            addl: format!(
                "the {} sent {} again with different content (frame {}); the first copy kept",
                if from_resp { "responder" } else { "originator" },
                crate::output::count(after, "byte", "bytes"),
                origin.frame
            ),
            frame: origin.frame,
        })));
    }
    if let Some(name) = app.as_ref().and_then(Session::service) {
        c.set_service(name);
    } else if let Some(name) = app.as_ref().and_then(Session::failed_service) {
        c.clear_service(name);
    }
    let finished = app.as_ref().is_some_and(Session::finished);
    if finished {
        // Nothing more to learn: what is left is told now, and the bytes no longer kept.
        if let Some(a) = app.as_mut() {
            a.finish(origin.ts, &mut |f| found.push((f, false)));
        }
        c.set_app_off();
        if all.is_some() {
            c.streams = Some(s);
        }
    } else {
        s.app = app;
        c.streams = Some(s);
    }
    if !found.is_empty() {
        let id = uid(key, c.start_ns);
        for (f, _) in found {
            tell(f, (key, &id, ends, origin), ctx, out);
        }
    }
}

/// What [`hold_first`] did with a segment.
enum Held {
    /// Nothing: the segment goes to the streams as usual.
    No,
    /// It was held, or changed nothing while a held segment waits.
    Kept,
    /// The responder's first bytes are not an HTTP response: the connection is not HTTP.
    NotHttp,
    /// Anything else came: the held segment goes to the streams first, then this one.
    Replay(HeldFirst),
}

/// When no view shows messages, the originator's first segment of a connection that starts
/// like an HTTP request is held (one copy) instead of reassembled, until the responder's first
/// bytes say whether the connection is HTTP (Zeek's rule; docs/APPLICATION.md). Most
/// connections that start so and are not (the bench file's) then cost that copy only. Only
/// the plain case is held: the connection's first bytes in order after both SYNs, then pure
/// ACKs that acknowledge exactly what was sent, then the responder's first bytes in order;
/// anything else feeds the held segment to the streams as it would have been fed when it came
/// (in the lazy mode its parsing emits nothing), so what is found is the same either way.
fn hold_first(key: &FlowKey, c: &mut Conn, sent: &Sent<'_>, cfg: &ConnConfig) -> Held {
    if c.streams.is_none() && c.app_off() {
        // Most segments: their connection was ruled out.
        return Held::No;
    }
    let Sent { from_resp, seg, payload: bytes, origin } = *sent;
    let (Some(ob), Some(rb)) = (c.orig.stream_base(), c.resp.stream_base()) else {
        return match c.streams.as_mut().and_then(|s| s.first.take()) {
            Some(h) => Held::Replay(h),
            None => Held::No,
        };
    };
    let plain = seg.flags & tcpflag::ACK != 0 && seg.flags & !(tcpflag::ACK | tcpflag::PSH) == 0;
    let Some(s) = c.streams.as_mut() else {
        let first = plain
            && !from_resp
            && !c.app_off()
            && cfg.app.is_some()
            && seg.seq == ob.wrapping_add(1)
            && bytes.len() <= 16 << 10
            && crate::analyze::app::http::looks_like_request(bytes)
            && !dns_port(cfg, key);
        if !first {
            return Held::No;
        }
        let mut s = Box::new(Streams::new([Some(ob), Some(rb)]));
        s.first = Some(HeldFirst { seg: *seg, bytes: bytes.to_vec(), origin });
        c.streams = Some(s);
        return Held::Kept;
    };
    let Some(h) = s.first.as_ref() else { return Held::No };
    let client_end = ob.wrapping_add(1).wrapping_add(h.bytes.len() as u32);
    let verdict = match (plain, from_resp, bytes.is_empty()) {
        (true, true, true) if seg.ack == client_end => Held::Kept,
        (true, false, true) if seg.ack == rb.wrapping_add(1) => Held::Kept,
        (true, true, false) if seg.ack == client_end && seg.seq == rb.wrapping_add(1) => {
            let n = bytes.len().min(5);
            if bytes.get(..n) == b"HTTP/".get(..n) {
                Held::No
            } else {
                Held::NotHttp
            }
        }
        _ => Held::No,
    };
    match verdict {
        Held::No => s.first.take().map_or(Held::No, Held::Replay),
        v => v,
    }
}

/// Feeds a held first segment to the connection's streams, made now as when it came.
fn replay_first(key: &FlowKey, c: &mut Conn, h: HeldFirst, ctx: &mut AppCtx<'_>, out: &mut dyn FnMut(Event)) {
    c.streams = None;
    let sent = Sent { from_resp: false, seg: &h.seg, payload: &h.bytes, origin: h.origin };
    feed_streams_now(key, c, sent, ctx, out);
}

/// Whether the connection of `key` is on a DNS port (read as DNS whatever its bytes).
fn dns_port(cfg: &ConnConfig, key: &FlowKey) -> bool {
    cfg.app.is_some() && crate::decode::app::tcp(key.a().1, key.b().1).is_some()
}

/// Whether a connection that carries `first` as its first bytes is reassembled for the
/// application layer.
fn wanted_first(cfg: &ConnConfig, first: &[u8]) -> bool {
    cfg.app.is_some() && Session::recognises(first)
}

/// The connection's endpoints, originator first.
fn ends(key: &FlowKey, c: &Conn) -> Ends {
    let ((oh, op), (rh, rp)) = if c.orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
    Ends { orig_h: oh, orig_p: op, resp_h: rh, resp_p: rp }
}

/// What the application layer found in connection `key` (its uid and ends) at the frame of
/// `origin`, as an event (and in the counts).
fn tell(f: Found, (key, uid, ends, origin): (&FlowKey, &str, Ends, Origin), ctx: &mut AppCtx<'_>, out: &mut dyn FnMut(Event)) {
    match f {
        Found::Dns(bytes, logged) => {
            if let Some(app) = ctx.app.as_deref_mut().filter(|_| logged) {
                let c = app::ConnRef {
                    uid: uid.to_string(),
                    orig: (ends.orig_h, ends.orig_p),
                    resp: (ends.resp_h, ends.resp_p),
                    order: ctx.seq,
                };
                app.dns_tcp((origin.ts, origin.frame, *key), &bytes, c, out);
            }
            if ctx.messages {
                out(Event::Message(Box::new(Message::Dns(crate::report::web::DnsMessage { bytes }))));
            }
        }
        Found::Message(m) => {
            if ctx.messages {
                out(Event::Message(Box::new(m)));
            }
        }
        Found::Http(mut r, secs) => {
            r.uid = uid.to_string();
            r.id = ends;
            ctx.web.http(&r, secs);
            out(Event::Http(r));
        }
        Found::Tls(mut r) => {
            r.uid = uid.to_string();
            r.id = ends;
            ctx.web.tls(&r);
            out(Event::Tls(r));
        }
    }
}

/// A connection left at `now`: its streams give up what they held, and are counted (with
/// `--reassemble all`); what the application layer had left goes out.
fn end_streams(
    key: &FlowKey,
    c: &mut Conn,
    ctx: &mut AppCtx<'_>,
    tally: &mut StreamTally,
    now: Ts,
    out: &mut dyn FnMut(Event),
) {
    if let Some(h) = c.streams.as_mut().and_then(|s| s.first.take()) {
        // A held first segment is read as it would have been when it came.
        replay_first(key, c, h, ctx, out);
    }
    let Some(mut s) = c.streams.take() else { return };
    let all = ctx.cfg.streams.as_ref();
    let Some(cfg) = all.or(ctx.cfg.app.as_ref().map(|a| &a.streams)) else { return };
    let mut app = s.app.take();
    let mut found = Vec::new();
    s.finish(cfg, ctx.budget, &mut |from_resp, chunk| {
        if let Some(a) = app.as_mut() {
            a.chunk(from_resp, chunk, now, &mut |f| found.push(f));
        }
    });
    if let Some(name) = app.as_ref().and_then(Session::service) {
        c.set_service(name);
    } else if let Some(name) = app.as_ref().and_then(Session::failed_service) {
        c.clear_service(name);
    }
    if let Some(a) = app.as_mut() {
        for dir in [false, true] {
            if s.ended(dir) {
                a.end(dir, now, &mut |f| found.push(f));
            }
        }
        a.finish(now, &mut |f| found.push(f));
    }
    if !found.is_empty() {
        let id = uid(key, c.start_ns);
        let ends = ends(key, c);
        for f in found {
            // No frame completed these: only the transactions go out.
            if !matches!(f, Found::Message(_) | Found::Dns(..)) {
                tell(f, (key, &id, ends, Origin { frame: 0, ts: now }), ctx, out);
            }
        }
    }
    if all.is_some() {
        tally.add(&s);
    }
}

impl LookAhead for ConnTracker {
    fn warm(&mut self, xs: &[Input]) {
        // Two windows ahead of the inputs: the nodes of the window before this one are asked
        // for (their index entries, asked for one call ago, are in the cache by now), then this
        // window's index entries. A full partition evicts a flow for each new one, so its
        // oldest are asked for too.
        for &(p, hash) in &self.warmed {
            if let Some(t) = self.parts.get(p) {
                t.prefetch_node(hash);
            }
        }
        self.warmed.clear();
        let n = self.parts.len();
        for x in xs {
            let Some(f) = x.flow() else { continue };
            let p = partition(f.hash, n);
            if !self.owns(p) {
                continue;
            }
            if let Some(t) = self.parts.get(p) {
                t.prefetch_index(f.hash);
            }
            self.warmed.push((p, f.hash));
        }
    }
}

/// One connection as it stands, for the views that follow a single connection (`follow`,
/// `ladder`).
impl ConnTracker {
    /// The connection a flow's packets belong to now (as the tracker left it after the last
    /// packet it took): its uid, and the connection.
    pub fn current(&self, f: &FlowSeg) -> Option<(String, std::borrow::Cow<'_, Conn>)> {
        let p = partition(f.hash, self.parts.len());
        let table = self.parts.get(p)?;
        let (key, t) = table.get(table.find_hashed(&f.key, f.hash)?)?;
        let start = match t {
            Tracked::First(first) => first.now,
            Tracked::Conn(c) => c.start_ns,
        };
        let c = match t {
            Tracked::First(first) => std::borrow::Cow::Owned(first.conn(key, self.cfg.timeline)),
            Tracked::Conn(c) => std::borrow::Cow::Borrowed(&**c),
        };
        Some((uid(key, start), c))
    }
}

/// The live view (`capture --conns`): read-only, so a redraw never changes the analysis.
impl ConnTracker {
    /// The summary as it stands now: totals over every connection so far (those that left the
    /// table, and those still in it by their state now; `by_end` counts only the former), and
    /// as rows the connections still in the table that pass the filters, by start, with `end`
    /// set to `open`.
    fn open_summary(&self) -> ConnSummary {
        let mut tally = self.tally;
        // Connections kept as their first packet are made for a moment, not kept: a redraw
        // under a flood would otherwise hold a whole connection for each of them.
        let mut open: Vec<(i64, u64, &FlowKey, &Tracked, i64)> = Vec::with_capacity(self.live);
        for t in &self.parts {
            for (key, tracked, last_ns) in t.iter() {
                let c = tracked.view(key);
                tally.count(key.proto, c.conn_state());
                open.push((c.start_ns, key.hash64(), key, tracked, last_ns));
            }
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
            let rec = record(key, &t.view(key), last_ns, End::Open, Vec::new());
            if !self.cfg.matches(&rec) {
                continue;
            }
            matched += 1;
            if rows.len() < self.cfg.max_rows {
                rows.push(rec);
            }
        }
        rows.sort_by(by_row_key(self.cfg.sort));
        tally.matched = matched;
        self.summary(&tally, rows)
    }

    /// The summary from these totals and rows, with the table's cap and filter; shared by the
    /// end of the run and the live view.
    fn summary(&self, tally: &Tally, rows: Vec<ConnRecord>) -> ConnSummary {
        ConnSummary {
            tcp: tally.tcp,
            udp: tally.udp,
            icmp: tally.icmp,
            by_state: ConnState::ALL.iter().zip(tally.by_state.iter()).filter(|(_, n)| **n > 0).map(|(s, n)| (*s, *n)).collect(),
            by_end: End::LEFT.iter().zip(tally.by_end.iter()).filter(|(_, n)| **n > 0).map(|(e, n)| (*e, *n)).collect(),
            evicted: tally.by_end.get(End::Evicted.index()).copied().unwrap_or(0),
            max_conns: self.cfg.max_conns,
            peak: self.peak,
            matched: tally.matched,
            rows,
            max_rows: self.cfg.max_rows,
            filter: self.cfg.describe(),
            services: tally.services(),
        }
    }
}

/// The conn.log record of connection `c`, as it stands at `last_ns`; `end` says why it is
/// reported (it left the table, or `open` for a live snapshot).
fn record(key: &FlowKey, c: &Conn, last_ns: i64, end: End, timeline: Vec<Transition>) -> ConnRecord {
    let ((oh, op), (rh, rp)) = if c.orig_is_a { (key.a(), key.b()) } else { (key.b(), key.a()) };
    let (rtt1, rtt2) = c.handshake_rtt();
    let tcp = c.kind == Kind::Tcp;
    ConnRecord {
        ts: ns_ts(c.start_ns).as_secs_f64(),
        uid: uid(key, c.start_ns),
        orig_h: oh,
        orig_p: op,
        resp_h: rh,
        resp_p: rp,
        proto: match c.kind {
            Kind::Tcp => "tcp",
            Kind::Udp => "udp",
            Kind::Icmp => "icmp",
        },
        service: super::conn::service_name(c.service),
        duration: last_ns.saturating_sub(c.start_ns).max(0) as f64 / 1e9,
        orig_bytes: c.orig.bytes,
        resp_bytes: c.resp.bytes,
        conn_state: c.conn_state(),
        missed_bytes: c.missed as u64,
        history: c.history(),
        orig_pkts: c.orig.pkts as u64,
        orig_ip_bytes: c.orig.ip_bytes,
        resp_pkts: c.resp.pkts as u64,
        resp_ip_bytes: c.resp.ip_bytes,
        tunnel_parents: Vec::new(),
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
        continued: false,
        timeline,
        start: ns_ts(c.start_ns),
        last: ns_ts(last_ns.max(c.start_ns)),
    }
}
#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::input;
    use crate::decode::tcpflag::{ACK, FIN, PSH, SYN};
    use crate::source::Frame;
    use std::net::Ipv4Addr;

    /// The settings the tests start from: the command line's defaults.
    fn defaults() -> ConnConfig {
        ConnConfig {
            max_conns: 500_000,
            time_wait: 60.0,
            syn_timeout: 60.0,
            half_open_timeout: 60.0,
            idle_timeout: 300.0,
            udp_timeout: 60.0,
            icmp_timeout: 60.0,
            // The script's UDP flow (ports 5353 and 53) lasts to its second query, a minute on.
            dns_timeout: 120.0,
            timeline: false,
            max_rows: 1000,
            state: None,
            port: None,
            host: None,
            records: true,
            end_threads: 1,
            sort: crate::cli::ConnSort::Start,
            streams: None,
            app: None,
        }
    }

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

    fn feed(a: &mut ConnTracker, p: &Pkt, events: &mut Vec<Event>) {
        let ts = Ts { sec: 1_000 + (p.ms / 1000) as i64, nsec: (p.ms % 1000) as u32 * 1_000_000 };
        let f = Frame { number: 1, ts, linktype: 1, len: p.data.len() as u32, data: &p.data, interface: 0, ts_known: true };
        let mut out = Events::default();
        a.packet(&input(&f), &mut out);
        events.extend(out.drain().map(|(_, e)| e));
    }

    fn snap(a: &ConnTracker) -> ConnSummary {
        let mut r = Report::default();
        a.snapshot(&mut r);
        r.conns.unwrap_or_default()
    }

    /// Events and final summary of a run, as JSON, taking a snapshot after every packet or not.
    fn run(snapshots: bool) -> (Vec<String>, String) {
        let mut a = ConnTracker::new(defaults(), 0, 1);
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
    fn a_lone_syn_is_known_ahead() {
        // Every flag combination, with and without payload, either way along the key, TCP, UDP
        // and ICMP, between ports Zeek flips or not: the class and the closing state told
        // without making the connection (or by making it without a timeline) are the ones of
        // the connection made from the packet.
        let mut lone = 0;
        let keys: Vec<FlowKey> = [(IPPROTO_TCP, 80, 40000), (IPPROTO_TCP, 40000, 40001), (IPPROTO_UDP, 53, 5353), (1, 8, 0)]
            .into_iter()
            .map(|(proto, a, b)| FlowKey::new(proto, CLIENT.into(), a, SERVER.into(), b).0)
            .collect();
        for flags in 0..=u8::MAX {
            for len in [0, 7] {
                for from_a in [false, true] {
                    for key in &keys {
                        let seg = Seg { flags, seq: 1000, ack: 77, len, window: 512, ip_len: 40 + len, frame_len: 54 + len };
                        let f = First { seg, now: 5_000, from_a };
                        let p = key.proto;
                        // With the timeline kept (`-V`) or not: it changes no state.
                        for timeline in [false, true] {
                            let c = f.conn(key, timeline);
                            assert_eq!(f.class(key), c.class(), "class, flags {flags:#04x} len {len} proto {p}");
                            for end in End::LEFT {
                                let t = 60_000_000_000;
                                let want = closing_state(&mut c.clone(), end, 5_000, t);
                                let got = Tracked::First(f).closing_state(key, end, 5_000, t);
                                assert_eq!(got, want, "state at {end}, flags {flags:#04x} len {len} proto {p}");
                            }
                        }
                        lone += usize::from(f.lone_syn(key));
                    }
                }
            }
        }
        // Sanity: the shortcut was taken (SYN with any of PSH, URG, ECE, CWR, and none), on both
        // TCP keys.
        assert_eq!(lone, 16 * 2 * 2 * 2);
    }

    #[test]
    fn first_packet_totals_are_the_connections() {
        // The per-service counts take one packet's connection from the packet alone: for every
        // flag combination, either way, TCP, UDP and ICMP, flipped or not, they are the record's.
        let keys: Vec<FlowKey> = [(IPPROTO_TCP, 80, 40000), (IPPROTO_TCP, 40000, 40001), (IPPROTO_UDP, 53, 5353), (IPPROTO_UDP, 67, 68), (1, 8, 0)]
            .into_iter()
            .map(|(proto, a, b)| FlowKey::new(proto, CLIENT.into(), a, SERVER.into(), b).0)
            .collect();
        for flags in 0..=u8::MAX {
            for len in [0, 7] {
                for from_a in [false, true] {
                    for key in &keys {
                        let seg = Seg { flags, seq: 1000, ack: 77, len, window: 512, ip_len: 40 + len, frame_len: 54 + len };
                        let f = First { seg, now: 5_000, from_a };
                        let c = f.conn(key, false);
                        let r = record(key, &c, 5_000, End::EndOfInput, Vec::new());
                        let want = (c.service, r.orig_pkts + r.resp_pkts, r.orig_ip_bytes + r.resp_ip_bytes);
                        assert_eq!(want, (0, 1, u64::from(40 + len)), "flags {flags:#04x} len {len} proto {}", key.proto);
                        assert_eq!(Tracked::First(f).totals(), want, "flags {flags:#04x} len {len} proto {}", key.proto);
                        assert_eq!(conn_totals(&c), want);
                    }
                }
            }
        }
    }

    #[test]
    fn a_first_packet_takes_less_room_than_a_connection() {
        // What the table keeps of a connection until its second packet (a scan's or a flood's
        // connections never have one): the packet, not the 176-byte connection.
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
        let mut a = ConnTracker::new(defaults(), 0, 1);
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
        assert_eq!((row.conn_state, row.end, row.orig_pkts, row.resp_pkts), (ConnState::S1, End::Open, 2, 1));
        assert!(s.by_end.is_empty());

        // Closed by the client (it waits in TIME_WAIT), and a UDP query with no answer yet.
        for p in pkts.iter().take(9).skip(3) {
            feed(&mut a, p, &mut events);
        }
        let s = snap(&a);
        assert_eq!((s.tcp, s.udp, s.rows.len()), (1, 1, 2));
        let row = &s.rows[0];
        assert_eq!((row.orig_state, row.resp_state), (Some(TcpState::TimeWait), Some(TcpState::Closed)));
        assert_eq!((row.conn_state, row.orig_bytes, row.resp_bytes), (ConnState::SF, 5, 5));
        assert_eq!((s.rows[1].proto, s.rows[1].conn_state), ("udp", ConnState::S0));
        assert!(events.is_empty(), "nothing has left the table yet");

        // Past TIME_WAIT the TCP connection leaves: counted in the totals, no longer a row.
        feed(&mut a, &pkts[9], &mut events);
        let s = snap(&a);
        assert_eq!(events.len(), 1);
        assert_eq!((s.tcp, s.udp, s.rows.len(), s.rows[0].proto), (1, 1, 1, "udp"));
        assert_eq!(s.by_end, vec![(End::TimeWaitExpired, 1)]);
        assert_eq!(s.by_state, vec![(ConnState::S0, 1), (ConnState::SF, 1)]);
    }

    #[test]
    fn snapshot_applies_the_table_filters() {
        let cfg = ConnConfig { port: Some(53), max_rows: 5, ..defaults() };
        let mut a = ConnTracker::new(cfg, 0, 1);
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
            let mut a = ConnTracker::new(ConnConfig { records, ..defaults() }, 0, 1);
            let mut events = Vec::new();
            for p in script() {
                feed(&mut a, &p, &mut events);
            }
            let mut r = Report::default();
            a.finish(&mut r, &mut events);
            (events, r.conns.unwrap_or_default())
        };
        let (with_events, with) = run(true);
        let (without_events, without) = run(false);
        assert_eq!((with_events.len(), without_events.len()), (2, 0));
        // The per-service counts are the records' either way.
        let mut want = Services::default();
        for e in &with_events {
            if let Event::Conn(r) = e {
                want.add_counts(r.service, 1, r.orig_pkts + r.resp_pkts, r.orig_ip_bytes + r.resp_ip_bytes);
            }
        }
        assert_eq!(want.rows(None).len(), 1);
        assert_eq!(with.services.rows(None), want.rows(None));
        assert_eq!(without.services.rows(None), want.rows(None));
        // The closed TCP connection (SF, swept after TIME_WAIT) and the unanswered UDP flow
        // (S0, still open at the end).
        let by_state = vec![(ConnState::S0, 1), (ConnState::SF, 1)];
        let by_end = vec![(End::EndOfInput, 1), (End::TimeWaitExpired, 1)];
        assert_eq!((&with.by_state, &with.by_end), (&by_state, &by_end));
        assert_eq!((&without.by_state, &without.by_end), (&by_state, &by_end));
        assert_eq!((without.tcp, without.udp, without.matched, without.rows.len()), (1, 1, 2, 0));
        assert_eq!(with.rows.len(), 2);
    }
}
