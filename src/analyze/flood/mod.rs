//! SYN-flood detection: which address and port (or which ports of an address, or which
//! addresses of a subnet) is being flooded, since when, how hard, and whether the sources are
//! spoofed; and, apart, which busy services merely take many connections.
//!
//! A SYN flood holds a server's backlog full of half-open connections (SYN_RCVD) from addresses
//! that never finish the handshake. This analyzer watches handshakes on its own, in bounded
//! memory, and does not depend on the TCP connection tracker: a flood is the moment that
//! tracker's table is full, so the detector must not need room in it.
//!
//! ## What is measured, per target
//!
//! A target is an address and port; the SYNs that an address and port do not serve also count
//! on two wider targets, the address (all its ports) and its subnet (an IPv4 /16, an IPv6 /48).
//!
//! - **SYN rate**: SYNs (without ACK) in a sliding one-second window, kept as ten 100 ms buckets
//!   on packet time. The peak rate of an alert is the highest such count.
//! - **Window completion**: handshakes completed over SYNs in the same window. An attempt still
//!   waiting counts as not completed, so a half-open backlog that grows pulls it down at once,
//!   long before any attempt has timed out; a server that completes what it is sent keeps it
//!   near 1 however busy it is.
//! - **Outstanding attempts**: a SYN, or a SYN-ACK whose SYN was not seen, with no completing ACK
//!   and no RST yet, younger than `timeout`. Attempts are kept in one shared pending table of
//!   fixed size (4-way buckets keyed by a hash of the four-tuple, with the packet time in ms) and
//!   expired in arrival order from a bounded queue. An attempt that times out without an ACK is
//!   **half-open**; if the server had answered it with a SYN-ACK, that SYN-ACK was **never
//!   answered** (what a server using SYN cookies shows: it keeps no state, so it answers every
//!   SYN and nobody replies). When the table is full the oldest attempt of a bucket is pushed
//!   out and counted half-open (`pending_evicted` in the report): under a big flood this is
//!   almost always right, and the counts only grow.
//! - **Completion share**: completed handshakes over resolved attempts (completed, half-open,
//!   reset), over an alert's life.
//! - **Distinct sources**: a HyperLogLog of SYN sources (2^10 registers, ~3 % error), see
//!   [`sketches::Hll`].
//! - **One-SYN sources**: the share of sources that sent one SYN and nothing else, estimated on a
//!   distinct sample of at most 64 sources (Gibbons' distinct sampling: a source is sampled when
//!   its hash has `level` leading zero bits; the level rises when the sample is full). A sampled
//!   source that retransmits its SYN, opens a second connection, completes a handshake or sends a
//!   RST is not "one SYN only". Random spoofed sources send one SYN each; real clients retry.
//! - **Bogon sources**: a small HyperLogLog of sources in ranges a real client cannot send from:
//!   IPv4 0/8, 127/8, 169.254/16 (link-local, unroutable), 192.0.0/24, 192.0.2/24,
//!   198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 (reserved, with
//!   255.255.255.255); IPv6 ::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8, 2001:db8::/32; and the
//!   target's own address (a LAND attack). Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
//!   fc00::/7) are *not* bogons: they are normal on a LAN.
//! - **Top sources**: Space-Saving with 16 counters (Metwally et al. 2005); only the sources
//!   whose guaranteed count exceeds what any unlisted source may have sent are reported.
//! - On the wider targets, the **spread**: distinct destination addresses and ports (small
//!   HyperLogLogs) and their ranges, which name the alert.
//!
//! Source sketches cover the target's recent past: they are cleared when an alert closes and, on
//! a target with no alert, every 10 s while its SYN rate is below half the threshold, so an alert
//! describes the flood and not hours of normal clients before it; a wider target's are cleared
//! too whenever none of its attempts is left waiting.
//!
//! ## Flood, surge, and which target is named
//!
//! At each SYN, a target **floods** when
//! - its SYN rate is at least `--flood-syn-rate` (default **100 SYN/s**),
//! - its outstanding attempts number at least `--flood-half-open` (default **64**, half of
//!   Linux's smallest `tcp_max_syn_backlog` of 128 and far below `somaxconn`'s 4096, so the alert
//!   comes before a small server's backlog is full), and
//! - its window completion is below `--flood-completion` (default **50 %**): it is being held
//!   half-open. Spoofed floods complete about none; a busy service completes about all.
//!
//! With the first two crossed and the completion at or above the share, an address and port
//! **surges**: a `connection_surge` notice, not an alert. A surge that stops completing becomes
//! a flood alert (with its id; no notice is left of it).
//!
//! A SYN counts on the wider targets when its address and port completes less than the share in
//! its window and has no flood alert of its own: the address and the subnet see only the SYNs
//! that are not served and not yet told. Each wider target remembers its narrower target with the
//! most SYNs left waiting in the window. An alert opens on the widest target that floods with
//! its waiting SYNs spread, unless a wider one already has an alert (narrower ones then open
//! nothing; they count on in the wider alert):
//! - the subnet, when no address holds a quarter of its waiting SYNs: a **carpet** flood, named
//!   by the smallest prefix holding the addresses hit (so two or three flooded servers of one
//!   subnet get an alert each, many get one);
//! - the address, when no port holds two thirds: a **multi-port** flood;
//! - else the address and port.
//!
//! `--flood-timeout` (default **3 s**: Linux retransmits an unanswered SYN-ACK first after 1 s and
//! again after 3 s) is how long an attempt may wait for its ACK. An alert closes after
//! `--flood-quiet` seconds (default **5 s**) in which its thresholds were never crossed; its `end`
//! is the last moment they were. Alerts still open when the input ends are closed then.
//!
//! ## Memory
//!
//! Targets (of all three kinds): at most 4,096 (each about 4 KiB with its sketches), the least
//! recently active target without an alert is evicted to make room (a clock over eight
//! candidates); an evicted target's waiting attempts are taken off the wider targets that count
//! them. Pending table: 2^19 attempts of 16 bytes (8 MiB) with a tag byte each (512 KiB),
//! allocated at the first SYN, and an expiry queue of as many 8-byte entries. Nothing is
//! allocated per packet except when a new target appears. A flooded target keeps detecting while
//! both tables are full: it is active, so it is not evicted, and it holds most of the pending
//! table, which is far larger than the half-open threshold.


pub mod bogons;
mod pending;
pub mod sketches;
mod target;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustc_hash::FxHashMap;

use self::bogons::is_bogon;
use self::pending::{attempt_hash, attempt_key_hash, Outcome, Pending, Slot, AGG, ST_SYN, ST_SYNACK, WAYS};
use self::sketches::hash_ip;
use self::target::{Kind, OpenAlert, Scope, Target, IDX_BITS, NO_REF};
use super::{Analyzer, Events, LookAhead, Sink};
use crate::decode::{tcpflag, FlowSeg, Input};
use crate::report::alert::{endpoint, Alert, AlertState, ClosedBy, FloodStats, Notice, Pattern};
use crate::report::{Event, Report};
use crate::source::Ts;

/// How long a calm target's sketches may run before they are cleared, in ms.
const SKETCH_WINDOW_MS: u32 = 10_000;
/// Target candidates examined per eviction.
const CLOCK_SAMPLE: usize = 8;
/// Most look-ahead hashes kept: far more than the pipeline announces ahead.
const AHEAD_MAX: usize = 4096;
/// Targets tracked at once.
pub const MAX_TARGETS: usize = 4096;
/// Size of the pending-attempt table (8 MiB of slots).
pub const PENDING_SLOTS: usize = 1 << 19;
/// Alerts (and, apart, notices) kept in the report (all are shown as they happen).
const MAX_ALERTS: usize = 1024;
/// Prefix lengths of the subnet targets: a carpet flood is looked for within an IPv4 /16 or an
/// IPv6 /48, and named by the smallest prefix holding the addresses it hit.
pub const SUBNET_V4: u8 = 16;
/// See [`SUBNET_V4`].
pub const SUBNET_V6: u8 = 48;

/// Thresholds and table sizes of the detector.
#[derive(Debug, Clone)]
pub struct FloodConfig {
    /// SYNs per second to one target, at least (0: rate not required).
    pub syn_rate: u64,
    /// Outstanding attempts to one target, at least.
    pub half_open: u64,
    /// A flood completes fewer than this percentage of its SYNs (0-100); a target crossing the
    /// other two thresholds while completing at least as many is a connection surge.
    pub completion: u8,
    /// Seconds an attempt may wait for its completing ACK.
    pub timeout: f64,
    /// Seconds without crossed thresholds before an alert closes.
    pub quiet: f64,
    /// Targets tracked at once (at most 2^20).
    pub max_targets: usize,
    /// Pending-attempt table size (rounded up to a power of two, at least 4).
    pub pending_slots: usize,
    /// Hand every segment that may matter to the alerts of a longer capture this one is a part
    /// of to the events, as `FloodSeg`s (`--partial`; see [`Feed`]).
    pub feed: bool,
}

