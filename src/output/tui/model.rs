//! What the dashboard shows and what the keys change: the latest [`Snapshot`] the packet side
//! sent, and the viewer's own state (tab, sort, filter, selection, the series kept for the
//! sparklines). Plain data with no terminal in it, so the rendering can be tested on a
//! `TestBackend` from a known report.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

use crate::filter::{ConnNote, DisplayFilter, Note};
use crate::report::alert::AlertState;
use crate::report::conn::ConnRecord;
use crate::report::{Alert, Report};
use crate::source::live::KernelStats;
use crate::source::Ts;

/// Seconds of packet time the rate sparklines cover.
pub const WINDOW: usize = 60;

/// Packets and bytes in each second of packet time, over the last [`WINDOW`] seconds: counted
/// by the packet side as frames go by (no allocation), copied into each snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// The second of packet time the newest slot is for.
    newest: Option<i64>,
    /// (packets, bytes), slot `sec % WINDOW`.
    slots: [(u64, u64); WINDOW],
}

impl Default for Rates {
    fn default() -> Self {
        Rates { newest: None, slots: [(0, 0); WINDOW] }
    }
}

impl Rates {
    /// Counts one frame of `len` bytes at `ts`.
    pub fn add(&mut self, ts: Ts, len: u32) {
        self.roll(ts.sec);
        let slot = &mut self.slots[ts.sec.rem_euclid(WINDOW as i64) as usize];
        slot.0 += 1;
        slot.1 += u64::from(len);
    }

    /// Moves the newest second to `sec`, emptying the seconds skipped (a later second only).
    pub fn roll(&mut self, sec: i64) {
        let from = match self.newest {
            Some(n) if sec <= n => return,
            Some(n) => (n + 1).max(sec - WINDOW as i64 + 1),
            None => sec - WINDOW as i64 + 1,
        };
        for s in from..=sec {
            self.slots[s.rem_euclid(WINDOW as i64) as usize] = (0, 0);
        }
        self.newest = Some(sec);
    }

    /// Packets and bytes per second, oldest first, ending with the newest second.
    pub fn series(&self) -> (Vec<u64>, Vec<u64>) {
        let Some(n) = self.newest else { return (Vec::new(), Vec::new()) };
        (n - WINDOW as i64 + 1..=n).map(|s| self.slots[s.rem_euclid(WINDOW as i64) as usize]).unzip()
    }
}

/// What the packet side sends the viewer: the report as it stands, and where it stands.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The analyzers' report ([`crate::pipeline::Stages::snapshot`]).
    pub report: Report,
    /// Packet time now: the last frame's, or where a replay's clock has moved to.
    pub clock: Option<Ts>,
    /// The last minute's rates.
    pub rates: Rates,
    /// The kernel's counts, live.
    pub kernel: Option<KernelStats>,
    /// What is being shown: `capture eth0`, `replay web.pcap`.
    pub source: String,
    /// The pace: `live`, `×1`, `max`, `paused`.
    pub pace: String,
    /// The input has ended (replay) or the capture stopped.
    pub done: bool,
}

/// The tabs, in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Rates, protocols, talkers, drops, alerts.
    Overview,
    /// The flow table.
    Connections,
    /// The ARP table and events.
    Arp,
    /// SYN floods.
    Alerts,
}

impl Tab {
    /// Every tab, in key order (`1`–`4`).
    pub const ALL: [Tab; 4] = [Tab::Overview, Tab::Connections, Tab::Arp, Tab::Alerts];

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Connections => "Connections",
            Tab::Arp => "ARP",
            Tab::Alerts => "Alerts",
        }
    }

    /// Its place in [`Tab::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the connection table is ordered by (largest or latest first, but start: oldest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Payload bytes both ways.
    Bytes,
    /// Packets both ways.
    Packets,
    /// First packet.
    Start,
    /// Last packet.
    Last,
    /// Zeek's conn_state, then the ends' states.
    State,
}

impl SortBy {
    /// The next one (`s`).
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Bytes => SortBy::Packets,
            SortBy::Packets => SortBy::Start,
            SortBy::Start => SortBy::Last,
            SortBy::Last => SortBy::State,
            SortBy::State => SortBy::Bytes,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            SortBy::Bytes => "bytes",
            SortBy::Packets => "packets",
            SortBy::Start => "start",
            SortBy::Last => "last",
            SortBy::State => "state",
        }
    }
}

/// The ladder of the connection with a uid, as text, or why there is none.
pub type Draw = dyn Fn(&str) -> Result<String, String> + Send;

/// Draws the ladder of the connection with this uid (a replay, whose file can be read again).
pub struct LadderFn(pub Box<Draw>);

impl std::fmt::Debug for LadderFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LadderFn")
    }
}

