//! Shared pieces of the benchmarks: frames built with etherparse, and the analyzers' settings as
//! the command line's defaults give them.

use inspect::cli;
use inspect::output::ViewOptions;
use inspect::pipeline::AnalysisConfig;

/// The analyzers' settings of `inspect read` without flags.
pub fn defaults() -> AnalysisConfig {
    inspect::config::analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &ViewOptions::default(), 1)
}

/// An Ethernet II / IPv4 / TCP frame from 02:00:00:00:00:01 to 02:00:00:00:00:02 with these
/// addresses, ports, numbers and flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10), a
/// window of 65535 and `len` payload bytes.
#[allow(clippy::too_many_arguments)]
pub fn tcp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, len: usize) -> Vec<u8> {
    let mut b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ipv4(src, dst, 64).tcp(sport, dport, seq, 65535);
    if flags & 0x01 != 0 {
        b = b.fin();
    }
    if flags & 0x02 != 0 {
        b = b.syn();
    }
    if flags & 0x04 != 0 {
        b = b.rst();
    }
    if flags & 0x08 != 0 {
        b = b.psh();
    }
    if flags & 0x10 != 0 {
        b = b.ack(ack);
    }
    let payload = vec![b'x'; len];
    let mut out = Vec::with_capacity(b.size(len));
    b.write(&mut out, &payload).expect("a frame in memory");
    out
}

/// Ethernet frames over `data`, numbered from 1, all at time zero.
pub fn frames(data: &[Vec<u8>]) -> Vec<inspect::source::Frame<'_>> {
    data.iter()
        .enumerate()
        .map(|(n, d)| inspect::source::Frame {
            number: n as u64 + 1,
            ts: inspect::source::Ts::default(),
            linktype: 1,
            len: d.len() as u32,
            data: d,
            interface: 0,
            ts_known: true,
        })
        .collect()
}
