//! One line per packet, in the spirit of `tcpdump -n`.
//!
//! Sequence numbers are shown relative to each connection's first, as tcpdump does: only
//! segments carrying ACK are rebased, and a SYN (re)starts the conversation's base, so the
//! handshake shows absolute numbers and the data that follows counts from 1.

use std::fmt::Write as _;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::names;
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::{tcpflag, Link, Packet};

/// Most conversations remembered for relative sequence numbers before the memory is reset.
const SEQ_TABLE_CAP: usize = 1 << 20;

/// Formats a MAC address as lowercase colon-separated hex.
pub fn mac(m: &[u8]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Appends a MAC address to `out` without allocating.
pub fn push_mac(out: &mut String, m: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(HEX.get((b >> 4) as usize).copied().unwrap_or(b'0') as char);
        out.push(HEX.get((b & 15) as usize).copied().unwrap_or(b'0') as char);
    }
}

/// Appends an unsigned integer in decimal. `write!` goes through `fmt::Formatter`, which the
/// profile of line output showed as the largest cost; itoa writes the digits directly.
pub fn push_uint(out: &mut String, v: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends an address as `Display` does (dotted quad by hand for IPv4, the hot case).
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_uint(out, o);
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// Appends `src.sport > dst.dport`, as tcpdump shows a TCP or UDP packet's endpoints.
fn push_ports(out: &mut String, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) {
    push_ip(out, src);
    out.push('.');
    push_uint(out, sport);
    out.push_str(" > ");
    push_ip(out, dst);
    out.push('.');
    push_uint(out, dport);
}

/// Appends `n` as exactly `width` digits (zero-padded; `n` must fit).
fn push_padded(out: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width.saturating_sub(1));
    while div > 0 {
        out.push((b'0' + (n / div % 10) as u8) as char);
        div /= 10;
    }
}