/// The SYN-flood detector (see the module documentation).
#[derive(Debug)]
pub struct FloodAnalyzer {
    cfg: FloodConfig,
    timeout_ms: u32,
    quiet_ms: u32,
    base: Option<Ts>,
    last: Ts,
    targets: Vec<Target>,
    index: FxHashMap<(IpAddr, u32), u32>,
    /// The address-and-port target found last: a flood sends one target SYN after SYN, so it
    /// is tried first.
    last_target: usize,
    hand: usize,
    slots: Pending,
    slot_cap: usize,
    queue: VecDeque<(u32, u32)>,
    /// How many attempts at the front of `queue` have had their slots asked for (by `warm`).
    queue_warmed: usize,
    outstanding: u64,
    open: Vec<u32>,
    /// No open alert can close before this time (ms): the earliest quiet end among them when
    /// last looked at, lowered when a hot SYN stamped earlier (out of order) moves one back.
    /// Otherwise their ends only move later, so the alerts need not be looked at on every packet.
    close_check_ms: u32,
    next_id: u64,
    alerts: Vec<Alert>,
    notices: Vec<Notice>,
    stats: FloodStats,
    /// Events of the packet at hand (alerts are rare: kept apart from the pipeline's buffer).
    evs: Vec<crate::report::Event>,
    /// The attempt hashes the look-ahead made, with the frame (number, time) of each.
    ahead: VecDeque<(u64, Ts, u64)>,
    /// Whether alerts keep their SYNs per second ([`FloodAnalyzer::keep_series`]).
    want_series: bool,
    /// The SYN rates of the alerts closed so far.
    rates: Vec<crate::report::series::SynRate>,
    /// With `feed`: which segments go to the events.
    feed: Option<Box<Feed>>,
}

/// Slack allowed between the files of a split capture: no frame of the files before one may be
/// later than its first frame by more (checked by `inspect merge-alerts`).
pub const FEED_SLACK_MS: u32 = 1_000;

/// Which segments of one file of a split capture the detector over all files needs.
///
/// One detector over every file's segments in order gives the alerts one run over the whole
/// capture gives if it is handed every segment that changes its state; the others only move its
/// clock, and a later segment moves it as far (what an attempt or an alert does when it times
/// out does not depend on which packet noticed). Each SYN and RST changes it. A bare ACK changes
/// it only when it completes a waiting attempt: one this file's own detector holds (it holds
/// every attempt of the file the whole run holds, bar pushed-out ones), one whose SYN or SYN-ACK
/// came in the last two timeouts (a bit per attempt hash, in two generations, covers those
/// pushed out here), or, in the file's first timeout plus [`FEED_SLACK_MS`], one from the files
/// before. The file's first segment (the detector's time base) and last are kept too.
#[derive(Debug)]
struct Feed {
    /// Attempt hashes (top bits) of SYNs and SYN-ACKs in the current and the previous
    /// generation of `gen_ms` each.
    seen: [Vec<u64>; 2],
    gen: u32,
    gen_ms: u32,
    /// ACKs before this time (ms from the file's first segment) are kept.
    start_window_ms: u32,
    /// The last segment, and whether it was kept.
    last: Option<(crate::report::alert::FloodSeg, bool)>,
}

/// Bits of an attempt hash that index [`Feed::seen`].
const FEED_BITS: u32 = 20;

impl Feed {
    fn new(timeout_ms: u32) -> Feed {
        let words = (1usize << FEED_BITS) / 64;
        Feed { seen: [vec![0; words], vec![0; words]], gen: 0, gen_ms: timeout_ms.max(1), start_window_ms: timeout_ms.saturating_add(FEED_SLACK_MS), last: None }
    }

    /// Moves the generations on to `now_ms`.
    fn roll(&mut self, now_ms: u32) {
        let g = now_ms / self.gen_ms;
        if g <= self.gen {
            return;
        }
        let [cur, prev] = &mut self.seen;
        if g == self.gen + 1 {
            std::mem::swap(cur, prev);
        } else {
            prev.fill(0);
        }
        cur.fill(0);
        self.gen = g;
    }

    fn bit(h: u64) -> (usize, u64) {
        let i = (h >> (64 - FEED_BITS)) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn mark(&mut self, h: u64) {
        let (w, b) = Feed::bit(h);
        if let Some(x) = self.seen[0].get_mut(w) {
            *x |= b;
        }
    }

    fn marked(&self, h: u64) -> bool {
        let (w, b) = Feed::bit(h);
        self.seen.iter().any(|s| s.get(w).is_some_and(|x| x & b != 0))
    }
}

/// What one SYN did to one target: whether that target now crosses the thresholds of a flood or
/// of a surge.
#[derive(Debug, Clone, Copy)]
struct Heat {
    flood: bool,
    surge: bool,
}

impl FloodAnalyzer {
    /// Whether `x` is a TCP segment to or from the target (port, host or subnet) of a SYN-flood
    /// alert open right after `x` (the display filter's `alert`; notices of a surge are no alert).
    pub fn alert_for(&self, x: &crate::decode::Input) -> bool {
        if self.open.is_empty() {
            return false;
        }
        let Some(f) = x.flow().filter(|f| f.tcp) else { return false };
        let hit = |t: &Target, (ip, port): (IpAddr, u16)| match t.scope {
            Scope::Port => t.key == (ip, Scope::Port.key(port)),
            Scope::Host => t.key.0 == ip,
            Scope::Subnet => t.key.0 == subnet(ip),
        };
        let (s, d) = (f.src(), f.dst());
        self.open.iter().any(|&ti| {
            self.targets.get(ti as usize).is_some_and(|t| {
                t.alert.as_ref().is_some_and(|a| a.kind == Kind::Flood) && (hit(t, d) || hit(t, s))
            })
        })
    }
}

impl FloodAnalyzer {
    /// A detector with the given thresholds.
    pub fn new(cfg: FloodConfig) -> FloodAnalyzer {
        let slot_cap = cfg.pending_slots.max(WAYS).next_power_of_two();
        // Three targets a SYN (its port, address and subnet) must fit at once.
        let max_targets = cfg.max_targets.clamp(3, 1 << IDX_BITS);
        let cfg = FloodConfig { max_targets, pending_slots: slot_cap, completion: cfg.completion.min(100), ..cfg };
        let timeout_ms = secs_to_ms(cfg.timeout).max(1);
        FloodAnalyzer {
            feed: cfg.feed.then(|| Box::new(Feed::new(timeout_ms))),
            timeout_ms,
            quiet_ms: secs_to_ms(cfg.quiet),
            cfg,
            base: None,
            last: Ts::default(),
            targets: Vec::new(),
            index: FxHashMap::default(),
            last_target: 0,
            hand: 0,
            slots: Pending::default(),
            slot_cap,
            queue: VecDeque::new(),
            queue_warmed: 0,
            outstanding: 0,
            open: Vec::new(),
            close_check_ms: 0,
            next_id: 0,
            alerts: Vec::new(),
            notices: Vec::new(),
            stats: FloodStats::default(),
            evs: Vec::new(),
            ahead: VecDeque::new(),
            want_series: false,
            rates: Vec::new(),
        }
    }

    /// Keeps each alert's SYNs per second for the pictures and sparklines.
    pub fn keep_series(&mut self) {
        self.want_series = true;
    }

    /// With `feed`: hands the segment to the events if the detector over all files of a split
    /// capture may need it (see [`Feed`]); `waiting`: a bare ACK that finds an attempt.
    fn feed_seg(&mut self, ts: Ts, f: &FlowSeg, h: u64, waiting: bool, events: &mut Vec<Event>) {
        let first = self.base.is_none();
        let now_ms = if first { 0 } else { self.ms(ts) };
        let Some(feed) = self.feed.as_mut() else { return };
        feed.roll(now_ms);
        let fl = f.seg.flags;
        let (src, sport) = f.src();
        let (dst, dport) = f.dst();
        let seg = crate::report::alert::FloodSeg { ts, src, sport, dst, dport, flags: fl };
        let keep = if fl & tcpflag::SYN != 0 {
            feed.mark(h);
            true
        } else if fl & tcpflag::RST != 0 {
            true
        } else if fl & tcpflag::ACK != 0 {
            waiting || feed.marked(h) || now_ms < feed.start_window_ms
        } else {
            false
        } || first;
        feed.last = Some((seg, keep));
        if keep {
            events.push(Event::FloodSeg(seg));
        }
    }

    /// One segment of a split capture's `flood_feed` (see [`Feed`]), as [`Analyzer::packet`]
    /// takes a frame's; the events it raises go to `events`.
    pub fn replay(&mut self, s: &crate::report::alert::FloodSeg, events: &mut Vec<Event>) {
        use crate::decode::key::{FlowKey, IPPROTO_TCP};
        let (key, dir) = FlowKey::new(IPPROTO_TCP, s.src, s.sport, s.dst, s.dport);
        let f = FlowSeg {
            hash: key.table_hash(),
            key,
            from_a: dir == crate::decode::Dir::AtoB,
            tcp: true,
            seg: crate::decode::input::Seg { flags: s.flags, ..Default::default() },
            payload: (0, 0),
        };
        let h = if s.flags & (tcpflag::SYN | tcpflag::ACK | tcpflag::RST) == 0 { 0 } else { attempt_hash(&f.key, f.from_a, s.flags) };
        self.segment(s.ts, &f, h, events);
    }

    /// Closes what is open at the end of the input, and hands over the alerts and notices.
    pub fn end(&mut self, report: &mut Report, events: &mut Vec<Event>) {
        self.feed = None;
        self.finish(report, events);
    }

    /// Milliseconds from the run's first TCP packet to `t` (0 for earlier packets).
    fn ms(&self, t: Ts) -> u32 {
        let Some(b) = self.base else { return 0 };
        let ms = (t.sec - b.sec).saturating_mul(1000) + (t.nsec as i64 - b.nsec as i64) / 1_000_000;
        ms.clamp(0, u32::MAX as i64) as u32
    }

