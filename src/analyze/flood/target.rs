//! One target of the flood detector: an address and port, an address (all its ports) or a
//! subnet (all its addresses); its SYN and completion windows, its counts of how attempts ended,
//! its source sketches and its alert or notice in progress.

use std::net::IpAddr;

use super::sketches::Sketches;
use crate::source::Ts;

/// Buckets in the one-second rate window.
pub(super) const BUCKETS: usize = 10;
/// Width of one rate bucket, in ms.
pub(super) const BUCKET_MS: u32 = 100;
/// Bits of a target reference that hold the index (the rest hold its generation).
pub(super) const IDX_BITS: u32 = 20;
/// A reference to no target.
pub(super) const NO_REF: u32 = u32::MAX;

/// What a target covers. An address-and-port target counts every SYN to it; the wider two count
/// only the SYNs their narrower targets do not complete (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Port,
    Host,
    Subnet,
}

impl Scope {
    /// The part of the index key beside the address: the port, or a value no port takes.
    pub(super) fn key(self, port: u16) -> u32 {
        match self {
            Scope::Port => port as u32,
            Scope::Host => 1 << 16,
            Scope::Subnet => 2 << 16,
        }
    }
}

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

/// An alert (a flood) or a notice (a surge) in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Flood,
    Surge,
}

/// An alert or notice in progress on a target.
#[derive(Debug, Clone)]
pub(super) struct OpenAlert {
    pub(super) kind: Kind,
    pub(super) id: u64,
    pub(super) start: Ts,
    pub(super) detected: Ts,
    pub(super) last_hot: Ts,
    pub(super) last_hot_ms: u32,
    pub(super) syns: u64,
    pub(super) peak_rate: u64,
    pub(super) peak_outstanding: u64,
    /// Completed over SYNs in the window when it opened.
    pub(super) window_completion: f64,
    pub(super) base: Counters,
    /// SYNs per second from `start`, when kept for the pictures.
    pub(super) rate: Option<Box<crate::analyze::timeline::Timeline>>,
}

