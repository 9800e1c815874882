//! Flows: the bounded table that holds them, and the partitions that split them among shards.
//!
//! The flow table is split into a fixed number of partitions by the hash of the flow key
//! ([`partition`]); a shard owns whole partitions, so it needs no lock, and a thread, a process
//! or a machine can own any set of them. Because the partitions do not depend on how many shards
//! there are, neither does anything they decide: each holds its share of `--max-conns` and evicts
//! its own longest-idle flow when full, so every `--threads` value (or cluster size, with flows
//! routed by the same hash) gives the same connections.

pub mod table;

pub use table::{outlived, FlowTable, Gone, CLASSES};

/// Partitions of the flow table, unless the cap is smaller (each holds at least one flow).
pub const PARTITIONS: usize = 64;

/// How many partitions a table capped at `max_conns` flows has.
pub fn partitions(max_conns: usize) -> usize {
    PARTITIONS.min(max_conns.max(1))
}

/// The cap of partition `p` of `n`: `max_conns` shared out, the first ones taking the remainder,
/// so that the caps add up to `max_conns`.
pub fn partition_cap(max_conns: usize, p: usize, n: usize) -> usize {
    let n = n.max(1);
    max_conns / n + usize::from(p < max_conns % n)
}

/// The partition, of `n`, of a flow whose key has hash `hash` ([`crate::decode::FlowKey::table_hash`]):
/// the high bits of the hash times an odd constant, so that they do not follow the bits the
/// table index takes (those of the hash mixed by [`crate::decode::key::mix64`]).
#[inline]
pub fn partition(hash: u64, n: usize) -> usize {
    let h = hash.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
    ((h * n as u64) >> 32) as usize
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn partition_caps_add_up_and_partitions_cover_all() {
        for max in [1usize, 3, 10, 63, 64, 65, 500_000, 1_000_003] {
            let n = partitions(max);
            assert!((1..=PARTITIONS).contains(&n) && n <= max);
            let caps: Vec<usize> = (0..n).map(|p| partition_cap(max, p, n)).collect();
            assert_eq!(caps.iter().sum::<usize>(), max, "{max}");
            assert!(caps.iter().all(|&c| c >= 1));
        }
        let mut seen = [0u32; PARTITIONS];
        for i in 0..100_000u64 {
            let p = partition(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), PARTITIONS);
            seen[p] += 1;
        }
        // Spread evenly: within 15 % of the mean.
        assert!(seen.iter().all(|&c| (1330..=1800).contains(&c)), "{seen:?}");
    }
}