    fn target_ref(&self, ti: usize) -> u32 {
        let g = self.targets.get(ti).map(|t| t.gen).unwrap_or(0);
        (g << IDX_BITS) | ti as u32
    }

    /// The live target a reference (from a slot or another target) names, if it was not
    /// evicted since.
    fn live(&self, r: u32) -> Option<usize> {
        if r == NO_REF {
            return None;
        }
        let ti = (r & ((1 << IDX_BITS) - 1)) as usize;
        let t = self.targets.get(ti)?;
        (t.gen == r >> IDX_BITS).then_some(ti)
    }

    /// The address-and-port target of a SYN or SYN-ACK, created when new.
    fn port_target(&mut self, addr: IpAddr, port: u16, now_ms: u32) -> Option<usize> {
        let key = (addr, Scope::Port.key(port));
        if self.targets.get(self.last_target).is_some_and(|t| t.key == key) {
            return Some(self.last_target);
        }
        let ti = self.target(key, Scope::Port, now_ms, &[])?;
        self.last_target = ti;
        Some(ti)
    }

    /// The next wider target of `ti` (its address, or its address's subnet), created when new;
    /// None for a subnet.
    fn parent(&mut self, ti: usize, now_ms: u32, keep: &[usize]) -> Option<usize> {
        let t = self.targets.get(ti)?;
        if let Some(pi) = self.live(t.parent) {
            return Some(pi);
        }
        let (key, scope) = match t.scope {
            Scope::Port => ((t.key.0, Scope::Host.key(0)), Scope::Host),
            Scope::Host => ((subnet(t.key.0), Scope::Subnet.key(0)), Scope::Subnet),
            Scope::Subnet => return None,
        };
        let pi = self.target(key, scope, now_ms, keep)?;
        let r = self.target_ref(pi);
        if let Some(t) = self.targets.get_mut(ti) {
            t.parent = r;
        }
        Some(pi)
    }

    /// The target for `key`, created (or recycled from a cold one, never one of `keep`) when new.
    fn target(&mut self, key: (IpAddr, u32), scope: Scope, now_ms: u32, keep: &[usize]) -> Option<usize> {
        if let Some(&i) = self.index.get(&key) {
            return Some(i as usize);
        }
        let ti = if self.targets.len() < self.cfg.max_targets {
            self.targets.push(Target::new(key, scope, now_ms));
            self.targets.len() - 1
        } else {
            let ti = self.victim(keep)?;
            let old = self.targets.get(ti)?.key;
            self.index.remove(&old);
            self.detach(ti);
            self.targets.get_mut(ti)?.reset(key, scope, now_ms);
            self.stats.targets_evicted += 1;
            ti
        };
        self.index.insert(key, ti as u32);
        Some(ti)
    }

    /// Takes the attempts target `ti` still waits for off the wider targets that count them
    /// too: once it is evicted, its slots can no longer reach them.
    fn detach(&mut self, ti: usize) {
        let Some(t) = self.targets.get(ti) else { return };
        let k = if t.scope == Scope::Port { t.up_pending } else { t.pending };
        let mut r = t.parent;
        while let Some(pi) = self.live(r) {
            let Some(p) = self.targets.get_mut(pi) else { break };
            p.pending = p.pending.saturating_sub(k);
            r = p.parent;
        }
    }

    /// The least recently active of a few targets after the clock hand, never one with an alert
    /// or one of `keep`.
    fn victim(&mut self, keep: &[usize]) -> Option<usize> {
        let n = self.targets.len();
        let mut best: Option<(u32, usize)> = None;
        let mut looked = 0;
        let mut i = 0;
        while looked < CLOCK_SAMPLE && i < n {
            let ti = (self.hand + i) % n;
            i += 1;
            let Some(t) = self.targets.get(ti) else { continue };
            if t.alert.is_some() || keep.contains(&ti) {
                continue;
            }
            looked += 1;
            if best.is_none_or(|(ms, _)| t.last_ms < ms) {
                best = Some((t.last_ms, ti));
            }
        }
        self.hand = (self.hand + i) % n.max(1);
        best.map(|(_, ti)| ti)
    }

    /// Index of the pending attempt with hash `h`.
    fn find(&self, h: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        self.slots.find(h)
    }

    /// Records a new pending attempt of target `ti` (and, with [`AGG`] in `state`, of the
    /// wider targets above it), pushing out the oldest of its bucket when full.
    fn insert(&mut self, h: u64, state: u64, ti: usize, now_ms: u32) {
        if self.slots.is_empty() {
            self.slots.alloc(self.slot_cap);
            self.queue = VecDeque::with_capacity(self.slot_cap);
        }
        let base = self.slots.base(h);
        let mut pick = base;
        let mut oldest = u32::MAX;
        for i in base..base + WAYS {
            if !self.slots.occupied(i) {
                pick = i;
                break;
            }
            let Some(s) = self.slots.get(i) else { return };
            if s.ts < oldest {
                oldest = s.ts;
                pick = i;
            }
        }
        if self.slots.occupied(pick) {
            self.stats.pending_evicted += 1;
            self.resolve(pick, Outcome::Expired, now_ms);
        }
        if self.queue.len() >= self.slot_cap {
            if let Some((i, ts)) = self.queue.pop_front() {
                self.queue_warmed = self.queue_warmed.saturating_sub(1);
                if self.slots.holds(i as usize, ts) {
                    self.stats.pending_evicted += 1;
                    self.resolve(i as usize, Outcome::Expired, now_ms);
                }
            }
        }
        let tgt = self.target_ref(ti);
        self.slots.set(pick, Slot { fp: (h & !(AGG | 3)) | state, ts: now_ms, tgt });
        self.queue.push_back((pick as u32, now_ms));
        self.outstanding += 1;
        let Some(t) = self.targets.get_mut(ti) else { return };
        t.pending += 1;
        if state & AGG == 0 {
            return;
        }
        t.up_pending += 1;
        let mut r = t.parent;
        while let Some(pi) = self.live(r) {
            let Some(p) = self.targets.get_mut(pi) else { break };
            p.pending += 1;
            r = p.parent;
        }
    }

    /// Ends pending attempt `i` and counts how it ended on its target and, if they counted it,
    /// the wider targets above.
    fn resolve(&mut self, i: usize, how: Outcome, now_ms: u32) -> Option<usize> {
        let s = self.slots.get(i)?;
        if s.fp == 0 {
            return None;
        }
        self.slots.set(i, Slot::default());
        self.outstanding = self.outstanding.saturating_sub(1);
        let ti = self.live(s.tgt)?;
        let synack = s.state() == ST_SYNACK;
        let t = self.targets.get_mut(ti)?;
        end_attempt(t, synack, how, now_ms);
        if s.fp & AGG != 0 {
            t.up_pending = t.up_pending.saturating_sub(1);
            let mut r = t.parent;
            while let Some(pi) = self.live(r) {
                let Some(p) = self.targets.get_mut(pi) else { break };
                end_attempt(p, synack, how, now_ms);
                r = p.parent;
            }
        }
        Some(ti)
    }

    /// Times out the attempts older than the timeout, oldest first.
    fn expire(&mut self, now_ms: u32) {
        while let Some(&(i, ts)) = self.queue.front() {
            if now_ms.saturating_sub(ts) < self.timeout_ms {
                break;
            }
            self.queue.pop_front();
            self.queue_warmed = self.queue_warmed.saturating_sub(1);
            if self.slots.holds(i as usize, ts) {
                self.resolve(i as usize, Outcome::Expired, now_ms);
            }
        }
    }

    /// One TCP segment.
    fn segment(&mut self, ts: Ts, f: &FlowSeg, h: u64, events: &mut Vec<Event>) {
        if self.base.is_none() {
            self.base = Some(ts);
        }
        if ts > self.last {
            self.last = ts;
        }
        let now_ms = self.ms(ts);
        self.expire(now_ms);
        if !self.open.is_empty() && now_ms >= self.close_check_ms {
            self.check_close(now_ms, events);
        }
        let flags = f.seg.flags;
        if flags & tcpflag::RST != 0 {
            self.on_rst(f, h, now_ms);
        } else if flags & tcpflag::SYN != 0 {
            let (src, sport) = f.src();
            if flags & tcpflag::ACK != 0 {
                self.on_synack(src, sport, h, now_ms);
            } else {
                let (dst, dport) = f.dst();
                self.on_syn(src, dst, dport, h, ts, now_ms, events);
            }
        } else if flags & tcpflag::ACK != 0 {
            self.on_ack(f, h, now_ms);
        }
    }

    /// Whether target `ti` crosses the thresholds of a flood (rate, outstanding, completion
    /// below the share) or of a surge (the same, completion at or above it).
    fn heat(&self, ti: usize) -> Heat {
        let Some(t) = self.targets.get(ti) else { return Heat { flood: false, surge: false } };
        let busy = t.rate >= self.cfg.syn_rate && t.pending >= self.cfg.half_open && t.rate > 0;
        let low = t.done_rate * 100 < t.rate * self.cfg.completion as u64;
        Heat { flood: busy && low, surge: busy && !low }
    }

