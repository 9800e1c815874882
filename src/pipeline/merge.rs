//! Merging events back into frame order.
//!
//! Each event is tagged with the frame that caused it, the stage that raised it and the order key
//! its analyzer gave it ([`crate::analyze::Events`]). Sorting by those three, stably, gives the
//! order one thread running every stage frame by frame produces, whichever thread ran which
//! stage or shard: events with equal tags come from one analyzer, in the order it pushed them.

use crate::analyze::Events;
use crate::report::Event;

/// A stage's place in a frame's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pos {
    /// The statistics.
    Stats,
    /// The connection tracker's shards.
    Conns,
    /// The SYN-flood detector.
    Flood,
    /// The ARP table.
    Arp,
}

/// An event with its frame (within its batch), stage and order key.
pub type Tagged = (u32, Pos, u64, Event);

/// The events of the frames at hand, tagged; `frame` is the frame new events belong to.
#[derive(Debug, Default)]
pub struct FrameEvents {
    /// The frame the next events belong to (its index in the batch).
    pub frame: u32,
    tagged: Vec<Tagged>,
    scratch: Events,
}

impl FrameEvents {
    /// Runs `f` with an event buffer; what it pushes is tagged as `pos`'s.
    #[inline]
    pub fn stage(&mut self, pos: Pos, f: impl FnOnce(&mut Events)) {
        f(&mut self.scratch);
        if !self.scratch.is_empty() {
            let frame = self.frame;
            self.tagged.extend(self.scratch.drain().map(|(k, e)| (frame, pos, k, e)));
        }
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.tagged.is_empty()
    }

    /// Takes the events out, tags and all.
    pub fn take(&mut self) -> Vec<Tagged> {
        std::mem::take(&mut self.tagged)
    }

    /// Adds events tagged elsewhere.
    pub fn extend(&mut self, more: impl IntoIterator<Item = Tagged>) {
        self.tagged.extend(more);
    }

    /// Puts the events in frame, stage and key order, stably, and hands them out (empty them
    /// when done).
    pub fn sorted(&mut self) -> &mut Vec<Tagged> {
        if self.tagged.len() > 1 {
            self.tagged.sort_by_key(|&(frame, pos, key, _)| (frame, pos, key));
        }
        &mut self.tagged
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::report::InputError;

    fn ev(tag: &str) -> Event {
        Event::InputError(InputError { input: tag.to_string(), message: String::new() })
    }

    fn name(e: &Event) -> String {
        match e {
            Event::InputError(x) => x.input.clone(),
            _ => String::new(),
        }
    }

    /// Events merged from several sources come out by frame, stage and key, and in push order
    /// for equal tags, whatever order the sources were added in.
    #[test]
    fn merged_events_follow_frame_stage_key_then_push_order() {
        let mut a = FrameEvents { frame: 2, ..FrameEvents::default() };
        a.stage(Pos::Arp, |e| e.push(ev("2-arp")));
        a.stage(Pos::Conns, |e| {
            e.push(ev("2-conn-packet-1"));
            e.push(ev("2-conn-packet-2"));
        });
        let mut b = FrameEvents { frame: 2, ..FrameEvents::default() };
        b.stage(Pos::Conns, |e| e.push_at(7, ev("2-conn-swept-7")));
        b.frame = 1;
        b.stage(Pos::Flood, |e| e.push(ev("1-flood")));
        let mut c = FrameEvents { frame: 2, ..FrameEvents::default() };
        c.stage(Pos::Conns, |e| e.push_at(3, ev("2-conn-swept-3")));
        let mut all = FrameEvents::default();
        all.extend(c.take());
        all.extend(a.take());
        all.extend(b.take());
        let got: Vec<String> = all.sorted().drain(..).map(|(.., e)| name(&e)).collect();
        assert_eq!(got, ["1-flood", "2-conn-swept-3", "2-conn-swept-7", "2-conn-packet-1", "2-conn-packet-2", "2-arp"]);
        assert!(all.is_empty());
    }
}
