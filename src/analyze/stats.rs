//! Counting packets, bytes and protocols: the summary every run ends with.

use super::{Analyzer, Events, Sink};
use crate::decode::defrag::DefragStats;
use crate::decode::input::{FRAGMENT, MALFORMED, OVER_IPV4, OVER_IPV6, VLAN};
use crate::decode::Input;
use crate::report::stats::PROTOCOLS;
use crate::report::{Report, Stats};
use crate::source::Ts;
use super::timeline::{Merge, Timeline};

/// Counts frames; fixed arrays, so nothing is allocated per packet.
#[derive(Debug, Default)]
pub struct StatsAnalyzer {
    /// What IP fragment reassembly counted, given by whoever made the inputs.
    pub reassembly: DefragStats,
    stats: Stats,
    counts: [u64; PROTOCOLS.len()],
    linktypes: Vec<(u32, u64)>,
    /// Frames and bytes per second, when kept ([`StatsAnalyzer::keep_series`]).
    series: Option<Box<(Timeline, Timeline)>>,
    /// Whether to keep them from the first frame on.
    want_series: bool,
}

/// What the statistics count of one frame.
struct Counted {
    ts: Ts,
    len: u32,
    captured: usize,
    malformed: bool,
    linktype: u32,
    /// Place of its top protocol in [`PROTOCOLS`] (the order of [`crate::decode::Top::ALL`]).
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
        if self.want_series {
            self.count_series(c.ts, c.len);
        }
    }

    /// Keeps frames and bytes per second for the pictures and sparklines.
    pub fn keep_series(&mut self) {
        self.want_series = true;
    }

    #[inline(never)]
    fn count_series(&mut self, ts: Ts, len: u32) {
        let s = self.series.get_or_insert_with(|| Box::new((Timeline::new(ts, Merge::Sum), Timeline::new(ts, Merge::Sum))));
        s.0.add(ts, 1);
        s.1.add(ts, len as u64);
    }

}

impl Analyzer for StatsAnalyzer {
    fn packet(&mut self, x: &Input, _out: &mut Events) {
        if x.has(crate::decode::input::CONTINUED) {
            return;
        }
        // Every IP packet with a transport counts under its IP version as well.
        let ip = if x.has(OVER_IPV4) {
            Some(1)
        } else if x.has(OVER_IPV6) {
            Some(2)
        } else {
            None
        };
        self.count(Counted {
            ts: x.ts,
            len: x.len,
            captured: x.caplen as usize,
            malformed: x.has(MALFORMED),
            linktype: x.linktype,
            top: x.top.index(),
            ip,
            fragmented: x.has(FRAGMENT),
            vlan: x.has(VLAN),
        });
    }

    fn finish(&mut self, report: &mut Report, _out: &mut dyn Sink) {
        self.snapshot(report);
    }

    fn snapshot(&self, report: &mut Report) {
        let mut s = self.stats.clone();
        s.protocols =
            PROTOCOLS.iter().zip(self.counts.iter()).filter(|(_, c)| **c > 0).map(|(n, c)| (n.to_string(), *c)).collect();
        s.linktypes = self.linktypes.clone();
        s.reassembly = (self.reassembly.fragments > 0).then_some(self.reassembly);
        report.stats = s;
        if let Some(t) = &self.series {
            let series = report.series.get_or_insert_with(Default::default);
            series.packets = Some(t.0.clone());
            series.bytes = Some(t.1.clone());
        }
    }
}
