//! Application messages from fuzz input, each carried in a frame to its protocol's port: parsed
//! on their own (every answer and name rendered; HTTP and TLS bytes through their parsers, a
//! direction's bytes in order), then as a conversation through the decoder's views and the
//! analyzers, so the application layer pairs queries with answers, DHCP messages into leases,
//! HTTP requests with responses and TLS handshakes on reassembled streams, and the reports render.
//!
//! Input: a byte that picks the view, then messages, each a kind byte, a 2-byte length and the
//! message. The kind picks the protocol and the direction ([`KINDS`]); a new application
//! protocol gets kinds there (and a parser in [`Parsers`]).

#![no_main]

use etherparse::PacketBuilder;
use inspect::cli::{self, ArpOptions, ConnArgs, FloodArgs};
use inspect::analyze::app::http::Http;
use inspect::analyze::app::tls::Tls;
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
    /// A TCP segment (ACK, PSH) of a connection opened by a handshake first, the message as its
    /// bytes: a piece of an HTTP or TLS stream. The lower port is the server's.
    Stream(u16, u16),
}

/// What the kind byte picks (modulo their number): the protocol by its port, and who sends.
const KINDS: [Carrier; 14] = [
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
    Carrier::Stream(40003, 80),
    Carrier::Stream(80, 40003),
    Carrier::Stream(40004, 443),
    Carrier::Stream(443, 40004),
];

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];
const CLIENT6: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const SERVER6: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const MAC_C: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_S: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// A TCP segment from the client (`to_server`) or the server, `seq` and `ack` its numbers.
fn segment(sp: u16, dp: u16, to_server: bool, seq: u32, ack: Option<u32>, syn: bool, payload: &[u8]) -> Vec<u8> {
    let (src, dst, ms, md) = if to_server { (CLIENT, SERVER, MAC_C, MAC_S) } else { (SERVER, CLIENT, MAC_S, MAC_C) };
    let mut b = PacketBuilder::ethernet2(ms, md).ipv4(src, dst, 64).tcp(sp, dp, seq, 65535);
    if syn {
        b = b.syn();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    if !payload.is_empty() {
        b = b.psh();
    }
    let mut out = Vec::with_capacity(payload.len() + 60);
    let _ = b.write(&mut out, payload);
    out
}

/// The frames that carry `msg` as `c` says (a stream's first message opens its connection);
/// `seq` keeps each TCP connection's directions in order.
fn frames_of(c: Carrier, msg: &[u8], seq: &mut Seqs, out: &mut Vec<Vec<u8>>) {
    if let Carrier::Stream(sp, dp) = c {
        let (client, server) = (sp.max(dp), sp.min(dp));
        let to_server = dp == server;
        let s = seq.stream(server);
        if !s.open {
            s.open = true;
            out.push(segment(client, server, true, s.next[0].wrapping_sub(1), None, true, &[]));
            out.push(segment(server, client, false, s.next[1].wrapping_sub(1), Some(s.next[0]), true, &[]));
            out.push(segment(client, server, true, s.next[0], Some(s.next[1]), false, &[]));
        }
        let (mine, theirs) = if to_server { (0, 1) } else { (1, 0) };
        out.push(segment(sp, dp, to_server, s.next[mine], Some(s.next[theirs]), false, msg));
        s.next[mine] = s.next[mine].wrapping_add(msg.len() as u32);
        return;
    }
    out.push(frame_of(c, msg, &mut seq.dns));
}

/// One TCP connection's next sequence numbers (client, server), and whether it was opened.
#[derive(Default)]
struct Stream {
    next: [u32; 2],
    open: bool,
}

/// The TCP connections' sequence numbers: DNS's, and a stream per server port.
struct Seqs {
    dns: [u32; 2],
    streams: Vec<(u16, Stream)>,
}

impl Seqs {
    fn stream(&mut self, port: u16) -> &mut Stream {
        let at = match self.streams.iter().position(|(p, _)| *p == port) {
            Some(i) => i,
            None => {
                self.streams.push((port, Stream { next: [100_001, 700_001], open: false }));
                self.streams.len() - 1
            }
        };
        &mut self.streams[at].1
    }
}

/// The HTTP and TLS parsers of the streams, fed each direction's bytes in order.
struct Parsers {
    http: Http,
    tls: Tls,
}

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
        Carrier::Stream(..) => {}
    }
    out
}

/// Each message parsed on its own, everything it holds rendered; a stream's bytes go to the
/// HTTP and TLS parsers.
fn parse_alone(c: Carrier, msg: &[u8], p: &mut Parsers) {
    match c {
        Carrier::Stream(sp, dp) => {
            let from_resp = sp < dp;
            let ts = Ts { sec: 1_700_000_000, nsec: 0 };
            if sp == 80 || dp == 80 {
                p.http.data(from_resp, msg, ts, &mut |d| drop(format!("{d:?}")));
            } else {
                p.tls.data(from_resp, msg, &mut |d| drop(format!("{d:?}")));
            }
        }
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
    let mut seq = Seqs { dns: [1000, 5000], streams: Vec::new() };
    let mut parsers = Parsers { http: Http::new(false), tls: Tls::default() };
    while rest.len() >= 3 && frames.len() < 64 {
        let c = KINDS[rest[0] as usize % KINDS.len()];
        let len = u16::from_be_bytes([rest[1], rest[2]]) as usize;
        rest = &rest[3..];
        let (msg, more) = rest.split_at(len.min(rest.len()));
        rest = more;
        parse_alone(c, msg, &mut parsers);
        frames_of(c, msg, &mut seq, &mut frames);
    }
    parsers.http.finish(&mut |d| drop(format!("{d:?}")));
    let _ = (parsers.tls.client.as_ref(), parsers.tls.server.as_ref(), parsers.tls.error(), parsers.tls.established, parsers.tls.resumed());
    drop(parsers.tls.curve().map(inspect::analyze::app::tls::curve_name));
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
