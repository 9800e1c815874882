//! The ARP table, learned from ARP traffic as a host's neighbour cache learns it, and watched as
//! arpwatch watches it.
//!
//! Learning follows Linux's neighbour cache (`net/ipv4/arp.c`, `net/core/neighbour.c`): a reply
//! confirms a station, which stays *reachable* for the reachable time and then turns *stale*; a
//! request's sender is learned *stale* at once (a request proves the sender exists, not that it
//! answers); a who-has that nobody answers within the timeout leaves the address *failed*. The
//! states are computed from packet time when the table is read, so the result does not depend on
//! when anything was checked. Watching follows arpwatch's reports (`new station`, `changed
//! ethernet address`, `flip flop`, `ethernet mismatch`, `bogon`, `ethernet broadcast`) plus
//! announcements, duplicate answers, unanswered requests and request storms.
//!
//! Memory is bounded: at most `max_entries` addresses, silent ones dropped after `gc` seconds,
//! the oldest dropped when the table is full, and every drop counted.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use rustc_hash::FxHashMap;

use super::{Analyzer, Events, Sink};
use crate::decode::{Input, Net};
use crate::report::arp::{ArpEntry, ArpEvent, ArpEventKind, ArpReport, ArpState, Learned, Mac};
use crate::report::{Event, Report};
use crate::source::Ts;

/// Entries sampled to estimate the age cut when the table is full.
const EVICT_SAMPLE: usize = 4096;

/// How many earlier MACs an entry remembers, to tell a flip flop from a change.
const HISTORY: usize = 3;

/// Most events kept in the report (all are counted and shown as they happen).
const MAX_EVENTS: usize = 1_000;

/// Timers, thresholds and caps of the ARP analyzer.
#[derive(Debug, Clone, PartialEq)]
pub struct ArpConfig {
    /// Seconds an entry stays reachable after a reply (Linux `base_reachable_time`, 30 s).
    pub reachable: f64,
    /// Seconds a who-has may go unanswered before the address is failed (3 probes × 1 s).
    pub timeout: f64,
    /// Seconds of silence after which an entry is dropped; 0 keeps entries until the cap.
    pub gc: f64,
    /// The local network: senders outside it are reported as bogons. None checks nothing.
    pub net: Option<Ipv4Network>,
    /// Requests per second from one sender above which an ARP storm is reported.
    pub storm_rate: u32,
    /// Seconds within which answers from two MACs for one address are a duplicate address.
    pub dup_window: f64,
    /// Most addresses in the table.
    pub max_entries: usize,
}


/// What the table holds for one address.
#[derive(Debug, Clone)]
struct Entry {
    mac: Option<Mac>,
    /// Earlier MACs, most recent first; `nprev` of them are valid.
    prev: [Mac; HISTORY],
    nprev: u8,
    learned: Learned,
    first_seen: Ts,
    last_seen: Ts,
    packets: u64,
    changes: u32,
    /// When a reply last confirmed the current MAC.
    confirmed: Option<Ts>,
    /// The first who-has of an unanswered run of them, and how many there were.
    pending: Option<Ts>,
    pending_count: u32,
    /// Asked for, never answered; cleared when the address speaks.
    failed: bool,
    /// The last real answer (a reply that is not an announcement): who and when.
    last_answer: Option<(Mac, Ts)>,
    /// The last announcement: who and when.
    last_announce: Option<(Mac, Ts)>,
    /// Requests sent by this address in the current one-second window.
    storm_start: Ts,
    storm_count: u32,
    storming: bool,
}

impl Entry {
    fn new(ts: Ts) -> Entry {
        Entry {
            mac: None,
            prev: [Mac::ZERO; HISTORY],
            nprev: 0,
            learned: Learned::Target,
            first_seen: ts,
            last_seen: ts,
            packets: 0,
            changes: 0,
            confirmed: None,
            pending: None,
            pending_count: 0,
            failed: false,
            last_answer: None,
            last_announce: None,
            storm_start: ts,
            storm_count: 0,
            storming: false,
        }
    }

    fn state(&self, now: Ts, cfg: &ArpConfig) -> ArpState {
        if self.failed {
            return ArpState::Failed;
        }
        if let Some(since) = self.pending {
            if now.secs_since(since) >= cfg.timeout {
                return ArpState::Failed;
            }
            if self.mac.is_none() {
                return ArpState::Incomplete;
            }
        }
        match (self.mac, self.confirmed) {
            (None, _) => ArpState::Incomplete,
            (Some(_), Some(c)) if now.secs_since(c) < cfg.reachable => ArpState::Reachable,
            (Some(_), _) => ArpState::Stale,
        }
    }

    /// Silent for `gc` seconds with no request of its own still running: dropped.
    fn gone(&self, now: Ts, gc: f64) -> bool {
        gc > 0.0 && now.secs_since(self.last_seen) >= gc && (self.pending.is_none() || self.failed)
    }

    fn previous(&self) -> &[Mac] {
        self.prev.get(..self.nprev as usize).unwrap_or(&[])
    }

