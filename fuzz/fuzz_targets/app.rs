//! Application messages from fuzz input, each carried in a frame to its protocol's port: parsed
//! on their own (every answer and name rendered), then as a conversation through the decoder's
//! views and the analyzers, so the application layer pairs queries with answers and DHCP
//! messages into leases, and the reports render.
//!
//! Input: a byte that picks the view, then messages, each a kind byte, a 2-byte length and the
//! message. The kind picks the protocol and the direction ([`KINDS`]). HTTP and TLS, read from
//! reassembled TCP streams, are to get kinds of their own here when they land.

#![no_main]

use etherparse::PacketBuilder;
use inspect::cli::{self, ArpOptions, ConnArgs, FloodArgs};
use inspect::decode::app::{dhcp, dns};
use inspect::output::{Format, ViewOptions};
use inspect::pipeline::session::Session;
use inspect::pipeline::Stages;
use inspect::source::{Frame, Ts};
use libfuzzer_sys::fuzz_target;

/// How a message travels.
#[derive(Clone, Copy)]
enum Carrier {
    /// A UDP datagram over IPv4 from port to port.
    Udp4(u16, u16),
    /// A UDP datagram over IPv6.
    Udp6(u16, u16),
    /// A TCP segment (ACK, PSH) with the message after its 2-byte length, as DNS over TCP.
    Tcp(u16, u16),
}

/// What the kind byte picks (modulo their number): the protocol by its port, and who sends.
const KINDS: [Carrier; 10] = [
    Carrier::Udp4(40000, 53),
    Carrier::Udp4(53, 40000),
    Carrier::Udp4(5353, 5353),
    Carrier::Udp4(40001, 5355),
    Carrier::Tcp(40002, 53),
    Carrier::Tcp(53, 40002),
    Carrier::Udp4(68, 67),
    Carrier::Udp4(67, 68),
    Carrier::Udp6(546, 547),
    Carrier::Udp6(547, 546),
];

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];
const CLIENT6: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const SERVER6: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const MAC_C: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_S: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// The frame that carries `msg` as `c` says; `seq` keeps a TCP direction's bytes in order.
fn frame_of(c: Carrier, msg: &[u8], seq: &mut [u32; 2]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 80);
    match c {
        Carrier::Udp4(sp, dp) => {
            let (src, dst, ms, md) = if sp < dp { (SERVER, CLIENT, MAC_S, MAC_C) } else { (CLIENT, SERVER, MAC_C, MAC_S) };
            let b = PacketBuilder::ethernet2(ms, md).ipv4(src, dst, 64).udp(sp, dp);
            let _ = b.write(&mut out, msg);
        }
        Carrier::Udp6(sp, dp) => {
            let (src, dst, ms, md) = if sp == 547 { (SERVER6, CLIENT6, MAC_S, MAC_C) } else { (CLIENT6, SERVER6, MAC_C, MAC_S) };
            let b = PacketBuilder::ethernet2(ms, md).ipv6(src, dst, 64).udp(sp, dp);
            let _ = b.write(&mut out, msg);
        }
        Carrier::Tcp(sp, dp) => {
            let to_server = dp == 53;
            let (src, dst, ms, md) = if to_server { (CLIENT, SERVER, MAC_C, MAC_S) } else { (SERVER, CLIENT, MAC_S, MAC_C) };
            let (mine, theirs) = if to_server { (0, 1) } else { (1, 0) };
            let mut payload = Vec::with_capacity(msg.len() + 2);
            payload.extend_from_slice(&(msg.len().min(65535) as u16).to_be_bytes());
            payload.extend_from_slice(msg);
            let b = PacketBuilder::ethernet2(ms, md).ipv4(src, dst, 64).tcp(sp, dp, seq[mine], 65535).ack(seq[theirs]).psh();
            let _ = b.write(&mut out, &payload);
            seq[mine] = seq[mine].wrapping_add(payload.len() as u32);
        }
    }
    out
}

/// Each message parsed on its own, everything it holds rendered.
fn parse_alone(c: Carrier, msg: &[u8]) {
    match c {
        Carrier::Udp6(..) => {
            let _ = dhcp::parse_v6(msg).map(|m| format!("{m:?}"));
        }
        Carrier::Udp4(67 | 68, _) => {
            let _ = dhcp::parse(msg).map(|m| format!("{m:?}"));
        }
        _ => {
            let h = dns::Header::of(msg);
            if let Ok(m) = dns::parse(msg) {
                for q in m.queries() {
                    let _ = dns::name_text(q.name());
                    let _ = dns::type_name(u16::from(q.query_type()));
                }
                for r in m.answers().iter().chain(m.name_servers()).chain(m.additionals()) {
                    let _ = dns::name_text(r.name());
                    let _ = dns::answer_text(r);
                }
                if let Some(h) = h {
                    let _ = dns::rcode_name(dns::rcode(&h, Some(&m)));
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else { return };
    let mut frames = Vec::new();
    let mut seq = [1000u32, 5000u32];
    while rest.len() >= 3 && frames.len() < 64 {
        let c = KINDS[rest[0] as usize % KINDS.len()];
        let len = u16::from_be_bytes([rest[1], rest[2]]) as usize;
        rest = &rest[3..];
        let (msg, more) = rest.split_at(len.min(rest.len()));
        rest = more;
        parse_alone(c, msg);
        frames.push(frame_of(c, msg, &mut seq));
    }
    let view = ViewOptions {
        format: if mode & 1 == 0 { Format::Text } else { Format::Json },
        verbose: mode & 2 != 0,
        quiet: mode & 4 != 0,
        ..ViewOptions::default()
    };
    let mut conn: ConnArgs = cli::defaults();
    conn.max_conns = 1 + (mode as u64 >> 4);
    let flood: FloodArgs = cli::defaults();
    let arp: ArpOptions = cli::defaults();
    let cfg = inspect::config::analysis(&conn, &flood, &arp, &view, 1);
    let mut out = Vec::new();
    let mut session = Session::new(&mut out, view, Stages::new(&cfg, 1));
    for (n, bytes) in frames.iter().enumerate() {
        let ts = Ts { sec: 1_700_000_000 + (n as i64 >> 2), nsec: (n as u32 & 3) * 250_000_000 };
        let f = Frame { number: n as u64 + 1, ts, linktype: 1, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
        session.frame(&f).expect("writing to memory");
    }
    session.finish(&[]).expect("writing to memory");
});
