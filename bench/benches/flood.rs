//! Per-packet cost of the SYN-flood detector, on already-decoded packets: a mix of completed
//! handshakes (SYN, SYN-ACK, ACK, data, FIN) to one server and a spoofed SYN flood to another,
//! fed again and again with time moving on, so the detector runs in its steady state (pending
//! table allocated, an alert open) rather than measuring its first allocation.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use inspect::analyze::flood::FloodAnalyzer;
use inspect::analyze::{Analyzer, Events};
use inspect::decode::{input, Input};
use inspect::source::Ts;
use inspect_bench::defaults;

fn frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    inspect_bench::tcp_frame(src, dst, sport, dport, 1, 1, flags, 0)
}

/// 1000 normal connections (5 packets each) interleaved with 5000 spoofed SYNs, over 1 s.
fn workload() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let (web, victim) = ([10, 1, 0, 1], [10, 1, 0, 2]);
    for i in 0..1000u32 {
        let c = [10, 0, (i >> 8) as u8, i as u8];
        let p = 10000 + i as u16;
        out.push(frame(c, web, p, 80, 0x02));
        out.push(frame(web, c, 80, p, 0x12));
        out.push(frame(c, web, p, 80, 0x10));
        out.push(frame(c, web, p, 80, 0x18));
        out.push(frame(c, web, p, 80, 0x11));
        for k in 0..5u32 {
            let s = (i * 5 + k).wrapping_mul(2_654_435_761);
            out.push(frame(s.to_be_bytes(), victim, (s >> 16) as u16, 443, 0x02));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = workload();
    let mut inputs: Vec<Input> = inspect_bench::frames(&data).iter().map(input).collect();
    let n = inputs.len();
    let mut g = c.benchmark_group("flood");
    g.throughput(Throughput::Elements(n as u64));
    let mut a = FloodAnalyzer::new(defaults().flood);
    let mut events = Events::default();
    let mut round = 0i64;
    g.bench_function("detect_10000_packets", |b| {
        b.iter(|| {
            round += 1;
            for (k, x) in inputs.iter_mut().enumerate() {
                x.ts = Ts { sec: round, nsec: (k * 1_000_000_000 / n) as u32 };
                a.packet(x, &mut events);
            }
            events.drain();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
