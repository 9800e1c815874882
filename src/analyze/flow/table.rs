//! The bounded flow table: a slab of nodes indexed by a hash table of slot numbers (the key lives
//! once, in the node).
//!
//! Every node sits on one of a few recency lists, one per timeout class; within a list all nodes
//! share one timeout, so the list's tail is always the next to expire and expiry never scans the
//! table. The tails of all lists together give the longest-idle flow to evict when the table is
//! full. Each node remembers the sequence number of the frame that last touched it, which orders
//! flows of different tables (shards) the way one table's lists order them. Nothing here
//! allocates once the table has grown to its cap.

use crate::decode::key::mix64;
use crate::decode::FlowKey;

/// The key index: open addressing with linear probing over one array of 8-byte entries, each
/// the upper 32 bits of the key's (mixed) hash beside the slot of its node. A lookup reads one
/// entry (the probe sequence continues on the same cache line) and then the node: a table that
/// keeps control bytes and slots apart (hashbrown's) costs a cache miss more per packet at
/// hundreds of thousands of flows. The stored hash bits give each entry's home position, so
/// removal shifts entries back instead of leaving tombstones, and growing needs no key.
struct FlowIndex {
    entries: Vec<u64>,
    len: usize,
    /// Entries made at the first insertion (none before it).
    first_size: usize,
}

/// Entries of a new index (512 KiB).
const FIRST_ENTRIES: usize = 1 << 16;

/// An empty entry: entries hold the slot plus one, so none is 0.
const EMPTY: u64 = 0;

impl FlowIndex {
    fn with_capacity(n: usize) -> FlowIndex {
        // Planned at most 3/4 full; nothing is made until the first insertion (see `grow`).
        let size = (n.max(8) * 4 / 3 + 1).next_power_of_two();
        FlowIndex { entries: Vec::new(), len: 0, first_size: size }
    }

    /// `size` empty entries, written now rather than left to the kernel as zeroed memory (which
    /// the compiler would ask for, seeing zeros): a page of that is first read as the shared zero
    /// page and copied on its first write, two faults and a TLB flush that interrupts the other
    /// threads' core.
    fn empty_entries(size: usize) -> Vec<u64> {
        let mut entries = Vec::with_capacity(size);
        entries.resize(size, std::hint::black_box(EMPTY));
        entries
    }

    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// The 32 hash bits an entry keeps: position and tag.
    fn bits(hash: u64) -> u32 {
        (mix64(hash) >> 32) as u32
    }

    fn entry(bits: u32, slot: u32) -> u64 {
        ((bits as u64) << 32) | (slot as u64 + 1)
    }

    /// The slot an entry holds.
    fn slot(e: u64) -> u32 {
        (e as u32).wrapping_sub(1)
    }

