//! The conversation tables of `stats -z conv,*` counted on other threads than the one that reads
//! and decodes: a table of hundreds of thousands of conversations misses the cache at nearly
//! every lookup, which made counting them the larger half of the reading thread's work.
//!
//! The reading thread hands each layer a conversation table counts (a [`Rec`]: the two ends,
//! the frame's length and time, a TCP segment's flags and sequence number) to the shard that
//! owns its pair of ends: the pair's hash picks the shard, as the connection tracker's flow
//! hash picks its partition, so every frame of a conversation reaches one table and a shard's
//! tables are those a single thread would keep, restricted to its pairs. Each record carries
//! its place in the order of records; a conversation keeps the place of the record that
//! started it, and the shards' tables are merged by those places into one list in first-seen
//! order, the list a single thread makes, so the tables print byte for byte the same.
//!
//! Records travel in batches over bounded channels: memory stays flat however long the capture.

use std::net::IpAddr;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::traffic::{pair_hash, Conv, Convs, Sock, Tap, TcpConvs};
use crate::source::Ts;

/// Records per batch: enough that a hand-off costs nothing per record.
const BATCH: usize = 4096;
/// Batches queued per shard: the bound on the records in flight.
const QUEUED: usize = 8;

/// One layer of a frame for a conversation table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    /// The layer's ends (the kind of table with them).
    pub tap: Tap,
    /// A TCP segment's flags and sequence number, when it has a stream.
    pub seg: Option<(u8, u32)>,
    /// The frame's length on the wire.
    pub len: u64,
    /// The frame's time.
    pub ts: Ts,
}

/// One shard's tables, with the place in the order of records of each conversation's first.
#[derive(Debug, Default)]
struct Tables {
    eth: (Convs<[u8; 6]>, Vec<u64>),
    ip: (Convs<IpAddr>, Vec<u64>),
    tcp: (TcpConvs, Vec<u64>),
    udp: (Convs<Sock>, Vec<u64>),
}

impl Tables {
    fn add(&mut self, seq: u64, r: &Rec) {
        // A new conversation is the one the list grew by.
        fn place(n: usize, list: usize, seqs: &mut Vec<u64>, seq: u64) {
            if list > n {
                seqs.push(seq);
            }
        }
        match r.tap {
            Tap::Eth(s, d) => {
                let n = self.eth.0.list.len();
                self.eth.0.add(s, d, r.len, r.ts);
                place(n, self.eth.0.list.len(), &mut self.eth.1, seq);
            }
            Tap::Ip(s, d) => {
                let n = self.ip.0.list.len();
                self.ip.0.add(s, d, r.len, r.ts);
                place(n, self.ip.0.list.len(), &mut self.ip.1, seq);
            }
            Tap::Tcp(s, d) => {
                let n = self.tcp.0.list.len();
                self.tcp.0.add(s, d, r.seg, r.len, r.ts);
                place(n, self.tcp.0.list.len(), &mut self.tcp.1, seq);
            }
            Tap::Udp(s, d) => {
                let n = self.udp.0.list.len();
                self.udp.0.add(s, d, r.len, r.ts);
                place(n, self.udp.0.list.len(), &mut self.udp.1, seq);
            }
        }
    }
}

/// Records with their places in the order of records, as a shard receives them.
type Batch = Vec<(u64, Rec)>;

/// Where conversation records go: the shards' threads, and each one's batch being filled.
pub(crate) struct Spread {
    shards: Vec<(SyncSender<Batch>, Batch)>,
    workers: Vec<JoinHandle<Tables>>,
    /// The next record's place.
    seq: u64,
}

impl std::fmt::Debug for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spread({} shards)", self.shards.len())
    }
}

fn run(rx: Receiver<Batch>) -> Tables {
    let mut t = Tables::default();
    for batch in rx {
        for (seq, r) in &batch {
            t.add(*seq, r);
        }
    }
    t
}

impl Spread {
    /// Starts `shards` threads (at least one).
    pub fn new(shards: usize) -> std::io::Result<Spread> {
        let mut s = Spread { shards: Vec::new(), workers: Vec::new(), seq: 0 };
        for i in 0..shards.max(1) {
            let (tx, rx) = sync_channel(QUEUED);
            let worker = std::thread::Builder::new().name(format!("conv-{i}")).spawn(move || run(rx))?;
            s.shards.push((tx, Vec::with_capacity(BATCH)));
            s.workers.push(worker);
        }
        Ok(s)
    }