    /// Makes `mac` current, remembering the old one; says whether `mac` was an earlier one.
    fn change_to(&mut self, mac: Mac) -> bool {
        let n = self.nprev as usize;
        let earlier = self.previous().iter().position(|m| *m == mac);
        if let Some(old) = self.mac {
            // Drop `mac` from the history (it becomes current) and push the old one in front.
            let mut kept = [Mac::ZERO; HISTORY];
            let mut k = 1;
            kept[0] = old;
            for (i, m) in self.prev.iter().take(n).enumerate() {
                if Some(i) != earlier && k < HISTORY {
                    kept[k] = *m;
                    k += 1;
                }
            }
            self.prev = kept;
            self.nprev = k as u8;
        }
        self.mac = Some(mac);
        self.changes += 1;
        earlier.is_some()
    }
}

/// The ARP analyzer: a bounded table keyed by IPv4 address, and the events it raises.
#[derive(Debug)]
pub struct ArpAnalyzer {
    cfg: ArpConfig,
    table: FxHashMap<Ipv4Addr, Entry>,
    events: VecDeque<ArpEvent>,
    counts: [u64; ArpEventKind::ALL.len()],
    now: Option<Ts>,
    next_sweep: Option<Ts>,
    packets: u64,
    requests: u64,
    replies: u64,
    probes: u64,
    other: u64,
    evicted: u64,
    expired: u64,
    /// Reused when the table is full, so eviction does not allocate each time.
    scratch: Vec<Ts>,
    /// Events of the frame at hand.
    evs: Vec<Event>,
    /// Events kept for the report.
    max_events: usize,
}

/// What one ARP packet says, as the table reads it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    ts: Ts,
    frame: u64,
    op: u16,
    mac: Mac,
    ip: Ipv4Addr,
    target_ip: Ipv4Addr,
    gratuitous: bool,
}

