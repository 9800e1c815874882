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

use super::Analyzer;
use crate::decode::{Link, Packet};
use crate::report::arp::{ArpEntry, ArpEvent, ArpEventKind, ArpReport, ArpState, Learned, Mac};
use crate::report::{Event, Report};
use crate::source::Ts;

/// How many earlier MACs an entry remembers, to tell a flip flop from a change.
const HISTORY: usize = 3;

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
    /// Most events kept in the report (all are counted and shown as they happen).
    pub max_events: usize,
}

impl Default for ArpConfig {
    fn default() -> Self {
        ArpConfig {
            reachable: 30.0,
            timeout: 3.0,
            gc: 600.0,
            net: None,
            storm_rate: 20,
            dup_window: 1.0,
            max_entries: 65_536,
            max_events: 1_000,
        }
    }
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

    /// Counts an event, keeps it for the report (the last `max_events`), and shows it now.
    fn emit(&mut self, out: &mut Vec<Event>, ev: ArpEvent) {
        if let Some(c) = self.counts.get_mut(ev.event.index()) {
            *c += 1;
        }
        if self.cfg.max_events > 0 {
            if self.events.len() >= self.cfg.max_events {
                self.events.pop_front();
            }
            self.events.push_back(ev);
        }
        out.push(Event::Arp(ev));
    }

    /// Advances packet time: expires unanswered requests and silent entries once in a while.
    fn tick(&mut self, ts: Ts, out: &mut Vec<Event>) {
        if self.now.is_none_or(|n| ts > n) {
            self.now = Some(ts);
        }
        let Some(now) = self.now else { return };
        let due = self.next_sweep.get_or_insert(now);
        if now < *due {
            return;
        }
        let step = [self.cfg.timeout, if self.cfg.gc > 0.0 { self.cfg.gc } else { f64::INFINITY }]
            .into_iter()
            .fold(f64::INFINITY, f64::min)
            .clamp(0.05, 60.0)
            / 2.0;
        *due = now.plus_secs(step);
        self.sweep(now, out);
    }

    /// Fails every request whose timeout has run out by `now`, in order of the timeouts, and
    /// drops entries silent for longer than `gc`.
    fn sweep(&mut self, now: Ts, out: &mut Vec<Event>) {
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
        if self.cfg.gc > 0.0 {
            let gc = self.cfg.gc;
            let before = self.table.len();
            self.table.retain(|_, e| now.secs_since(e.last_seen) < gc || (e.pending.is_some() && !e.failed));
            self.expired += (before - self.table.len()) as u64;
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
        if self.table.len() < self.cfg.max_entries {
            return;
        }
        if self.cfg.gc > 0.0 {
            let gc = self.cfg.gc;
            let before = self.table.len();
            self.table.retain(|_, e| now.secs_since(e.last_seen) < gc);
            self.expired += (before - self.table.len()) as u64;
        }
        if self.table.len() < self.cfg.max_entries {
            return;
        }
        // Dropping the oldest eighth at once keeps a full table at O(1) per new entry.
        let mut seen: Vec<Ts> = self.table.values().map(|e| e.last_seen).collect();
        let k = (seen.len() / 8).max(1);
        if seen.is_empty() {
            return;
        }
        let idx = k.min(seen.len() - 1);
        let cut = *seen.select_nth_unstable(idx).1;
        let before = self.table.len();
        let mut budget = k;
        self.table.retain(|_, e| {
            let drop = budget > 0 && e.last_seen < cut;
            budget -= drop as usize;
            !drop
        });
        self.table.retain(|_, e| {
            let drop = budget > 0 && e.last_seen == cut;
            budget -= drop as usize;
            !drop
        });
        self.evicted += (before - self.table.len()) as u64;
    }

    /// The entry for `ip`, created if there is room; entries silent past `gc` start over.
    fn entry(&mut self, ip: Ipv4Addr, ts: Ts) -> Option<(&mut Entry, bool)> {
        let gc = self.cfg.gc;
        let stale_gone = self.table.get(&ip).map(|e| gc > 0.0 && ts.secs_since(e.last_seen) >= gc && e.pending.is_none());
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

    fn arp(&mut self, p: &Packet<'_>, out: &mut Vec<Event>) {
        self.packets += 1;
        let Some(a) = p.arp() else {
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
            ts: p.ts,
            frame: p.number,
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
        if let Some(src) = link_src(p) {
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

/// The link-layer source of the frame, when the link has 6-byte addresses.
fn link_src(p: &Packet<'_>) -> Option<Mac> {
    match p.link {
        Link::Ethernet { src, .. } => Some(Mac(src)),
        Link::Sll { addr, addr_len: 6, pkttype, .. } if pkttype != 4 => {
            let m: [u8; 6] = addr.get(..6)?.try_into().ok()?;
            Some(Mac(m))
        }
        _ => None,
    }
}

impl Analyzer for ArpAnalyzer {
    fn packet(&mut self, p: &Packet<'_>, events: &mut Vec<Event>) {
        self.tick(p.ts, events);
        if matches!(p.net, Some(etherparse::LaxNetSlice::Arp(_))) {
            self.arp(p, events);
        }
    }

    fn finish(&mut self, report: &mut Report, events: &mut Vec<Event>) {
        if let Some(now) = self.now {
            let timeout = self.cfg.timeout;
            let mut due: Vec<(Ts, Ipv4Addr)> = self
                .table
                .iter()
                .filter_map(|(ip, e)| e.pending.filter(|p| !e.failed && now.secs_since(*p) >= timeout).map(|p| (p, *ip)))
                .collect();
            due.sort();
            for (_, ip) in due {
                self.fail(ip, events);
            }
        }
        report.arp = Some(self.report());
    }
}