    /// Where, on the probe sequence of these hash bits, the entry with these bits whose slot
    /// satisfies `is` stands.
    fn position(&self, bits: u32, is: impl Fn(u32) -> bool) -> Option<usize> {
        let mask = self.mask();
        let mut i = bits as usize & mask;
        for _ in 0..self.entries.len() {
            let e = *self.entries.get(i)?;
            if e == EMPTY {
                return None;
            }
            if (e >> 32) as u32 == bits && is(Self::slot(e)) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The slot of the first entry with these hash bits: most likely the key's, unchecked.
    fn candidate(&self, bits: u32) -> Option<u32> {
        self.position(bits, |_| true).and_then(|i| self.entries.get(i)).map(|&e| Self::slot(e))
    }

    /// The slot with this hash for which `is` holds.
    fn find(&self, hash: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        let i = self.position(Self::bits(hash), is)?;
        self.entries.get(i).map(|&e| Self::slot(e))
    }

    fn insert(&mut self, hash: u64, slot: u32) {
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            self.grow();
        }
        self.place(Self::entry(Self::bits(hash), slot));
        self.len += 1;
    }

    fn place(&mut self, e: u64) {
        let mask = self.mask();
        let mut i = (e >> 32) as usize & mask;
        for _ in 0..self.entries.len() {
            match self.entries.get_mut(i) {
                Some(x) if *x == EMPTY => {
                    *x = e;
                    return;
                }
                Some(_) => i = (i + 1) & mask,
                None => return,
            }
        }
    }

    /// Makes the index larger: at the first insertion [`FIRST_ENTRIES`] entries (or fewer), when
    /// those fill up the size planned for the cap at once, and then twice the size each time.
    /// Writing the planned 8 MiB takes milliseconds, a delay before the first packet that a
    /// small capture would notice; one early rehash of at most 48,000 entries costs less.
    fn grow(&mut self) {
        let size = if self.entries.is_empty() {
            self.first_size.min(FIRST_ENTRIES)
        } else {
            (self.entries.len() * 2).max(self.first_size)
        }
        .max(16);
        let old = std::mem::replace(&mut self.entries, Self::empty_entries(size));
        for e in old {
            if e != EMPTY {
                self.place(e);
            }
        }
    }

    /// Removes the entry of `slot` (whose key has this hash).
    fn remove(&mut self, hash: u64, slot: u32) {
        let Some(i) = self.position(Self::bits(hash), |s| s == slot) else { return };
        let mask = self.mask();
        // Backward shift: pull each later entry of the run into the hole unless its home lies
        // cyclically after the hole and at or before the entry's own place.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let Some(&e) = self.entries.get(j) else { break };
            if e == EMPTY {
                break;
            }
            let home = (e >> 32) as usize & mask;
            let stays = if hole <= j { hole < home && home <= j } else { hole < home || home <= j };
            if !stays {
                if let Some(h) = self.entries.get_mut(hole) {
                    *h = e;
                }
                hole = j;
            }
        }
        if let Some(h) = self.entries.get_mut(hole) {
            *h = EMPTY;
        }
        self.len -= 1;
    }

    /// Empties the index by giving its entries away rather than writing each one empty (8 MiB
    /// at a million flows, 1-2 ms at the end of a run): the table keeps them until it goes (see
    /// `FlowTable::spent`). The next insertion makes a new array, as in a new index.
    fn take(&mut self) -> Vec<u64> {
        self.len = 0;
        std::mem::take(&mut self.entries)
    }
}

/// Whether a flow whose last packet came at `last_ns` has outlived `timeout_ns` at `now_ns`: the
/// one rule for a flow's expiry, wherever it is checked.
pub fn outlived(now_ns: i64, last_ns: i64, timeout_ns: i64) -> bool {
    now_ns.saturating_sub(last_ns) > timeout_ns
}

/// Sentinel for "no node" in the intrusive lists.
const NIL: u32 = u32::MAX;

/// Number of timeout classes (recency lists) a table keeps.
pub const CLASSES: usize = 6;

struct Node<V> {
    key: FlowKey,
    prev: u32,
    next: u32,
    class: u8,
    last_ns: i64,
    /// Sequence number of the frame that last touched the flow.
    seq: u64,
    val: Option<V>,
}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

/// A flow taken out of the table.
#[derive(Debug)]
pub struct Gone<V> {
    /// Its key.
    pub key: FlowKey,
    /// Its value.
    pub val: V,
    /// Time of its last packet (ns).
    pub last_ns: i64,
    /// Its timeout class when it left.
    pub class: u8,
    /// Sequence number of the frame that last touched it.
    pub seq: u64,
}

/// A bounded table of flows with per-class idle timeouts, on packet time.
pub struct FlowTable<V> {
    nodes: Vec<Node<V>>,
    free: Vec<u32>,
    index: FlowIndex,
    lists: [List; CLASSES],
    /// Flows on each class's list.
    class_len: [u32; CLASSES],
    timeouts_ns: [i64; CLASSES],
    cap: usize,
    len: usize,
    /// Set by [`FlowTable::begin_drain`]: the table is being emptied and no longer indexed.
    draining: bool,
    /// The nodes [`FlowTable::drain_each`] went through, dropped with the table rather than then:
    /// dropping 500,000 connections takes as long as counting them, and a run that ends next
    /// leaves its tables to the kernel (see `pipeline::Leftovers`).
    spent: Vec<Vec<Node<V>>>,
    /// The index entries given up by draining, kept for the same reason.
    spent_index: Vec<Vec<u64>>,
}