    /// Hands `r` to the shard of its pair of ends.
    pub fn push(&mut self, r: Rec) {
        let hash = match &r.tap {
            Tap::Eth(s, d) => pair_hash(s, d),
            Tap::Ip(s, d) => pair_hash(s, d),
            Tap::Tcp(s, d) | Tap::Udp(s, d) => pair_hash(s, d),
        };
        // The hash's high bits pick the shard: a table takes its buckets from the low ones.
        let n = self.shards.len() as u64;
        let at = ((u64::from(hash) * n) >> 32) as usize;
        let seq = self.seq;
        self.seq += 1;
        if let Some((tx, batch)) = self.shards.get_mut(at) {
            batch.push((seq, r));
            if batch.len() >= BATCH {
                let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
                // A shard gone (it panicked) is reported when it is joined.
                let _ = tx.send(full);
            }
        }
    }

    /// Waits for the shards and gives their tables merged, each in first-seen order.
    pub fn finish(self) -> (Convs<[u8; 6]>, Convs<IpAddr>, TcpConvs, Convs<Sock>) {
        for (tx, batch) in self.shards {
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        }
        let mut parts: Vec<Tables> = Vec::new();
        for w in self.workers {
            match w.join() {
                Ok(t) => parts.push(t),
                // A bug in a shard is the same bug on one thread: let it out.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        let mut eth = Vec::new();
        let mut ip = Vec::new();
        let mut tcp = Vec::new();
        let mut udp = Vec::new();
        for t in parts {
            eth.push((t.eth.0.list, t.eth.1));
            ip.push((t.ip.0.list, t.ip.1));
            tcp.push((t.tcp.0.list, t.tcp.1));
            udp.push((t.udp.0.list, t.udp.1));
        }
        (Convs::of_list(merge(eth)), Convs::of_list(merge(ip)), TcpConvs::of_list(merge(tcp)), Convs::of_list(merge(udp)))
    }
}

/// Conversations a shard's list gives back to the allocator at once while it is merged.
const GIVE_BACK: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// The shards' lists as one, by the place of each conversation's first record. One shard's
/// list is taken as it is; several are moved into a new one, each giving back its room as it
/// empties, so the rows are not held twice.
fn merge<K: Copy>(mut parts: Vec<(Vec<Conv<K>>, Vec<u64>)>) -> Vec<Conv<K>> {
    parts.retain(|(l, _)| !l.is_empty());
    if parts.len() <= 1 {
        return parts.pop().map(|(l, _)| l).unwrap_or_default();
    }
    let total = parts.iter().map(|(l, _)| l.len()).sum();
    // Reversed, a list's next conversation is its last: taking it shortens the list, which can
    // then be shrunk in place.
    for (list, seqs) in &mut parts {
        list.reverse();
        seqs.reverse();
        list.shrink_to_fit();
        seqs.shrink_to_fit();
    }
    let mut out = Vec::with_capacity(total);
    loop {
        // Few shards: a scan for the least place beats a heap.
        let mut best: Option<(u64, usize)> = None;
        for (k, (_, seqs)) in parts.iter().enumerate() {
            if let Some(&s) = seqs.last() {
                if best.is_none_or(|(b, _)| s < b) {
                    best = Some((s, k));
                }
            }
        }
        let Some((_, k)) = best else { break };
        if let Some((list, seqs)) = parts.get_mut(k) {
            seqs.pop();
            if let Some(c) = list.pop() {
                out.push(c);
            }
            if list.capacity() - list.len() >= GIVE_BACK {
                list.shrink_to_fit();
                seqs.shrink_to_fit();
            }
        }
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::Ipv4Addr;

    /// The same records on one table and on several shards give the same list.
    #[test]
    fn shards_merge_into_the_single_thread_s_order() {
        let ip = |n: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        let recs: Vec<Rec> = (0..20_000u32)
            .map(|i| {
                let a = ip((i % 97) as u8);
                let b = ip((i % 13) as u8 + 100);
                let (s, d) = if i % 3 == 0 { (b, a) } else { (a, b) };
                let seg = Some((if i % 50 == 0 { 0x02 } else { 0x10 }, i / 7));
                Rec { tap: Tap::Tcp((s, (i % 5) as u16), (d, 80)), seg, len: u64::from(60 + i % 9), ts: Ts::from_parts(i64::from(i), 0, 1) }
            })
            .collect();
        let mut one = TcpConvs::default();
        for r in &recs {
            if let Tap::Tcp(s, d) = r.tap {
                one.add(s, d, r.seg, r.len, r.ts);
            }
        }
        for shards in [1, 2, 3, 5] {
            let mut s = Spread::new(shards).unwrap();
            for r in &recs {
                s.push(*r);
            }
            let (_, _, tcp, _) = s.finish();
            let key = |c: &Conv<Sock>| (c.a, c.b, c.ab, c.ba, c.first, c.last);
            assert_eq!(tcp.list.iter().map(key).collect::<Vec<_>>(), one.list.iter().map(key).collect::<Vec<_>>(), "{shards} shards");
        }
    }
}
