//! One line per packet, in the spirit of `tcpdump -n`.
//!
//! Sequence numbers are shown relative to each connection's first, as tcpdump does: only
//! segments carrying ACK are rebased, and a SYN (re)starts the conversation's base, so the
//! handshake shows absolute numbers and the data that follows counts from 1.

use std::fmt::Write as _;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::bytes::be32;
use crate::decode::names;
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::encap::Kind;
use crate::decode::wlan::{self, names as wlan_names, Mac, Radio, Radiotap, Wlan};
use crate::decode::{tcpflag, Link, Packet};
use crate::output::{Stamp, ViewOptions};
use crate::source::Ts;

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
    /// tcpdump's -v level.
    detail: u8,
    /// How time stamps are written.
    stamp: Stamp,
    /// Local time instead of UTC.
    local: bool,
    /// The time of the previous and of the first packet written (`-ttt`, `-ttttt`).
    prev: Option<Ts>,
    first: Option<Ts>,
    seqs: FxHashMap<SeqKey, SeqBase>,
    /// The second of the last timestamp and its `HH:MM:SS.` text: the civil-time computation
    /// runs once per second of capture, not once per packet.
    clock: Option<(i64, [u8; 9])>,
    /// With `-#`, the lines written so far: tcpdump numbers the packets it prints, not the
    /// frames of the file.
    shown: Option<u64>,
}

impl LineFormatter {
    /// A formatter; `absolute` for `-S`, `link` for `-e`.
    pub fn new(absolute: bool, link: bool) -> Self {
        LineFormatter { absolute, link, detail: 0, stamp: Stamp::Clock, local: false, prev: None, first: None, seqs: FxHashMap::default(), clock: None, shown: None }
    }

    /// A formatter for the view `v`.
    pub fn with(v: &ViewOptions) -> Self {
        LineFormatter {
            detail: v.detail,
            stamp: v.stamp,
            local: v.local_time,
            shown: v.number.then_some(0),
            ..LineFormatter::new(v.absolute, v.link)
        }
    }

    /// Seconds to add to UTC for the zone times are shown in, at `sec`.
    fn offset(&self, sec: i64) -> i64 {
        if !self.local {
            return 0;
        }
        use chrono::{Offset, TimeZone};
        chrono::Local.timestamp_opt(sec, 0).single().map_or(0, |d| i64::from(d.offset().fix().local_minus_utc()))
    }

    /// The time stamp of a packet at `ts` and its space, as the options say.
    fn stamp(&mut self, out: &mut String, ts: Ts, known: bool) {
        if self.stamp == Stamp::Off {
            return;
        }
        if !known {
            out.push_str("--:--:--.------ ");
            return;
        }
        let since = |from: Option<Ts>| {
            let d = ts.as_nanos() - from.unwrap_or(ts).as_nanos();
            let (sign, d) = if d < 0 { ('-', -d) } else { (' ', d) };
            let (s, us) = ((d / 1_000_000_000) as u64, (d % 1_000_000_000 / 1000) as u32);
            format!("{sign}{:02}:{:02}:{:02}.{us:06} ", s / 3600, s / 60 % 60, s % 60)
        };
        match self.stamp {
            Stamp::Clock => self.clock(out, ts),
            Stamp::Epoch => {
                let _ = write!(out, "{}.{:06} ", ts.sec, ts.nsec / 1000);
            }
            Stamp::Delta => out.push_str(&since(self.prev)),
            Stamp::SinceFirst => out.push_str(&since(self.first)),
            Stamp::Date => {
                let local = Ts { sec: ts.sec.saturating_add(self.offset(ts.sec)), ..ts };
                let (y, mo, d, ..) = local.civil();
                let _ = write!(out, "{y:04}-{mo:02}-{d:02} ");
                self.clock(out, ts);
            }
            Stamp::Off => {}
        }
        self.prev = Some(ts);
        self.first.get_or_insert(ts);
    }

    /// `HH:MM:SS.uuuuuu `, the clock text made once per second of capture.
    fn clock(&mut self, out: &mut String, ts: Ts) {
        let hms = match self.clock {
            Some((sec, text)) if sec == ts.sec => text,
            _ => {
                let local = Ts { sec: ts.sec.saturating_add(self.offset(ts.sec)), ..ts };
                let (_, _, _, h, mi, s) = local.civil();
                let mut t = *b"00:00:00.";
                for (i, v) in [h, mi, s].into_iter().enumerate() {
                    if let Some(d) = t.get_mut(i * 3..i * 3 + 2) {
                        d.copy_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
                    }
                }
                self.clock = Some((ts.sec, t));
                t
            }
        };
        out.push_str(std::str::from_utf8(&hms).unwrap_or("??:??:??."));
        push_padded(out, ts.nsec / 1000, 6);
        out.push(' ');
    }

    /// Appends the line for `p` (without a newline) to `out`.
    pub fn format(&mut self, out: &mut String, p: &Packet<'_>) {
        if let Some(n) = self.shown.as_mut() {
            *n += 1;
            // tcpdump's `%5u  `.
            let _ = write!(out, "{n:>5}  ");
        }
        self.stamp(out, p.ts, p.ts_known);
        if let Link::Wlan(w) = p.link {
            // tcpdump prints the radio header's fields with or without -e.
            if w.radio == Radio::Radiotap {
                radiotap_prefix(out, p.data);
            }
        }
        if self.link {
            link_prefix(out, p);
        }
        if p.encaps.is_empty() {
            self.net_line(out, p);
        } else {
            self.encap_line(out, p);
        }
        if let Some(stop) = &p.stop {
            let _ = write!(out, " [malformed: {stop}]");
        }
    }

    /// The network layer and what it carries.
    fn net_line(&mut self, out: &mut String, p: &Packet<'_>) {
        match &p.net {
            Some(LaxNetSlice::Ipv4(_)) | Some(LaxNetSlice::Ipv6(_)) => self.ip_line(out, p),
            Some(LaxNetSlice::Arp(_)) => arp_line(out, p, self.link && names_protocol(&p.link), self.detail),
            // With -e the NFLOG header, already printed, is all there is.
            None if self.link && matches!(p.link, Link::Nflog { .. }) => {}
            None => other_line(out, p),
        }
    }