    /// Counts a SYN on target `ti`: its rate window and the start of its backlog (`new`: the
    /// SYN begins an attempt).
    fn count_syn(&mut self, ti: usize, now: Ts, now_ms: u32, new: bool) {
        let syn_rate = self.cfg.syn_rate;
        let Some(t) = self.targets.get_mut(ti) else { return };
        t.last_ms = now_ms;
        t.roll(now_ms);
        if new && t.pending == 0 {
            t.backlog_since = now;
            t.backlog_syns = 0;
            t.backlog_base = t.c;
            // A wider target sees only unserved SYNs: once none waits, what it saw before is
            // over, and a flood from here is described from here.
            if t.scope != Scope::Port && t.alert.is_none() {
                t.sk.clear(now_ms);
            }
        }
        t.add_syn(now);
        t.c.syns += 1;
        t.backlog_syns += 1;
        if t.alert.is_none() && now_ms.saturating_sub(t.sk.since_ms) >= SKETCH_WINDOW_MS && t.rate * 2 < syn_rate.max(1) {
            t.sk.clear(now_ms);
        }
    }

    /// Adds a SYN's source (hash `hs`) and destination to the sketches of target `ti`.
    fn sketch_syn(&mut self, ti: usize, src: IpAddr, hs: u64, bogon: bool, dst: (IpAddr, u16)) {
        let Some(t) = self.targets.get_mut(ti) else { return };
        t.sk.sources.add_hash(hs);
        t.sk.sample.syn(hs);
        t.sk.top.add(src, hs);
        if bogon {
            t.sk.bogons.add_hash(hs);
        }
        if t.scope != Scope::Port {
            t.sk.spread.add(dst.0, dst.1);
        }
    }

    /// Makes `ci` the top child of `pi` if it has left at least as many SYNs waiting in its
    /// window as the last top child; returns the top child's waiting SYNs and the parent's.
    fn top_child(&mut self, pi: usize, ci: usize, now_ms: u32) -> (u64, u64) {
        let cr = self.target_ref(ci);
        let cw = self.targets.get(ci).map_or(0, |c| c.waiting());
        let Some(p) = self.targets.get(pi) else { return (0, 0) };
        let (top, pw) = (p.top_child, p.waiting());
        let tw = if top == cr { cw } else { self.live(top).and_then(|t| self.targets.get(t)).map_or(0, |t| t.waiting_at(now_ms)) };
        if cw >= tw {
            if let Some(p) = self.targets.get_mut(pi) {
                p.top_child = cr;
            }
            return (cw, pw);
        }
        (tw, pw)
    }

    /// Whether target `ti` has a flood alert open.
    fn flooded(&self, ti: usize) -> bool {
        self.targets.get(ti).and_then(|t| t.alert.as_ref()).is_some_and(|a| a.kind == Kind::Flood)
    }

    /// Whether target `ti` has an alert or a notice open.
    fn watched(&self, ti: usize) -> bool {
        self.targets.get(ti).is_some_and(|t| t.alert.is_some())
    }

    #[allow(clippy::too_many_arguments)]
    fn on_syn(&mut self, src: IpAddr, dst: IpAddr, dport: u16, h: u64, now: Ts, now_ms: u32, events: &mut Vec<Event>) {
        let Some(ti) = self.port_target(dst, dport, now_ms) else { return };
        let new = self.find(h).is_none();
        let hs = hash_ip(src);
        let bogon = is_bogon(src, dst);
        self.count_syn(ti, now, now_ms, new);
        self.sketch_syn(ti, src, hs, bogon, (dst, dport));
        // A SYN that its address and port do not serve (most of their SYNs in the window still
        // waiting) counts on the wider targets too, unless that address and port has its own
        // flood alert: the wider ones see only what is not served and not yet told.
        let pct = self.cfg.completion as u64;
        let failing = self.targets.get(ti).is_some_and(|t| t.done_rate * 100 < t.rate * pct) && !self.flooded(ti);
        let (mut hi, mut ni) = (None, None);
        let (mut host_spread, mut net_spread) = (false, false);
        if failing {
            hi = self.parent(ti, now_ms, &[ti]);
            if let Some(h) = hi {
                ni = self.parent(h, now_ms, &[ti, h]);
                self.count_syn(h, now, now_ms, new);
                // Several ports: none holds two thirds of the address's waiting SYNs.
                let (top, all) = self.top_child(h, ti, now_ms);
                host_spread = top * 3 < all * 2;
                self.sketch_syn(h, src, hs, bogon, (dst, dport));
            }
            if let (Some(h), Some(n)) = (hi, ni) {
                self.count_syn(n, now, now_ms, new);
                // Many addresses: none holds a quarter of the subnet's waiting SYNs.
                let (top, all) = self.top_child(n, h, now_ms);
                net_spread = top * 4 < all;
                self.sketch_syn(n, src, hs, bogon, (dst, dport));
            }
        }
        if new {
            let agg = if hi.is_some() { AGG } else { 0 };
            self.insert(h, ST_SYN | agg, ti, now_ms);
        }
        // Each target's open alert counts the SYN; a new alert opens on the widest target that
        // floods with its SYNs spread, unless a wider one already has an alert.
        let quiet_end = self.quiet_end(now_ms);
        let mut opened = false;
        for (level, spread) in [(ni, net_spread), (hi, host_spread), (Some(ti), true)] {
            let Some(li) = level else { continue };
            let heat = self.heat(li);
            let Some(t) = self.targets.get_mut(li) else { continue };
            if let Some(a) = &mut t.alert {
                a.syns += 1;
                if let Some(r) = &mut a.rate {
                    r.add(now, 1);
                }
                a.peak_rate = a.peak_rate.max(t.rate);
                a.peak_outstanding = a.peak_outstanding.max(t.pending);
                let hot = match a.kind {
                    Kind::Flood => heat.flood,
                    Kind::Surge => heat.surge,
                };
                if hot {
                    a.last_hot = now;
                    a.last_hot_ms = now_ms;
                    // An out-of-order packet can move the moment back, and the quiet end with it.
                    self.close_check_ms = self.close_check_ms.min(quiet_end);
                }
            }
            if opened {
                continue;
            }
            if self.flooded(li) {
                // Narrower targets open nothing under a flood alert.
                opened = true;
            } else if heat.flood && spread {
                // A surge that stops being served is a flood from its start: the alert takes its
                // place (its id and sketches), and no notice is left of it.
                let surge = self.targets.get_mut(li).and_then(|t| t.alert.take()).map(|a| a.id);
                if surge.is_some() {
                    self.open.retain(|&o| o as usize != li);
                }
                self.open_alert(li, Kind::Flood, surge, now, now_ms, events);
                opened = true;
            } else if li == ti && heat.surge && !self.watched(li) {
                self.open_alert(li, Kind::Surge, None, now, now_ms, events);
            }
        }
    }

