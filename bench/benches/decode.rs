//! Per-packet cost of decoding and of each output view, on the frames of the project's real
//! captures (Ethernet, ARP, IPv4, TCP with options, UDP, ICMP), measured per packet.

use std::ops::ControlFlow;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use inspect::decode::{decode, input};
use inspect::output::{json, layers, line::LineFormatter};
use inspect::source::file::FileSource;
use inspect::source::{Frame, Ts};

/// Every frame of captures/*.pcap, owned: (linktype, bytes).
fn frames() -> Vec<(u32, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../captures");
    let mut out = Vec::new();
    for name in ["web.pcap", "refused.pcap", "udp-unreach.pcap", "arp.pcap", "synflood.pcap"] {
        let path = format!("{dir}/{name}");
        let mut src = FileSource::open(&path).expect("open capture");
        src.for_each(|f| {
            out.push((f.linktype, f.data.to_vec()));
            ControlFlow::Continue(())
        })
        .expect("read capture");
    }
    out
}

fn frame(i: usize, lt: u32, data: &[u8]) -> Frame<'_> {
    Frame { number: i as u64 + 1, ts: Ts { sec: 1_700_000_000, nsec: i as u32 }, linktype: lt, len: data.len() as u32, data, interface: 0, ts_known: true }
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    let mut g = c.benchmark_group("per_packet");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for (i, (lt, d)) in frames.iter().enumerate() {
                black_box(decode(&frame(i, *lt, d)));
            }
        })
    });
    g.bench_function("input", |b| {
        b.iter(|| {
            for (i, (lt, d)) in frames.iter().enumerate() {
                black_box(input(&frame(i, *lt, d)));
            }
        })
    });
    g.bench_function("decode+line", |b| {
        let mut lf = LineFormatter::new(false, false);
        let mut s = String::with_capacity(512);
        b.iter(|| {
            for (i, (lt, d)) in frames.iter().enumerate() {
                s.clear();
                lf.format(&mut s, &decode(&frame(i, *lt, d)));
                black_box(&s);
            }
        })
    });
    g.bench_function("decode+json", |b| {
        let mut s = String::with_capacity(1024);
        b.iter(|| {
            for (i, (lt, d)) in frames.iter().enumerate() {
                s.clear();
                json::packet(&mut s, &decode(&frame(i, *lt, d)));
                black_box(&s);
            }
        })
    });
    g.bench_function("decode+layers", |b| {
        let mut s = String::with_capacity(4096);
        b.iter(|| {
            for (i, (lt, d)) in frames.iter().enumerate() {
                s.clear();
                layers::packet(&mut s, &decode(&frame(i, *lt, d)));
                black_box(&s);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
