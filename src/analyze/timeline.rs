//! Values over packet time, one bucket per second of the capture, for the pictures (`--plot`,
//! `report`) and the sparklines: packets and bytes per second, connections tracked, a flood's
//! SYNs per second. The analyzers fill them as the packets pass, so nothing is read twice.
//!
//! Memory stays bounded whatever the capture's span: past [`MAX_BUCKETS`] buckets, neighbours
//! are merged and each bucket covers twice the time (sums are added, samples keep the larger),
//! so a year-long capture takes what an eighteen-hour one does.

use crate::source::Ts;

/// Most buckets a timeline keeps before its buckets widen.
pub const MAX_BUCKETS: usize = 1 << 16;

/// How two neighbouring buckets become one when the buckets widen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Counts per bucket: added.
    Sum,
    /// A level sampled in each bucket (connections open): the larger.
    Max,
}

/// Values per bucket of `width` seconds from second `origin` (epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The first bucket's first second (epoch seconds).
    pub origin: i64,
    /// Seconds per bucket (1, doubled each time the buckets widen).
    pub width: u32,
    /// The values, bucket by bucket.
    pub values: Vec<u64>,
    merge: Merge,
    /// Most buckets before they widen.
    cap: usize,
}

impl Timeline {
    /// An empty timeline starting at the second of `first`.
    pub fn new(first: Ts, merge: Merge) -> Timeline {
        Timeline::with_cap(first, merge, MAX_BUCKETS)
    }

    /// An empty timeline whose buckets widen past `cap` (at least 2): for series there may be
    /// many of (one per flood alert).
    pub fn with_cap(first: Ts, merge: Merge, cap: usize) -> Timeline {
        Timeline { origin: first.sec, width: 1, values: Vec::new(), merge, cap: cap.max(2) }
    }

    /// The bucket of time `ts` (times before the origin fall in the first), growing the
    /// timeline to hold it.
    fn slot(&mut self, ts: Ts) -> Option<&mut u64> {
        let secs = ts.sec.saturating_sub(self.origin).max(0) as u64;
        let mut i = usize::try_from(secs / self.width as u64).ok()?;
        while i >= self.cap {
            self.widen();
            i = usize::try_from(secs / self.width as u64).ok()?;
        }
        if i >= self.values.len() {
            self.values.resize(i + 1, 0);
        }
        self.values.get_mut(i)
    }

    /// Doubles the buckets' width, merging neighbours.
    fn widen(&mut self) {
        let merge = self.merge;
        self.values = self
            .values
            .chunks(2)
            .map(|c| match merge {
                Merge::Sum => c.iter().sum(),
                Merge::Max => c.iter().copied().max().unwrap_or(0),
            })
            .collect();
        self.width = self.width.saturating_mul(2);
    }

    /// Adds `v` to the bucket of `ts`.
    #[inline]
    pub fn add(&mut self, ts: Ts, v: u64) {
        if let Some(b) = self.slot(ts) {
            *b += v;
        }
    }

    /// Samples level `v` at `ts`: the bucket keeps the largest level sampled in it.
    pub fn sample(&mut self, ts: Ts, v: u64) {
        if let Some(b) = self.slot(ts) {
            *b = (*b).max(v);
        }
    }

    /// Samples level `v` in every bucket from second `from` to second `to` (epoch seconds, both
    /// included): a level that held while no packet came.
    pub fn sample_span(&mut self, from: i64, to: i64, v: u64) {
        let mut sec = from;
        while sec <= to {
            self.sample(Ts { sec, nsec: 0 }, v);
            // The next bucket's first second.
            let i = sec.saturating_sub(self.origin).max(0) / self.width as i64;
            sec = self.origin.saturating_add((i + 1).saturating_mul(self.width as i64)).max(sec + 1);
        }
    }

    /// Adds `other` bucket by bucket (the shards of one run: same origin, same frames seen).
    pub fn add_all(&mut self, other: &Timeline) {
        while self.width < other.width {
            self.widen();
        }
        let mut other = other.clone();
        while other.width < self.width {
            other.widen();
        }
        if other.values.len() > self.values.len() {
            self.values.resize(other.values.len(), 0);
        }
        for (a, b) in self.values.iter_mut().zip(&other.values) {
            *a += b;
        }
    }

    /// The start of bucket `i`, in epoch seconds.
    pub fn time_of(&self, i: usize) -> i64 {
        self.origin + i as i64 * self.width as i64
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn at(sec: i64) -> Ts {
        Ts { sec, nsec: 0 }
    }

    #[test]
    fn values_fall_in_their_second_and_widen_past_the_bound() {
        let mut t = Timeline::new(at(100), Merge::Sum);
        t.add(at(100), 2);
        t.add(Ts { sec: 100, nsec: 999_999_999 }, 1);
        t.add(at(102), 5);
        t.add(at(99), 1);
        assert_eq!(t.values, vec![4, 0, 5]);
        t.add(at(100 + MAX_BUCKETS as i64), 1);
        assert_eq!((t.width, t.values.len()), (2, MAX_BUCKETS / 2 + 1));
        assert_eq!(t.values.iter().sum::<u64>(), 10);
        assert_eq!(&t.values[..2], &[4, 5]);
    }

    #[test]
    fn samples_keep_the_largest_and_shards_add_up() {
        let mut a = Timeline::new(at(0), Merge::Max);
        a.sample(at(0), 3);
        a.sample(at(0), 1);
        a.sample(at(2), 2);
        let mut b = Timeline::new(at(0), Merge::Max);
        b.sample(at(1), 7);
        a.add_all(&b);
        assert_eq!(a.values, vec![3, 7, 2]);
        a.sample_span(3, 5, 4);
        assert_eq!(a.values, vec![3, 7, 2, 4, 4, 4]);
    }
}