    /// Opens an alert (or notice) of `kind` on target `ti`, hot now, with a new id unless it
    /// continues one.
    fn open_alert(&mut self, ti: usize, kind: Kind, id: Option<u64>, now: Ts, now_ms: u32, events: &mut Vec<Event>) {
        let quiet_end = self.quiet_end(now_ms);
        let id = id.unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id
        });
        let Some(t) = self.targets.get_mut(ti) else { return };
        // The flood began at the later of the rate window's first SYN and the first SYN of
        // the current backlog; its SYNs are counted from there.
        let window_start = t.window_start(now);
        let (start, syns, base) = if t.backlog_since >= window_start {
            (t.backlog_since, t.backlog_syns, t.backlog_base)
        } else {
            (window_start, t.rate, t.c)
        };
        t.alert = Some(OpenAlert {
            kind,
            id,
            start,
            detected: now,
            last_hot: now,
            last_hot_ms: now_ms,
            syns,
            peak_rate: t.rate,
            peak_outstanding: t.pending,
            window_completion: t.completion(),
            base,
            rate: self.want_series.then(|| Box::new(t.window_since(start, syns))),
        });
        self.open.push(ti as u32);
        self.close_check_ms = self.close_check_ms.min(quiet_end);
        match kind {
            Kind::Flood => {
                self.stats.alerts += 1;
                if let Some(a) = self.alert(ti, AlertState::Open, ClosedBy::None) {
                    events.push(Event::Alert(Box::new(a)));
                }
            }
            Kind::Surge => {}
        }
    }

    fn on_synack(&mut self, server: IpAddr, sport: u16, h: u64, now_ms: u32) {
        match self.find(h) {
            Some(i) => {
                let Some(s) = self.slots.get(i) else { return };
                if s.state() == ST_SYN {
                    self.slots.set_state(i, ST_SYNACK);
                    let mut r = s.tgt;
                    while let Some(ti) = self.live(r) {
                        let Some(t) = self.targets.get_mut(ti) else { break };
                        t.c.synacks += 1;
                        t.pending_synack += 1;
                        r = if s.fp & AGG != 0 { t.parent } else { NO_REF };
                    }
                }
            }
            None => {
                // The SYN was not seen (one-way capture, or it was pushed out): the SYN-ACK alone
                // starts the attempt.
                let Some(ti) = self.port_target(server, sport, now_ms) else { return };
                self.insert(h, ST_SYNACK, ti, now_ms);
                if let Some(t) = self.targets.get_mut(ti) {
                    t.last_ms = now_ms;
                    t.c.synacks += 1;
                    t.pending_synack += 1;
                }
            }
        }
    }

    /// The client sent something else: its source is not a one-SYN source.
    fn client_spoke(&mut self, ti: Option<usize>, client: IpAddr) {
        let hc = hash_ip(client);
        let mut r = ti.map_or(NO_REF, |ti| self.target_ref(ti));
        while let Some(ti) = self.live(r) {
            let Some(t) = self.targets.get_mut(ti) else { break };
            t.sk.sample.other(hc);
            r = t.parent;
        }
    }

    fn on_ack(&mut self, f: &FlowSeg, h: u64, now_ms: u32) {
        if self.outstanding == 0 {
            return;
        }
        if let Some(i) = self.find(h) {
            let ti = self.resolve(i, Outcome::Completed, now_ms);
            self.client_spoke(ti, f.src().0);
        }
    }

    fn on_rst(&mut self, f: &FlowSeg, h: u64, now_ms: u32) {
        if self.outstanding == 0 {
            return;
        }
        if let Some(i) = self.find(h) {
            let ti = self.resolve(i, Outcome::Reset, now_ms);
            self.client_spoke(ti, f.src().0);
        } else if let Some(i) = self.find(attempt_key_hash(&f.key, !f.from_a)) {
            // The attempt the RST's receiver began.
            self.resolve(i, Outcome::Reset, now_ms);
        }
    }

    /// Closes the alerts whose thresholds have not been crossed for the quiet period.
    fn check_close(&mut self, now_ms: u32, events: &mut Vec<Event>) {
        let mut k = 0;
        let mut next = u32::MAX;
        while k < self.open.len() {
            let ti = self.open.get(k).copied().unwrap_or(0) as usize;
            let last_hot = self.targets.get(ti).and_then(|t| t.alert.as_ref()).map(|a| a.last_hot_ms);
            match last_hot {
                Some(l) if now_ms.saturating_sub(l) < self.quiet_ms => {
                    next = next.min(self.quiet_end(l));
                    k += 1;
                }
                _ => {
                    self.open.swap_remove(k);
                    self.close(ti, ClosedBy::Quiet, events);
                }
            }
        }
        self.close_check_ms = next;
    }

    /// The first time (ms) at which an alert last hot at `last_hot_ms` may close. With no quiet
    /// period, any time: a packet older than the last hot moment closes it too.
    fn quiet_end(&self, last_hot_ms: u32) -> u32 {
        if self.quiet_ms == 0 { 0 } else { last_hot_ms.saturating_add(self.quiet_ms) }
    }

    fn close(&mut self, ti: usize, by: ClosedBy, events: &mut Vec<Event>) {
        let kind = self.targets.get(ti).and_then(|t| t.alert.as_ref()).map(|a| a.kind);
        match kind {
            Some(Kind::Flood) => {
                if let Some(a) = self.alert(ti, AlertState::Closed, by) {
                    let rate = self.targets.get_mut(ti).and_then(|t| t.alert.as_mut()).and_then(|o| o.rate.take());
                    if let Some(r) = rate.filter(|_| self.rates.len() < MAX_ALERTS) {
                        let target = match a.pattern {
                            Pattern::OnePort => endpoint(a.dst, a.dport.unwrap_or(0)),
                            Pattern::MultiPort => a.dst.to_string(),
                            Pattern::Carpet => format!("{}/{}", a.dst, a.prefix),
                        };
                        self.rates.push(crate::report::series::SynRate { id: a.id, target, start: a.start, end: a.end, syns: *r });
                    }
                    events.push(Event::Alert(Box::new(a.clone())));
                    if self.alerts.len() < MAX_ALERTS {
                        self.alerts.push(a);
                    } else {
                        self.stats.alerts_dropped += 1;
                    }
                }
            }
            Some(Kind::Surge) => {
                self.stats.notices += 1;
                if let Some(n) = self.notice(ti, by) {
                    events.push(Event::Notice(Box::new(n.clone())));
                    if self.notices.len() < MAX_ALERTS {
                        self.notices.push(n);
                    } else {
                        self.stats.alerts_dropped += 1;
                    }
                }
            }
            None => {}
        }
        if let Some(t) = self.targets.get_mut(ti) {
            t.alert = None;
            t.sk.clear(t.last_ms);
        }
    }

    /// The counts of target `ti`'s alert since it began.
    fn tally(&self, ti: usize) -> Option<Tally> {
        let t = self.targets.get(ti)?;
        let a = t.alert.as_ref()?;
        let d = |now: u64, then: u64| now.saturating_sub(then);
        let completed = d(t.c.completed, a.base.completed);
        let reset = d(t.c.reset, a.base.reset);
        let half_open = d(t.c.half_open, a.base.half_open) + t.pending;
        let resolved = completed + reset + half_open;
        Some(Tally {
            completed,
            reset,
            half_open,
            synacks: d(t.c.synacks, a.base.synacks),
            // Attempts still waiting at a SYN-ACK count as unanswered, as they count as half-open.
            synacks_unanswered: d(t.c.synacks_unanswered, a.base.synacks_unanswered) + t.pending_synack,
            completion_share: if resolved > 0 { completed as f64 / resolved as f64 } else { 0.0 },
            sources: t.sk.sources.count().max(1),
        })
    }

    /// The alert of target `ti` as the report shows it now.
    fn alert(&self, ti: usize, state: AlertState, closed_by: ClosedBy) -> Option<Alert> {
        let n = self.tally(ti)?;
        let t = self.targets.get(ti)?;
        let a = t.alert.as_ref()?;
        let bogon_sources = if t.sk.bogons.estimate() > 0.0 { t.sk.bogons.count().max(1) } else { 0 };
        let one_syn_share = t.sk.sample.one_syn_share().unwrap_or(0.0);
        let mut spoof_signs = Vec::new();
        if one_syn_share >= 0.5 {
            spoof_signs.push("one_syn_sources");
        }
        if bogon_sources > 0 {
            spoof_signs.push("bogon_sources");
        }
        if n.synacks > 0 && n.synacks_unanswered * 2 >= n.synacks {
            spoof_signs.push("unanswered_synacks");
        }
        let (addr, port) = t.key;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let sp = &t.sk.spread;
        let port_range = sp.port.map_or([port as u16; 2], |(lo, hi)| [lo, hi]);
        let one_port = (port_range[0] == port_range[1]).then_some(port_range[0]);
        let (pattern, dst, prefix, dport, hosts, ports) = match t.scope {
            Scope::Port => (Pattern::OnePort, addr, full, Some(port as u16), 1, 1),
            Scope::Host => (Pattern::MultiPort, addr, full, one_port, 1, sp.ports.count().max(1)),
            Scope::Subnet => {
                let (dst, prefix) = sp.addr.map_or((addr, full), |(lo, hi)| covering(addr, lo, hi));
                (Pattern::Carpet, dst, prefix, one_port, sp.hosts.count().max(1), sp.ports.count().max(1))
            }
        };
        Some(Alert {
            alert: "syn_flood",
            id: a.id,
            state,
            closed_by,
            pattern,
            dst,
            prefix,
            dport,
            hosts,
            ports,
            port_range,
            start: a.start,
            detected: a.detected,
            end: a.last_hot,
            duration: a.last_hot.secs_since(a.start).max(0.0),
            syns: a.syns,
            peak_syn_rate: a.peak_rate,
            half_open: n.half_open,
            peak_outstanding: a.peak_outstanding,
            completed: n.completed,
            reset: n.reset,
            completion_share: n.completion_share,
            window_completion: a.window_completion,
            synacks: n.synacks,
            synacks_unanswered: n.synacks_unanswered,
            sources: n.sources,
            one_syn_share,
            bogon_sources,
            // Unanswered SYN-ACKs alone do not prove spoofing: real attackers that drop their own
            // kernel's RSTs look the same. They are listed as a sign only.
            spoofed: one_syn_share >= 0.5 || bogon_sources > 0,
            spoof_signs,
            top_sources: t.sk.top.top(),
        })
    }

    /// The notice of target `ti`'s surge, as it ends.
    fn notice(&self, ti: usize, closed_by: ClosedBy) -> Option<Notice> {
        let n = self.tally(ti)?;
        let t = self.targets.get(ti)?;
        let a = t.alert.as_ref()?;
        let (dst, p) = (t.key.0, t.key.1 as u16);
        let target = endpoint(dst, p);
        // Zeek's `src` is one address: the source that surely sent more than half the SYNs.
        let src = t.sk.top.top().into_iter().find(|s| (s.syns - s.error) * 2 > a.syns).map(|s| s.addr);
        Some(Notice {
            ts: a.start,
            note: "connection_surge",
            msg: format!("{target} took {} SYN/s at peak and completed {:.0}% of its handshakes", a.peak_rate, n.completion_share * 100.0),
            sub: format!(
                "{} SYNs from ~{} sources in {:.3} s, up to {} waiting at once",
                a.syns,
                n.sources,
                a.last_hot.secs_since(a.start).max(0.0),
                a.peak_outstanding
            ),
            src,
            dst,
            p,
            n: a.syns,
            id: a.id,
            closed_by,
            start: a.start,
            end: a.last_hot,
            duration: a.last_hot.secs_since(a.start).max(0.0),
            peak_syn_rate: a.peak_rate,
            peak_outstanding: a.peak_outstanding,
            completed: n.completed,
            completion_share: n.completion_share,
            sources: n.sources,
        })
    }
}

/// The counts an alert and a notice share.
struct Tally {
    completed: u64,
    reset: u64,
    half_open: u64,
    synacks: u64,
    synacks_unanswered: u64,
    completion_share: f64,
    sources: u64,
}

/// Counts how an attempt of target `t` ended.
fn end_attempt(t: &mut Target, synack: bool, how: Outcome, now_ms: u32) {
    t.pending = t.pending.saturating_sub(1);
    if synack {
        t.pending_synack = t.pending_synack.saturating_sub(1);
    }
    match how {
        Outcome::Completed => {
            t.c.completed += 1;
            t.add_done(now_ms);
        }
        Outcome::Reset => t.c.reset += 1,
        Outcome::Expired => {
            t.c.half_open += 1;
            if synack {
                t.c.synacks_unanswered += 1;
            }
        }
    }
}

