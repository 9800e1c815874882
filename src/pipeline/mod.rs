//! The pipeline every command that reads packets runs, the same at every scale:
//!
//! ```text
//! source ─frames─▶ decode ─Input─▶ partition by flow ─▶ flow shards ─events─▶ merge ─▶ output
//! (file, live)     (once a frame)   (hash of the key)    (connections)          (frame    (lines,
//!                                 └─▶ keyed stages: statistics, ARP, SYN flood ─┘  order)    tables, json)
//! ```
//!
//! - A source yields raw frames; [`crate::decode::input`] makes each frame's one compact
//!   [`Input`] (and the printer, when packets are shown, the full [`crate::decode::Packet`]).
//! - Flow-keyed work runs in shards ([`ConnTracker`]): the flow table is split into fixed
//!   partitions by the hash of the flow key, and each shard owns some of them alone, so it needs
//!   no lock. Every shard sees every frame's time, so timers fire at the same frames whatever the
//!   number of shards.
//! - Work keyed otherwise has one instance each (the statistics, the ARP table by address, the
//!   SYN-flood detector by target), placed by the pipeline: together, a batch at a time, on
//!   whichever thread has room.
//! - Every event carries its frame, its stage and an order key, and is merged back in frame order
//!   ([`merge`]), so every `--threads` value prints byte for byte what one thread prints.
//!
//! The same partitioning carries past one machine: flows routed to machines by the same hash
//! and partitions, each running this pipeline on its share with the others' frame times, give
//! the records one machine gives.
//!
//! [`session`] runs it one frame at a time on one thread (live capture); [`shards`] runs it in
//! batches on as many threads as asked (`read`).

pub mod merge;
pub mod session;
pub mod shards;

use crate::analyze::arp::{ArpAnalyzer, ArpConfig};
use crate::analyze::flood::{FloodAnalyzer, FloodConfig};
use crate::analyze::stats::StatsAnalyzer;
use crate::analyze::tcp::{ConnConfig, ConnTracker};
use crate::analyze::{Analyzer, Sink};
use crate::decode::input::Tunnel;
use crate::decode::Input;
use crate::report::Report;

use self::merge::Pos;

/// The settings of every analyzer of a run.
#[derive(Debug, Clone)]
pub struct AnalysisConfig {
    /// The connection tracker's.
    pub conn: ConnConfig,
    /// The SYN-flood detector's.
    pub flood: FloodConfig,
    /// The ARP table's.
    pub arp: ArpConfig,
    /// IP fragment reassembly's, where frames become inputs (and in the printer).
    pub defrag: crate::decode::defrag::DefragConfig,
}

/// The analyzers of a run. Within a frame their events are shown in this order: statistics,
/// connections, SYN floods, ARP.
pub struct Stages {
    /// Counts every frame.
    pub stats: StatsAnalyzer,
    /// The flow shards, shard `i` at place `i`.
    pub conns: Vec<ConnTracker>,
    /// Keyed by target.
    pub flood: FloodAnalyzer,
    /// Keyed by address.
    pub arp: ArpAnalyzer,
}

impl Stages {
    /// The analyzers of `cfg`, the connection tracker split in `shards` shards.
    pub fn new(cfg: &AnalysisConfig, shards: usize) -> Stages {
        let shards = shards.max(1);
        Stages {
            stats: StatsAnalyzer::default(),
            conns: (0..shards).map(|i| ConnTracker::new(cfg.conn.clone(), i, shards)).collect(),
            flood: FloodAnalyzer::new(cfg.flood.clone()),
            arp: ArpAnalyzer::new(cfg.arp.clone()),
        }
    }

    /// Every analyzer sees `x` (the connection tracker with its TCP payload `payload`, when it
    /// reassembles streams, and its tunnel in `tunnels`); its events go to `out` tagged with
    /// their stage.
    pub fn packet(&mut self, x: &Input, payload: Option<&[u8]>, tunnels: &[Tunnel], out: &mut merge::FrameEvents) {
        out.stage(Pos::Stats, |e| self.stats.packet(x, e));
        for c in &mut self.conns {
            out.stage(Pos::Conns, |e| c.packet_with(x, payload, tunnels, e));
        }
        out.stage(Pos::Flood, |e| self.flood.packet(x, e));
        out.stage(Pos::Arp, |e| self.arp.packet(x, e));
    }

