//! The floor the speed goals are measured against: map a classic pcap file, slice every frame's
//! headers with etherparse and insert every TCP 5-tuple into a fast hash set. Nothing else: no
//! output, no state machine.
//! `cargo run -p inspect-bench --profile dist --bin minimal_pass -- FILE` (`--read` reads the
//! file into memory instead of mapping it).
//!
//! This benchmark program is the one place with `unsafe`: mapping a file is unsafe in Rust
//! because another process could change it underneath. inspect itself forbids `unsafe` and
//! streams files through a buffer instead.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use rustc_hash::FxHasher;

/// An IPv4 TCP connection's addresses and ports, as the set stores it.
type FourTuple = ([u8; 4], [u8; 4], u16, u16);

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: minimal_pass FILE.pcap");
        std::process::exit(2);
    };
    let read_whole = std::env::args().any(|a| a == "--read");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("minimal_pass: {path}: {e}");
        std::process::exit(1);
    });
    let owned;
    let mapped;
    let bytes: &[u8] = if read_whole {
        owned = std::fs::read(&path).unwrap_or_else(|e| {
            eprintln!("minimal_pass: {path}: {e}");
            std::process::exit(1);
        });
        &owned
    } else {
        // SAFETY: the benchmark file is not modified while it is read.
        mapped = unsafe { memmap2::Mmap::map(&file) }.unwrap_or_else(|e| {
            eprintln!("minimal_pass: {path}: {e}");
            std::process::exit(1);
        });
        &mapped
    };
    let mut set: HashSet<FourTuple, BuildHasherDefault<FxHasher>> = HashSet::default();
    let mut at = 24usize;
    let mut frames = 0u64;
    while let Some(hdr) = bytes.get(at..at + 16) {
        let caplen = u32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]) as usize;
        let Some(data) = bytes.get(at + 16..at + 16 + caplen) else { break };
        at += 16 + caplen;
        frames += 1;
        if let Ok(p) = SlicedPacket::from_ethernet(data) {
            if let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(t))) = (&p.net, &p.transport) {
                let h = ip.header();
                set.insert((h.source(), h.destination(), t.source_port(), t.destination_port()));
            }
        }
    }
    println!("{frames} frames, {} TCP 5-tuples", set.len());
}
