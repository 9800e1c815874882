//! Per-packet cost of the ARP analyzer, on already-decoded packets: 2000 hosts asking for the
//! gateway and each other and answering, fed again and again with time moving on, so the table
//! is full of live entries (the steady state of a busy LAN).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use inspect::analyze::arp::ArpAnalyzer;
use inspect::analyze::{Analyzer, Events};
use inspect::decode::{input, Input, Net};
use inspect::source::Ts;
use inspect_bench::defaults;

/// An Ethernet ARP frame: `op` 1 request, 2 reply.
fn arp(op: u8, smac: [u8; 6], sip: [u8; 4], tmac: [u8; 6], tip: [u8; 4]) -> Vec<u8> {
    let dst = if op == 1 { [0xff; 6] } else { tmac };
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, op]);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&sip);
    f.extend_from_slice(&tmac);
    f.extend_from_slice(&tip);
    f
}

fn workload() -> Vec<Vec<u8>> {
    let gw_mac = [2, 0, 0, 0, 0, 1];
    let gw = [192, 168, 0, 1];
    let mut out = Vec::new();
    for i in 0..2000u32 {
        let mac = [2, 1, 0, 0, (i >> 8) as u8, i as u8];
        let ip = [192, 168, 1 + (i >> 8) as u8, i as u8];
        out.push(arp(1, mac, ip, [0; 6], gw));
        out.push(arp(2, gw_mac, gw, mac, ip));
        let peer = (i * 7 + 3) % 2000;
        let pip = [192, 168, 1 + (peer >> 8) as u8, peer as u8];
        out.push(arp(1, mac, ip, [0; 6], pip));
        out.push(arp(2, [2, 1, 0, 0, (peer >> 8) as u8, peer as u8], pip, mac, ip));
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = workload();
    let mut inputs: Vec<Input> = inspect_bench::frames(&data).iter().map(input).collect();
    assert!(inputs.iter().all(|x| matches!(x.net, Net::Arp { arp: Some(_), .. })), "every frame is ARP");
    let n = inputs.len();
    let mut g = c.benchmark_group("arp");
    g.throughput(Throughput::Elements(n as u64));
    let mut a = ArpAnalyzer::new(defaults().arp);
    let mut events = Events::default();
    let mut round = 0i64;
    g.bench_function("table_8000_packets", |b| {
        b.iter(|| {
            round += 1;
            for (k, x) in inputs.iter_mut().enumerate() {
                x.ts = Ts { sec: round * 10, nsec: (k * 1_000_000_000 / n) as u32 };
                a.packet(x, &mut events);
            }
            events.drain();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
