//! Counting packets, bytes and protocols: the summary every run ends with.

use super::Analyzer;
use crate::decode::{Fast, Packet};
use crate::report::stats::PROTOCOLS;
use crate::report::{Event, Report, Stats};
use crate::source::{Frame, Ts};

/// Counts frames; fixed arrays, so nothing is allocated per packet.
#[derive(Debug, Default)]
pub struct StatsAnalyzer {
    stats: Stats,
    counts: [u64; PROTOCOLS.len()],
    linktypes: Vec<(u32, u64)>,
}

/// Where a packet's [`Packet::top_protocol`] is in [`PROTOCOLS`], by its layers rather than by
/// searching the names (comparing strings for every frame showed in the reading thread's
/// profile); `tests/decode.rs` (`stats_count_each_frame_under_its_top_protocol`) holds the two
/// equal on every frame of the corpus.
fn top_index(p: &Packet<'_>) -> usize {
    use etherparse::{LaxNetSlice, TransportSlice};
    match (&p.transport, &p.net) {
        (Some(TransportSlice::Tcp(_)), _) => 3,
        (Some(TransportSlice::Udp(_)), _) => 4,
        (Some(TransportSlice::Icmpv4(_)), _) => 5,
        (Some(TransportSlice::Icmpv6(_)), _) => 6,
        (Some(TransportSlice::Igmp(_)), _) => 7,
        (None, Some(LaxNetSlice::Arp(_))) => 0,
        (None, Some(LaxNetSlice::Ipv4(_))) => 1,
        (None, Some(LaxNetSlice::Ipv6(_))) => 2,
        (None, None) => match p.link {
            crate::decode::Link::Unsupported => 9,
            _ => 8,
        },
    }
}

/// What the statistics count of one frame.
struct Counted {
    ts: Ts,
    len: u32,
    captured: usize,
    malformed: bool,
    linktype: u32,
    /// Place of its top protocol in [`PROTOCOLS`].
    top: usize,
    /// Place of its IP version, when it has a transport over IP.
    ip: Option<usize>,
    fragmented: bool,
    vlan: bool,
}

impl StatsAnalyzer {
    #[inline(always)]
    fn count(&mut self, c: Counted) {
        let s = &mut self.stats;
        s.packets += 1;
        s.bytes += c.len as u64;
        s.captured_bytes += c.captured as u64;
        if c.malformed {
            s.malformed += 1;
        }
        if (c.captured as u32) < c.len {
            s.snapped += 1;
        }
        if s.first.is_none_or(|f| c.ts < f) {
            s.first = Some(c.ts);
        }
        if s.last.is_none_or(|l| c.ts > l) {
            s.last = Some(c.ts);
        }
        if let Some(n) = self.counts.get_mut(c.top) {
            *n += 1;
        }
        if c.fragmented {
            self.counts[11] += 1;
        }
        if let Some(n) = c.ip.and_then(|i| self.counts.get_mut(i)) {
            *n += 1;
        }
        if c.vlan {
            self.counts[10] += 1;
        }
        match self.linktypes.iter_mut().find(|(l, _)| *l == c.linktype) {
            Some((_, n)) => *n += 1,
            None => self.linktypes.push((c.linktype, 1)),
        }
    }

    /// Counts a frame as [`crate::decode::fast`] slices it: the same as [`Analyzer::packet`] of
    /// the packet [`crate::decode::decode`] makes of it (an IPv4 TCP or UDP packet, whole and
    /// unfragmented, without VLAN tags), without making that packet.
    pub fn fast_frame(&mut self, frame: &Frame<'_>, f: &Fast<'_>) {
        self.count(Counted {
            ts: frame.ts,
            len: frame.len,
            captured: frame.data.len(),
            malformed: false,
            linktype: frame.linktype,
            top: if f.is_tcp() { 3 } else { 4 },
            ip: Some(1),
            fragmented: false,
            vlan: false,
        });
    }
}

impl Analyzer for StatsAnalyzer {
    fn packet(&mut self, p: &Packet<'_>, _events: &mut Vec<Event>) {
        // Every IP packet counts under its IP version as well as its transport.
        let (ip, fragmented) = match &p.net {
            Some(etherparse::LaxNetSlice::Ipv4(v4)) => (Some(1), v4.payload().fragmented),
            Some(etherparse::LaxNetSlice::Ipv6(_)) => (Some(2), false),
            _ => (None, false),
        };
        self.count(Counted {
            ts: p.ts,
            len: p.len,
            captured: p.data.len(),
            malformed: p.stop.is_some(),
            linktype: p.linktype,
            top: top_index(p),
            ip: ip.filter(|_| p.transport.is_some()),
            fragmented,
            vlan: p.vlan_count > 0,
        });
    }

    fn finish(&mut self, report: &mut Report, _events: &mut Vec<Event>) {
        self.snapshot(report);
    }

    fn snapshot(&self, report: &mut Report) {
        let mut s = self.stats.clone();
        s.protocols =
            PROTOCOLS.iter().zip(self.counts.iter()).filter(|(_, c)| **c > 0).map(|(n, c)| (n.to_string(), *c)).collect();
        s.linktypes = self.linktypes.clone();
        report.stats = s;
    }
}
