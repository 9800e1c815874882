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

fn index(name: &str) -> usize {
    PROTOCOLS.iter().position(|p| *p == name).unwrap_or(8)
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
        let top = p.top_protocol();
        if let Some(c) = self.counts.get_mut(index(top)) {
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