    /// A frame with shims or tunnels: each header as tcpdump prints it, outermost first, then
    /// the innermost packet (or what is left when it is not one inspect reads).
    fn encap_line(&mut self, out: &mut String, p: &Packet<'_>) {
        let list = p.encaps.as_slice();
        let data = p.data;
        // Where the current packet ends by its length fields: GRE's "length" is what is left.
        let mut end = p.len as usize;
        let mut i = 0;
        while let Some(e) = list.get(i) {
            let b = e.rest(data);
            match e.kind {
                Kind::Ipv4 | Kind::Ipv6 => {
                    let (src, dst, total): (IpAddr, IpAddr, usize) = match e.kind {
                        Kind::Ipv4 => match etherparse::Ipv4HeaderSlice::from_slice(b) {
                            Ok(h) => (h.source_addr().into(), h.destination_addr().into(), h.total_len() as usize),
                            Err(_) => return,
                        },
                        _ => match etherparse::Ipv6HeaderSlice::from_slice(b) {
                            Ok(h) => (h.source_addr().into(), h.destination_addr().into(), 40 + h.payload_length() as usize),
                            Err(_) => return,
                        },
                    };
                    end = end.min(e.offset as usize + total);
                    out.push_str(if e.kind == Kind::Ipv4 { "IP " } else { "IP6 " });
                    if self.detail > 0 {
                        if e.kind == Kind::Ipv4 {
                            if let Ok(h) = etherparse::Ipv4HeaderSlice::from_slice(b) {
                                ip4_detail(out, &h);
                            }
                        } else if let Ok(h) = etherparse::Ipv6HeaderSlice::from_slice(b) {
                            ip6_detail(out, &h);
                        }
                    }
                    match list.get(i + 1) {
                        Some(u) if u.kind == Kind::Udp => {
                            let ub = u.bytes(data);
                            let port = |at: usize| ub.get(at..at + 2).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                            push_ports(out, src, port(0), dst, port(2));
                            out.push_str(": ");
                            i += 1;
                        }
                        _ => {
                            push_ip(out, src);
                            out.push_str(" > ");
                            push_ip(out, dst);
                            out.push_str(": ");
                        }
                    }
                }
                Kind::Udp => {}
                Kind::Gre => {
                    let h = e.bytes(data);
                    gre_text(out, h, end.saturating_sub(e.offset as usize), self.detail);
                    let flags = h.get(..2).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    let proto = h.get(2..4).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    if proto == 0x88be && flags & 0x1000 == 0 {
                        out.push_str("ERSPAN type I: ");
                    }
                }
                Kind::Ppp => {
                    let proto = ppp_protocol(e.bytes(data));
                    if proto != 0x0021 && proto != 0x0057 {
                        // tcpdump's length counts from the protocol field.
                        let skip = if e.bytes(data).starts_with(&[0xff, 0x03]) { 2 } else { 0 };
                        let length = end.saturating_sub(e.offset as usize + skip);
                        ppp_control(out, proto, data.get((e.offset + e.len) as usize..).unwrap_or(&[]), length);
                        return;
                    }
                }
                Kind::Erspan => {
                    let h = e.bytes(data);
                    let version = h.first().map_or(0, |v| v >> 4);
                    let session = h.get(2..4).map_or(0, |x| u16::from_be_bytes([x[0] & 0x03, x[1]]));
                    let _ = write!(out, "ERSPAN type {}, session {session}: ", if version == 2 { "III" } else { "II" });
                }
                Kind::Vxlan => {
                    let h = e.bytes(data);
                    let flags = h.first().copied().unwrap_or(0);
                    let vni = h.get(4..7).map_or(0, |x| u32::from_be_bytes([0, x[0], x[1], x[2]]));
                    let _ = writeln!(out, "VXLAN, flags [{}] ({flags:#04x}), vni {vni}", if flags & 0x08 != 0 { "I" } else { "." });
                }
                Kind::Geneve => {
                    let h = e.bytes(data);
                    let flags = h.get(1).copied().unwrap_or(0);
                    let vni = h.get(4..7).map_or(0, |x| u32::from_be_bytes([0, x[0], x[1], x[2]]));
                    let mut f = String::new();
                    if flags & 0x80 != 0 {
                        f.push('O');
                    }
                    if flags & 0x40 != 0 {
                        f.push('C');
                    }
                    let _ = write!(out, "Geneve, Flags [{}], vni {vni:#x}", if f.is_empty() { "none" } else { &f });
                    let opts = (e.len as usize).saturating_sub(8);
                    if opts > 0 {
                        let _ = write!(out, ", options [{opts} bytes]");
                    }
                    out.push_str(if self.detail > 0 { "\n\t" } else { ": " });
                }
                Kind::Gtpu => {
                    let h = e.bytes(data);
                    let teid = h.get(4..8).map_or(0, |x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
                    let len = h.get(2..4).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    let _ = write!(out, "GTPv1-U (teid {teid}, len {len}) ");
                }
                Kind::Teredo => out.push_str("Teredo: "),
                Kind::Ayiya => out.push_str("AYIYA: "),
                Kind::Mpls => {
                    let h = e.bytes(data);
                    let v = h.get(..4).map_or(0, |x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
                    let first = i == 0 || list.get(i - 1).is_none_or(|x| x.kind != Kind::Mpls);
                    out.push_str(match (first, self.detail > 0) {
                        (true, _) => "MPLS (label ",
                        (false, false) => " (label ",
                        (false, true) => "\n\t(label ",
                    });
                    let _ = write!(out, "{}, tc {}", v >> 12, (v >> 9) & 7);
                    if v & 0x100 != 0 {
                        out.push_str(", [S]");
                    }
                    let _ = write!(out, ", ttl {})", v & 0xff);
                    if v & 0x100 != 0 {
                        out.push_str(if self.detail > 0 { "\n\t" } else { " " });
                    }
                }
                Kind::Pppoe => {
                    let h = e.bytes(data);
                    let ses = h.get(2..4).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    let len = h.get(4..6).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    end = end.min(e.offset as usize + 6 + len as usize);
                    let _ = write!(out, "PPPoE  [ses {ses:#x}] ");
                }
                Kind::VnTag => {
                    let h = e.bytes(data);
                    let v = h.get(..4).map_or(0, |x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
                    let _ = write!(out, "VN-Tag, dvif {}, svif {}: ", (v >> 16) & 0x3fff, v & 0xfff);
                }
                Kind::FabricPath => {
                    let h = e.bytes(data);
                    let v = h.get(..2).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
                    let _ = write!(out, "FabricPath, ftag {}, ttl {}: ", v >> 6, v & 0x3f);
                }
                Kind::Ethernet => {
                    let h = e.bytes(data);
                    if self.link {
                        if let (Some(d), Some(s)) = (h.get(0..6), h.get(6..12)) {
                            push_mac(out, s);
                            out.push_str(" > ");
                            push_mac(out, d);
                            let et = e.ethertype(data);
                            let _ = write!(out, ", ethertype {} ({et:#06x}), length {}: ", names::ethertype(et).unwrap_or("Unknown"), end.saturating_sub(e.offset as usize));
                        }
                    }
                }
                Kind::Wlan => {
                    if self.link {
                        let h = e.bytes(data);
                        mac_prefix(out, h, e.ethertype(data), end.saturating_sub((e.offset + e.len) as usize));
                    }
                }
                Kind::Vlan => {}
            }
            i += 1;
        }
        // The innermost packet, when it was read.
        let last_end = list.last().map_or(0, |e| (e.offset + e.len) as usize);
        if p.net.is_some() && p.net_offset >= last_end {
            self.net_line(out, p);
            return;
        }
        match list.last().map(|e| e.kind) {
            Some(Kind::Ethernet) | Some(Kind::Vlan) | Some(Kind::Wlan) => {
                let et = list.last().map_or(0, |e| e.ethertype(data));
                let _ = write!(out, "ethertype {} ({et:#06x}), length {}", names::ethertype(et).unwrap_or("Unknown"), end.saturating_sub(last_end));
            }
            Some(Kind::Gre) => {
                let proto = list.last().map_or(0, |e| e.bytes(data).get(2..4).map_or(0, |x| u16::from_be_bytes([x[0], x[1]])));
                let _ = write!(out, "gre-proto-{proto:#x}");
            }
            _ => {
                let _ = write!(out, "length {}", end.saturating_sub(last_end));
            }
        }
    }

    fn ip_line(&mut self, out: &mut String, p: &Packet<'_>) {
        if p.transport.is_none() {
            if let Some(done) = self.fragment_line(out, p) {
                return done;
            }
        }
        let Some((src, dst)) = p.ip_addrs() else { return };
        let v6 = matches!(p.net, Some(LaxNetSlice::Ipv6(_)));
        // After an Ethernet header (-e) the EtherType has named the protocol, as in tcpdump.
        if !(self.link && names_protocol(&p.link)) {
            out.push_str(if v6 { "IP6 " } else { "IP " });
        }
        if self.detail > 0 {
            ip_detail(out, p);
        }
        // A fragment's transport checksum cannot be checked: it covers the whole datagram.
        let fragmented = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                h.more_fragments() || h.fragments_offset().value() != 0
            }
            Some(LaxNetSlice::Ipv6(_)) => crate::decode::defrag::v6_fragment(p).is_some(),
            _ => false,
        };
        match &p.transport {
            Some(TransportSlice::Tcp(t)) => {
                push_ports(out, src, t.source_port(), dst, t.destination_port());
                out.push_str(": Flags [");
                let Some(info) = p.tcp() else { return };
                tcp_flags(out, info.flags);
                out.push(']');
                if self.detail > 0 && !fragmented {
                    if let Some((field, right)) = transport_checksum(p, t.slice(), 16) {
                        let _ = write!(out, ", cksum {field:#06x} ");
                        if field == right {
                            out.push_str("(correct)");
                        } else {
                            let _ = write!(out, "(incorrect -> {right:#06x})");
                        }
                    }
                }
                let (seq, ack) = self.relative(src, dst, info.sport, info.dport, info.seq, info.ack, info.flags);
                let len = info.payload_len;
                // tcpdump -vv gives every segment's sequence number.
                if len > 0 || info.flags & (tcpflag::SYN | tcpflag::FIN | tcpflag::RST) != 0 || self.detail > 1 {
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
                    // SACK edges are sequence numbers of the data this segment acknowledges,
                    // shown relative to the same start as its ack.
                    let ack_base = info.ack.wrapping_sub(ack);
                    let mut all = TcpOpts::new(opts);
                    let mut i = 0;
                    while let Some(o) = all.next() {
                        if i > 0 {
                            out.push(',');
                        }
                        i += 1;
                        let _ = match o {
                            TcpOpt::End => write!(out, "eol"),
                            TcpOpt::Nop => write!(out, "nop"),
                            TcpOpt::Mss(m) => write!(out, "mss {m}"),
                            TcpOpt::WindowScale(w) => write!(out, "wscale {w}"),
                            TcpOpt::SackPermitted => write!(out, "sackOK"),
                            TcpOpt::Sack(n) => {
                                let _ = write!(out, "sack {n} ");
                                for (l, r) in all.sack_blocks() {
                                    let _ = write!(out, "{{{}:{}}}", l.wrapping_sub(ack_base), r.wrapping_sub(ack_base));
                                }
                                Ok(())
                            }
                            TcpOpt::Timestamps(v, e) => write!(out, "TS val {v} ecr {e}"),
                            TcpOpt::Unknown(k, l) => write!(out, "opt-{k}:len {l}"),
                            TcpOpt::Bad => write!(out, "bad opts"),
                        };
                    }
                    out.push(']');
                }
                out.push_str(", length ");
                push_uint(out, len);
                if self.detail > 0 {
                    http_lines(out, info.sport, info.dport, t.payload());
                } else {
                    http_first_line(out, info.sport, info.dport, t.payload());
                }
                if len > 0 && (info.sport == 53 || info.dport == 53) {
                    dns_over_tcp(out, t.payload(), len as usize, self.detail > 0);
                }
            }
            Some(TransportSlice::Udp(u)) => {
                push_ports(out, src, u.source_port(), dst, u.destination_port());
                out.push_str(": ");
                if self.detail > 1 && !fragmented && u.checksum() == 0 && !v6 {
                    out.push_str("[no cksum] ");
                }
                // tcpdump checks an IPv6 datagram's sum from -v on, an IPv4 one's from -vv.
                if self.detail > u8::from(!v6) && !fragmented && u.checksum() != 0 {
                    if let Some((field, right)) = transport_checksum(p, u.slice(), 6) {
                        if field != right {
                            let _ = write!(out, "[bad udp cksum {field:#06x} -> {right:#06x}!] ");
                        } else {
                            out.push_str("[udp sum ok] ");
                        }
                    }
                }
                let len = u.length().saturating_sub(8) as usize;
                if !crate::output::app::udp_line(out, u.source_port(), u.destination_port(), u.payload(), len, self.detail) {
                    out.push_str("UDP, length ");
                    push_uint(out, len);
                }
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
                    // RFC 8335's probe: a 16-bit identifier and an 8-bit sequence number.
                    42 | 43 => {
                        let _ = write!(out, "{}, id {}, seq {}", names::icmp(t, c), u16::from_be_bytes([rest[0], rest[1]]), rest[2]);
                    }
                    3 => unreachable_detail(out, c, u16::from_be_bytes([rest[2], rest[3]]), i.payload()),
                    11 if c == 0 => out.push_str("time exceeded in-transit"),
                    11 if c == 1 => out.push_str("ip reassembly time exceeded"),
                    _ => out.push_str(names::icmp(t, c)),
                }
                if self.detail > 0 && matches!(t, 3 | 4 | 5 | 11 | 12) {
                    // tcpdump -v shows the datagram the error quotes, on lines of its own.
                    let _ = write!(out, ", length {}", p.ip_payload_len());
                    let quoted = i.payload();
                    let f = crate::source::Frame { number: 0, ts: p.ts, linktype: crate::decode::linktype::RAW, len: quoted.len() as u32, data: quoted, interface: 0, ts_known: true };
                    let inner = crate::decode::decode(&f);
                    if inner.ip_addrs().is_some() {
                        out.push_str("\n\t");
                        let mut sub = LineFormatter { detail: self.detail, absolute: true, ..LineFormatter::new(true, false) };
                        sub.ip_line(out, &inner);
                    }
                    return;
                }
                let _ = write!(out, ", length {}", p.ip_payload_len());
            }
            Some(TransportSlice::Icmpv6(i)) => {
                let _ = write!(out, "{src} > {dst}: ");
                // A hop-by-hop options header (MLD's router alert) is named before the message.
                if let Some(LaxNetSlice::Ipv6(v6)) = &p.net {
                    if v6.header().next_header().0 == 0 {
                        out.push_str("HBH ");
                        if self.detail > 0 {
                            hbh_options(out, v6.extensions().slice());
                        }
                    }
                }
                if self.detail > 0 && !fragmented {
                    if let Some((field, right)) = transport_checksum(p, i.slice(), 2) {
                        if field == right {
                            out.push_str("[icmp6 sum ok] ");
                        } else {
                            let _ = write!(out, "[bad icmp6 cksum {field:#06x} -> {right:#06x}!] ");
                        }
                    }
                }
                out.push_str("ICMP6, ");
                let len = i.slice().len();
                icmp6_text(out, i.type_u8(), i.code_u8(), i.bytes5to8(), i.payload(), (self.detail > 0).then_some(len), self.detail > 1);
                // tcpdump -v gives the length of neighbour discovery in its text, none of the others'.
                if self.detail == 0 {
                    let _ = write!(out, ", length {len}");
                }
            }
            Some(TransportSlice::Igmp(_)) => {
                let _ = write!(out, "{src} > {dst}: ");
                let msg = p.net.as_ref().and_then(|n| n.ip_payload_ref()).map_or(&[][..], |pl| pl.payload);
                super::igmp::text(out, msg, p.ip_payload_len(), self.detail);
            }
            None => {
                let proto = p.net.as_ref().and_then(|n| n.ip_payload_ref()).map(|pl| pl.ip_number.0).unwrap_or(0);
                let _ = write!(out, "{src} > {dst}: ");
                let payload = p.net.as_ref().and_then(|n| n.ip_payload_ref()).map_or(&[][..], |pl| pl.payload);
                if proto == 47 && payload.len() >= 4 {
                    // A GRE packet whose payload is not followed: tcpdump's header and protocol.
                    let length = p.ip_payload_len();
                    gre_text(out, payload, length, self.detail);
                    let _ = write!(out, "gre-proto-{:#x}", u16::from_be_bytes([payload[2], payload[3]]));
                    return;
                }
                if proto == 2 {
                    // An IGMP message too short for the decoder's view.
                    super::igmp::text(out, payload, p.ip_payload_len(), self.detail);
                    return;
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

    /// A fragment as tcpdump prints it: the first one with the transport header it carries, the
    /// others as `ip-proto-17` (IPv4) or `frag (offset|length)` (IPv6, which prefixes the first
    /// one's too). None for a packet that is no fragment.
    fn fragment_line(&mut self, out: &mut String, p: &Packet<'_>) -> Option<()> {
        let (offset, proto, payload, v6_frag) = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                if !h.more_fragments() && h.fragments_offset().value() == 0 {
                    return None;
                }
                (h.fragments_offset().value() as u32 * 8, h.protocol().0, v4.payload().payload, None)
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let (offset, _, id) = crate::decode::defrag::v6_fragment(p)?;
                let pl = v6.payload();
                (offset, pl.ip_number.0, pl.payload, Some((offset, pl.payload.len(), id)))
            }
            _ => return None,
        };
        let (src, dst) = p.ip_addrs()?;
        let first = if offset == 0 {
            match proto {
                6 => etherparse::TcpSlice::from_slice(payload).ok().map(TransportSlice::Tcp),
                17 => etherparse::UdpSlice::from_slice_lax(payload).ok().map(TransportSlice::Udp),
                1 => etherparse::Icmpv4Slice::from_slice(payload).ok().map(TransportSlice::Icmpv4),
                58 => etherparse::Icmpv6Slice::from_slice(payload).ok().map(TransportSlice::Icmpv6),
                _ => None,
            }
        } else {
            None
        };
        let mut line = String::new();
        match first {
            Some(t) => {
                let mut q = p.clone();
                q.transport = Some(t);
                self.ip_line(&mut line, &q);
            }
            None => {
                line.push_str(if v6_frag.is_some() { "IP6 " } else { "IP " });
                if self.detail > 0 {
                    ip_detail(&mut line, p);
                }
                let _ = write!(line, "{src} > {dst}: ");
                if v6_frag.is_none() {
                    let _ = write!(line, "ip-proto-{proto}");
                }
            }
        }
        if let Some((offset, len, id)) = v6_frag {
            // tcpdump's IPv6 fragment header (with -v its identification), before what the
            // fragment carries: after the addresses, past -v's header detail.
            let after = line.find(" > ").map_or(0, |i| i + 3);
            let at = line.get(after..).and_then(|rest| rest.find(": ")).map_or(line.len(), |i| after + i + 2);
            let tag = if self.detail > 0 { format!("frag ({id:#010x}:{offset}|{len})") } else { format!("frag ({offset}|{len})") };
            if at >= line.len() {
                line.push_str(&tag);
            } else {
                line.insert_str(at, &format!("{tag} "));
            }
        }
        out.push_str(&line);
        Some(())
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

/// tcpdump -v's IP header detail, after `IP ` or `IP6 `: `(tos 0x0, ttl 64, id 1, offset 0,
/// flags [DF], proto TCP (6), length 60)` and a new indented line for IPv4, `(hlim 64,
/// next-header TCP (6) payload length: 40) ` for IPv6.
fn ip_detail(out: &mut String, p: &Packet<'_>) {
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => ip4_detail(out, &v4.header()),
        Some(LaxNetSlice::Ipv6(v6)) => ip6_detail(out, &v6.header()),
        _ => {}
    }
}

/// An IP protocol's name and number as tcpdump -v prints them (`proto TCP (6)`, `next-header
/// ICMPv6 (58)`).
fn proto_name(n: u8) -> String {
    let name = match n {
        0 => "Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        33 => "DCCP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Fragment",
        46 => "RSVP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        113 => "PGM",
        132 => "SCTP",
        135 => "Mobility",
        _ => "unknown",
    };
    format!("{name} ({n})")
}

/// tcpdump -v's options of a hop-by-hop header (the first extension header in `exts`):
/// `(rtalert: 0x0000) (padn) `.
fn hbh_options(out: &mut String, exts: &[u8]) {
    let len = exts.get(1).map_or(0, |&l| (l as usize + 1) * 8);
    let mut opts = exts.get(2..len).unwrap_or_default();
    while let Some((&t, rest)) = opts.split_first() {
        if t == 0 {
            out.push_str("(pad1) ");
            opts = rest;
            continue;
        }
        let Some((&l, rest)) = rest.split_first() else { break };
        let Some(v) = rest.get(..l as usize) else { break };
        match (t, v) {
            (1, _) => out.push_str("(padn) "),
            (5, [a, b]) => {
                let _ = write!(out, "(rtalert: {:#06x}) ", u16::from_be_bytes([*a, *b]));
            }
            _ => {
                let _ = write!(out, "(opt_type {t:#04x}: len={l}) ");
            }
        }
        opts = rest.get(l as usize..).unwrap_or_default();
    }
}

/// tcpdump's text of an ICMPv6 message: its type, then what the message is about (the
/// destination of the packet an error quotes, the path MTU, the address neighbour discovery
/// asks for or announces, the number of MLDv2 records).
/// With `verbose` (tcpdump -v, holding the message's length), neighbour discovery shows its
/// length, flags and options, and MLDv2 its records; `vv` (-vv) lists MLDv2's sources.
fn icmp6_text(out: &mut String, t: u8, code: u8, rest: [u8; 4], body: &[u8], verbose: Option<usize>, vv: bool) {
    // The quoted packet's IPv6 header: its next header and destination, and the destination
    // port after it.
    let quoted_dst = body.get(24..40).and_then(|b| <[u8; 16]>::try_from(b).ok()).map(std::net::Ipv6Addr::from);
    let ip6_at = |at: usize| body.get(at..at + 16).and_then(|b| <[u8; 16]>::try_from(b).ok()).map(std::net::Ipv6Addr::from);
    let id_seq = |out: &mut String| {
        let _ = write!(out, ", id {}, seq {}", u16::from_be_bytes([rest[0], rest[1]]), u16::from_be_bytes([rest[2], rest[3]]));
    };
    match (t, code, quoted_dst) {
        (1, 0, Some(d)) => {
            let _ = write!(out, "destination unreachable, unreachable route {d}");
        }
        (1, 3, Some(d)) => {
            let _ = write!(out, "destination unreachable, unreachable address {d}");
        }
        (1, 4, Some(d)) => {
            let proto = match body.get(6) {
                Some(6) => "tcp",
                Some(17) => "udp",
                _ => "",
            };
            match (proto, body.get(42..44)) {
                ("", _) | (_, None) => {
                    let _ = write!(out, "destination unreachable, unreachable port, {d}");
                }
                (proto, Some(p)) => {
                    let _ = write!(out, "destination unreachable, unreachable port, {d} {proto} port {}", u16::from_be_bytes([p[0], p[1]]));
                }
            }
        }
        (2, _, _) => {
            let _ = write!(out, "packet too big, mtu {}", u32::from_be_bytes(rest));
        }
        (3, 0, Some(d)) => {
            let _ = write!(out, "time exceeded in-transit for {d}");
        }
        (128 | 129, _, _) => {
            out.push_str(names::icmpv6_type(t));
            id_seq(out);
        }
        (133 | 134, _, _) => {
            out.push_str(names::icmpv6_type(t));
            if let Some(len) = verbose {
                let _ = write!(out, ", length {len}");
                if t == 133 {
                    nd_options(out, body);
                } else if let (Some(reach), Some(retrans)) = (body.get(0..4), body.get(4..8)) {
                    // A router advertisement's own fields, then its options.
                    let [hops, flags, hi, lo] = rest;
                    let _ = write!(out, "\n\thop limit {hops}");
                    push_flag_names(out, u16::from(flags), &[(0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent")]);
                    let _ = write!(
                        out,
                        ", pref {}, router lifetime {}s, reachable time {}ms, retrans timer {}ms",
                        route_pref(flags),
                        u16::from_be_bytes([hi, lo]),
                        u32::from_be_bytes([reach[0], reach[1], reach[2], reach[3]]),
                        u32::from_be_bytes([retrans[0], retrans[1], retrans[2], retrans[3]])
                    );
                    nd_options(out, body.get(8..).unwrap_or_default());
                }
            }
        }
        (135, _, _) | (136, _, _) => {
            out.push_str(names::icmpv6_type(t));
            if let Some(len) = verbose {
                let _ = write!(out, ", length {len}");
            }
            if let Some(a) = ip6_at(0) {
                let _ = write!(out, ", {} {a}", if t == 135 { "who has" } else { "tgt is" });
            }
            if verbose.is_some() {
                if t == 136 {
                    push_flag_names(out, u16::from(rest[0]), &[(0x80, "router"), (0x40, "solicited"), (0x20, "override")]);
                }
                nd_options(out, body.get(16..).unwrap_or_default());
            }
        }
        // An MLDv2 query (RFC 3810 5.1) is 28 bytes or more; v1's messages are 24.
        (130, _, _) if body.len() >= 20 => {
            out.push_str("multicast listener query v2");
            let code = u16::from_be_bytes([rest[0], rest[1]]);
            if verbose.is_some() {
                // Max Resp Code: from 32768 on, a small float (RFC 3810 5.1.3).
                let delay = if code < 0x8000 {
                    u32::from(code)
                } else {
                    (u32::from(code & 0x0fff) | 0x1000) << (((code >> 12) & 0x07) + 3)
                };
                let _ = write!(out, " [max resp delay={delay}]");
            }
            if let Some(g) = ip6_at(0) {
                let _ = write!(out, " [gaddr {g}");
                if verbose.is_some() {
                    let flags = body.get(16).copied().unwrap_or(0);
                    if flags & 0x08 != 0 {
                        out.push_str(" sflag");
                    }
                    if flags & 0x07 != 0 {
                        let _ = write!(out, " robustness={}", flags & 0x07);
                    }
                    let qqi = crate::decode::igmp::code_value(body.get(17).copied().unwrap_or(0));
                    let _ = write!(out, " qqi={qqi}");
                }
                let sources = body.get(18..20).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                if sources > 0 {
                    mld_sources(out, body.get(20..).unwrap_or_default(), sources, vv);
                }
                out.push(']');
            }
        }
        (130..=132, _, _) => {
            out.push_str(names::icmpv6_type(t));
            let _ = write!(out, "max resp delay: {} addr: ", u16::from_be_bytes([rest[0], rest[1]]));
            match ip6_at(0) {
                Some(a) => {
                    let _ = write!(out, "{a}");
                }
                None => out.push_str("[|icmp6]"),
            }
        }
        (143, _, _) => {
            let _ = write!(out, "multicast listener report v2, {} group record(s)", u16::from_be_bytes([rest[2], rest[3]]));
            if verbose.is_some() {
                mld2_records(out, body, u16::from_be_bytes([rest[2], rest[3]]), vv);
            }
        }
        _ => out.push_str(names::icmpv6(t, code)),
    }
}

/// tcpdump's `, Flags [a, b]` (`[none]` when no named bit is set).
fn push_flag_names(out: &mut String, bits: u16, names: &[(u16, &str)]) {
    out.push_str(", Flags [");
    let mut any = false;
    for (_, name) in names.iter().filter(|(bit, _)| bits & bit != 0) {
        if any {
            out.push_str(", ");
        }
        out.push_str(name);
        any = true;
    }
    out.push_str(if any { "]" } else { "none]" });
}

/// A router preference (RFC 4191) in bits 3 and 4 of `flags`, as tcpdump names it.
fn route_pref(flags: u8) -> &'static str {
    match (flags >> 3) & 3 {
        0 => "medium",
        1 => "high",
        2 => "rsv",
        _ => "low",
    }
}

/// A lifetime in seconds as tcpdump prints it (all ones: `infinity`).
fn lifetime(out: &mut String, b: &[u8]) {
    match b {
        [0xff, 0xff, 0xff, 0xff] => out.push_str("infinity"),
        &[a, b, c, d] => {
            let _ = write!(out, "{}s", u32::from_be_bytes([a, b, c, d]));
        }
        _ => {}
    }
}

/// The 32-bit number at `at` of `b`.
/// The IPv6 address at `at` of `b`.
fn ip6_in(b: &[u8], at: usize) -> Option<std::net::Ipv6Addr> {
    b.get(at..at + 16).and_then(|x| <[u8; 16]>::try_from(x).ok()).map(std::net::Ipv6Addr::from)
}

/// Neighbour discovery's options as tcpdump -v prints them, each on an indented line:
/// `source link-address option (1), length 8 (1): 02:00:00:00:01:01`, then what each says
/// (prefix, MTU, DNS servers and search domains, route, advertisement interval, home agent);
/// an option it does not know as a hex dump. A cut or lying option ends the list.
fn nd_options(out: &mut String, mut opts: &[u8]) {
    while let (Some(&t), Some(&units)) = (opts.first(), opts.get(1)) {
        let len = units as usize * 8;
        let name = match t {
            1 => "source link-address",
            2 => "destination link-address",
            3 => "prefix info",
            4 => "redirected header",
            5 => "mtu",
            7 => "advertisement interval",
            8 => "homeagent information",
            24 => "route info",
            25 => "rdnss",
            31 => "dnssl",
            _ => "unknown",
        };
        // The option whole, its type and length included; as in tcpdump, one of no length or
        // past the end ends the list unprinted.
        let Some(o) = opts.get(..len).filter(|_| units > 0) else { break };
        let _ = write!(out, "\n\t  {name} option ({t}), length {len} ({units}): ");
        match t {
            1 | 2 => push_mac(out, o.get(2..).unwrap_or_default()),
            3 => {
                let (Some(&plen), Some(&flags), Some(prefix)) = (o.get(2), o.get(3), ip6_in(o, 16)) else { break };
                let _ = write!(out, "{prefix}/{plen}{}", if units != 4 { "badlen" } else { "" });
                push_flag_names(out, u16::from(flags), &[(0x80, "onlink"), (0x40, "auto"), (0x20, "router")]);
                out.push_str(", valid time ");
                lifetime(out, o.get(4..8).unwrap_or_default());
                out.push_str(", pref. time ");
                lifetime(out, o.get(8..12).unwrap_or_default());
            }
            5 => {
                let Some(mtu) = be32(o, 4) else { break };
                let _ = write!(out, " {mtu}");
            }
            7 => {
                let Some(ms) = be32(o, 4) else { break };
                let _ = write!(out, " {ms}ms");
            }
            8 => {
                let Some(x) = o.get(4..8) else { break };
                let _ = write!(out, " preference {}, lifetime {}", u16::from_be_bytes([x[0], x[1]]), u16::from_be_bytes([x[2], x[3]]));
            }
            24 => {
                let (Some(&plen), Some(&flags), Some(life)) = (o.get(2), o.get(3), o.get(4..8)) else { break };
                let mut prefix = [0u8; 16];
                let have = o.get(8..).unwrap_or_default();
                let n = have.len().min(16);
                prefix[..n].copy_from_slice(&have[..n]);
                let _ = write!(out, " {}/{plen}, pref={}, lifetime=", std::net::Ipv6Addr::from(prefix), route_pref(flags));
                lifetime(out, life);
            }
            25 => {
                let Some(life) = be32(o, 4) else { break };
                let _ = write!(out, " lifetime {life}s,");
                let mut at = 8;
                while let Some(a) = ip6_in(o, at) {
                    let _ = write!(out, " addr: {a}");
                    at += 16;
                }
            }
            31 => {
                let Some(life) = be32(o, 4) else { break };
                let _ = write!(out, " lifetime {life}s, domain(s):");
                dnssl_names(out, o.get(8..).unwrap_or_default());
            }
            // tcpdump prints a redirect's quoted header only with -vv.
            4 => {}
            _ => hex_words(out, o.get(2..).unwrap_or_default()),
        }
        opts = opts.get(len..).unwrap_or_default();
    }
}

/// The search domains of a DNSSL option, each as its labels and dots (`example.com.`), up to
/// the padding.
fn dnssl_names(out: &mut String, mut b: &[u8]) {
    while let Some(&n) = b.first().filter(|n| **n != 0) {
        out.push(' ');
        let mut n = n;
        loop {
            let Some(label) = b.get(1..1 + usize::from(n)).filter(|_| n < 64) else { return };
            out.extend(label.iter().map(|&c| if c.is_ascii_graphic() { c as char } else { '.' }));
            out.push('.');
            b = b.get(1 + usize::from(n)..).unwrap_or_default();
            match b.first() {
                Some(0) => {
                    b = b.get(1..).unwrap_or_default();
                    break;
                }
                Some(&next) => n = next,
                None => return,
            }
        }
    }
}

/// tcpdump's hex dump of data it does not decode: lines of eight 16-bit words after
/// `\n\t  0x0000: `.
fn hex_words(out: &mut String, b: &[u8]) {
    for (i, pair) in b.chunks(2).enumerate() {
        if i % 8 == 0 {
            let _ = write!(out, "\n\t  0x{:04x}: ", i * 2);
        }
        out.push(' ');
        for byte in pair {
            let _ = write!(out, "{byte:02x}");
        }
    }
}

/// MLDv2's group records as tcpdump -v prints them: ` [gaddr ff02::2 to_ex, 0 source(s)]`.
fn mld2_records(out: &mut String, body: &[u8], n: u16, vv: bool) {
    let mut at = 0;
    for _ in 0..n {
        let (Some(&kind), Some(&aux), Some(ns)) = (body.get(at), body.get(at + 1), body.get(at + 2..at + 4)) else { return };
        let Some(addr) = body.get(at + 4..at + 20).and_then(|b| <[u8; 16]>::try_from(b).ok()).map(std::net::Ipv6Addr::from) else { return };
        let sources = u16::from_be_bytes([ns[0], ns[1]]);
        let kind = match kind {
            1 => "is_in",
            2 => "is_ex",
            3 => "to_in",
            4 => "to_ex",
            5 => "allow",
            6 => "block",
            _ => "unknown",
        };
        let _ = write!(out, " [gaddr {addr} {kind}");
        mld_sources(out, body.get(at + 20..).unwrap_or_default(), sources, vv);
        out.push(']');
        at += 20 + sources as usize * 16 + aux as usize * 4;
    }
}

/// An MLDv2 source list: its count, or with -vv the addresses (`{ }` when there are none).
fn mld_sources(out: &mut String, list: &[u8], count: u16, vv: bool) {
    if !vv {
        let _ = write!(out, ", {count} source(s)");
        return;
    }
    out.push_str(" {");
    for a in list.chunks_exact(16).take(usize::from(count)) {
        let a: [u8; 16] = a.try_into().unwrap_or([0; 16]);
        let _ = write!(out, " {}", std::net::Ipv6Addr::from(a));
    }
    out.push_str(" }");
}

/// tcpdump -v's IPv4 header text (see [`ip_detail`]).
fn ip4_detail(out: &mut String, h: &etherparse::Ipv4HeaderSlice<'_>) {
    let tos = (h.dcp().value() << 2) | h.ecn().value();
    let flags = match (h.dont_fragment(), h.more_fragments()) {
        (true, true) => "DF+",
        (true, false) => "DF",
        (false, true) => "+",
        (false, false) => "none",
    };
    let _ = write!(
        out,
        "(tos {tos:#x}, ttl {}, id {}, offset {}, flags [{flags}], proto {}, length {}",
        h.ttl(),
        h.identification(),
        h.fragments_offset().value() as u32 * 8,
        proto_name(h.protocol().0),
        h.total_len()
    );
    super::igmp::ip4_options(out, h.options());
    out.push_str(")\n    ");
}

/// tcpdump -v's IPv6 header text (see [`ip_detail`]).
fn ip6_detail(out: &mut String, h: &etherparse::Ipv6HeaderSlice<'_>) {
    out.push('(');
    if h.traffic_class() != 0 {
        let _ = write!(out, "class {:#04x}, ", h.traffic_class());
    }
    if h.flow_label().value() != 0 {
        let _ = write!(out, "flowlabel {:#07x}, ", h.flow_label().value());
    }
    let _ = write!(out, "hlim {}, next-header {} payload length: {}) ", h.hop_limit(), proto_name(h.next_header().0), h.payload_length());
}

/// The checksum field of a TCP or UDP segment `seg` (the field at `at`) and the value it should
/// hold, when the whole segment was captured.
fn transport_checksum(p: &Packet<'_>, seg: &[u8], at: usize) -> Option<(u16, u16)> {
    // The checksum's place names the protocol: TCP's at 16, UDP's at 6, ICMPv6's at 2.
    let proto: u32 = match at {
        16 => 6,
        6 => 17,
        _ => 58,
    };
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)]));
        }
    };
    let len = match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let len = usize::from(h.total_len()).checked_sub(h.slice().len())?;
            add(&h.source());
            add(&h.destination());
            len
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            add(&h.source());
            add(&h.destination());
            // The segment runs to the end of the payload, after any extension headers.
            let pl = v6.payload();
            if pl.incomplete {
                return None;
            }
            pl.payload.len()
        }
        _ => return None,
    };
    if seg.len() < len || len < at + 2 {
        return None;
    }
    let seg = seg.get(..len)?;
    let field = u16::from_be_bytes([*seg.get(at)?, *seg.get(at + 1)?]);
    add(&(proto as u16).to_be_bytes());
    add(&(len as u32).to_be_bytes());
    add(seg.get(..at)?);
    add(seg.get(at + 2..)?);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let right = !(sum as u16);
    Some((field, if right == 0 && proto == 17 { 0xffff } else { right }))
}