/// Most flows the index is sized for up front; a larger cap grows the index as flows arrive.
const INDEX_PREALLOC: usize = 1 << 20;
/// Most nodes reserved at the first insertion.
const NODES_PREALLOC: usize = 1 << 16;

impl<V> FlowTable<V> {
    /// An empty table holding at most `cap` flows, with one idle timeout (ns) per class.
    pub fn new(cap: usize, timeouts_ns: [i64; CLASSES]) -> Self {
        FlowTable {
            nodes: Vec::new(),
            free: Vec::new(),
            // The index is planned for the cap (up to a million flows, 8 MiB at most 3/4 full) and
            // takes that size as soon as its small first size fills: growing it by doubling would
            // rehash every entry at each step.
            index: FlowIndex::with_capacity(cap.clamp(1, INDEX_PREALLOC)),
            lists: [List { head: NIL, tail: NIL }; CLASSES],
            class_len: [0; CLASSES],
            timeouts_ns,
            cap: cap.max(1),
            len: 0,
            draining: false,
            spent: Vec::new(),
            spent_index: Vec::new(),
        }
    }

    /// Flows in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Flows in the table in timeout class `class`.
    pub fn class_len(&self, class: u8) -> usize {
        self.class_len.get(class as usize).copied().unwrap_or(0) as usize
    }