impl ArpAnalyzer {
    /// An analyzer with the given settings.
    pub fn new(cfg: ArpConfig) -> Self {
        let cap = cfg.max_entries.min(1024);
        ArpAnalyzer {
            cfg,
            table: FxHashMap::with_capacity_and_hasher(cap, Default::default()),
            events: VecDeque::new(),
            counts: [0; ArpEventKind::ALL.len()],
            now: None,
            next_sweep: None,
            packets: 0,
            requests: 0,
            replies: 0,
            probes: 0,
            other: 0,
            evicted: 0,
            expired: 0,
            scratch: Vec::new(),
            evs: Vec::new(),
            max_events: MAX_EVENTS,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &ArpConfig {
        &self.cfg
    }

    /// The table and events as of the last packet seen, without ending anything; live capture
    /// calls this to redraw the table.
    pub fn report(&self) -> ArpReport {
        let now = self.now.unwrap_or_default();
        let mut entries: Vec<ArpEntry> = self
            .table
            .iter()
            .map(|(ip, e)| ArpEntry {
                ip: *ip,
                mac: e.mac,
                vendor: e.mac.and_then(Mac::vendor),
                state: e.state(now, &self.cfg),
                learned: e.learned,
                first_seen: e.first_seen.as_secs_f64(),
                last_seen: e.last_seen.as_secs_f64(),
                packets: e.packets,
                changes: e.changes,
                previous_macs: e.previous().to_vec(),
            })
            .collect();
        entries.sort_by_key(|e| e.ip);
        ArpReport {
            entries,
            events: self.events.iter().cloned().collect(),
            event_counts: ArpEventKind::ALL
                .iter()
                .zip(self.counts.iter())
                .filter(|(_, c)| **c > 0)
                .map(|(k, c)| (k.name().to_string(), *c))
                .collect(),
            events_total: self.counts.iter().sum(),
            packets: self.packets,
            requests: self.requests,
            replies: self.replies,
            probes: self.probes,
            other: self.other,
            evicted: self.evicted,
            expired: self.expired,
            capacity: self.cfg.max_entries,
            as_of: self.now.map(Ts::as_secs_f64),
        }
    }

    /// Counts an event, keeps it for the report (the last [`MAX_EVENTS`]), and shows it now.
    fn emit(&mut self, out: &mut Vec<Event>, ev: ArpEvent) {
        if let Some(c) = self.counts.get_mut(ev.event.index()) {
            *c += 1;
        }
        if self.max_events > 0 {
            if self.events.len() >= self.max_events {
                self.events.pop_front();
            }
            self.events.push_back(ev);
        }
        out.push(Event::Arp(ev));
    }

    /// Advances packet time: expires unanswered requests and silent entries once in a while.
    /// Every frame comes here and nearly all leave at once, so the rest is a function apart
    /// ([`ArpAnalyzer::tick_due`]): inlined, its registers and stack would make each frame's call
    /// several times longer than the test.
    #[inline]
    fn tick(&mut self, ts: Ts, out: &mut Vec<Event>) {
        if self.now.is_none_or(|n| ts > n) {
            self.now = Some(ts);
        }
        if let (Some(now), Some(due)) = (self.now, self.next_sweep) {
            if now < due {
                return;
            }
        }
        self.tick_due(out);
    }

    /// The sweep is due (or time has just begun, with none set): sweeps and sets the next one.
    #[inline(never)]
    fn tick_due(&mut self, out: &mut Vec<Event>) {
        let Some(now) = self.now else { return };
        let step = [self.cfg.timeout, if self.cfg.gc > 0.0 { self.cfg.gc } else { f64::INFINITY }]
            .into_iter()
            .fold(f64::INFINITY, f64::min)
            .clamp(0.05, 60.0)
            / 2.0;
        self.next_sweep = Some(now.plus_secs(step));
        self.sweep(now, out);
    }

    /// Fails the requests that timed out and drops entries silent for longer than `gc`.
    fn sweep(&mut self, now: Ts, out: &mut Vec<Event>) {
        self.fail_due(now, out);
        if self.cfg.gc > 0.0 {
            let gc = self.cfg.gc;
            let before = self.table.len();
            self.table.retain(|_, e| !e.gone(now, gc));
            self.expired += (before - self.table.len()) as u64;
        }
    }

    /// Fails every request whose timeout has run out by `now`, earliest deadline first.
    fn fail_due(&mut self, now: Ts, out: &mut Vec<Event>) {
        let timeout = self.cfg.timeout;
        let mut due: Vec<(Ts, Ipv4Addr)> = self
            .table
            .iter()
            .filter_map(|(ip, e)| e.pending.filter(|p| !e.failed && now.secs_since(*p) >= timeout).map(|p| (p, *ip)))
            .collect();
        due.sort();
        for (_, ip) in due {
            self.fail(ip, out);
        }
    }

    /// The who-has for `ip` went unanswered: the entry fails, with an event at the deadline.
    fn fail(&mut self, ip: Ipv4Addr, out: &mut Vec<Event>) {
        let timeout = self.cfg.timeout;
        let Some(e) = self.table.get_mut(&ip) else { return };
        let (Some(since), false) = (e.pending, e.failed) else { return };
        e.failed = true;
        let (mac, count) = (e.mac, e.pending_count as u64);
        let ev = ArpEvent { count: Some(count), ..event(ArpEventKind::UnansweredRequest, since.plus_secs(timeout), ip, mac, None, 0) };
        self.emit(out, ev);
    }

    /// Makes room for one more entry: silent entries go first, then the oldest eighth.
    fn make_room(&mut self, now: Ts) {
        if self.table.len() < self.cfg.max_entries || self.table.is_empty() {
            return;
        }
        // Dropping the oldest quarter at once keeps a full table at O(1) per new entry. The cut
        // is estimated from a sample (hash order is unrelated to time), so one pass drops both
        // the oldest and the silent; a second runs only when the estimate fell short.
        let mut seen = std::mem::take(&mut self.scratch);
        seen.clear();
        seen.extend(self.table.values().take(EVICT_SAMPLE).map(|e| e.last_seen));
        let k = (self.table.len() / 4).max(1);
        let idx = (seen.len() / 4).min(seen.len() - 1);
        let cut = *seen.select_nth_unstable(idx).1;
        self.scratch = seen;
        let gc = self.cfg.gc;
        let (mut budget, mut expired, mut evicted) = (k, 0u64, 0u64);
        self.table.retain(|_, e| {
            if e.gone(now, gc) {
                expired += 1;
                false
            } else if budget > 0 && e.last_seen < cut {
                budget -= 1;
                evicted += 1;
                false
            } else {
                true
            }
        });
        if self.table.len() >= self.cfg.max_entries {
            // The sample's cut was too early, or many entries share its timestamp.
            self.table.retain(|_, e| {
                let drop = budget > 0 && e.last_seen <= cut;
                budget -= drop as usize;
                evicted += drop as u64;
                !drop
            });
        }
        if self.table.len() >= self.cfg.max_entries {
            // Still full (a tiny cap, or one timestamp everywhere): drop any to stay under it.
            let mut extra = self.table.len() + 1 - self.cfg.max_entries;
            self.table.retain(|_, _| {
                let drop = extra > 0;
                extra -= drop as usize;
                evicted += drop as u64;
                !drop
            });
        }
        self.expired += expired;
        self.evicted += evicted;
    }

    /// The entry for `ip`, created if there is room; entries silent past `gc` start over.
    fn entry(&mut self, ip: Ipv4Addr, ts: Ts) -> Option<(&mut Entry, bool)> {
        let gc = self.cfg.gc;
        let stale_gone = self.table.get(&ip).map(|e| e.gone(ts, gc));
        match stale_gone {
            Some(true) => {
                // Gone by the gc rule even if no sweep has run yet, so results do not depend on
                // when sweeps happen.
                self.table.remove(&ip);
                self.expired += 1;
            }
            Some(false) => return self.table.get_mut(&ip).map(|e| (e, false)),
            None => {}
        }
        if self.cfg.max_entries == 0 {
            self.evicted += 1;
            return None;
        }
        self.make_room(ts);
        Some((self.table.entry(ip).or_insert_with(|| Entry::new(ts)), true))
    }

    #[inline(never)]
    fn arp(&mut self, x: &Input, arp: Option<crate::decode::ArpInfo>, link_src: Option<[u8; 6]>, out: &mut Vec<Event>) {
        self.packets += 1;
        let Some(a) = arp else {
            self.other += 1;
            return;
        };
        match a.op {
            1 => self.requests += 1,
            2 => self.replies += 1,
            _ => {
                self.other += 1;
                return;
            }
        }
        let s = Seen {
            ts: x.ts,
            frame: x.number,
            op: a.op,
            mac: Mac(a.sender_mac),
            ip: a.sender_ip,
            target_ip: a.target_ip,
            gratuitous: a.sender_ip == a.target_ip && !a.sender_ip.is_unspecified(),
        };
        if s.mac == Mac::BROADCAST || s.mac == Mac::ZERO {
            self.emit(out, event(ArpEventKind::EthernetBroadcast, s.ts, s.ip, Some(s.mac), None, s.frame));
            return;
        }
        if let Some(src) = link_src.map(Mac) {
            if src != s.mac {
                let ev = event(ArpEventKind::EthernetMismatch, s.ts, s.ip, Some(s.mac), None, s.frame);
                self.emit(out, ArpEvent { eth_src: Some(src), ..ev });
            }
        }
        if s.ip.is_unspecified() {
            // An RFC 5227 probe: the sender has no address yet, so there is nothing to learn,
            // and silence is the answer it hopes for.
            self.probes += 1;
            return;
        }
        if s.ip.is_multicast() || s.ip.is_broadcast() || s.ip.is_loopback() {
            // Linux drops these senders too: no station has such an address.
            self.emit(out, event(ArpEventKind::Bogon, s.ts, s.ip, Some(s.mac), None, s.frame));
            return;
        }
        if let Some(net) = self.cfg.net {
            if !net.contains(s.ip) {
                self.emit(out, event(ArpEventKind::Bogon, s.ts, s.ip, Some(s.mac), None, s.frame));
            }
        }
        self.learn(s, out);
        if s.op == 1 && !s.gratuitous {
            self.asked(s);
        }
    }

    /// Updates the sender's entry from one request or reply.
    fn learn(&mut self, s: Seen, out: &mut Vec<Event>) {
        let (timeout, dup_window, storm_rate) = (self.cfg.timeout, self.cfg.dup_window, self.cfg.storm_rate);
        let Some((e, _)) = self.entry(s.ip, s.ts) else { return };
        // A late answer: its request had already timed out. Report that first, at its deadline.
        let late = e.pending.is_some_and(|p| !e.failed && s.ts.secs_since(p) >= timeout);
        if late {
            self.fail(s.ip, out);
        }
        let Some(e) = self.table.get_mut(&s.ip) else { return };
        e.packets += 1;
        if s.ts > e.last_seen {
            e.last_seen = s.ts;
        }
        e.pending = None;
        e.pending_count = 0;
        e.failed = false;
        let answer = s.op == 2 && !s.gratuitous;
        let how = match (s.gratuitous, s.op) {
            (true, _) => Learned::Gratuitous,
            (false, 2) => Learned::Reply,
            _ => Learned::Request,
        };
        let old = e.mac;
        let mut kind = None;
        match old {
            None => {
                e.mac = Some(s.mac);
                e.learned = how;
                kind = Some(ArpEventKind::NewStation);
            }
            Some(m) if m != s.mac => {
                let back = e.change_to(s.mac);
                e.learned = how;
                // The old MAC's reachability says nothing about the new one.
                e.confirmed = None;
                kind = Some(if back { ArpEventKind::FlipFlop } else { ArpEventKind::ChangedEthernetAddress });
            }
            Some(_) => {
                if answer || s.gratuitous {
                    e.learned = how;
                }
            }
        }
        if answer {
            e.confirmed = Some(s.ts);
        }
        // Two stations answering for one address: the other answer came shortly before, and
        // this MAC did not announce a takeover in between.
        let mut duplicate = None;
        if answer {
            if let Some((other, at)) = e.last_answer {
                let announced = e.last_announce.is_some_and(|(m, t)| m == s.mac && t >= at);
                if other != s.mac && s.ts.secs_since(at) <= dup_window && !announced {
                    duplicate = Some(other);
                }
            }
            e.last_answer = Some((s.mac, s.ts));
        }
        if s.gratuitous {
            e.last_announce = Some((s.mac, s.ts));
        }
        let mut storm = None;
        if s.op == 1 {
            if s.ts.secs_since(e.storm_start) >= 1.0 || s.ts < e.storm_start {
                if e.storm_count <= storm_rate {
                    e.storming = false;
                }
                e.storm_start = s.ts;
                e.storm_count = 0;
            }
            e.storm_count = e.storm_count.saturating_add(1);
            if e.storm_count > storm_rate && !e.storming {
                e.storming = true;
                storm = Some(e.storm_count as u64);
            }
        }
        let new_mac = Some(s.mac);
        if let Some(k) = kind {
            let old_mac = if k == ArpEventKind::NewStation { None } else { old };
            self.emit(out, event(k, s.ts, s.ip, new_mac, old_mac, s.frame));
        }
        if s.gratuitous {
            self.emit(out, event(ArpEventKind::Gratuitous, s.ts, s.ip, new_mac, None, s.frame));
        }
        if let Some(other) = duplicate {
            self.emit(out, event(ArpEventKind::DuplicateAddress, s.ts, s.ip, new_mac, Some(other), s.frame));
        }
        if let Some(n) = storm {
            let ev = event(ArpEventKind::ArpStorm, s.ts, s.ip, new_mac, None, s.frame);
            self.emit(out, ArpEvent { count: Some(n), ..ev });
        }
    }

    /// A who-has for `s.target_ip`: starts its timeout unless one is running or it failed.
    fn asked(&mut self, s: Seen) {
        if s.target_ip.is_unspecified() || s.target_ip.is_multicast() || s.target_ip.is_broadcast() {
            return;
        }
        let Some((e, created)) = self.entry(s.target_ip, s.ts) else { return };
        if created {
            e.learned = Learned::Target;
        }
        if e.failed {
            return;
        }
        if e.pending.is_none() {
            e.pending = Some(s.ts);
        }
        e.pending_count = e.pending_count.saturating_add(1);
        if e.mac.is_none() && s.ts > e.last_seen {
            e.last_seen = s.ts;
        }
    }
}

/// An event without extras.
fn event(kind: ArpEventKind, ts: Ts, ip: Ipv4Addr, mac: Option<Mac>, old_mac: Option<Mac>, frame: u64) -> ArpEvent {
    ArpEvent { event: kind, ts: ts.as_secs_f64(), ip, mac, old_mac, eth_src: None, count: None, frame }
}

impl Analyzer for ArpAnalyzer {
    fn packet(&mut self, x: &Input, out: &mut Events) {
        if x.has(crate::decode::input::CONTINUED) {
            return;
        }
        // Nearly every frame only moves the time forward.
        if !matches!(x.net, Net::Arp { .. }) {
            if self.now.is_none_or(|n| x.ts > n) {
                self.now = Some(x.ts);
            }
            if matches!((self.now, self.next_sweep), (Some(now), Some(due)) if now < due) {
                return;
            }
        }
        let mut evs = std::mem::take(&mut self.evs);
        self.tick(x.ts, &mut evs);
        if let Net::Arp { arp, link_src } = x.net {
            self.arp(x, arp, link_src, &mut evs);
        }
        for e in evs.drain(..) {
            out.push(e);
        }
        self.evs = evs;
    }

    fn finish(&mut self, report: &mut Report, out: &mut dyn Sink) {
        let mut evs = Vec::new();
        if let Some(now) = self.now {
            // Requests still within their timeout stay incomplete: the capture ended, not them.
            self.fail_due(now, &mut evs);
        }
        for e in evs {
            out.event(e);
        }
        report.arp = Some(self.report());
    }

    fn snapshot(&self, report: &mut Report) {
        report.arp = Some(self.report());
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::{input, linktype};
    use crate::report::arp::ArpEventKind as K;
    use crate::source::Frame;

    const A: Mac = Mac([2, 0, 0, 0, 0, 0xa]);
    const B: Mac = Mac([2, 0, 0, 0, 0, 0xb]);
    const B2: Mac = Mac([2, 0, 0, 0, 0, 0xb2]);
    const B3: Mac = Mac([2, 0, 0, 0, 0, 0xb3]);
    const IP_A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const IP_B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const IP_C: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 3);

    /// The settings the tests start from: the command line's defaults.
    fn defaults() -> ArpConfig {
        ArpConfig { reachable: 30.0, timeout: 3.0, gc: 600.0, net: None, storm_rate: 20, dup_window: 1.0, max_entries: 65_536 }
    }

    /// An Ethernet/IPv4 ARP frame as RFC 826 lays it out.
    fn arp(eth_src: Mac, op: u16, sha: Mac, spa: Ipv4Addr, tha: Mac, tpa: Ipv4Addr) -> Vec<u8> {
        let mut f = Vec::with_capacity(42);
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&eth_src.0);
        f.extend_from_slice(&[0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4]);
        f.extend_from_slice(&op.to_be_bytes());
        f.extend_from_slice(&sha.0);
        f.extend_from_slice(&spa.octets());
        f.extend_from_slice(&tha.0);
        f.extend_from_slice(&tpa.octets());
        f
    }

    fn who_has(from: Mac, from_ip: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
        arp(from, 1, from, from_ip, Mac::ZERO, target)
    }

    fn is_at(from: Mac, ip: Ipv4Addr, to_ip: Ipv4Addr) -> Vec<u8> {
        arp(from, 2, from, ip, A, to_ip)
    }

    /// A frame that is not ARP: it only moves packet time forward.
    fn other() -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&A.0);
        f.extend_from_slice(&[0x88, 0xb5, 0, 0]);
        f
    }

    /// Feeds frames at the given times (seconds); returns the events raised.
    struct Run {
        a: ArpAnalyzer,
        events: Vec<ArpEvent>,
        n: u64,
    }

    impl Run {
        fn new(cfg: ArpConfig) -> Run {
            Run { a: ArpAnalyzer::new(cfg), events: Vec::new(), n: 0 }
        }

        fn at(&mut self, secs: f64, data: &[u8]) -> &mut Run {
            self.n += 1;
            let ts = Ts { sec: 1_000, nsec: 0 }.plus_secs(secs);
            let frame = Frame { number: self.n, ts, linktype: linktype::ETHERNET, len: data.len() as u32, data, interface: 0, ts_known: true };
            let mut out = Events::default();
            self.a.packet(&input(&frame), &mut out);
            self.take(out.drain().map(|(_, e)| e).collect());
            self
        }

        fn take(&mut self, out: Vec<Event>) {
            for e in out {
                if let Event::Arp(ev) = e {
                    self.events.push(ev);
                }
            }
        }

        fn finish(&mut self) -> ArpReport {
            let mut report = Report::default();
            let mut out = Vec::new();
            self.a.finish(&mut report, &mut out);
            self.take(out);
            report.arp.unwrap_or_default()
        }

        fn kinds(&self) -> Vec<K> {
            self.events.iter().map(|e| e.event).collect()
        }

        fn of(&self, kind: K) -> Vec<ArpEvent> {
            self.events.iter().filter(|e| e.event == kind).copied().collect()
        }

        fn entry(&self, ip: Ipv4Addr) -> ArpEntry {
            let r = self.a.report();
            r.entries.into_iter().find(|e| e.ip == ip).unwrap_or_else(|| panic!("no entry for {ip}"))
        }
    }

    fn secs(t: f64) -> f64 {
        1_000.0 + t
    }

    #[test]
    fn reply_is_reachable_then_stale() {
        let mut r = Run::new(ArpConfig { reachable: 5.0, ..defaults() });
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(0.001, &is_at(B, IP_B, IP_A));
        let b = r.entry(IP_B);
        assert_eq!((b.mac, b.state, b.learned, b.packets), (Some(B), ArpState::Reachable, Learned::Reply, 1));
        r.at(4.9, &other());
        assert_eq!(r.entry(IP_B).state, ArpState::Reachable);
        r.at(5.002, &other());
        assert_eq!(r.entry(IP_B).state, ArpState::Stale);
        assert_eq!(r.kinds(), vec![K::NewStation, K::NewStation]);
    }

    #[test]
    fn request_sender_is_stale_at_once() {
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B));
        let a = r.entry(IP_A);
        assert_eq!((a.mac, a.state, a.learned), (Some(A), ArpState::Stale, Learned::Request));
        // The target is asked for, not known.
        let b = r.entry(IP_B);
        assert_eq!((b.mac, b.state, b.learned), (None, ArpState::Incomplete, Learned::Target));
        // A request from a station confirmed by a reply does not make it stale again.
        r.at(0.1, &who_has(B, IP_B, IP_A)).at(0.2, &is_at(A, IP_A, IP_B)).at(0.3, &who_has(A, IP_A, IP_C));
        assert_eq!(r.entry(IP_A).state, ArpState::Reachable);
    }

    #[test]
    fn new_station_once_per_address() {
        let mut r = Run::new(defaults());
        for i in 0..3 {
            r.at(i as f64 * 0.1, &who_has(A, IP_A, IP_B));
            r.at(i as f64 * 0.1 + 0.01, &is_at(B, IP_B, IP_A));
        }
        let new = r.of(K::NewStation);
        assert_eq!(new.len(), 2);
        assert_eq!((new[0].ip, new[0].mac, new[0].old_mac, new[0].frame), (IP_A, Some(A), None, 1));
        assert_eq!((new[1].ip, new[1].mac, new[1].frame), (IP_B, Some(B), 2));
        assert_eq!(new[1].ts, secs(0.01));
    }

    #[test]
    fn changed_ethernet_address_then_flip_flop() {
        let mut r = Run::new(ArpConfig { dup_window: 0.0, ..defaults() });
        r.at(0.0, &is_at(B, IP_B, IP_A))
            .at(10.0, &is_at(B2, IP_B, IP_A))
            .at(20.0, &is_at(B, IP_B, IP_A))
            .at(30.0, &is_at(B3, IP_B, IP_A))
            .at(40.0, &is_at(B2, IP_B, IP_A));
        let got: Vec<(K, Option<Mac>, Option<Mac>)> = r.events.iter().map(|e| (e.event, e.mac, e.old_mac)).collect();
        assert_eq!(
            got,
            vec![
                (K::NewStation, Some(B), None),
                (K::ChangedEthernetAddress, Some(B2), Some(B)),
                (K::FlipFlop, Some(B), Some(B2)),
                (K::ChangedEthernetAddress, Some(B3), Some(B)),
                (K::FlipFlop, Some(B2), Some(B3)),
            ]
        );
        let e = r.entry(IP_B);
        assert_eq!(e.changes, 4);
        assert_eq!(e.previous_macs, vec![B3, B]);
    }

    #[test]
    fn ethernet_mismatch_names_the_frame_source() {
        let mut r = Run::new(defaults());
        r.at(0.0, &arp(B2, 2, B, IP_B, A, IP_A));
        let m = r.of(K::EthernetMismatch);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].ip, m[0].mac, m[0].eth_src), (IP_B, Some(B), Some(B2)));
        // The ARP body is still what a host learns from.
        assert_eq!(r.entry(IP_B).mac, Some(B));
        r.at(1.0, &is_at(B, IP_B, IP_A));
        assert_eq!(r.of(K::EthernetMismatch).len(), 1);
    }

    #[test]
    fn bogon_is_a_sender_outside_the_net() {
        let net: Ipv4Network = "10.0.0.0/24".parse().expect("cidr");
        let mut r = Run::new(ArpConfig { net: Some(net), ..defaults() });
        let outside = Ipv4Addr::new(192, 168, 1, 5);
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(0.1, &who_has(B, outside, IP_A));
        let b = r.of(K::Bogon);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].ip, b[0].mac), (outside, Some(B)));
        // Without --net nothing is a bogon but a multicast, broadcast or loopback sender.
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(B, outside, IP_A)).at(0.1, &who_has(B, Ipv4Addr::new(224, 0, 0, 1), IP_A));
        assert_eq!(r.of(K::Bogon).iter().map(|e| e.ip).collect::<Vec<_>>(), vec![Ipv4Addr::new(224, 0, 0, 1)]);
    }

    #[test]
    fn ethernet_broadcast_sender_is_reported_not_learned() {
        let mut r = Run::new(defaults());
        r.at(0.0, &arp(A, 2, Mac::BROADCAST, IP_B, A, IP_A)).at(0.1, &arp(A, 1, Mac::ZERO, IP_C, A, IP_A));
        let e = r.of(K::EthernetBroadcast);
        assert_eq!(e.iter().map(|e| (e.ip, e.mac)).collect::<Vec<_>>(), vec![(IP_B, Some(Mac::BROADCAST)), (IP_C, Some(Mac::ZERO))]);
        assert!(r.a.report().entries.iter().all(|e| e.ip != IP_B && e.ip != IP_C));
    }

    #[test]
    fn gratuitous_in_both_forms_and_a_probe_learns_nothing() {
        let mut r = Run::new(defaults());
        r.at(0.0, &arp(B, 1, B, IP_B, Mac::BROADCAST, IP_B)).at(1.0, &arp(B, 2, B, IP_B, Mac::BROADCAST, IP_B));
        assert_eq!(r.kinds(), vec![K::NewStation, K::Gratuitous, K::Gratuitous]);
        let b = r.entry(IP_B);
        assert_eq!((b.learned, b.state), (Learned::Gratuitous, ArpState::Stale));
        // An announcement expects no answer: no timeout runs for it.
        r.at(10.0, &other());
        assert!(r.of(K::UnansweredRequest).is_empty());
        // RFC 5227 probe: sender 0.0.0.0 asking for C.
        r.at(11.0, &arp(A, 1, A, Ipv4Addr::UNSPECIFIED, Mac::ZERO, IP_C)).at(20.0, &other());
        let rep = r.finish();
        assert_eq!(rep.probes, 1);
        assert!(rep.entries.iter().all(|e| e.ip != IP_C && !e.ip.is_unspecified()));
        assert!(r.of(K::UnansweredRequest).is_empty());
    }

    #[test]
    fn duplicate_address_is_two_answers_within_the_window() {
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(0.001, &is_at(B, IP_B, IP_A)).at(0.002, &is_at(B2, IP_B, IP_A));
        let d = r.of(K::DuplicateAddress);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].ip, d[0].mac, d[0].old_mac, d[0].frame), (IP_B, Some(B2), Some(B), 3));
        // Answers further apart than the window are a change, not a duplicate.
        let mut r = Run::new(defaults());
        r.at(0.0, &is_at(B, IP_B, IP_A)).at(1.5, &is_at(B2, IP_B, IP_A));
        assert_eq!(r.kinds(), vec![K::NewStation, K::ChangedEthernetAddress]);
        // A takeover announced in between is a change, not a duplicate.
        let mut r = Run::new(defaults());
        r.at(0.0, &is_at(B, IP_B, IP_A)).at(0.2, &arp(B2, 1, B2, IP_B, Mac::ZERO, IP_B)).at(0.5, &is_at(B2, IP_B, IP_A));
        assert_eq!(r.kinds(), vec![K::NewStation, K::ChangedEthernetAddress, K::Gratuitous]);
    }

    #[test]
    fn unanswered_request_fails_at_the_timeout() {
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_C)).at(1.0, &who_has(A, IP_A, IP_C)).at(2.0, &who_has(A, IP_A, IP_C));
        r.at(2.9, &other());
        assert!(r.of(K::UnansweredRequest).is_empty());
        assert_eq!(r.entry(IP_C).state, ArpState::Incomplete);
        r.at(3.5, &other());
        let u = r.of(K::UnansweredRequest);
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].ip, u[0].mac, u[0].count, u[0].ts), (IP_C, None, Some(3), secs(3.0)));
        assert_eq!(r.entry(IP_C).state, ArpState::Failed);
        // More requests for a failed address raise nothing new; an answer revives it.
        r.at(4.0, &who_has(A, IP_A, IP_C)).at(10.0, &other());
        assert_eq!(r.of(K::UnansweredRequest).len(), 1);
        r.at(11.0, &is_at(B3, IP_C, IP_A));
        let c = r.entry(IP_C);
        assert_eq!((c.mac, c.state), (Some(B3), ArpState::Reachable));
    }

    #[test]
    fn a_late_answer_still_counts_the_timeout() {
        // No packet between the request and an answer 5 s later: the timeout is reported first,
        // at its deadline, whatever the sweeps did.
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(5.0, &is_at(B, IP_B, IP_A));
        assert_eq!(r.kinds(), vec![K::NewStation, K::UnansweredRequest, K::NewStation]);
        assert_eq!(r.of(K::UnansweredRequest)[0].ts, secs(3.0));
        // Answered in time: nothing.
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(2.5, &is_at(B, IP_B, IP_A)).at(60.0, &other());
        assert!(r.of(K::UnansweredRequest).is_empty());
    }

    #[test]
    fn finish_fails_only_requests_past_their_timeout() {
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B)).at(4.0, &who_has(A, IP_A, IP_C));
        let rep = r.finish();
        assert_eq!(r.of(K::UnansweredRequest).iter().map(|e| e.ip).collect::<Vec<_>>(), vec![IP_B]);
        let state = |ip| rep.entries.iter().find(|e| e.ip == ip).map(|e| e.state);
        assert_eq!(state(IP_B), Some(ArpState::Failed));
        assert_eq!(state(IP_C), Some(ArpState::Incomplete));
    }

    #[test]
    fn arp_storm_once_per_burst() {
        let mut r = Run::new(ArpConfig { storm_rate: 20, ..defaults() });
        // 20 requests in a second is the limit, not over it.
        for i in 0..20 {
            r.at(i as f64 * 0.04, &who_has(A, IP_A, Ipv4Addr::new(10, 0, 1, i as u8)));
        }
        assert!(r.of(K::ArpStorm).is_empty());
        r.at(0.81, &who_has(A, IP_A, IP_B));
        let s = r.of(K::ArpStorm);
        assert_eq!((s.len(), s[0].ip, s[0].count, s[0].frame), (1, IP_A, Some(21), 21));
        // The storm goes on for two more seconds: still one event.
        for i in 0..100 {
            r.at(1.0 + i as f64 * 0.02, &who_has(A, IP_A, IP_B));
        }
        assert_eq!(r.of(K::ArpStorm).len(), 1);
        // A quiet second, then a new burst: a new storm.
        r.at(4.0, &who_has(A, IP_A, IP_B));
        for i in 0..30 {
            r.at(6.0 + i as f64 * 0.01, &who_has(A, IP_A, IP_B));
        }
        assert_eq!(r.of(K::ArpStorm).len(), 2);
    }

    #[test]
    fn cap_evicts_the_oldest_and_counts() {
        let mut r = Run::new(ArpConfig { max_entries: 8, ..defaults() });
        for i in 0..20u8 {
            r.at(i as f64, &is_at(Mac([2, 0, 0, 0, 1, i]), Ipv4Addr::new(10, 0, 2, i), IP_A));
        }
        let rep = r.finish();
        assert!(rep.entries.len() <= 8);
        assert_eq!(rep.evicted, 20 - rep.entries.len() as u64);
        // The newest survive.
        assert!(rep.entries.iter().any(|e| e.ip == Ipv4Addr::new(10, 0, 2, 19)));
        assert!(rep.entries.iter().all(|e| e.ip != Ipv4Addr::new(10, 0, 2, 0)));
    }

    #[test]
    fn silent_entries_expire_after_gc() {
        let mut r = Run::new(ArpConfig { gc: 60.0, ..defaults() });
        r.at(0.0, &is_at(B, IP_B, IP_A)).at(50.0, &is_at(B2, IP_C, IP_A)).at(100.0, &other());
        let rep = r.finish();
        assert_eq!(rep.entries.iter().map(|e| e.ip).collect::<Vec<_>>(), vec![IP_C]);
        assert_eq!(rep.expired, 1);
        // Back after expiry: a new station again, as for a host that forgot it.
        r.at(101.0, &is_at(B, IP_B, IP_A));
        assert_eq!(r.of(K::NewStation).len(), 3);
    }

    #[test]
    fn events_kept_are_bounded_and_all_counted() {
        let mut r = Run::new(defaults());
        r.a.max_events = 2;
        for i in 0..5u8 {
            r.at(i as f64, &is_at(Mac([2, 0, 0, 0, 1, i]), Ipv4Addr::new(10, 0, 2, i), IP_A));
        }
        let rep = r.finish();
        assert_eq!(rep.events_total, 5);
        assert_eq!(rep.events.iter().map(|e| e.frame).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(rep.event_counts, vec![("new station".to_string(), 5)]);
    }

    #[test]
    fn malformed_arp_is_counted_not_learned() {
        let mut r = Run::new(defaults());
        let f = who_has(A, IP_A, IP_B);
        for n in 14..f.len() {
            r.at(0.0, &f[..n]);
        }
        let rep = r.finish();
        assert!(rep.entries.is_empty());
        assert!(r.events.is_empty());
    }

    #[test]
    fn snapshot_ends_nothing() {
        let mut r = Run::new(defaults());
        r.at(0.0, &who_has(A, IP_A, IP_B));
        let mut snap = Report::default();
        r.a.snapshot(&mut snap);
        let snap = snap.arp.unwrap_or_default();
        assert_eq!(snap.entries.iter().map(|e| (e.ip, e.state)).collect::<Vec<_>>(), vec![(IP_A, ArpState::Stale), (IP_B, ArpState::Incomplete)]);
        r.at(0.5, &is_at(B, IP_B, IP_A));
        let end = r.finish();
        assert_eq!(end.entries.iter().map(|e| e.state).collect::<Vec<_>>(), vec![ArpState::Stale, ArpState::Reachable]);
        assert_eq!(end.events_total, 2);
    }

    #[test]
    fn cap_holds_when_every_entry_has_one_timestamp() {
        for cap in [1usize, 2, 3, 100] {
            let mut r = Run::new(ArpConfig { max_entries: cap, ..defaults() });
            for i in 0..300u32 {
                let ip = Ipv4Addr::from(0x0a00_0000 + i);
                r.at(0.0, &is_at(Mac([2, 0, 0, 0, (i >> 8) as u8, i as u8]), ip, IP_A));
                assert!(r.a.table.len() <= cap, "cap {cap}: {} entries", r.a.table.len());
            }
            let rep = r.finish();
            assert_eq!(rep.evicted + rep.entries.len() as u64, 300, "cap {cap}");
        }
    }
}