/// tcpdump's flag letters, in tcpdump's order: `S`, `S.`, `P.`, `F.`, `R.`, or `none`.
pub fn tcp_flags(out: &mut String, flags: u8) {
    let before = out.len();
    for (bit, c) in [
        (tcpflag::FIN, 'F'),
        (tcpflag::SYN, 'S'),
        (tcpflag::RST, 'R'),
        (tcpflag::PSH, 'P'),
        (tcpflag::ACK, '.'),
        (tcpflag::URG, 'U'),
        (tcpflag::ECE, 'E'),
        (tcpflag::CWR, 'W'),
    ] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    if out.len() == before {
        out.push_str("none");
    }
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct SeqKey {
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

/// Base sequence numbers of one conversation, by direction (lo→hi, hi→lo).
#[derive(Clone, Copy)]
struct SeqBase {
    fwd: u32,
    rev: u32,
}

/// Writes packet lines; keeps the per-conversation bases for relative sequence numbers.
pub struct LineFormatter {
    /// Print absolute sequence numbers (`-S`).
    pub absolute: bool,
    /// Print the link-layer header (`-e`).
    pub link: bool,
    seqs: FxHashMap<SeqKey, SeqBase>,
    /// The second of the last timestamp and its `HH:MM:SS.` text: the civil-time computation
    /// runs once per second of capture, not once per packet.
    clock: Option<(i64, [u8; 9])>,
}

impl LineFormatter {
    /// A formatter; `absolute` for `-S`, `link` for `-e`.
    pub fn new(absolute: bool, link: bool) -> Self {
        LineFormatter { absolute, link, seqs: FxHashMap::default(), clock: None }
    }

    /// Appends the line for `p` (without a newline) to `out`.
    pub fn format(&mut self, out: &mut String, p: &Packet<'_>) {
        if p.ts_known {
            let hms = match self.clock {
                Some((sec, text)) if sec == p.ts.sec => text,
                _ => {
                    let (_, _, _, h, mi, s) = p.ts.civil();
                    let mut t = *b"00:00:00.";
                    for (i, v) in [h, mi, s].into_iter().enumerate() {
                        if let Some(d) = t.get_mut(i * 3..i * 3 + 2) {
                            d.copy_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
                        }
                    }
                    self.clock = Some((p.ts.sec, t));
                    t
                }
            };
            out.push_str(std::str::from_utf8(&hms).unwrap_or("??:??:??."));
            push_padded(out, p.ts.nsec / 1000, 6);
            out.push(' ');
        } else {
            out.push_str("--:--:--.------ ");
        }
        if self.link {
            link_prefix(out, p);
        }
        match &p.net {
            Some(LaxNetSlice::Ipv4(_)) | Some(LaxNetSlice::Ipv6(_)) => self.ip_line(out, p),
            Some(LaxNetSlice::Arp(_)) => arp_line(out, p),
            None => other_line(out, p),
        }
        if let Some(stop) = &p.stop {
            let _ = write!(out, " [malformed: {stop}]");
        }
    }

    fn ip_line(&mut self, out: &mut String, p: &Packet<'_>) {
        let Some((src, dst)) = p.ip_addrs() else { return };
        let v6 = matches!(p.net, Some(LaxNetSlice::Ipv6(_)));
        out.push_str(if v6 { "IP6 " } else { "IP " });
        let fragment = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                (h.more_fragments() || h.fragments_offset().value() != 0)
                    .then(|| (h.identification(), h.fragments_offset().value() as u32 * 8, h.more_fragments()))
            }
            _ => None,
        };
        match &p.transport {
            Some(TransportSlice::Tcp(t)) => {
                push_ports(out, src, t.source_port(), dst, t.destination_port());
                out.push_str(": Flags [");
                let Some(info) = p.tcp() else { return };
                tcp_flags(out, info.flags);
                out.push(']');
                let (seq, ack) = self.relative(src, dst, info.sport, info.dport, info.seq, info.ack, info.flags);
                let len = info.payload_len;
                if len > 0 || info.flags & (tcpflag::SYN | tcpflag::FIN | tcpflag::RST) != 0 {
                    out.push_str(", seq ");
                    push_uint(out, seq);
                    if len > 0 {
                        out.push(':');
                        push_uint(out, seq.wrapping_add(len));
                    }
                }
                if info.flags & tcpflag::ACK != 0 {
                    out.push_str(", ack ");
                    push_uint(out, ack);
                }
                out.push_str(", win ");
                push_uint(out, info.window);
                if info.flags & tcpflag::URG != 0 {
                    let _ = write!(out, ", urg {}", t.urgent_pointer());
                }
                let opts = t.options();
                if !opts.is_empty() {
                    out.push_str(", options [");
                    for (i, o) in TcpOpts::new(opts).enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = match o {
                            TcpOpt::End => write!(out, "eol"),
                            TcpOpt::Nop => write!(out, "nop"),
                            TcpOpt::Mss(m) => write!(out, "mss {m}"),
                            TcpOpt::WindowScale(w) => write!(out, "wscale {w}"),
                            TcpOpt::SackPermitted => write!(out, "sackOK"),
                            TcpOpt::Sack(n) => write!(out, "sack {n}"),
                            TcpOpt::Timestamps(v, e) => write!(out, "TS val {v} ecr {e}"),
                            TcpOpt::Unknown(k, l) => write!(out, "opt-{k}:len {l}"),
                            TcpOpt::Bad => write!(out, "bad opts"),
                        };
                    }
                    out.push(']');
                }
                out.push_str(", length ");
                push_uint(out, len);
                http_first_line(out, info.sport, info.dport, t.payload());
            }
            Some(TransportSlice::Udp(u)) => {
                push_ports(out, src, u.source_port(), dst, u.destination_port());
                out.push_str(": UDP, length ");
                push_uint(out, u.length().saturating_sub(8));
            }
            Some(TransportSlice::Icmpv4(i)) => {
                let _ = write!(out, "{src} > {dst}: ICMP ");
                let (t, c) = (i.type_u8(), i.code_u8());
                let rest = i.bytes5to8();
                match t {
                    0 | 8 => {
                        let _ = write!(
                            out,
                            "{}, id {}, seq {}",
                            names::icmp(t, c),
                            u16::from_be_bytes([rest[0], rest[1]]),
                            u16::from_be_bytes([rest[2], rest[3]])
                        );
                    }
                    3 => unreachable_detail(out, c, i.payload()),
                    _ => out.push_str(names::icmp(t, c)),
                }
                let _ = write!(out, ", length {}", i.slice().len());
            }
            Some(TransportSlice::Icmpv6(i)) => {
                let _ = write!(out, "{src} > {dst}: ICMP6, {}, length {}", names::icmpv6(i.type_u8(), i.code_u8()), i.slice().len());
            }
            Some(TransportSlice::Igmp(_)) => {
                let _ = write!(out, "{src} > {dst}: IGMP, length {}", p.ip_len());
            }
            None => {
                let proto = p.net.as_ref().and_then(|n| n.ip_payload_ref()).map(|pl| pl.ip_number.0).unwrap_or(0);
                let _ = write!(out, "{src} > {dst}: ");
                if let Some((id, off, mf)) = fragment {
                    let _ = write!(out, "fragment id {id}, offset {off}{}, ", if mf { ", more" } else { "" });
                }
                match names::ip_proto(proto) {
                    Some(n) => {
                        let _ = write!(out, "{n}, length {}", p.ip_len());
                    }
                    None => {
                        let _ = write!(out, "ip-proto-{proto} {}", p.ip_len());
                    }
                }
            }
        }
    }

    /// tcpdump's relative numbering: only ACK segments are rebased; a SYN restarts the base.
    #[allow(clippy::too_many_arguments)]
    fn relative(&mut self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16, seq: u32, ack: u32, flags: u8) -> (u32, u32) {
        if self.absolute || flags & tcpflag::ACK == 0 {
            return (seq, ack);
        }
        let a = (src, sport);
        let b = (dst, dport);
        let rev = a > b;
        let key = if rev { SeqKey { lo: b, hi: a } } else { SeqKey { lo: a, hi: b } };
        match self.seqs.get(&key) {
            Some(base) if flags & tcpflag::SYN == 0 => {
                if rev {
                    (seq.wrapping_sub(base.rev), ack.wrapping_sub(base.fwd))
                } else {
                    (seq.wrapping_sub(base.fwd), ack.wrapping_sub(base.rev))
                }
            }
            _ => {
                if self.seqs.len() >= SEQ_TABLE_CAP {
                    self.seqs.clear();
                }
                let base = if rev {
                    SeqBase { rev: seq, fwd: ack.wrapping_sub(1) }
                } else {
                    SeqBase { fwd: seq, rev: ack.wrapping_sub(1) }
                };
                self.seqs.insert(key, base);
                (seq, ack)
            }
        }
    }
}