/// The subnet target's address of `a`: its first [`SUBNET_V4`] or [`SUBNET_V6`] bits.
fn subnet(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V4(v) => IpAddr::V4(Ipv4Addr::from(u32::from(v) & (u32::MAX << (32 - SUBNET_V4)))),
        IpAddr::V6(v) => IpAddr::V6(Ipv6Addr::from(u128::from(v) & (u128::MAX << (128 - SUBNET_V6)))),
    }
}

/// The smallest prefix holding the addresses `lo` to `hi` (numbers of the family of `like`):
/// its first address and length.
fn covering(like: IpAddr, lo: u128, hi: u128) -> (IpAddr, u8) {
    let (bits, len) = if like.is_ipv4() { (32u32, ((lo ^ hi) as u32).leading_zeros()) } else { (128, (lo ^ hi).leading_zeros()) };
    let mask = if len == 0 { 0 } else { u128::MAX << (bits - len) };
    let first = lo & mask;
    let addr = if like.is_ipv4() { IpAddr::V4(Ipv4Addr::from(first as u32)) } else { IpAddr::V6(Ipv6Addr::from(first)) };
    (addr, len as u8)
}

fn secs_to_ms(s: f64) -> u32 {
    if s.is_finite() && s > 0.0 {
        (s * 1000.0).round().min(u32::MAX as f64) as u32
    } else {
        0
    }
}

impl Analyzer for FloodAnalyzer {
    fn packet(&mut self, x: &Input, out: &mut Events) {
        // The next input's own run sees its SYNs.
        if x.has(crate::decode::input::CONTINUED) {
            return;
        }
        let Some(f) = x.flow().filter(|f| f.tcp) else { return };
        // The attempt hash, for a segment that looks one up: made by the look-ahead when this
        // input was announced.
        let h = if f.seg.flags & (tcpflag::SYN | tcpflag::ACK | tcpflag::RST) == 0 {
            0
        } else {
            match self.ahead.front() {
                Some(&(number, ts, h)) if number == x.number && ts == x.ts => {
                    self.ahead.pop_front();
                    h
                }
                _ => attempt_hash(&f.key, f.from_a, f.seg.flags),
            }
        };
        // Whether a bare ACK finds an attempt waiting, asked before it completes it.
        let fl = f.seg.flags;
        let waiting = self.feed.is_some() && fl & (tcpflag::SYN | tcpflag::RST) == 0 && fl & tcpflag::ACK != 0 && self.outstanding > 0 && self.find(h).is_some();
        let mut evs = std::mem::take(&mut self.evs);
        if self.feed.is_some() {
            self.feed_seg(x.ts, f, h, waiting, &mut evs);
        }
        self.segment(x.ts, f, h, &mut evs);
        for e in evs.drain(..) {
            out.push(e);
        }
        self.evs = evs;
    }

    fn finish(&mut self, report: &mut Report, out: &mut dyn Sink) {
        if let Some((seg, false)) = self.feed.as_ref().and_then(|f| f.last) {
            out.event(Event::FloodSeg(seg));
        }
        let mut open = std::mem::take(&mut self.open);
        open.sort_unstable();
        let mut evs = Vec::new();
        for ti in open {
            self.close(ti as usize, ClosedBy::EndOfInput, &mut evs);
        }
        for e in evs {
            out.event(e);
        }
        self.alerts.sort_by(|a, b| a.start.cmp(&b.start).then(a.dst.cmp(&b.dst)).then(a.dport.cmp(&b.dport)).then(a.id.cmp(&b.id)));
        report.alerts = std::mem::take(&mut self.alerts);
        if self.want_series {
            let mut rates = std::mem::take(&mut self.rates);
            rates.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
            report.series.get_or_insert_with(Default::default).syn = rates;
        }
        self.notices.sort_by(|a, b| a.start.cmp(&b.start).then(a.dst.cmp(&b.dst)).then(a.p.cmp(&b.p)).then(a.id.cmp(&b.id)));
        report.notices = std::mem::take(&mut self.notices);
        self.stats.targets = self.index.len() as u64;
        report.flood = Some(self.stats.clone());
    }

    /// The alerts closed so far and, as `open` objects with their counts up to now, those still
    /// open; notices are only made when a surge ends, so only those that ended are listed.
    fn snapshot(&self, report: &mut Report) {
        let mut alerts = self.alerts.clone();
        for &ti in &self.open {
            let flood = self.targets.get(ti as usize).and_then(|t| t.alert.as_ref()).is_some_and(|a| a.kind == Kind::Flood);
            if let Some(a) = self.alert(ti as usize, AlertState::Open, ClosedBy::None).filter(|_| flood) {
                alerts.push(a);
            }
        }
        alerts.sort_by(|a, b| a.start.cmp(&b.start).then(a.dst.cmp(&b.dst)).then(a.dport.cmp(&b.dport)).then(a.id.cmp(&b.id)));
        report.alerts = alerts;
        report.notices = self.notices.clone();
        let mut stats = self.stats.clone();
        stats.targets = self.index.len() as u64;
        report.flood = Some(stats);
    }
}


impl LookAhead for FloodAnalyzer {
    fn warm(&mut self, xs: &[Input]) {
        // The tag words the next segments will read (and for a SYN the bucket it will go into)
        // are asked for without waiting, as are the slots of the attempts that will time out by
        // then.
        let mut last = None;
        for x in xs {
            let Some(f) = x.flow().filter(|f| f.tcp) else { continue };
            last = Some(x.ts);
            let fl = f.seg.flags;
            if fl & (tcpflag::SYN | tcpflag::ACK | tcpflag::RST) != 0 {
                let h = attempt_hash(&f.key, f.from_a, fl);
                if !self.slots.is_empty() {
                    self.slots.prefetch(h, fl & tcpflag::SYN != 0 && fl & tcpflag::ACK == 0);
                }
                // Kept for the packet, in the order the inputs come.
                if self.ahead.len() >= AHEAD_MAX {
                    self.ahead.clear();
                }
                self.ahead.push_back((x.number, x.ts, h));
            }
        }
        let (Some(last), Some(_)) = (last, self.base) else { return };
        let horizon = self.ms(last);
        let mut n = 0;
        while let Some(&(i, ts)) = self.queue.get(self.queue_warmed) {
            if horizon.saturating_sub(ts) < self.timeout_ms || n == 4 * xs.len() {
                break;
            }
            self.slots.prefetch_slot(i as usize);
            self.queue_warmed += 1;
            n += 1;
        }
    }
}


#[cfg(test)]
mod test {
    use super::pending::{is_synack, key_hash};
    use super::sketches::{mix64, SourceSample, TopK, SAMPLE_CAP};
    use super::*;
    use crate::decode::{input, FlowKey};
    use crate::source::Frame;
    use std::net::Ipv4Addr;

    /// The settings the tests start from: the command line's defaults.
    fn defaults() -> FloodConfig {
        FloodConfig { syn_rate: 100, half_open: 64, completion: 50, timeout: 3.0, quiet: 5.0, max_targets: 4096, pending_slots: 1 << 19, feed: false }
    }

    /// The pending table's buckets each start a 64-byte line, slots keep every bit of what is
    /// stored in them, and no index past the table reaches memory.
    #[test]
    fn pending_slots_are_aligned_and_keep_what_is_stored() {
        for slots in [4usize, 64, 1000, 4096] {
            let mut p = Pending::default();
            p.alloc(slots);
            let n = p.buckets * WAYS;
            assert_eq!(n, (slots / WAYS).max(1) * WAYS);
            for b in 0..p.buckets {
                let w = p.words(b * WAYS).expect("first slot of a bucket");
                assert_eq!(w.as_ptr() as usize % 64, 0, "bucket {b} of {slots}");
            }
            for i in 0..n {
                assert!(!p.occupied(i));
                let s = Slot { fp: (i as u64) << 8 | 0xf0 | ST_SYN, ts: u32::MAX - i as u32, tgt: 0x8000_0000 | i as u32 };
                p.set(i, s);
                p.set_state(i, ST_SYNACK);
            }
            for i in 0..n {
                let g = p.get(i).expect("slot");
                assert_eq!((g.fp, g.ts, g.tgt), ((i as u64) << 8 | 0xf0 | ST_SYNACK, u32::MAX - i as u32, 0x8000_0000 | i as u32));
                assert!(p.occupied(i) && p.holds(i, u32::MAX - i as u32));
            }
            assert!(p.get(n).is_none() && p.words(n).is_none() && p.words(usize::MAX).is_none());
            p.set(n, Slot { fp: 9, ts: 9, tgt: 9 });
            assert!(p.get(n).is_none());
        }
    }