/// The viewer's state.
#[derive(Debug)]
pub struct Dashboard {
    /// The latest snapshot.
    pub snap: Snapshot,
    /// The tab shown.
    pub tab: Tab,
    /// The key help is shown over the tab.
    pub help: bool,
    /// The connection table's order.
    pub sort: SortBy,
    /// The display filter being typed (`/`), if it is.
    pub typing: Option<String>,
    /// The display filter applied to the connection table.
    pub filter: Option<Arc<DisplayFilter>>,
    /// Why the last filter typed did not compile.
    pub filter_error: Option<String>,
    /// The selected row of the connection table (or of the alerts).
    pub selected: usize,
    /// The details of the selected connection (`Enter`), until `Esc`.
    pub detail: bool,
    /// How ladders are drawn, when they can be.
    pub ladder_fn: Option<LadderFn>,
    /// The ladder drawn last: the connection's uid, and the ladder or why there is none.
    pub ladder: Option<(String, Result<String, String>)>,
    /// How far the ladder is scrolled: (rows, columns).
    pub scroll: (u16, u16),
    /// Each alert's SYN count at each snapshot that had it: (packet time, SYNs).
    alert_syns: HashMap<u64, VecDeque<(Ts, u64)>>,
}

impl Dashboard {
    /// A dashboard showing `snap` on the Overview.
    pub fn new(snap: Snapshot) -> Dashboard {
        let mut d = Dashboard {
            snap: Snapshot::default(),
            tab: Tab::Overview,
            help: false,
            sort: SortBy::Bytes,
            typing: None,
            filter: None,
            filter_error: None,
            selected: 0,
            detail: false,
            ladder_fn: None,
            ladder: None,
            scroll: (0, 0),
            alert_syns: HashMap::new(),
        };
        d.update(snap);
        d
    }

    /// Takes a newer snapshot, and adds its alerts' counts to their series.
    pub fn update(&mut self, snap: Snapshot) {
        if let Some(now) = snap.clock {
            for a in &snap.report.alerts {
                let s = self.alert_syns.entry(a.id).or_default();
                if s.back().is_none_or(|&(t, n)| t < now && n <= a.syns) {
                    s.push_back((now, a.syns));
                }
                while s.len() > WINDOW * 10 {
                    s.pop_front();
                }
            }
        }
        self.snap = snap;
    }

    /// Applies the filter typed, or says why it does not compile (the old one stays).
    pub fn set_filter(&mut self, text: &str) {
        if text.trim().is_empty() {
            self.filter = None;
            self.filter_error = None;
            return;
        }
        match DisplayFilter::new(text) {
            Ok(f) => {
                self.filter = Some(Arc::new(f));
                self.filter_error = None;
                self.selected = 0;
            }
            Err(e) => self.filter_error = Some(e.to_string()),
        }
    }

    /// The connections shown: those the filter matches, in the order asked for.
    pub fn conns(&self) -> Vec<&ConnRecord> {
        let Some(c) = &self.snap.report.conns else { return Vec::new() };
        let mut rows: Vec<&ConnRecord> = c.rows.iter().filter(|r| self.filter.as_ref().is_none_or(|f| conn_matches(f, r))).collect();
        let last = |r: &ConnRecord| r.start.plus_secs(r.duration);
        match self.sort {
            SortBy::Bytes => rows.sort_by_key(|r| std::cmp::Reverse(r.orig_bytes + r.resp_bytes)),
            SortBy::Packets => rows.sort_by_key(|r| std::cmp::Reverse(r.orig_pkts + r.resp_pkts)),
            SortBy::Start => rows.sort_by_key(|r| r.start),
            SortBy::Last => rows.sort_by_key(|r| std::cmp::Reverse(last(r))),
            SortBy::State => rows.sort_by_key(|r| (r.conn_state, r.orig_state.map(|s| s as u8), r.resp_state.map(|s| s as u8))),
        }
        rows
    }

    /// The alerts: open ones first, then the latest.
    pub fn alerts(&self) -> Vec<&Alert> {
        let mut v: Vec<&Alert> = self.snap.report.alerts.iter().collect();
        v.sort_by_key(|a| (a.state != AlertState::Open, std::cmp::Reverse(a.start)));
        v
    }

    /// SYNs a second of alert `id` between the snapshots that saw it.
    pub fn alert_rate(&self, id: u64) -> Vec<u64> {
        let Some(s) = self.alert_syns.get(&id) else { return Vec::new() };
        s.iter()
            .zip(s.iter().skip(1))
            .map(|(&(t0, n0), &(t1, n1))| {
                let dt = t1.secs_since(t0);
                if dt > 0.0 { ((n1.saturating_sub(n0)) as f64 / dt).round() as u64 } else { 0 }
            })
            .collect()
    }