/// HTTP ports on which, like tcpdump, the first line of a request or response is shown.
const HTTP_PORTS: [u16; 4] = [80, 3128, 8000, 8080];

/// Appends `: HTTP: GET / HTTP/1.1` when the segment starts an HTTP request or response, and
/// `: HTTP` for other data on an HTTP port.
fn http_first_line(out: &mut String, sport: u16, dport: u16, payload: &[u8]) {
    if !HTTP_PORTS.contains(&sport) && !HTTP_PORTS.contains(&dport) {
        return;
    }
    const STARTS: [&[u8]; 10] =
        [b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"TRACE ", b"HTTP/"];
    if payload.is_empty() {
        return;
    }
    if !STARTS.iter().any(|s| payload.starts_with(s)) {
        // Continuation data: tcpdump names the protocol without a first line.
        out.push_str(": HTTP");
        return;
    }
    let line = payload.split(|b| *b == b'\r' || *b == b'\n').next().unwrap_or(&[]);
    out.push_str(": HTTP: ");
    for b in line.iter().take(200) {
        out.push(if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' });
    }
}

/// "10.0.0.2 udp port 9999 unreachable", read from the datagram quoted in the ICMP error.
fn unreachable_detail(out: &mut String, code: u8, quoted: &[u8]) {
    if code == 3 {
        if let Ok((ip, _)) = etherparse::LaxIpv4Slice::from_slice(quoted) {
            let h = ip.header();
            let proto = h.protocol().0;
            let body = ip.payload().payload;
            if let (Some(p), Some(hi), Some(lo)) =
                (if proto == 17 { Some("udp") } else if proto == 6 { Some("tcp") } else { None }, body.get(2), body.get(3))
            {
                let _ = write!(out, "{} {p} port {} unreachable", h.destination_addr(), u16::from_be_bytes([*hi, *lo]));
                return;
            }
        }
    }
    out.push_str(names::icmp(3, code));
}

fn arp_line(out: &mut String, p: &Packet<'_>) {
    let Some(a) = p.arp() else {
        out.push_str("ARP, non-Ethernet/IPv4 addresses");
        return;
    };
    match a.op {
        1 => {
            let _ = write!(out, "ARP, Request who-has {}", a.target_ip);
            if a.target_mac != [0; 6] {
                out.push_str(" (");
                push_mac(out, &a.target_mac);
                out.push(')');
            }
            let _ = write!(out, " tell {}", a.sender_ip);
        }
        2 => {
            let _ = write!(out, "ARP, Reply {} is-at ", a.sender_ip);
            push_mac(out, &a.sender_mac);
        }
        op => {
            let _ = write!(out, "ARP, {} ({op}) {} > {}", names::arp_op(op), a.sender_ip, a.target_ip);
        }
    }
    let _ = write!(out, ", length {}", p.data.len().saturating_sub(p.net_offset));
}

fn other_line(out: &mut String, p: &Packet<'_>) {
    match p.link {
        Link::Ethernet { ethertype, .. } if ethertype < 0x0600 => {
            let _ = write!(out, "802.3, length {ethertype}");
        }
        Link::Ethernet { ethertype, .. } => {
            let _ = write!(out, "ethertype {} ({ethertype:#06x}), length {}", names::ethertype(ethertype).unwrap_or("Unknown"), p.len);
        }
        Link::Sll { protocol, .. } => {
            let _ = write!(out, "Linux cooked, protocol {protocol:#06x}, length {}", p.len);
        }
        Link::Unsupported => {
            let _ = write!(out, "[link type {} ({}) not decoded], length {}", p.linktype, names::linktype(p.linktype), p.len);
        }
        _ => {
            let _ = write!(out, "length {}", p.len);
        }
    }
}

fn link_prefix(out: &mut String, p: &Packet<'_>) {
    match p.link {
        Link::Ethernet { dst, src, ethertype } => {
            push_mac(out, &src);
            out.push_str(" > ");
            push_mac(out, &dst);
            for v in p.vlans.iter().take(p.vlan_count as usize) {
                let _ = write!(out, ", ethertype {} ({:#06x}), vlan {}, p {}", names::ethertype(v.tpid).unwrap_or("802.1Q"), v.tpid, v.id, v.pcp);
            }
            let _ = write!(out, ", ethertype {} ({ethertype:#06x}), length {}: ", names::ethertype(ethertype).unwrap_or("Unknown"), p.len);
        }
        Link::Sll { pkttype, addr, addr_len, protocol, version, ifindex, .. } => {
            let dir = match pkttype {
                0 => "In",
                1 => "B",
                2 => "M",
                3 => "P",
                4 => "Out",
                _ => "?",
            };
            let _ = write!(out, "{dir} ");
            if version == 2 {
                // Which interface, as tcpdump shows a cooked v2 header (`-i any`).
                let _ = write!(out, "ifindex {ifindex} ");
            }
            push_mac(out, addr.get(..addr_len as usize).unwrap_or(&[]));
            let _ = write!(out, " ethertype {} ({protocol:#06x}), length {}: ", names::ethertype(protocol).unwrap_or("Unknown"), p.len);
        }
        Link::Loopback { family } => {
            let _ = write!(out, "AF {family}, length {}: ", p.len);
        }
        Link::RawIp | Link::Unsupported => {}
    }
}