    /// The attempt hash made from a segment's flow key is the one defined on its addresses and
    /// ports (client first: the sender, or the receiver of a SYN-ACK), for IPv4 and IPv6, each
    /// way round the key, for every flag combination; and a RST's second lookup is the
    /// attempt its receiver began.
    #[test]
    fn the_attempt_hash_from_the_key_is_the_one_on_the_addresses() {
        use crate::decode::{key::IPPROTO_TCP, Dir};
        let v6 = |s: &str| s.parse::<IpAddr>().expect("address");
        let pairs = [
            ((IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000), (IpAddr::V4(Ipv4Addr::new(192, 168, 3, 130)), 80)),
            ((IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)), 443), (IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)), 443)),
            ((v6("2001:db8::1"), 51000), (v6("fe80::2"), 22)),
            ((v6("::1"), 1), (v6("::ffff:10.0.0.1"), 65535)),
        ];
        let mut seen = std::collections::HashSet::new();
        for (x, y) in pairs {
            for (src, dst) in [(x, y), (y, x)] {
                let (key, dir) = FlowKey::new(IPPROTO_TCP, src.0, src.1, dst.0, dst.1);
                let from_a = dir == Dir::AtoB;
                for flags in 0..=0x3fu8 {
                    let want = if is_synack(flags) {
                        key_hash(dst.0, dst.1, src.0, src.1)
                    } else {
                        key_hash(src.0, src.1, dst.0, dst.1)
                    };
                    assert_eq!(attempt_hash(&key, from_a, flags), want, "{src:?} -> {dst:?} flags {flags:#x}");
                    assert_eq!(attempt_key_hash(&key, !from_a), key_hash(dst.0, dst.1, src.0, src.1));
                    seen.insert(want);
                }
            }
        }
        assert_eq!(seen.len(), 8, "two attempts per pair of endpoints: the client at either end");
    }

    /// An Ethernet/IPv4/TCP frame with the given addresses, ports and flags.
    fn frame(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, flags: u8) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src.octets());
        f.extend_from_slice(&dst.octets());
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x10, 0, 0, 0, 0, 0]);
        f
    }

    struct Feed {
        a: FloodAnalyzer,
        events: Vec<Event>,
    }

    impl Feed {
        fn new(cfg: FloodConfig) -> Feed {
            Feed { a: FloodAnalyzer::new(cfg), events: Vec::new() }
        }

        fn send(&mut self, ms: u64, src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, flags: u8) {
            let data = frame(src, sport, dst, dport, flags);
            let ts = Ts { sec: 1_000 + (ms / 1000) as i64, nsec: (ms % 1000) as u32 * 1_000_000 };
            let f = Frame { number: 1, ts, linktype: 1, len: data.len() as u32, data: &data, interface: 0, ts_known: true };
            let mut out = Events::default();
            self.a.packet(&input(&f), &mut out);
            self.events.extend(out.drain().map(|(_, e)| e));
        }

        fn finish(&mut self) -> Report {
            let mut r = Report::default();
            self.a.finish(&mut r, &mut self.events);
            r
        }
    }

    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn spoof(i: u32) -> Ipv4Addr {
        Ipv4Addr::from(mix64(i as u64) as u32 | 0x0100_0000)
    }

    #[test]
    fn bogon_ranges() {
        let d: IpAddr = SERVER.into();
        for b in ["0.1.2.3", "127.0.0.1", "169.254.9.9", "192.0.2.7", "198.19.0.1", "224.0.0.5", "240.1.1.1", "255.255.255.255", "10.0.0.2"] {
            assert!(is_bogon(b.parse().unwrap_or(d), d) || b == "10.0.0.2", "{b}");
        }
        assert!(is_bogon(d, d), "the target itself");
        for ok in ["10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "8.8.8.8", "223.255.255.255"] {
            assert!(!is_bogon(ok.parse().unwrap_or(d), d), "{ok}");
        }
        for b in ["::", "::1", "ff02::1", "fe80::1", "2001:db8::1", "::ffff:1.2.3.4"] {
            assert!(is_bogon(b.parse().unwrap_or(d), d), "{b}");
        }
        assert!(!is_bogon("2a00:1450::1".parse().unwrap_or(d), d));
    }

    #[test]
    fn top_k_is_exact_below_capacity_and_finds_a_heavy_hitter() {
        let mut t = TopK::new();
        for i in 0..1000u32 {
            let a = IpAddr::V4(spoof(i));
            t.add(a, hash_ip(a));
            if i % 4 == 0 {
                let g = IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8));
                t.add(g, hash_ip(g));
            }
        }
        let top = t.top();
        assert_eq!(top.first().map(|s| s.addr), Some(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))));
        // 250 true SYNs: the guaranteed count cannot exceed it, the upper bound cannot be below.
        let first = &top[0];
        assert!(first.syns >= 250 && first.syns - first.error <= 250);
    }

    #[test]
    fn sample_share_of_one_syn_sources() {
        let mut s = SourceSample::new();
        // 10,000 sources; every fourth sends a second packet: three quarters are one-SYN.
        for i in 0..10_000u64 {
            s.syn(mix64(i));
            if i % 4 == 0 {
                s.other(mix64(i));
            }
        }
        let share = s.one_syn_share().unwrap_or(0.0);
        assert!(s.level > 0 && s.n <= SAMPLE_CAP);
        assert!((0.55..=0.95).contains(&share), "{share}");
    }

    #[test]
    fn an_alert_s_syn_rate_adds_up_to_its_syns_second_by_second() {
        let mut f = Feed::new(defaults());
        f.a.keep_series();
        // 400 SYNs a second for 3 s from spoofed sources, then 2 s of nothing.
        for i in 0..1200u32 {
            f.send(i as u64 * 5 / 2, spoof(i), 2000, SERVER, 80, tcpflag::SYN);
        }
        f.send(5_000, Ipv4Addr::new(10, 0, 0, 1), 3000, Ipv4Addr::new(10, 0, 0, 9), 22, tcpflag::SYN);
        let r = f.finish();
        assert_eq!(r.alerts.len(), 1);
        let series = r.series.expect("kept");
        let rate = &series.syn[0];
        assert_eq!((rate.id, rate.target.as_str()), (r.alerts[0].id, "10.0.0.2:80"));
        assert_eq!(rate.syns.values.iter().sum::<u64>(), r.alerts[0].syns);
        assert_eq!(rate.syns.origin, r.alerts[0].start.sec);
        // Every whole second after the first holds its 400 SYNs.
        assert_eq!(rate.syns.values.get(1..3), Some(&[400, 400][..]), "{:?}", rate.syns.values);
    }

    #[test]
    fn flood_detected_with_full_tables() {
        // Tiny tables: 8 targets, 256 pending slots (the pending table must stay well above the
        // half-open threshold: by default 2^19 against 64). Background SYNs to 1,000 other
        // targets keep the target table full; the flood still gets its target, and most of the
        // overflowing pending table.
        let cfg = FloodConfig { max_targets: 8, pending_slots: 256, ..defaults() };
        let mut f = Feed::new(cfg);
        for i in 0..3000u32 {
            let ms = i as u64 / 2;
            f.send(ms, spoof(i), 2000, SERVER, 80, tcpflag::SYN);
            if i % 3 == 0 {
                f.send(ms, Ipv4Addr::new(10, 9, 9, 9), 3000, Ipv4Addr::from(0x0a01_0000 + i), 443, tcpflag::SYN);
            }
        }
        let r = f.finish();
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].dport, Some(80));
        assert_eq!(r.alerts[0].syns, 3000);
        let st = r.flood.unwrap_or_default();
        assert!(st.targets_evicted > 900, "{st:?}");
        assert!(st.pending_evicted > 0, "{st:?}");
        // Pushed-out attempts count as half-open: none was lost.
        assert_eq!(r.alerts[0].half_open, 3000);
    }

    #[test]
    fn completed_handshakes_keep_quiet() {
        let mut f = Feed::new(defaults());
        let c = Ipv4Addr::new(10, 0, 0, 1);
        for i in 0..5000u32 {
            let port = 10_000 + (i % 50_000) as u16;
            f.send(i as u64, c, port, SERVER, 80, tcpflag::SYN);
            f.send(i as u64, SERVER, 80, c, port, tcpflag::SYN | tcpflag::ACK);
            f.send(i as u64 + 1, c, port, SERVER, 80, tcpflag::ACK);
        }
        let r = f.finish();
        assert!(r.alerts.is_empty());
        assert!(f.events.is_empty());
    }

    #[test]
    fn refused_attempts_are_not_half_open() {
        // A scan of a closed port: every SYN answered by RST. High rate, nothing outstanding.
        let mut f = Feed::new(defaults());
        for i in 0..2000u32 {
            f.send(i as u64 / 2, spoof(i), 5000, SERVER, 81, tcpflag::SYN);
            f.send(i as u64 / 2, SERVER, 81, spoof(i), 5000, tcpflag::RST | tcpflag::ACK);
        }
        assert!(f.finish().alerts.is_empty());
    }

    #[test]
    fn alert_closes_after_quiet_and_a_second_flood_opens_another() {
        let mut f = Feed::new(defaults());
        for i in 0..500u32 {
            f.send(i as u64, spoof(i), 1, SERVER, 80, tcpflag::SYN);
        }
        // 20 s later (past timeout and quiet), a second flood.
        for i in 0..500u32 {
            f.send(20_000 + i as u64, spoof(i + 500), 1, SERVER, 80, tcpflag::SYN);
        }
        let r = f.finish();
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[0].closed_by, ClosedBy::Quiet);
        assert_eq!(r.alerts[1].closed_by, ClosedBy::EndOfInput);
        assert_eq!((r.alerts[0].syns, r.alerts[1].syns), (500, 500));
        // The first flood's attempts expired: all half-open, none outstanding.
        assert_eq!(r.alerts[0].half_open, 500);
        let opened = f.events.iter().filter(|e| matches!(e, Event::Alert(a) if a.state == AlertState::Open)).count();
        assert_eq!(opened, 2);
    }

    /// An alert closes at the first packet at or after its last hot moment plus the quiet period
    /// (5 s), however many packets come between; a hot SYN stamped earlier than the last (out of
    /// order) moves that moment back, even after the alerts were last looked at. They are looked
    /// at only when one may close.
    #[test]
    fn alert_closes_at_the_first_packet_after_its_quiet_end() {
        let closed = |f: &Feed| f.events.iter().any(|e| matches!(e, Event::Alert(a) if a.state == AlertState::Closed));
        let client = Ipv4Addr::new(10, 0, 0, 9);
        // Attempts outlive the test, so that the late SYN still finds the backlog full.
        let cfg = FloodConfig { timeout: 30.0, ..defaults() };
        for (late_hot, quiet_end) in [(None, 5_499), (Some(300), 5_300)] {
            let mut f = Feed::new(cfg.clone());
            for i in 0..500u32 {
                f.send(i as u64, spoof(i), 1, SERVER, 80, tcpflag::SYN);
            }
            assert!(f.events.iter().any(|e| matches!(e, Event::Alert(a) if a.state == AlertState::Open)));
            let mut times: Vec<u64> = (1_000..quiet_end).step_by(250).collect();
            if let Some(ms) = late_hot {
                // The alerts are looked at (none is quiet yet), then the late SYN comes.
                f.send(5_100, client, 4_000, SERVER, 22, tcpflag::ACK);
                f.send(ms, spoof(1_000), 1, SERVER, 80, tcpflag::SYN);
                times.clear();
            }
            for ms in times.into_iter().chain([quiet_end - 1]) {
                f.send(ms, client, 4_000, SERVER, 22, tcpflag::ACK);
                assert!(!closed(&f), "closed at {ms} ms, before {quiet_end}");
            }
            f.send(quiet_end, client, 4_000, SERVER, 22, tcpflag::ACK);
            assert!(closed(&f), "still open at {quiet_end} ms");
        }
    }

    /// A carpet is named by the smallest prefix holding the addresses it hit.
    #[test]
    fn covering_prefix_of_an_address_range() {
        let v4 = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED)) as u128;
        let like: IpAddr = SERVER.into();
        for (lo, hi, net, len) in [
            ("10.9.0.3", "10.9.0.250", "10.9.0.0", 24),
            ("10.9.0.7", "10.9.0.7", "10.9.0.7", 32),
            ("10.9.0.255", "10.9.1.0", "10.9.0.0", 23),
            ("0.0.0.0", "255.255.255.255", "0.0.0.0", 0),
        ] {
            assert_eq!(covering(like, v4(lo), v4(hi)), (net.parse().unwrap_or(like), len), "{lo}-{hi}");
        }
        let v6 = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED));
        let like: IpAddr = "fd00::1".parse().unwrap_or(like);
        assert_eq!(covering(like, v6("fd00:9::1"), v6("fd00:9::ffff:1")), ("fd00:9::".parse().unwrap_or(like), 96));
    }

    /// A busy service that stops completing its handshakes: the surge becomes a flood alert with
    /// the surge's id, and no notice is left of the surge.
    #[test]
    fn a_surge_that_stops_completing_becomes_a_flood() {
        let mut f = Feed::new(defaults());
        let c = |i: u32| Ipv4Addr::from(0x0a01_0000 + (i % 200));
        // 2 s of 1,000 attempts a second, 4 in 5 served, the fifth never answered: a surge.
        for i in 0..2000u32 {
            let (ms, port) = (i as u64, 10_000 + i as u16);
            f.send(ms, c(i), port, SERVER, 443, tcpflag::SYN);
            if i % 5 != 0 {
                f.send(ms, SERVER, 443, c(i), port, tcpflag::SYN | tcpflag::ACK);
                f.send(ms + 1, c(i), port, SERVER, 443, tcpflag::ACK);
            }
        }
        assert!(f.events.is_empty(), "a surge shows nothing until it ends");
        // Then spoofed SYNs at 2,000 a second on the same port.
        for i in 0..2000u32 {
            f.send(2000 + i as u64 / 2, spoof(i), 1, SERVER, 443, tcpflag::SYN);
        }
        let r = f.finish();
        assert_eq!(r.alerts.len(), 1);
        assert!(r.notices.is_empty(), "{:?}", r.notices);
        assert_eq!((r.alerts[0].id, r.alerts[0].dport, r.alerts[0].pattern), (1, Some(443), Pattern::OnePort));
        assert_eq!(r.flood.map(|s| (s.alerts, s.notices)), Some((1, 0)));
    }

    /// A capture cut in two (a surge, a flood across the cut, handshakes whose ACK is in the
    /// second part, an alert closing by quiet in it): the detector replaying both parts' fed
    /// segments in order makes the alerts and notices of one run over the whole, while each
    /// part's run makes its own. Tiny tables too, so that attempts are pushed out.
    #[test]
    fn replaying_the_parts_feeds_gives_the_whole_runs_alerts() {
        let c = |i: u32| Ipv4Addr::from(0x0a01_0000 + (i % 200));
        let mut pkts: Vec<(u64, Ipv4Addr, u16, Ipv4Addr, u16, u8)> = Vec::new();
        // A surge on 443: 1,000 attempts a second, 4 in 5 served.
        for i in 0..2500u32 {
            let (ms, port) = (i as u64, 10_000 + i as u16);
            pkts.push((ms, c(i), port, SERVER, 443, tcpflag::SYN));
            if i % 5 != 0 {
                pkts.push((ms, SERVER, 443, c(i), port, tcpflag::SYN | tcpflag::ACK));
                pkts.push((ms + 2, c(i), port, SERVER, 443, tcpflag::ACK));
                pkts.push((ms + 40, c(i), port, SERVER, 443, tcpflag::ACK | tcpflag::PSH));
            }
        }
        // A spoofed flood on 80 from 1.5 s to 4 s, across the cut at 3 s; some are refused.
        for i in 0..5000u32 {
            let ms = 1500 + i as u64 / 2;
            pkts.push((ms, spoof(i), 1, SERVER, 80, tcpflag::SYN));
            if i % 7 == 0 {
                pkts.push((ms + 1, SERVER, 80, spoof(i), 1, tcpflag::RST | tcpflag::ACK));
            }
        }
        // Handshakes on 22 begun just before the cut and completed after it, then a quiet
        // stretch of bare ACKs until the flood's alert closes.
        for i in 0..300u32 {
            let port = 20_000 + i as u16;
            pkts.push((2990 + i as u64 / 30, c(i), port, SERVER, 22, tcpflag::SYN));
            pkts.push((2995 + i as u64 / 30, SERVER, 22, c(i), port, tcpflag::SYN | tcpflag::ACK));
            pkts.push((3005 + i as u64 / 30, c(i), port, SERVER, 22, tcpflag::ACK));
        }
        for ms in (4000..12_000).step_by(100) {
            pkts.push((ms, c(1), 40_000, SERVER, 22, tcpflag::ACK));
        }
        pkts.sort_by_key(|p| p.0);
        let cfg = FloodConfig { pending_slots: 1024, ..defaults() };
        let run = |cfg: FloodConfig, pkts: &[(u64, Ipv4Addr, u16, Ipv4Addr, u16, u8)]| {
            let mut f = Feed::new(cfg);
            for &(ms, s, sp, d, dp, fl) in pkts {
                f.send(ms, s, sp, d, dp, fl);
            }
            let r = f.finish();
            (r, f.events)
        };
        let show = |r: &Report| format!("{:?}\n{:?}", r.alerts, r.notices);
        let (whole, _) = run(cfg.clone(), &pkts);
        // The flood on 80 and, briefly, the burst of handshakes on 22; the surge on 443.
        assert_eq!((whole.alerts.len(), whole.notices.len()), (2, 1), "{}", show(&whole));
        let cut = pkts.partition_point(|p| p.0 < 3000);
        let mut merged = FloodAnalyzer::new(cfg.clone());
        let mut events = Vec::new();
        let mut fed = 0;
        for part in [&pkts[..cut], &pkts[cut..]] {
            let (alone, evs) = run(FloodConfig { feed: true, ..cfg.clone() }, part);
            assert_ne!(show(&alone), show(&whole), "a part alone");
            for e in evs {
                if let Event::FloodSeg(s) = e {
                    merged.replay(&s, &mut events);
                    fed += 1;
                }
            }
        }
        assert!(fed < pkts.len(), "bare ACKs that find nothing are left out: {fed} of {}", pkts.len());
        let mut r = Report::default();
        merged.end(&mut r, &mut events);
        assert_eq!(show(&r), show(&whole));
    }

    /// Waiting attempts of an evicted address and port are taken off its address and subnet,
    /// which would otherwise count them as waiting for ever.
    #[test]
    fn an_evicted_target_leaves_nothing_waiting_above_it() {
        let cfg = FloodConfig { max_targets: 6, syn_rate: 1_000_000, ..defaults() };
        let mut f = Feed::new(cfg);
        // One SYN each to 50 ports of one address, 1 ms apart: each port target is new (no
        // completion), so every SYN counts on the address and the subnet too, and most port
        // targets are evicted to make room.
        for i in 0..50u32 {
            f.send(i as u64, spoof(i), 1, SERVER, 1000 + i as u16, tcpflag::SYN);
        }
        let live: u64 = f.a.targets.iter().filter(|t| t.scope == Scope::Port).map(|t| t.up_pending).sum();
        for t in f.a.targets.iter().filter(|t| t.scope != Scope::Port) {
            assert_eq!(t.pending, live, "{:?} counts {} waiting, its live ports {live}", t.scope, t.pending);
        }
        assert!(f.a.stats.targets_evicted > 40);
    }
}
