//! One target (destination address and port) of the flood detector: its SYN rate window, its
//! counts of how attempts ended, its source sketches and its alert in progress.

use std::net::IpAddr;

use super::sketches::Sketches;
use crate::source::Ts;

/// Buckets in the one-second rate window.
pub(super) const BUCKETS: usize = 10;
/// Width of one rate bucket, in ms.
pub(super) const BUCKET_MS: u32 = 100;
/// Bits of a slot's target reference that hold the index (the rest hold its generation).
pub(super) const IDX_BITS: u32 = 20;

/// Cumulative counts of one target; an alert's counts are differences of two of these.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counters {
    pub(super) syns: u64,
    pub(super) completed: u64,
    pub(super) reset: u64,
    pub(super) half_open: u64,
    pub(super) synacks: u64,
    pub(super) synacks_unanswered: u64,
}

/// An alert in progress on a target.
#[derive(Debug, Clone)]
pub(super) struct OpenAlert {
    pub(super) start: Ts,
    pub(super) detected: Ts,
    pub(super) last_hot: Ts,
    pub(super) last_hot_ms: u32,
    pub(super) syns: u64,
    pub(super) peak_rate: u64,
    pub(super) peak_outstanding: u64,
    pub(super) base: Counters,
}

/// One destination address and port.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) key: (IpAddr, u16),
    pub(super) gen: u32,
    pub(super) last_ms: u32,
    pub(super) ring: [u32; BUCKETS],
    pub(super) ring_first: [Ts; BUCKETS],
    pub(super) ring_tick: u32,
    pub(super) rate: u64,
    pub(super) pending: u64,
    pub(super) pending_synack: u64,
    /// First SYN since the outstanding count was last zero, and SYNs since then: where a flood
    /// begins, even when a completed handshake shares its rate window.
    pub(super) backlog_since: Ts,
    pub(super) backlog_syns: u64,
    pub(super) backlog_base: Counters,
    pub(super) c: Counters,
    pub(super) sk: Box<Sketches>,
    pub(super) alert: Option<OpenAlert>,
}

impl Target {
    pub(super) fn new(key: (IpAddr, u16), gen: u32, now_ms: u32) -> Target {
        Target {
            key,
            gen,
            last_ms: now_ms,
            ring: [0; BUCKETS],
            ring_first: [Ts::default(); BUCKETS],
            ring_tick: now_ms / BUCKET_MS,
            rate: 0,
            pending: 0,
            pending_synack: 0,
            backlog_since: Ts::default(),
            backlog_syns: 0,
            backlog_base: Counters::default(),
            c: Counters::default(),
            sk: Box::new(Sketches::new(now_ms)),
            alert: None,
        }
    }

    /// Reuses an evicted target's memory for a new key.
    pub(super) fn reset(&mut self, key: (IpAddr, u16), now_ms: u32) {
        self.key = key;
        self.gen = self.gen.wrapping_add(1) & ((1 << (32 - IDX_BITS)) - 1);
        self.last_ms = now_ms;
        self.ring = [0; BUCKETS];
        self.ring_tick = now_ms / BUCKET_MS;
        self.rate = 0;
        self.pending = 0;
        self.pending_synack = 0;
        self.backlog_since = Ts::default();
        self.backlog_syns = 0;
        self.backlog_base = Counters::default();
        self.c = Counters::default();
        self.sk.clear(now_ms);
        self.alert = None;
    }

    /// Moves the rate window forward to `now_ms`, emptying the buckets that fell out of it.
    pub(super) fn roll(&mut self, now_ms: u32) {
        let tick = now_ms / BUCKET_MS;
        if tick <= self.ring_tick {
            return;
        }
        let n = (tick - self.ring_tick).min(BUCKETS as u32);
        for k in 1..=n {
            let b = ((self.ring_tick + k) as usize) % BUCKETS;
            if let Some(c) = self.ring.get_mut(b) {
                self.rate -= *c as u64;
                *c = 0;
            }
        }
        self.ring_tick = tick;
    }

    pub(super) fn add_syn(&mut self, now: Ts) {
        let b = self.ring_tick as usize % BUCKETS;
        if let (Some(c), Some(f)) = (self.ring.get_mut(b), self.ring_first.get_mut(b)) {
            if *c == 0 {
                *f = now;
            }
            *c += 1;
            self.rate += 1;
        }
    }

    /// The first SYN in the rate window.
    pub(super) fn window_start(&self, now: Ts) -> Ts {
        for k in (0..BUCKETS as u32).rev() {
            let Some(tick) = self.ring_tick.checked_sub(k) else { continue };
            let b = tick as usize % BUCKETS;
            if self.ring.get(b).is_some_and(|c| *c > 0) {
                return self.ring_first.get(b).copied().unwrap_or(now);
            }
        }
        now
    }
}