/// One target.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) key: (IpAddr, u32),
    pub(super) scope: Scope,
    pub(super) gen: u32,
    pub(super) last_ms: u32,
    /// SYNs per bucket, and the first SYN of each bucket.
    pub(super) ring: [u32; BUCKETS],
    pub(super) ring_first: [Ts; BUCKETS],
    /// Completed handshakes per bucket.
    pub(super) done: [u32; BUCKETS],
    pub(super) ring_tick: u32,
    /// SYNs and completions in the window.
    pub(super) rate: u64,
    pub(super) done_rate: u64,
    pub(super) pending: u64,
    pub(super) pending_synack: u64,
    /// Of `pending`, the attempts the wider targets above count too (taken off them when this
    /// target is evicted, as their slots can no longer reach them).
    pub(super) up_pending: u64,
    /// The next wider target (address of a port, subnet of an address), or [`NO_REF`].
    pub(super) parent: u32,
    /// Of the narrower targets below, the one with the most SYNs left waiting in its window
    /// when last compared (a wider target only), or [`NO_REF`].
    pub(super) top_child: u32,
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
    pub(super) fn new(key: (IpAddr, u32), scope: Scope, now_ms: u32) -> Target {
        Target {
            key,
            scope,
            gen: 0,
            last_ms: now_ms,
            ring: [0; BUCKETS],
            ring_first: [Ts::default(); BUCKETS],
            done: [0; BUCKETS],
            ring_tick: now_ms / BUCKET_MS,
            rate: 0,
            done_rate: 0,
            pending: 0,
            pending_synack: 0,
            up_pending: 0,
            parent: NO_REF,
            top_child: NO_REF,
            backlog_since: Ts::default(),
            backlog_syns: 0,
            backlog_base: Counters::default(),
            c: Counters::default(),
            sk: Box::new(Sketches::new(now_ms)),
            alert: None,
        }
    }

    /// Reuses an evicted target's memory for a new key.
    pub(super) fn reset(&mut self, key: (IpAddr, u32), scope: Scope, now_ms: u32) {
        self.key = key;
        self.scope = scope;
        self.gen = self.gen.wrapping_add(1) & ((1 << (32 - IDX_BITS)) - 1);
        self.last_ms = now_ms;
        self.ring = [0; BUCKETS];
        self.done = [0; BUCKETS];
        self.ring_tick = now_ms / BUCKET_MS;
        self.rate = 0;
        self.done_rate = 0;
        self.pending = 0;
        self.pending_synack = 0;
        self.up_pending = 0;
        self.parent = NO_REF;
        self.top_child = NO_REF;
        self.backlog_since = Ts::default();
        self.backlog_syns = 0;
        self.backlog_base = Counters::default();
        self.c = Counters::default();
        self.sk.clear(now_ms);
        self.alert = None;
    }

    /// Moves the windows forward to `now_ms`, emptying the buckets that fell out of them.
    pub(super) fn roll(&mut self, now_ms: u32) {
        let tick = now_ms / BUCKET_MS;
        if tick <= self.ring_tick {
            return;
        }
        let n = (tick - self.ring_tick).min(BUCKETS as u32);
        for k in 1..=n {
            let b = ((self.ring_tick + k) as usize) % BUCKETS;
            if let (Some(c), Some(d)) = (self.ring.get_mut(b), self.done.get_mut(b)) {
                self.rate -= *c as u64;
                self.done_rate -= *d as u64;
                *c = 0;
                *d = 0;
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

    /// Counts a completed handshake in the window (rolled to `now_ms` first).
    pub(super) fn add_done(&mut self, now_ms: u32) {
        self.roll(now_ms);
        if let Some(d) = self.done.get_mut(self.ring_tick as usize % BUCKETS) {
            *d += 1;
            self.done_rate += 1;
        }
    }

    /// SYNs in the window that no handshake completed (as of the last roll).
    pub(super) fn waiting(&self) -> u64 {
        self.rate.saturating_sub(self.done_rate)
    }

    /// [`Self::waiting`] as of `now_ms`, without rolling: the buckets that fell out of the
    /// window since the last roll are left out.
    pub(super) fn waiting_at(&self, now_ms: u32) -> u64 {
        let tick = now_ms / BUCKET_MS;
        if tick <= self.ring_tick {
            return self.waiting();
        }
        let (mut syns, mut done) = (0u64, 0u64);
        for k in 0..BUCKETS as u32 {
            let Some(t) = self.ring_tick.checked_sub(k) else { break };
            if t + BUCKETS as u32 <= tick {
                break;
            }
            let b = t as usize % BUCKETS;
            syns += self.ring.get(b).copied().unwrap_or(0) as u64;
            done += self.done.get(b).copied().unwrap_or(0) as u64;
        }
        syns.saturating_sub(done)
    }

    /// Completed handshakes over SYNs in the window (1 with no SYN).
    pub(super) fn completion(&self) -> f64 {
        if self.rate == 0 {
            1.0
        } else {
            (self.done_rate as f64 / self.rate as f64).min(1.0)
        }
    }

    /// The SYNs of the rate window from `start` on, per second: the first seconds of a new
    /// alert's rate (each bucket's SYNs in the second of its first one; what the window
    /// counted before `start` is left out).
    pub(super) fn window_since(&self, start: Ts, total: u64) -> crate::analyze::timeline::Timeline {
        // Up to 1024 alerts keep one each: 4096 buckets (32 KiB) apiece, then they widen.
        let mut t = crate::analyze::timeline::Timeline::with_cap(start, crate::analyze::timeline::Merge::Sum, 4096);
        let mut seeded = 0;
        for k in 0..BUCKETS as u32 {
            let Some(tick) = self.ring_tick.checked_sub(k) else { break };
            let b = tick as usize % BUCKETS;
            let (c, first) = (self.ring.get(b).copied().unwrap_or(0) as u64, self.ring_first.get(b).copied().unwrap_or(start));
            if c > 0 && first >= start && seeded + c <= total {
                t.add(first, c);
                seeded += c;
            }
        }
        // SYNs of a bucket that began before `start` (the backlog's first ones).
        if total > seeded {
            t.add(start, total - seeded);
        }
        t
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