    /// Whether the table holds no flow.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot of `key`, if tracked.
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.find_hashed(key, key.table_hash())
    }

    /// [`FlowTable::find`] with the key's [`FlowKey::table_hash`] already computed.
    pub fn find_hashed(&self, key: &FlowKey, hash: u64) -> Option<u32> {
        let nodes = &self.nodes;
        self.index.find(hash, |i| nodes.get(i as usize).is_some_and(|n| n.key == *key))
    }

    /// Asks the processor for the index entry where a key with this hash is looked up first,
    /// without waiting for it (a prefetch: no result, never a fault).
    pub fn prefetch_index(&self, hash: u64) {
        let i = FlowIndex::bits(hash) as usize & self.index.mask();
        if let Some(e) = self.index.entries.get(i) {
            mem_prefetch::prefetch_read_data::<u64, 3>(e);
        }
    }

    /// Asks for the node a key with this hash most likely has (the first index entry with its
    /// hash bits; the key itself is not compared, which would wait for the node), without
    /// waiting for it. Best after [`FlowTable::prefetch_index`] has had time to bring the entry.
    pub fn prefetch_node(&self, hash: u64) {
        let Some(slot) = self.index.candidate(FlowIndex::bits(hash)) else { return };
        if let Some(n) = self.nodes.get(slot as usize) {
            // The node spans several cache lines; these fields lie on its first and last ones
            // and between them (the compiler orders the fields).
            mem_prefetch::prefetch_read_data::<FlowKey, 3>(&n.key);
            mem_prefetch::prefetch_read_data::<i64, 3>(&n.last_ns);
            mem_prefetch::prefetch_read_data::<Option<V>, 3>(&n.val);
        }
    }

    /// Whether the flow in `slot` has outlived its class's timeout at `now_ns`.
    pub fn is_stale(&self, slot: u32, now_ns: i64) -> bool {
        self.nodes.get(slot as usize).is_some_and(|n| {
            let t = self.timeouts_ns.get(n.class as usize).copied().unwrap_or(i64::MAX);
            outlived(now_ns, n.last_ns, t)
        })
    }

    /// When the flow in `slot` last had a packet, ns.
    pub fn last_ns(&self, slot: u32) -> Option<i64> {
        self.nodes.get(slot as usize).map(|n| n.last_ns)
    }

    /// The key and value in `slot`, to read.
    pub fn get(&self, slot: u32) -> Option<(&FlowKey, &V)> {
        let n = self.nodes.get(slot as usize)?;
        Some((&n.key, n.val.as_ref()?))
    }

    /// The key and value in `slot`.
    pub fn get_mut(&mut self, slot: u32) -> Option<(&FlowKey, &mut V)> {
        let n = self.nodes.get_mut(slot as usize)?;
        Some((&n.key, n.val.as_mut()?))
    }

    /// Whether a new flow needs an eviction first.
    pub fn is_full(&self) -> bool {
        self.len >= self.cap
    }

    /// Inserts a new flow whose key has hash `hash` ([`FlowKey::table_hash`]), first seen at
    /// `now_ns` by frame `seq` (the caller has checked it is absent and made room); returns its
    /// slot.
    pub fn insert(&mut self, key: FlowKey, hash: u64, val: V, now_ns: i64, class: u8, seq: u64) -> u32 {
        let node = Node { key, prev: NIL, next: NIL, class, last_ns: now_ns, seq, val: Some(val) };
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(n) = self.nodes.get_mut(s as usize) {
                    *n = node;
                }
                s
            }
            None => {
                if self.nodes.len() == self.nodes.capacity() {
                    // The first node reserves room for the cap (up to a bound): the pages are only
                    // backed once written, and growing by doubling would copy every node at each
                    // step. Past the bound it doubles, never past the cap: memory stays flat.
                    let extra = if self.nodes.capacity() == 0 {
                        self.cap.min(NODES_PREALLOC)
                    } else {
                        self.nodes.len().max(64).min(self.cap.saturating_sub(self.nodes.len()).max(1))
                    };
                    self.nodes.reserve_exact(extra);
                }
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.index.insert(hash, slot);
        self.push_head(slot, class);
        self.len += 1;
        slot
    }

    /// Marks the flow in `slot` active at `now_ns`, by frame `seq`, in timeout class `class`.
    pub fn touch(&mut self, slot: u32, now_ns: i64, class: u8, seq: u64) {
        let Some(n) = self.nodes.get_mut(slot as usize) else { return };
        // Out-of-order timestamps never move a flow's activity backwards.
        n.last_ns = n.last_ns.max(now_ns);
        n.seq = seq;
        if self.lists.get(class as usize).is_some_and(|l| l.head == slot) {
            return;
        }
        self.unlink(slot);
        self.push_head(slot, class);
    }

    /// The idle timeouts (ns) of all classes.
    pub fn timeouts(&self) -> [i64; CLASSES] {
        self.timeouts_ns
    }

    /// The idle timeout (ns) of a class.
    pub fn timeout(&self, class: u8) -> i64 {
        self.timeouts_ns.get(class as usize).copied().unwrap_or(i64::MAX)
    }

    /// Takes the flow in `slot` out of the table.
    pub fn remove(&mut self, slot: u32) -> Option<Gone<V>> {
        let n = self.nodes.get(slot as usize)?;
        let (key, last_ns, class, seq) = (n.key, n.last_ns, n.class, n.seq);
        if !self.draining {
            self.index.remove(key.table_hash(), slot);
        }
        self.unlink(slot);
        let val = self.nodes.get_mut(slot as usize)?.val.take()?;
        self.free.push(slot);
        self.len -= 1;
        Some(Gone { key, val, last_ns, class, seq })
    }

    /// The slot of the longest-idle flow of all classes (the oldest of the lists' tails).
    fn oldest(&self) -> Option<u32> {
        self.lists.iter().filter_map(|l| self.nodes.get(l.tail as usize).map(|n| (n.last_ns, l.tail))).min().map(|(_, s)| s)
    }

    /// Removes the longest-idle flow of all classes, if any.
    pub fn evict_oldest(&mut self) -> Option<Gone<V>> {
        let slot = self.oldest()?;
        self.remove(slot)
    }

    /// Removes one flow whose timeout has passed at `now_ns`. Call until None.
    pub fn pop_expired(&mut self, now_ns: i64) -> Option<Gone<V>> {
        for c in 0..CLASSES {
            let tail = self.lists.get(c)?.tail;
            let Some(n) = self.nodes.get(tail as usize) else { continue };
            if outlived(now_ns, n.last_ns, self.timeout(c as u8)) {
                return self.remove(tail);
            }
        }
        None
    }

    /// Stops indexing the table, which from now on only empties ([`FlowTable::find`] sees
    /// nothing): taking out every flow left at the end of a run then saves a random index access
    /// each.
    pub fn begin_drain(&mut self) {
        if !self.draining {
            self.draining = true;
            self.drop_index();
        }
    }

    /// Every flow in the table as (slot, class, time of its last packet, sequence number of the
    /// frame that last touched it), in slot order.
    pub fn slots(&self) -> impl Iterator<Item = (u32, u8, i64, u64)> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| n.val.is_some()).map(|(i, n)| (i as u32, n.class, n.last_ns, n.seq))
    }

    /// Empties the table, showing `f` every flow (key, value, time of its last packet, class)
    /// in slot order: a sequential pass over the nodes, for a caller that only counts what it
    /// sees (taking them out one by one in list order is a random access and a copy each).
    pub fn drain_each(&mut self, mut f: impl FnMut(&FlowKey, &mut V, i64, u8)) {
        for n in &mut self.nodes {
            if let Some(v) = &mut n.val {
                f(&n.key, v, n.last_ns, n.class);
            }
        }
        let nodes = std::mem::take(&mut self.nodes);
        if nodes.capacity() > 0 {
            self.spent.push(nodes);
        }
        self.free.clear();
        self.drop_index();
        self.lists = [List { head: NIL, tail: NIL }; CLASSES];
        self.class_len = [0; CLASSES];
        self.len = 0;
    }

    /// Empties the index, keeping its entries until the table goes.
    fn drop_index(&mut self) {
        let entries = self.index.take();
        if entries.capacity() > 0 {
            self.spent_index.push(entries);
        }
    }

    fn push_head(&mut self, slot: u32, class: u8) {
        let Some(list) = self.lists.get_mut(class as usize) else { return };
        if let Some(n) = self.class_len.get_mut(class as usize) {
            *n += 1;
        }
        let old = list.head;
        list.head = slot;
        if list.tail == NIL {
            list.tail = slot;
        }
        if let Some(n) = self.nodes.get_mut(slot as usize) {
            n.prev = NIL;
            n.next = old;
            n.class = class;
        }
        if let Some(o) = self.nodes.get_mut(old as usize) {
            o.prev = slot;
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Some(n) = self.nodes.get(slot as usize) else { return };
        let (prev, next, class) = (n.prev, n.next, n.class as usize);
        if let Some(c) = self.class_len.get_mut(class) {
            *c = c.saturating_sub(1);
        }
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => {
                if let Some(l) = self.lists.get_mut(class) {
                    if l.head == slot {
                        l.head = next;
                    }
                }
            }
        }
        match self.nodes.get_mut(next as usize) {
            Some(nx) => nx.prev = prev,
            None => {
                if let Some(l) = self.lists.get_mut(class) {
                    if l.tail == slot {
                        l.tail = prev;
                    }
                }
            }
        }
        if let Some(n) = self.nodes.get_mut(slot as usize) {
            n.prev = NIL;
            n.next = NIL;
        }
    }
}

