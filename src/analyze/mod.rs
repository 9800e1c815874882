//! Analyzers: what the packets mean together, on packet time only.
//!
//! Every analyzer takes the same compact [`Input`] of each frame, in frame order, may raise
//! [`Event`]s (shown as they happen), and at the end writes its part of the [`Report`].
//! Analyzers never print and never read the clock: every timer runs on packet timestamps, so a
//! replay and a live run agree, and the pipeline may run them on any thread.
//!
//! Two kinds, placed by the pipeline (`crate::pipeline`):
//! - keyed otherwise than by flow, one instance each: [`stats`] (every frame), [`arp`] (by
//!   address), [`flood`] (by target address and port);
//! - keyed by flow, one instance per shard: [`tcp::ConnTracker`], which owns the flows of its
//!   partitions of the flow table alone ([`flow`]) and sees the time of every other frame.

pub mod app;
pub mod arp;
pub mod conv_shards;
pub mod flood;
pub mod flow;
pub mod stats;
pub mod stream;
pub mod tcp;
pub mod timeline;
pub mod traffic;

use crate::decode::Input;
use crate::report::{Event, Report};

/// One analysis over the packet stream.
pub trait Analyzer: Send {
    /// Sees one frame; pushes anything worth showing now onto `out`.
    fn packet(&mut self, x: &Input, out: &mut Events);
    /// The stream ended: flushes every pending state into `report`, and final events into `out`
    /// as they are made (so that a large end of run streams out in flat memory).
    fn finish(&mut self, report: &mut Report, out: &mut dyn Sink);
    /// Writes the current partial state into `report` for a live redraw; never changes the
    /// analysis. The default shows nothing.
    fn snapshot(&self, _report: &mut Report) {}
}

/// Announcements of the inputs to come, for an analyzer whose tables are larger than the
/// processor's caches: it may ask for the memory they will touch now (prefetches, which do not
/// wait), so that the misses overlap instead of coming one packet at a time. The pipeline calls
/// it with each window of inputs some way ahead of handing them over, every input once and in
/// order. It never changes a result.
pub trait LookAhead {
    /// `upcoming` will be given to [`Analyzer::packet`] after the inputs announced before.
    fn warm(&mut self, upcoming: &[Input]);
}

/// Where final events go, one at a time.
pub trait Sink {
    /// Takes one event.
    fn event(&mut self, e: Event);
}

impl Sink for Vec<Event> {
    fn event(&mut self, e: Event) {
        self.push(e);
    }
}

/// The events one analyzer raised at one frame, each with an order key: the pipeline shows a
/// frame's events analyzer by analyzer, each analyzer's by ascending key and, for equal keys,
/// in the order they were pushed. The key lets an analyzer that runs in shards (the connection
/// tracker) put events made in different shards back in the order one shard would have made
/// them.
#[derive(Debug, Default)]
pub struct Events {
    items: Vec<(u64, Event)>,
}

impl Events {
    /// An event after every ordered one.
    pub fn push(&mut self, e: Event) {
        self.items.push((u64::MAX, e));
    }

    /// An event with order key `key`.
    pub fn push_at(&mut self, key: u64, e: Event) {
        self.items.push((key, e));
    }

    /// Whether none was pushed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes the events out, keys and all, in the order they were pushed.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (u64, Event)> {
        self.items.drain(..)
    }
}
