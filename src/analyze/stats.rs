//! Counting packets, bytes and protocols: the summary every run ends with.

use super::Analyzer;
use crate::decode::Packet;
use crate::report::stats::PROTOCOLS;
use crate::report::{Event, Report, Stats};

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

impl Analyzer for StatsAnalyzer {
    fn packet(&mut self, p: &Packet<'_>, _events: &mut Vec<Event>) {
        let s = &mut self.stats;
        s.packets += 1;
        s.bytes += p.len as u64;
        s.captured_bytes += p.data.len() as u64;
        if p.stop.is_some() {
            s.malformed += 1;
        }
        if (p.data.len() as u32) < p.len {
            s.snapped += 1;
        }
        if s.first.is_none_or(|f| p.ts < f) {
            s.first = Some(p.ts);
        }
        if s.last.is_none_or(|l| p.ts > l) {
            s.last = Some(p.ts);
        }
        if let Some(c) = self.counts.get_mut(top_index(p)) {
            *c += 1;
        }
        // Every IP packet counts under its IP version as well as its transport.
        let net = match &p.net {
            Some(etherparse::LaxNetSlice::Ipv4(v4)) => {
                if v4.payload().fragmented {
                    self.counts[11] += 1;
                }
                Some(1)
            }
            Some(etherparse::LaxNetSlice::Ipv6(_)) => Some(2),
            _ => None,
        };
        if let (Some(i), Some(_)) = (net, &p.transport) {
            self.counts[i] += 1;
        }
        if p.vlan_count > 0 {
            self.counts[10] += 1;
        }
        match self.linktypes.iter_mut().find(|(l, _)| *l == p.linktype) {
            Some((_, c)) => *c += 1,
            None => self.linktypes.push((p.linktype, 1)),
        }
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
