//! Per-packet cost of connection tracking: a synthetic mix of many short TCP connections
//! (handshake, data, close) fed to the tracker, measured per packet.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use inspect::analyze::tcp::{ConnConfig, ConnTracker};
use inspect::analyze::{Analyzer, Events};
use inspect::decode::{input, Input};
use inspect::source::Ts;
use inspect_bench::{defaults, tcp_frame as frame};

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
    let data = workload();
    let inputs: Vec<Input> = inspect_bench::frames(&data)
        .iter()
        .enumerate()
        .map(|(n, f)| Input { ts: Ts { sec: 1, nsec: n as u32 * 1000 }, ..input(f) })
        .collect();
    let mut g = c.benchmark_group("tcp");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("track_8000_packets", |b| {
        b.iter(|| {
            // A cap near the workload: the default cap's index (reserved up front) would make
            // each iteration measure one large allocation instead of per-packet work.
            let mut a = ConnTracker::new(ConnConfig { max_conns: 2000, ..defaults().conn }, 0, 1);
            let mut events = Events::default();
            for x in &inputs {
                a.packet(x, &mut events);
                events.drain();
            }
            a.tracked()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