    /// The addresses that moved the most IP bytes in the connections of the table, with their
    /// bytes and packets, the heaviest first.
    pub fn talkers(&self, by_packets: bool, n: usize) -> Vec<(IpAddr, u64, u64)> {
        let Some(c) = &self.snap.report.conns else { return Vec::new() };
        let mut m: HashMap<IpAddr, (u64, u64)> = HashMap::new();
        for r in &c.rows {
            for h in [r.orig_h, r.resp_h] {
                let e = m.entry(h).or_default();
                e.0 += r.orig_ip_bytes + r.resp_ip_bytes;
                e.1 += r.orig_pkts + r.resp_pkts;
            }
        }
        let mut v: Vec<(IpAddr, u64, u64)> = m.into_iter().map(|(h, (b, p))| (h, b, p)).collect();
        v.sort_by(|a, b| {
            let k = |x: &(IpAddr, u64, u64)| if by_packets { (x.2, x.1) } else { (x.1, x.2) };
            k(b).cmp(&k(a)).then(a.0.cmp(&b.0))
        });
        v.truncate(n);
        v
    }

    /// Opens the selected connection: its ladder, when ladders can be drawn.
    pub fn open_selected(&mut self) {
        let uid = self.conns().get(self.selected).map(|r| r.uid.clone());
        let Some(uid) = uid else { return };
        self.detail = true;
        self.scroll = (0, 0);
        if let Some(f) = &self.ladder_fn {
            if self.ladder.as_ref().is_none_or(|(u, _)| *u != uid) {
                let l = (f.0)(&uid);
                self.ladder = Some((uid, l));
            }
        }
    }

    /// Moves the selection by `d` rows within `len`.
    pub fn select(&mut self, d: isize, len: usize) {
        let max = len.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(d).min(max);
    }
}

/// Whether display filter `f` matches connection `r`: it is tried on a packet from each end to
/// the other, made of the connection's addresses, ports and protocol, with the connection's
/// note (uid, conn_state, history, that end's RFC 793 state), so every field a packet of the
/// connection would have (`ip.addr`, `tcp.port`, `conn.state`, `tcp.state`...) can be named.
pub fn conn_matches(f: &DisplayFilter, r: &ConnRecord) -> bool {
    let ends = [((r.orig_h, r.orig_p), (r.resp_h, r.resp_p), r.orig_state), ((r.resp_h, r.resp_p), (r.orig_h, r.orig_p), r.resp_state)];
    ends.iter().any(|&(src, dst, state)| {
        let Some(bytes) = packet_of(r.proto, src, dst) else { return false };
        let frame = crate::source::Frame {
            number: 0,
            ts: r.start,
            linktype: crate::decode::linktype::ETHERNET,
            len: bytes.len() as u32,
            data: &bytes,
            interface: 0,
            ts_known: true,
        };
        let p = crate::decode::decode(&frame);
        let mut history = [0u8; crate::analyze::tcp::conn::HISTORY_MAX];
        let n = r.history.len().min(history.len());
        history[..n].copy_from_slice(&r.history.as_bytes()[..n]);
        let mut uid = [0u8; 12];
        let u = r.uid.len().min(12);
        uid[..u].copy_from_slice(&r.uid.as_bytes()[..u]);
        let note = Note {
            conn: Some(ConnNote { uid, state: r.conn_state, history, history_len: n as u8, tcp_state: state, retransmission: false }),
            alert: false,
            msgs: Vec::new(),
            echo: None,
            streams: Default::default(),
        };
        f.matches(&p, &note)
    })
}

/// An Ethernet frame of protocol `proto` from `src` to `dst` with no payload.
fn packet_of(proto: &str, src: (IpAddr, u16), dst: (IpAddr, u16)) -> Option<Vec<u8>> {
    use etherparse::PacketBuilder;
    let eth = PacketBuilder::ethernet2([0; 6], [0; 6]);
    let ip = match (src.0, dst.0) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
        _ => return None,
    };
    let mut out = Vec::with_capacity(80);
    let res = match proto {
        "tcp" => ip.tcp(src.1, dst.1, 0, 0).write(&mut out, &[]),
        "udp" => ip.udp(src.1, dst.1).write(&mut out, &[]),
        _ => return None,
    };
    res.ok().map(|_| out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn rates_keep_the_last_minute_by_second() {
        let mut r = Rates::default();
        r.add(Ts { sec: 100, nsec: 0 }, 60);
        r.add(Ts { sec: 100, nsec: 5 }, 40);
        r.add(Ts { sec: 102, nsec: 0 }, 10);
        let (p, b) = r.series();
        assert_eq!(p.len(), WINDOW);
        assert_eq!(&p[WINDOW - 3..], &[2, 0, 1]);
        assert_eq!(&b[WINDOW - 3..], &[100, 0, 10]);
        // A minute later the old seconds are gone.
        r.add(Ts { sec: 161, nsec: 0 }, 1);
        let (p, _) = r.series();
        assert_eq!(p.iter().sum::<u64>(), 2, "{p:?}");
        assert_eq!(p[WINDOW - 1], 1);
    }
}