/// A PPP header's protocol (after an optional address and control field).
fn ppp_protocol(h: &[u8]) -> u16 {
    let h = if h.get(..2) == Some(&[0xff, 0x03]) { h.get(2..).unwrap_or(&[]) } else { h };
    match h {
        [b, ..] if b & 1 == 1 => *b as u16,
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// A PPP control protocol's packet as tcpdump starts it: `LCP, Echo-Request (0x09), id 106,
/// length 14`, the length being the packet's own.
fn ppp_control(out: &mut String, proto: u16, b: &[u8], length: usize) {
    let name = names::ppp(proto);
    match (b.first(), b.get(1), b.get(2..4)) {
        (Some(&code), Some(&id), Some(_)) if matches!(proto, 0xc021 | 0x8021 | 0x8057 | 0x80fd) => {
            let code_name = match code {
                1 => "Conf-Request",
                2 => "Conf-Ack",
                3 => "Conf-Nak",
                4 => "Conf-Reject",
                5 => "Term-Request",
                6 => "Term-Ack",
                7 => "Code-Reject",
                8 => "Prot-Reject",
                9 => "Echo-Request",
                10 => "Echo-Reply",
                11 => "Disc-Req",
                14 => "Reset-Req",
                15 => "Reset-Ack",
                _ => "unknown",
            };
            let _ = write!(out, "{name}, {code_name} ({code:#04x}), id {id}, length {length}");
        }
        _ => {
            let _ = write!(out, "{name}, length {length}");
        }
    }
}

/// A GRE header as tcpdump prints it: `GREv0, key=0x2, seq 7, length N: ` (version 1, PPTP's:
/// `GREv1, call 0, seq 1, ack 2, length N: `), `length` being the GRE packet's.
fn gre_text(out: &mut String, h: &[u8], length: usize, detail: u8) {
    let be = |at: usize| h.get(at..at + 4).map_or(0, |x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
    let flags = h.get(..2).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
    let version = flags & 7;
    let _ = write!(out, "GREv{version}");
    if detail > 0 {
        // tcpdump -v names the header's flags.
        let names = [(0x8000, "checksum present"), (0x4000, "routing present"), (0x2000, "key present"), (0x1000, "sequence# present"), (0x0800, "strict source route"), (0x0080, "acknowledgment# present")];
        push_flag_names(out, flags, &names);
    }
    let mut at = 4;
    if version == 1 {
        if flags & 0x2000 != 0 {
            let _ = write!(out, ", call {}", be(at) & 0xffff);
            at += 4;
        }
        if flags & 0x1000 != 0 {
            let _ = write!(out, ", seq {}", be(at));
            at += 4;
        }
        if flags & 0x0080 != 0 {
            let _ = write!(out, ", ack {}", be(at));
        }
        if flags & 0x1000 == 0 {
            out.push_str(", no-payload");
        }
    } else {
        if flags & 0x8000 != 0 {
            let _ = write!(out, ", off {:#x}", be(at) & 0xffff);
            at += 4;
        }
        if flags & 0x2000 != 0 {
            let _ = write!(out, ", key={:#x}", be(at));
            at += 4;
        }
        if flags & 0x1000 != 0 {
            let _ = write!(out, ", seq {}", be(at));
        }
    }
    let _ = write!(out, ", length {length}{}", if detail > 0 { "\n\t" } else { ": " });
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

/// tcpdump's text of a destination unreachable error (code `code`, next-hop MTU `mtu` for
/// "need to frag"), naming the destination of the datagram it quotes and, for a closed port,
/// its protocol and port: "10.0.0.2 udp port 9999 unreachable".
fn unreachable_detail(out: &mut String, code: u8, mtu: u16, quoted: &[u8]) {
    let Ok((ip, _)) = etherparse::LaxIpv4Slice::from_slice(quoted) else {
        out.push_str(names::icmp(3, code));
        return;
    };
    let h = ip.header();
    let dst = h.destination_addr();
    let proto = h.protocol().0;
    let body = ip.payload().payload;
    let _ = match code {
        0 => write!(out, "net {dst} unreachable"),
        1 => write!(out, "host {dst} unreachable"),
        2 => write!(out, "{dst} protocol {proto} unreachable"),
        3 => match (proto, body.get(2..4)) {
            (17, Some(&[hi, lo])) => write!(out, "{dst} udp port {} unreachable", u16::from_be_bytes([hi, lo])),
            (6, Some(&[hi, lo])) => write!(out, "{dst} tcp port {} unreachable", u16::from_be_bytes([hi, lo])),
            (_, Some(&[hi, lo])) => write!(out, "{dst} protocol {proto} port {} unreachable", u16::from_be_bytes([hi, lo])),
            _ => write!(out, "{dst} port unreachable"),
        },
        4 if mtu != 0 => write!(out, "{dst} unreachable - need to frag (mtu {mtu})"),
        4 => write!(out, "{dst} unreachable - need to frag"),
        5 => write!(out, "{dst} unreachable - source route failed"),
        6 => write!(out, "net {dst} unreachable - unknown"),
        7 => write!(out, "host {dst} unreachable - unknown"),
        8 => write!(out, "{dst} unreachable - source host isolated"),
        9 => write!(out, "net {dst} unreachable - admin prohibited"),
        10 => write!(out, "host {dst} unreachable - admin prohibited"),
        11 => write!(out, "net {dst} unreachable - tos prohibited"),
        12 => write!(out, "host {dst} unreachable - tos prohibited"),
        13 => write!(out, "{dst} unreachable - admin prohibited filter"),
        14 => write!(out, "{dst} unreachable - host precedence violation"),
        15 => write!(out, "{dst} unreachable - precedence cutoff"),
        _ => write!(out, "{}", names::icmp(3, code)),
    };
}

/// tcpdump -v's HTTP: `: HTTP, length: N` and the request or response head, a line each.
fn http_lines(out: &mut String, sport: u16, dport: u16, payload: &[u8]) {
    if !HTTP_PORTS.contains(&sport) && !HTTP_PORTS.contains(&dport) || payload.is_empty() {
        return;
    }
    let _ = write!(out, ": HTTP, length: {}", payload.len());
    const STARTS: [&[u8]; 10] =
        [b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"TRACE ", b"HTTP/"];
    if !STARTS.iter().any(|s| payload.starts_with(s)) {
        // Continuation data: named, as without -v.
        out.truncate(out.len() - format!(", length: {}", payload.len()).len());
        return;
    }
    let mut rest = payload;
    while !rest.is_empty() {
        let end = rest.iter().position(|b| *b == b'\n');
        let (line, next) = match end {
            Some(e) => (rest.get(..e).unwrap_or(&[]), rest.get(e + 1..).unwrap_or(&[])),
            None => (rest, &[][..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push_str("\n\t");
        for b in line.iter().take(1000) {
            out.push(if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' });
        }
        if end.is_none() {
            break;
        }
        rest = next;
    }
}

fn arp_line(out: &mut String, p: &Packet<'_>, after_link: bool, detail: u8) {
    let Some(a) = p.arp() else {
        out.push_str("ARP, non-Ethernet/IPv4 addresses");
        return;
    };
    // After an Ethernet header (-e), tcpdump leaves out the protocol's name.
    if !after_link {
        out.push_str("ARP, ");
    }
    if detail > 0 {
        out.push_str("Ethernet (len 6), IPv4 (len 4), ");
    }
    match a.op {
        1 => {
            let _ = write!(out, "Request who-has {}", a.target_ip);
            if a.target_mac != [0; 6] {
                out.push_str(" (");
                push_mac(out, &a.target_mac);
                out.push(')');
            }
            let _ = write!(out, " tell {}", a.sender_ip);
        }
        2 => {
            let _ = write!(out, "Reply {} is-at ", a.sender_ip);
            push_mac(out, &a.sender_mac);
        }
        op => {
            let _ = write!(out, "{} ({op}) {} > {}", names::arp_op(op), a.sender_ip, a.target_ip);
        }
    }
    // A frame check sequence at the end (802.11 with radiotap's flag) is no part of the packet.
    let fcs = match p.link {
        Link::Wlan(w) if w.fcs => 4,
        _ => 0,
    };
    let _ = write!(out, ", length {}", p.data.len().saturating_sub(p.net_offset + fcs));
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
        Link::Nflog { family, version, resource_id } => nflog_header(out, family, version, resource_id, p.len),
        // A link header of a decoded type that is cut short: the stop says where.
        Link::Unsupported if p.stop.as_ref().is_some_and(|s| s.cause != crate::decode::Cause::UnsupportedLinkType) => {
            let _ = write!(out, "{}, length {}", names::linktype(p.linktype), p.len);
        }
        Link::Unsupported => {
            let _ = write!(out, "[link type {} ({}) not decoded], length {}", p.linktype, names::linktype(p.linktype), p.len);
        }
        Link::Wlan(w) => match Mac::parse(w.mac(p.data)) {
            Some(m) => {
                let _ = write!(out, "{}", wlan_names::subtype(m.ftype(), m.subtype()));
                if m.protected() {
                    out.push_str(", protected");
                }
                let _ = write!(out, ", length {}", wlan_body_len(p, &w));
            }
            None => {
                let _ = write!(out, "802.11, length {}", p.len);
            }
        },
        _ => {
            let _ = write!(out, "length {}", p.len);
        }
    }
}

/// The NFLOG header as tcpdump prints it (with -e, or for a frame without an IP packet).
fn nflog_header(out: &mut String, family: u8, version: u8, resource_id: u16, len: u32) {
    let name = match family {
        2 => "IPv4",
        10 => "IPv6",
        _ => "Unknown",
    };
    let _ = write!(out, "version {version}, resource ID {resource_id}, family {name} ({family}), length {len}");
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
        Link::Nflog { family, version, resource_id } => {
            nflog_header(out, family, version, resource_id, p.len);
            out.push_str(": ");
        }
        Link::Wlan(w) => wlan_prefix(out, p, &w),
        Link::RawIp | Link::Unsupported => {}
    }
}

/// Whether the link header named the network protocol, so that tcpdump -e leaves out "IP".
fn names_protocol(link: &Link) -> bool {
    match link {
        Link::Ethernet { .. } | Link::Nflog { .. } => true,
        Link::Wlan(w) => w.ethertype != 0,
        _ => false,
    }
}

/// The bytes after the 802.11 header (and after LLC/SNAP when it names a protocol), without
/// the FCS: what tcpdump calls the length.
fn wlan_body_len(p: &Packet<'_>, w: &Wlan) -> usize {
    let fcs = if w.fcs { 4 } else { 0 };
    let llc = if w.ethertype != 0 { 8 } else { 0 };
    p.data.len().saturating_sub(w.llc_offset() + llc + fcs)
}

/// The radiotap fields inspect decodes, as tcpdump prints them before the 802.11 frame.
fn radiotap_prefix(out: &mut String, data: &[u8]) {
    let Some(r) = Radiotap::parse(data) else { return };
    if let Some(t) = r.tsft {
        let _ = write!(out, "{t}us tsft ");
    }
    if let Some(f) = r.flags {
        for (bit, name) in [(0x01, "cfp "), (0x02, "short preamble "), (0x04, "wep "), (0x08, "fragmented "), (0x40, "bad-fcs ")] {
            if f & bit != 0 {
                out.push_str(name);
            }
        }
    }
    if let Some(rate) = r.rate {
        let _ = write!(out, "{}.{} Mb/s ", rate / 2, if rate % 2 == 1 { 5 } else { 0 });
    }
    if let Some((freq, flags)) = r.channel {
        let _ = write!(out, "{freq} MHz");
        let has = |m: u16| flags & m == m;
        if has(0x0880) {
            out.push_str(" FHSS");
        }
        let width = if flags & 0x4000 != 0 {
            "/10Mhz"
        } else if flags & 0x8000 != 0 {
            "/5Mhz"
        } else {
            ""
        };
        if has(0x0140) {
            let _ = write!(out, " 11a{width}");
        }
        if has(0x00c0) || has(0x0480) {
            let _ = write!(out, " 11g{width}");
        } else if has(0x00a0) {
            out.push_str(" 11b");
        }
        if flags & 0x0010 != 0 {
            out.push_str(" Turbo");
        }
        out.push(' ');
    }
    if let Some(s) = r.signal {
        let _ = write!(out, "{s}dBm signal ");
    }
    if let Some(n) = r.noise {
        let _ = write!(out, "{n}dBm noise ");
    }
    if let Some(a) = r.antenna {
        let _ = write!(out, "antenna {a} ");
    }
}

/// tcpdump -e's 802.11 header: the data frame's kind, the addresses by To DS and From DS,
/// then the LLC/SNAP header when it names a protocol.
fn wlan_prefix(out: &mut String, p: &Packet<'_>, w: &Wlan) {
    mac_prefix(out, w.mac(p.data), w.ethertype, wlan_body_len(p, w));
}

/// tcpdump -e's text for the 802.11 header at the start of `mac` (a link layer, or a frame
/// inside Aruba's GRE) and its LLC/SNAP header when it names `ethertype` (not 0), before a
/// packet of `len` bytes.
fn mac_prefix(out: &mut String, mac: &[u8], ethertype: u16, len: usize) {
    let Some(m) = Mac::parse(mac) else { return };
    let addr = |out: &mut String, name: &str, a: Option<&[u8; 6]>| {
        if let Some(a) = a {
            out.push_str(name);
            push_mac(out, a);
            out.push(' ');
        }
    };
    let r = m.roles();
    match m.ftype() {
        wlan::ftype::DATA => {
            let sub = m.subtype();
            if sub & 0x3 != 0 || sub & 0x8 != 0 {
                out.push_str("CF ");
                match (sub & 0x1 != 0, sub & 0x2 != 0) {
                    (true, true) => out.push_str("Ack/Poll"),
                    (true, false) => out.push_str("Ack"),
                    (false, true) => out.push_str("Poll"),
                    _ => {}
                }
                if sub & 0x8 != 0 {
                    out.push_str("+QoS");
                }
                out.push(' ');
            }
            match m.ds() {
                0 => {
                    addr(out, "DA:", r.da);
                    addr(out, "SA:", r.sa);
                    addr(out, "BSSID:", r.bssid);
                }
                1 => {
                    addr(out, "BSSID:", r.bssid);
                    addr(out, "SA:", r.sa);
                    addr(out, "DA:", r.da);
                }
                2 => {
                    addr(out, "DA:", r.da);
                    addr(out, "BSSID:", r.bssid);
                    addr(out, "SA:", r.sa);
                }
                _ => {
                    addr(out, "RA:", r.ra);
                    addr(out, "TA:", r.ta);
                    addr(out, "DA:", r.da);
                    addr(out, "SA:", r.sa);
                }
            }
        }
        wlan::ftype::MGMT => {
            addr(out, "BSSID:", r.bssid);
            addr(out, "DA:", r.da);
            addr(out, "SA:", r.sa);
        }
        _ => {
            addr(out, "RA:", r.ra);
            addr(out, "TA:", r.ta);
        }
    }
    if ethertype != 0 {
        let et = ethertype;
        let _ = write!(
            out,
            "LLC, dsap SNAP (0xaa) Individual, ssap SNAP (0xaa) Command, ctrl 0x03: oui Ethernet (0x000000), ethertype {} ({et:#06x}), length {len}: ",
            names::ethertype(et).unwrap_or("Unknown"),
        );
    }
}

/// tcpdump's DNS text for a TCP segment on port 53 of `len` bytes (`payload` as captured): the
/// segment is read as one message after its 2-byte length, as tcpdump reads it (it does not
/// reassemble); a length that is not the rest of the segment is shown as invalid.
fn dns_over_tcp(out: &mut String, payload: &[u8], len: usize, verbose: bool) {
    if len < 2 {
        let _ = write!(out, " [DNS over TCP: length {len} < 2] (invalid)");
        return;
    }
    let Some(&[hi, lo]) = payload.get(..2) else {
        out.push_str(" [|domain]");
        return;
    };
    let prefix = usize::from(u16::from_be_bytes([hi, lo]));
    if prefix != len - 2 {
        let _ = write!(out, " [prefix length({prefix}) != length({})] (invalid)", len - 2);
        return;
    }
    out.push(' ');
    crate::output::app::dns_line(out, payload.get(2..).unwrap_or(&[]), false, verbose);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ICMPv6 text over bodies cut at every length and records that claim more than is there:
    /// what is present is printed, nothing panics.
    #[test]
    fn icmp6_text_survives_cut_and_lying_messages() {
        let mut body: Vec<u8> = (0..120u8).map(|b| b.wrapping_mul(37)).collect();
        body[1] = 0xff;
        for t in [1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 143, 200] {
            for code in 0..5 {
                for cut in 0..body.len() {
                    let mut out = String::new();
                    icmp6_text(&mut out, t, code, [0xff, 0xff, 0xff, 0xff], &body[..cut], Some(cut + 8), true);
                    icmp6_text(&mut out, t, code, [0, 1, 0, 2], &body[..cut], None, false);
                }
            }
        }
        for cut in 0..body.len() {
            let mut out = String::new();
            hbh_options(&mut out, &body[..cut]);
            nd_options(&mut out, &body[..cut]);
            mld2_records(&mut out, &body[..cut], u16::MAX, true);
        }
        let mut out = String::new();
        nd_options(&mut out, &[1, 1, 2, 0, 0, 0, 1, 1]);
        assert_eq!(out, "\n\t  source link-address option (1), length 8 (1): 02:00:00:00:01:01");
        // Every option type with every small length, cut anywhere; DNSSL labels that run past
        // the option or claim 63+ bytes.
        for t in 0..=40u8 {
            for units in 0..6u8 {
                let mut opt = vec![t, units];
                opt.extend((0..60u8).map(|b| b.wrapping_mul(53)));
                for cut in 0..opt.len() {
                    nd_options(&mut String::new(), &opt[..cut]);
                }
            }
        }
        let mut out = String::new();
        nd_options(&mut out, &[31, 2, 0, 0, 0, 0, 0, 5, 3, b'l', b'a', b'n', 0xc0, 9, 0, 0]);
        nd_options(&mut out, &[31, 2, 0, 0, 0, 0, 0, 5, 9, b'l', b'a', b'n', 0, 0, 0, 0]);
        assert!(out.contains("domain(s): lan.") && !out.contains("lan.."), "{out}");
    }
}
