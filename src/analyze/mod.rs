//! Analyzers: what the packets mean together, on packet time only.
//!
//! An analyzer sees each decoded [`Packet`] in capture order, may emit [`Event`]s (shown as they
//! happen), and at the end writes its part of the [`Report`]. Analyzers never print and never read
//! the clock: every timer runs on packet timestamps, so a replay and a live run agree.

pub mod arp;
pub mod flood;
pub mod hll;
pub mod conn;
pub mod flow;
pub mod stats;
pub mod tcp;

use crate::decode::Packet;
use crate::report::{Event, Report};

/// One analysis over the packet stream.
pub trait Analyzer {
    /// Sees one packet; pushes anything worth showing now onto `events`.
    fn packet(&mut self, p: &Packet<'_>, events: &mut Vec<Event>);
    /// The stream ended: flush every pending state into `report` (and final events).
    fn finish(&mut self, report: &mut Report, events: &mut Vec<Event>);
    /// Writes the current partial state into `report` for a live redraw (`capture --conns`);
    /// must not change the analysis. The default shows nothing.
    fn snapshot(&self, _report: &mut Report) {}
    /// The stream ended: moves a bounded batch of pending end-of-run events into `events`
    /// (called before `finish` until it returns false), so the caller can write them out
    /// batch by batch and memory stays flat however much state is left at the end.
    fn drain(&mut self, _events: &mut Vec<Event>) -> bool {
        false
    }
    /// Whether [`Analyzer::conn_input`] can stand in for [`Analyzer::packet`] (the connection
    /// tracker and the SYN-flood detector): the two-thread `read` then need not decode frames a
    /// second time, and can feed the analyzer a batch at a time.
    fn takes_conn_input(&self) -> bool {
        false
    }
    /// Sees one packet as the connection tracker's compact input; only called when
    /// [`Analyzer::takes_conn_input`] is true.
    fn conn_input(&mut self, _x: &conn::ConnInput, _events: &mut Vec<Event>) {}
    /// A hint that `xs` will be given to [`Analyzer::conn_input`], after the inputs of the earlier
    /// calls (the two-thread `read` announces windows of inputs some way ahead of handing them
    /// over): the analyzer may ask for the state they will touch now (prefetches that do not
    /// wait), so that the cache misses are in flight while earlier inputs are handled instead of
    /// coming one packet at a time. Never changes a result: an input that was not announced, or
    /// not in the announced order, is handled from scratch.
    fn warm(&mut self, _xs: &[conn::ConnInput]) {}
    /// A frame that is a whole IPv4 TCP or UDP packet ([`crate::decode::fast`] sliced it), at
    /// time `ts`: true when the analyzer has taken it exactly as [`Analyzer::packet`] would
    /// have taken the packet, false when it needs the packet (the default).
    fn ip_frame(&mut self, _ts: crate::source::Ts, _events: &mut Vec<Event>) -> bool {
        false
    }
}

/// The analyzers of a run, fed in order.
pub struct Pipeline {
    stats: stats::StatsAnalyzer,
    analyzers: Vec<Box<dyn Analyzer + Send>>,
}

impl Pipeline {
    /// A pipeline with the statistics counter plus `analyzers`.
    pub fn new(analyzers: Vec<Box<dyn Analyzer + Send>>) -> Self {
        Pipeline { stats: stats::StatsAnalyzer::default(), analyzers }
    }

    /// Feeds one packet to every analyzer; those that take the connection tracker's compact
    /// input (the tracker and the SYN-flood detector) share one, made once.
    pub fn packet(&mut self, p: &Packet<'_>, events: &mut Vec<Event>) {
        self.stats.packet(p, events);
        let mut input = None;
        for a in &mut self.analyzers {
            if a.takes_conn_input() {
                a.conn_input(input.get_or_insert_with(|| conn::ConnInput::of_packet(p)), events);
            } else {
                a.packet(p, events);
            }
        }
    }

    /// A pipeline from a statistics counter that has already counted and `analyzers` in their
    /// usual order (the two-thread `read` reassembles its analyzers this way for the report).
    pub fn from_parts(stats: stats::StatsAnalyzer, analyzers: Vec<Box<dyn Analyzer + Send>>) -> Self {
        Pipeline { stats, analyzers }
    }

    /// The report as it stands now, for a live redraw; the run goes on unchanged.
    pub fn snapshot(&self) -> Report {
        let mut report = Report::default();
        self.stats.snapshot(&mut report);
        for a in &self.analyzers {
            a.snapshot(&mut report);
        }
        report
    }

    /// Moves a bounded batch of end-of-run events into `events`; true while more remain.
    pub fn drain(&mut self, events: &mut Vec<Event>) -> bool {
        let mut more = false;
        for a in &mut self.analyzers {
            more |= a.drain(events);
        }
        more
    }

    /// Ends the run and builds the report.
    pub fn finish(&mut self, events: &mut Vec<Event>) -> Report {
        let mut report = Report::default();
        self.stats.finish(&mut report, events);
        for a in &mut self.analyzers {
            a.finish(&mut report, events);
        }
        report
    }
}