/// Read-only walks, for snapshots (a live redraw): the table and its timers are not changed.
impl<V> FlowTable<V> {
    /// Every flow in the table: its key, value and last packet time (ns), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&FlowKey, &V, i64)> + '_ {
        self.nodes.iter().filter_map(|n| n.val.as_ref().map(|v| (&n.key, v, n.last_ns)))
    }
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;

    /// A xorshift64 sequence from `seed` (not 0): repeatable pseudo-random test data.
    pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The index against a HashMap over a long random sequence of inserts and removes, with a
    /// small table (many collisions, runs that wrap around the end, several growths) and hashes
    /// that often share their upper bits (the stored bits) so that the slot check decides.
    #[test]
    fn index_agrees_with_a_map() {
        let mut idx = FlowIndex::with_capacity(4);
        let mut map: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
        let mut next = xorshift(0x1234_5678_9abc_def0);
        for step in 0..200_000u32 {
            let r = next();
            let slot = (r % 3000) as u32;
            // Few distinct hashes: many slots share one.
            let hash = r >> 52;
            if let Some(&h) = map.get(&slot) {
                if r & 1 == 0 {
                    idx.remove(h, slot);
                    map.remove(&slot);
                }
            } else {
                idx.insert(hash, slot);
                map.insert(slot, hash);
            }
            if step % 97 == 0 {
                for (&s, &h) in &map {
                    assert_eq!(idx.find(h, |t| t == s), Some(s), "step {step}");
                }
                assert_eq!(idx.len, map.len());
            }
            let probe = (next() % 3000) as u32;
            let found = map.get(&probe).map_or(idx.find(hash, |t| t == probe), |&h| idx.find(h, |t| t == probe));
            assert_eq!(found.is_some(), map.contains_key(&probe));
        }
        assert!(idx.entries.len() >= 1024, "grew to {}", idx.entries.len());
        for (&s, &h) in &map.clone() {
            idx.remove(h, s);
            map.remove(&s);
        }
        assert!(idx.entries.iter().all(|&e| e == EMPTY));
    }

    /// A new index holds nothing until the first insertion, then starts small and jumps to the
    /// size planned for its capacity, keeping every entry on the way.
    #[test]
    fn index_starts_small_then_takes_its_planned_size() {
        let mut idx = FlowIndex::with_capacity(150_000);
        assert!(idx.entries.is_empty());
        assert_eq!(idx.find(7, |_| true), None);
        let hash = |s: u32| (s as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut sizes = Vec::new();
        for s in 0..100_000u32 {
            idx.insert(hash(s), s);
            if sizes.last() != Some(&idx.entries.len()) {
                sizes.push(idx.entries.len());
            }
        }
        assert_eq!(sizes, vec![FIRST_ENTRIES, 262_144]);
        for s in 0..100_000u32 {
            assert_eq!(idx.find(hash(s), |t| t == s), Some(s));
        }
        assert_eq!(idx.find(hash(100_000), |t| t == 100_000), None);
    }

    fn key(port: u16) -> FlowKey {
        let ip = |s: &str| s.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        FlowKey::new(crate::decode::key::IPPROTO_TCP, ip("10.0.0.1"), port, ip("10.0.0.2"), 80).0
    }

    /// Inserts `key(port)` with value `port` at `now`, in `class`, by frame `now`.
    fn add(t: &mut FlowTable<u32>, port: u16, now: i64, class: u8) -> u32 {
        let k = key(port);
        t.insert(k, k.table_hash(), port as u32, now, class, now as u64)
    }

    #[test]
    fn each_class_counts_the_flows_on_its_list() {
        let mut t: FlowTable<u32> = FlowTable::new(100, [1_000; CLASSES]);
        let a = add(&mut t, 1, 0, 0);
        let b = add(&mut t, 2, 0, 0);
        add(&mut t, 3, 0, 2);
        assert_eq!((t.class_len(0), t.class_len(2)), (2, 1));
        // Touched into another class, touched again in its own, removed.
        t.touch(a, 1, 1, 1);
        t.touch(a, 2, 1, 2);
        assert_eq!((t.class_len(0), t.class_len(1)), (1, 1));
        t.remove(b);
        assert_eq!(t.class_len(0), 0);
        while t.pop_expired(5_000).is_some() {}
        assert_eq!((0..CLASSES as u8).map(|c| t.class_len(c)).sum::<usize>(), 0);
    }

    /// Draining shows every flow once, leaves the table empty and usable, and a second drain
    /// shows only what came after the first.
    #[test]
    fn drain_each_shows_each_flow_once_and_empties_the_table() {
        let seen = |t: &mut FlowTable<u32>| {
            let mut all = Vec::new();
            t.drain_each(|k, v, last, class| all.push((k.a_port, *v, last, class)));
            all.sort();
            all
        };
        let mut t: FlowTable<u32> = FlowTable::new(100, [1000; CLASSES]);
        for p in 1..=50u16 {
            add(&mut t, p, p as i64, (p % 5) as u8);
        }
        if let Some(s) = t.find(&key(7)) {
            t.remove(s);
        }
        let want: Vec<_> = (1..=50u16).filter(|&p| p != 7).map(|p| (p, p as u32, p as i64, (p % 5) as u8)).collect();
        assert_eq!(seen(&mut t), want);
        assert!(t.is_empty() && t.iter().next().is_none() && t.find(&key(1)).is_none());
        assert!(t.pop_expired(i64::MAX).is_none() && t.evict_oldest().is_none());
        add(&mut t, 60, 70, 0);
        assert!(t.find(&key(60)).is_some());
        assert_eq!(seen(&mut t), vec![(60, 60, 70, 0)]);
        assert!(seen(&mut t).is_empty(), "nothing is left");
    }

    #[test]
    fn expiry_follows_each_class_timeout() {
        let mut t: FlowTable<u32> = FlowTable::new(10, [100, 1000, 1000, 1000, 1000, 1000]);
        let s1 = add(&mut t, 1, 0, 0);
        add(&mut t, 2, 10, 1);
        assert!(t.pop_expired(100).is_none(), "a timeout is exceeded only after it has fully passed");
        let g = t.pop_expired(101).expect("class 0 expired");
        assert_eq!((g.key, g.val, g.last_ns, g.class, g.seq), (key(1), 1, 0, 0, 0));
        assert!(t.find(&key(1)).is_none());
        assert!(t.pop_expired(500).is_none());
        assert_eq!(t.len(), 1);
        // A freed slot is reused.
        assert_eq!(add(&mut t, 3, 600, 0), s1);
    }

    #[test]
    fn eviction_takes_longest_idle_across_classes() {
        let mut t: FlowTable<u32> = FlowTable::new(3, [1 << 40; CLASSES]);
        let a = add(&mut t, 1, 0, 0);
        add(&mut t, 2, 5, 2);
        add(&mut t, 3, 7, 1);
        t.touch(a, 9, 3, 9);
        assert!(t.is_full());
        let g = t.evict_oldest().expect("evicted");
        assert_eq!((g.key, g.last_ns), (key(2), 5));
        assert_eq!(t.find(&key(1)), Some(a));
        t.begin_drain();
        let left: Vec<_> = t.slots().collect();
        assert_eq!(left.len(), 2);
        for (slot, ..) in left {
            assert!(t.remove(slot).is_some());
        }
        assert!(t.is_empty());
    }

    #[test]
    fn touch_moves_within_and_between_lists_and_keeps_the_frame() {
        let mut t: FlowTable<u32> = FlowTable::new(10, [100; CLASSES]);
        let a = add(&mut t, 1, 0, 0);
        add(&mut t, 2, 1, 0);
        t.touch(a, 50, 0, 50);
        // The second flow is now the oldest of class 0.
        let g = t.pop_expired(102).expect("it expires");
        assert_eq!((g.key, g.seq), (key(2), 1));
        t.touch(a, 60, 4, 61);
        assert!(t.pop_expired(159).is_none());
        let g = t.pop_expired(161).expect("the first expires");
        assert_eq!((g.key, g.seq, g.class), (key(1), 61, 4));
        assert!(t.is_empty());
    }
}
