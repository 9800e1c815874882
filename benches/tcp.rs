//! Per-packet cost of connection tracking: a synthetic mix of many short TCP connections
//! (handshake, data, close) fed to the tracker, measured per packet.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use inspect::analyze::conn::{ConnAnalyzer, ConnConfig};
use inspect::analyze::Analyzer;
use inspect::decode::decode;
use inspect::source::Ts;

#[allow(clippy::too_many_arguments)]
fn frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, len: usize) -> Vec<u8> {
    inspect::testkit::tcp_frame(src, dst, sport, dport, seq, ack, flags, 0xffff, len)
}

/// 1000 connections of 8 packets each, interleaved in packet order per connection.
fn workload() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..1000u32 {
        let c = [10, 0, (i >> 8) as u8, i as u8];
        let s = [10, 1, 0, 1];
        let p = 10000 + (i % 50000) as u16;
        out.push(frame(c, s, p, 80, 100, 0, 0x02, 0));
        out.push(frame(s, c, 80, p, 500, 101, 0x12, 0));
        out.push(frame(c, s, p, 80, 101, 501, 0x10, 0));
        out.push(frame(c, s, p, 80, 101, 501, 0x18, 100));
        out.push(frame(s, c, 80, p, 501, 201, 0x18, 1000));
        out.push(frame(c, s, p, 80, 201, 1501, 0x11, 0));
        out.push(frame(s, c, 80, p, 1501, 202, 0x11, 0));
        out.push(frame(c, s, p, 80, 202, 1502, 0x10, 0));
    }
    out
}

fn bench(c: &mut Criterion) {
    let frames = workload();
    let mut g = c.benchmark_group("tcp");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("track_8000_packets", |b| {
        b.iter(|| {
            // A cap near the workload: the default cap's index (reserved up front) would make
            // each iteration measure one large allocation instead of per-packet work.
            let mut a = ConnAnalyzer::new(ConnConfig { max_conns: 2000, ..ConnConfig::default() });
            let mut events = Vec::new();
            for (n, data) in frames.iter().enumerate() {
                let f = inspect::testkit::frame(n as u64 + 1, Ts { sec: 1, nsec: n as u32 * 1000 }, data);
                a.packet(&decode(&f), &mut events);
                events.clear();
            }
            a.tracked()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
