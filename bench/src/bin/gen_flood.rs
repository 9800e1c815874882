//! Writes a large SYN-flood pcap for measuring the detector under attack: `N` SYNs from random
//! spoofed IPv4 sources (xorshift, so the file is the same every time) to 10.0.0.2:80 at `RATE`
//! SYNs per second of packet time, as 54-byte Ethernet frames.
//!
//! `cargo run -p inspect-bench --profile dist --bin gen_flood -- OUT.pcap [N] [RATE]` (defaults 10,000,000 and
//! 1,000,000). Write big files under /work/bench-data/, never into the repository.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(out) = args.get(1) else {
        eprintln!("usage: gen_flood OUT.pcap [N] [RATE]");
        std::process::exit(2);
    };
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let rate: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1_000_000).max(1);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?;
    w.write_all(&4u16.to_le_bytes())?;
    w.write_all(&[0; 8])?;
    w.write_all(&65535u32.to_le_bytes())?;
    w.write_all(&1u32.to_le_bytes())?;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut frame = [0u8; 54];
    frame[..14].copy_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ns = i * 1_000_000_000 / rate;
        let (sec, usec) = (1_704_067_200 + ns / 1_000_000_000, ns % 1_000_000_000 / 1000);
        let ip = &mut frame[14..34];
        ip.copy_from_slice(&[0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        ip[4..6].copy_from_slice(&(i as u16).to_be_bytes());
        ip[12..16].copy_from_slice(&(x as u32).to_be_bytes());
        let mut sum: u32 = ip.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as u32).sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        let tcp = &mut frame[34..54];
        tcp.fill(0);
        tcp[0..2].copy_from_slice(&((x >> 32) as u16 | 1024).to_be_bytes());
        tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
        tcp[4..8].copy_from_slice(&((x >> 16) as u32).to_be_bytes());
        tcp[12] = 5 << 4;
        tcp[13] = 0x02;
        tcp[14..16].copy_from_slice(&512u16.to_be_bytes());
        w.write_all(&(sec as u32).to_le_bytes())?;
        w.write_all(&(usec as u32).to_le_bytes())?;
        w.write_all(&54u32.to_le_bytes())?;
        w.write_all(&54u32.to_le_bytes())?;
        w.write_all(&frame)?;
    }
    w.flush()
}