    /// The packet of a further A-MSDU subframe of the frame last given to [`Self::packet`]: the
    /// analyzers of packets see it, as Zeek's do; the statistics count frames and do not.
    pub fn subframe(&mut self, x: &Input, payload: Option<&[u8]>, tunnels: &[Tunnel], out: &mut merge::FrameEvents) {
        for c in &mut self.conns {
            out.stage(Pos::Conns, |e| c.packet_with(x, payload, tunnels, e));
        }
        out.stage(Pos::Flood, |e| self.flood.packet(x, e));
        out.stage(Pos::Arp, |e| self.arp.packet(x, e));
    }

    /// Moves the clock of the analyzers that keep timers on packet time (connections, ARP) to
    /// `ts` without a frame; statistics count no frame. Events go to `out` as at a frame.
    pub fn advance(&mut self, ts: crate::source::Ts, out: &mut merge::FrameEvents) {
        let none = crate::source::Frame { number: 0, ts, linktype: 1, len: 0, data: &[], interface: 0, ts_known: true };
        let x = crate::decode::input(&none);
        for c in &mut self.conns {
            out.stage(Pos::Conns, |e| c.packet_with(&x, None, &[], e));
        }
        out.stage(Pos::Arp, |e| self.arp.packet(&x, e));
    }

    /// Keeps the values over time that pictures and sparklines draw: frames and bytes per second,
    /// connections open and half open, each flood alert's SYN rate (the report's `series`).
    pub fn keep_series(&mut self) {
        self.stats.keep_series();
        for c in &mut self.conns {
            c.keep_series();
        }
        self.flood.keep_series();
    }

    /// Whether the analyzers take TCP payloads.
    pub fn wants_payloads(&self) -> bool {
        self.conns.first().is_some_and(ConnTracker::wants_payloads)
    }

    /// Connections tracked now, over all shards.
    pub fn tracked(&self) -> usize {
        self.conns.iter().map(ConnTracker::tracked).sum()
    }

    /// The report as it stands now, for a live redraw; the run goes on unchanged. With several
    /// shards the connection view is the first shard's (live capture runs one).
    pub fn snapshot(&self) -> Report {
        let mut report = Report::default();
        self.stats.snapshot(&mut report);
        if let Some(c) = self.conns.first() {
            c.snapshot(&mut report);
        }
        self.flood.snapshot(&mut report);
        self.arp.snapshot(&mut report);
        report
    }

    /// Ends the run: the shards become one tracker (with `peak`, the most connections tracked at
    /// once over all of them), every analyzer writes its part of the report, and final events go
    /// to `out` in stage order.
    pub fn finish(&mut self, peak: usize, out: &mut dyn Sink) -> Report {
        let mut report = Report::default();
        self.stats.finish(&mut report, out);
        if let Some(mut c) = ConnTracker::join(std::mem::take(&mut self.conns), peak) {
            c.finish(&mut report, out);
            // Kept for the kernel to free at exit (see `Leftovers`).
            self.conns.push(c);
        }
        self.flood.finish(&mut report, out);
        self.arp.finish(&mut report, out);
        report
    }
}

/// What a finished run leaves behind: the analyzers with their tables (after a large capture,
/// hundreds of MB in hundreds of thousands of pieces). The binary leaves them to the kernel,
/// which takes a process's memory back at exit in one sweep, faster than dropping them piece by
/// piece; everything written has been flushed by then, so dropping them instead is only slower.
#[derive(Default)]
pub struct Leftovers {
    _stages: Option<Box<Stages>>,
}

impl Leftovers {
    /// What `stages` leave.
    pub fn of(stages: Stages) -> Leftovers {
        Leftovers { _stages: Some(Box::new(stages)) }
    }
}
