//! The application layer in every packet view: tcpdump's DNS and BOOTP/DHCP text on the line,
//! Wireshark's `dns.*`, `dhcp.*`, `dhcpv6.*` and `icmp.*` fields in JSON, and the Application
//! branch of the five-layer tree.
//!
//! Echo replies are paired with their requests here (by addresses, identifier and sequence
//! number, as Wireshark pairs them) for `icmp.resptime`; the table is bounded.

use std::fmt::Write as _;
use std::net::IpAddr;

use etherparse::TransportSlice;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, Record};
use rustc_hash::FxHashMap;

use crate::decode::app::dhcp::{self, Dhcp};
use crate::decode::app::dns::{self, Header};
use crate::decode::app::{self as appdec, App, AppProto};
use crate::decode::Packet;
use crate::output::json::{boolean, key, num};
use crate::output::line::push_mac;
use crate::source::Ts;

/// Most echo requests remembered for pairing before the table starts afresh.
const ECHO_CAP: usize = 1 << 16;

/// Echo requests waiting for their replies, for the replies' round-trip time.
#[derive(Default)]
pub struct EchoPairs {
    waiting: FxHashMap<(IpAddr, IpAddr, u16, u16), (Ts, u64)>,
}

/// An ICMP or ICMPv6 echo message: (request?, identifier, sequence number).
pub fn echo_of(p: &Packet<'_>) -> Option<(bool, u16, u16)> {
    let (t, rest) = match &p.transport {
        Some(TransportSlice::Icmpv4(i)) => match i.type_u8() {
            8 => (true, i.bytes5to8()),
            0 => (false, i.bytes5to8()),
            _ => return None,
        },
        Some(TransportSlice::Icmpv6(i)) => match i.type_u8() {
            128 => (true, i.bytes5to8()),
            129 => (false, i.bytes5to8()),
            _ => return None,
        },
        _ => return None,
    };
    Some((t, u16::from_be_bytes([rest[0], rest[1]]), u16::from_be_bytes([rest[2], rest[3]])))
}

impl EchoPairs {
    /// Sees an echo message; for a reply to a request seen, the request's frame and the
    /// round-trip time in milliseconds.
    pub fn see(&mut self, p: &Packet<'_>) -> Option<(u64, f64)> {
        let (request, id, seq) = echo_of(p)?;
        let (src, dst) = p.ip_addrs()?;
        if request {
            if self.waiting.len() >= ECHO_CAP {
                self.waiting.clear();
            }
            self.waiting.insert((src, dst, id, seq), (p.ts, p.number));
            return None;
        }
        let (ts, frame) = *self.waiting.get(&(dst, src, id, seq))?;
        Some((frame, ms_between(ts, p.ts)))
    }
}

/// For `icmp.resptime` and `icmp.resp_to` (`-Y`, `-T fields`): an ICMP (v4) echo reply's
/// request frame and round trip in nanoseconds, when `pairs` saw the request.
pub fn echo_note(pairs: &mut EchoPairs, p: &Packet<'_>) -> Option<(u64, i64)> {
    let v4 = matches!(p.transport, Some(TransportSlice::Icmpv4(_)));
    let (request, id, seq) = echo_of(p)?;
    let (src, dst) = p.ip_addrs()?;
    if request {
        pairs.see(p);
        return None;
    }
    let (ts, frame) = *pairs.waiting.get(&(dst, src, id, seq))?;
    let ns = (p.ts.sec - ts.sec).saturating_mul(1_000_000_000).saturating_add(i64::from(p.ts.nsec) - i64::from(ts.nsec));
    v4.then_some((frame, ns))
}

/// Milliseconds from `a` to `b`.
pub fn ms_between(a: Ts, b: Ts) -> f64 {
    let ns = (b.sec - a.sec) as f64 * 1e9 + (b.nsec as f64 - a.nsec as f64);
    ns / 1e6
}

// ---------------------------------------------------------------- lines (tcpdump -n)

/// tcpdump's text for a DNS message of `len` bytes (`47780+ [1au] A? www.example.test. (57)`);
/// `verbose` as `tcpdump -v`, which names each answer's owner.
pub fn dns_line(out: &mut String, msg: &[u8], mdns: bool, verbose: bool) {
    let Some(h) = Header::of(msg) else {
        let _ = write!(out, "domain [length {} < 12] (invalid)", msg.len());
        return;
    };
    let parsed = dns::parse(msg).ok();
    const OPS: [&str; 16] = [
        "", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD", " updateDA",
        " updateM", " updateMA", " zoneInit", " zoneRef",
    ];
    let op = OPS.get(h.opcode() as usize).copied().unwrap_or("");
    let _ = write!(out, "{}{op}", h.id);
    if h.response() {
        out.push_str(tcpdump_rcode(h.rcode()));
        if h.aa() {
            out.push('*');
        }
        if !h.ra() {
            out.push('-');
        }
        if h.tc() {
            out.push('|');
        }
        if h.ad() {
            out.push('$');
        }
        if h.qd != 1 {
            let _ = write!(out, " [{}q]", h.qd);
        }
        let _ = write!(out, " {}/{}/{}", h.an, h.ns, h.ar);
        let Some(m) = parsed else {
            out.push_str(" [|domain]");
            return;
        };
        for (i, r) in m.answers().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            rr_text(out, r, mdns, verbose);
        }
    } else {
        if h.rd() {
            out.push('+');
        }
        if h.cd() {
            out.push('%');
        }
        if h.flags & 0x6cf != 0 {
            let _ = write!(out, " [b2&3=0x{:x}]", h.flags);
        }
        if h.opcode() == 1 {
            if h.qd > 0 {
                let _ = write!(out, " [{}q]", h.qd);
            }
            if h.an != 1 {
                let _ = write!(out, " [{}a]", h.an);
            }
        } else {
            if h.an > 0 {
                let _ = write!(out, " [{}a]", h.an);
            }
            if h.qd != 1 {
                let _ = write!(out, " [{}q]", h.qd);
            }
        }
        if h.ns > 0 {
            let _ = write!(out, " [{}n]", h.ns);
        }
        if h.ar > 0 {
            let _ = write!(out, " [{}au]", h.ar);
        }
        let Some(m) = parsed else {
            out.push_str(" [|domain]");
            return;
        };
        for (i, q) in m.queries().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push(' ');
            out.push_str(&tcpdump_type(q.query_type().into()));
            let class = u16::from(q.query_class());
            if class & 0x7fff != 1 {
                let _ = write!(out, " {}", tcpdump_class(class & 0x7fff));
            }
            if mdns {
                out.push_str(if class & 0x8000 != 0 { " (QU)" } else { " (QM)" });
            }
            out.push_str("? ");
            tcpdump_name(out, q.name());
        }
    }
    let _ = write!(out, " ({})", msg.len());
}

fn tcpdump_rcode(r: u8) -> &'static str {
    const R: [&str; 16] = [
        "", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet", " NXRRSet", " NotAuth",
        " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange",
    ];
    R.get(r as usize).copied().unwrap_or("")
}

fn tcpdump_class(c: u16) -> String {
    match c {
        1 => "IN".into(),
        3 => "CHAOS".into(),
        4 => "HS".into(),
        255 => "ANY".into(),
        n => format!("(Class {n})"),
    }
}

/// tcpdump's names of record types (`Type65` for one it does not know).
fn tcpdump_type(t: u16) -> std::borrow::Cow<'static, str> {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP_PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "UNSPECA",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        _ => return format!("Type{t}").into(),
    };
    s.into()
}

/// A name as tcpdump prints it: each label and a dot (`.` alone for the root), unprintable
/// bytes as `M-` and `^` escapes.
fn tcpdump_name(out: &mut String, n: &Name) {
    if n.num_labels() == 0 {
        out.push('.');
        return;
    }
    for label in n.iter() {
        for &b in label {
            let mut c = b;
            if c & 0x80 != 0 {
                out.push_str("M-");
                c &= 0x7f;
            }
            if !(c.is_ascii_graphic() || c == b' ') {
                out.push('^');
                c ^= 0x40;
            }
            out.push(c as char);
        }
        out.push('.');
    }
}

fn rr_text(out: &mut String, r: &Record, mdns: bool, verbose: bool) {
    let t: u16 = r.record_type().into();
    if verbose {
        out.push(' ');
        tcpdump_name(out, r.name());
    }
    let class = u16::from(r.dns_class());
    let class = if mdns { class & 0x7fff } else { class };
    if class != 1 && t != 41 {
        let _ = write!(out, " {}", tcpdump_class(class));
    }
    out.push(' ');
    out.push_str(&tcpdump_type(t));
    match r.data() {
        RData::A(a) => {
            let _ = write!(out, " {}", a.0);
        }
        RData::AAAA(a) => {
            let _ = write!(out, " {}", a.0);
        }
        RData::NS(n) => {
            out.push(' ');
            tcpdump_name(out, &n.0);
        }
        RData::CNAME(n) => {
            out.push(' ');
            tcpdump_name(out, &n.0);
        }
        RData::PTR(n) => {
            out.push(' ');
            tcpdump_name(out, &n.0);
        }
        RData::MX(mx) => {
            out.push(' ');
            tcpdump_name(out, mx.exchange());
            let _ = write!(out, " {}", mx.preference());
        }
        RData::TXT(txt) => {
            for s in txt.txt_data() {
                out.push_str(" \"");
                for &b in s.iter() {
                    out.push(if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' });
                }
                out.push('"');
            }
        }
        RData::SRV(s) => {
            out.push(' ');
            tcpdump_name(out, s.target());
            let _ = write!(out, ":{} {} {}", s.port(), s.priority(), s.weight());
        }
        // URI (RFC 7553): priority, weight, target.
        RData::Unknown { rdata, .. } if t == 256 => {
            let b = rdata.anything();
            if let (Some(p), Some(w), Some(target)) = (b.get(0..2), b.get(2..4), b.get(4..)) {
                let _ = write!(out, " {} {} ", u16::from_be_bytes([p[0], p[1]]), u16::from_be_bytes([w[0], w[1]]));
                for &c in target {
                    out.push(if c.is_ascii_graphic() || c == b' ' { c as char } else { '.' });
                }
            }
        }
        _ => {}
    }
}

/// tcpdump's BOOTP/DHCP text: `BOOTP/DHCP, Request from 02:00:00:00:00:01, length 300`; with
/// `detail` (-v), tcpdump -v's header fields and options after it, one per indented line.
pub fn dhcp_line(out: &mut String, bytes: &[u8], udp_len: usize, detail: u8) {
    out.push_str("BOOTP/DHCP, ");
    match bytes.first() {
        Some(1) => out.push_str("Request"),
        Some(2) => out.push_str("Reply"),
        Some(op) => {
            let _ = write!(out, "unknown (0x{op:02x})");
        }
        None => {}
    }
    if bytes.first() == Some(&1) && bytes.get(1) == Some(&1) && bytes.get(2) == Some(&6) {
        if let Some(m) = bytes.get(28..34) {
            out.push_str(" from ");
            push_mac(out, m);
        }
    }
    let _ = write!(out, ", length {udp_len}");
    if detail > 0 {
        dhcp_verbose(out, bytes, detail);
    }
}

/// The BOOTP header's fields and the RFC 2132 options as tcpdump -v shows them: hops, xid,
/// secs and flags on the line, then each address that is set, the client's Ethernet address,
/// and the options (`NAME (code), length N: value`) under `Vendor-rfc1048 Extensions`.
/// Stops quietly where the message is cut short.
fn dhcp_verbose(out: &mut String, b: &[u8], detail: u8) {
    let u16_at = |at: usize| b.get(at..at + 2).map(|x| u16::from_be_bytes([x[0], x[1]]));
    let u32_at = |at: usize| b.get(at..at + 4).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
    let ip_at = |at: usize| u32_at(at).map(std::net::Ipv4Addr::from);
    if let Some(h) = b.get(3).copied().filter(|&h| h != 0) {
        let _ = write!(out, ", hops {h}");
    }
    if let Some(x) = u32_at(4).filter(|&x| x != 0) {
        let _ = write!(out, ", xid {x:#x}");
    }
    if let Some(s) = u16_at(8).filter(|&s| s != 0) {
        let _ = write!(out, ", secs {s}");
    }
    let Some(flags) = u16_at(10) else { return };
    out.push_str(", Flags [");
    match (flags & 0x8000 != 0, flags & 0x7fff) {
        (false, 0) => out.push_str("none"),
        (true, 0) => out.push_str("Broadcast"),
        (true, rest) => {
            let _ = write!(out, "Broadcast, unknown (0x{rest:04x})");
        }
        (false, rest) => {
            let _ = write!(out, "unknown (0x{rest:04x})");
        }
    }
    out.push(']');
    if detail > 1 {
        let _ = write!(out, " ({flags:#06x})");
    }
    for (at, name) in [(12, "Client-IP"), (16, "Your-IP"), (20, "Server-IP"), (24, "Gateway-IP")] {
        match ip_at(at) {
            Some(a) if !a.is_unspecified() => {
                let _ = write!(out, "\n\t  {name} {a}");
            }
            Some(_) => {}
            None => return,
        }
    }
    if b.get(1) == Some(&1) && b.get(2) == Some(&6) {
        if let Some(m) = b.get(28..34) {
            out.push_str("\n\t  Client-Ethernet-Address ");
            push_mac(out, m);
        }
    }
    for (at, len, name) in [(44, 64, "sname"), (108, 128, "file")] {
        let Some(field) = b.get(at..at + len) else { return };
        if field.first().is_some_and(|&c| c != 0) {
            let text = field.split(|&c| c == 0).next().unwrap_or_default();
            let _ = write!(out, "\n\t  {name} \"");
            push_printable(out, text);
            out.push('"');
        }
    }
    let Some(cookie) = u32_at(236) else { return };
    if cookie != 0x6382_5363 {
        let _ = write!(out, "\n\t  Vendor-#{cookie:#x}");
        return;
    }
    out.push_str("\n\t  Vendor-rfc1048 Extensions\n\t    Magic Cookie 0x63825363");
    let mut rest = b.get(240..).unwrap_or_default();
    while let Some((&tag, after)) = rest.split_first() {
        match tag {
            0 => {
                rest = after;
                continue;
            }
            255 => return,
            _ => {}
        }
        let Some((&len, after)) = after.split_first() else { return };
        let Some(value) = after.get(..len as usize) else {
            let _ = write!(out, "\n\t    {} ({tag}), length {len} [|bootp]", dhcp_option_name(tag));
            return;
        };
        rest = after.get(len as usize..).unwrap_or_default();
        let _ = write!(out, "\n\t    {} ({tag}), length {len}: ", dhcp_option_name(tag));
        dhcp_option_value(out, tag, value);
    }
}

/// Bytes as text, with `.` for what cannot be shown.
fn push_printable(out: &mut String, text: &[u8]) {
    for &c in text {
        out.push(if c.is_ascii_graphic() || c == b' ' { c as char } else { '.' });
    }
}

/// An RFC 2132 (and later) option's name as tcpdump prints it.
fn dhcp_option_name(tag: u8) -> &'static str {
    match tag {
        1 => "Subnet-Mask",
        2 => "Time-Zone",
        3 => "Default-Gateway",
        4 => "Time-Server",
        5 => "IEN-Name-Server",
        6 => "Domain-Name-Server",
        7 => "Log-Server",
        8 => "Cookie-Server",
        9 => "LPR-Server",
        10 => "Impress-Server",
        11 => "Resource-Location-Server",
        12 => "Hostname",
        13 => "Boot-Size",
        14 => "Merit-Dump",
        15 => "Domain-Name",
        16 => "Swap-Server",
        17 => "Root-Path",
        18 => "Extensions-Path",
        19 => "IP-Forwarding",
        20 => "Non-Local-Source-Routing",
        21 => "Policy-Filter",
        22 => "Max-Datagram-Reassembly-Size",
        23 => "Default-TTL",
        24 => "MTU-Timeout",
        25 => "MTU-Plateau",
        26 => "MTU",
        27 => "Local-Subnets",
        28 => "BR",
        29 => "Mask-Discovery",
        30 => "Mask-Supplier",
        31 => "Router-Discovery",
        32 => "Router-Solicitation",
        33 => "Static-Route",
        34 => "Trailer-Encapsulation",
        35 => "ARP-Timeout",
        36 => "Ethernet-Encapsulation",
        37 => "TCP-TTL",
        38 => "TCP-Keepalive",
        39 => "Keepalive-Garbage",
        40 => "YD",
        41 => "YS",
        42 => "NTP",
        43 => "Vendor-Option",
        44 => "Netbios-Name-Server",
        45 => "Netbios-Datagram-Distribution",
        46 => "Netbios-Node",
        47 => "Netbios-Scope",
        48 => "X-Window-Font-Server",
        49 => "X-Window-Display-Manager",
        50 => "Requested-IP",
        51 => "Lease-Time",
        52 => "Option-Overload",
        53 => "DHCP-Message",
        54 => "Server-ID",
        55 => "Parameter-Request",
        56 => "Message",
        57 => "MSZ",
        58 => "RN",
        59 => "RB",
        60 => "Vendor-Class",
        61 => "Client-ID",
        66 => "TFTP",
        67 => "BF",
        81 => "Client-FQDN",
        82 => "Agent-Information",
        91 => "Last-Transaction-Time",
        92 => "Associated-IP",
        95 => "LDAP",
        114 => "URL",
        121 => "Classless-Static-Route",
        150 => "TFTP-Server-Address",
        _ => "Unknown",
    }
}

/// An option's value as tcpdump -v prints it: addresses joined by commas, numbers in decimal,
/// names quoted, the message type and the requested options by name.
fn dhcp_option_value(out: &mut String, tag: u8, v: &[u8]) {
    let ips = |out: &mut String| {
        for (i, a) in v.chunks_exact(4).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{}", std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]));
        }
    };
    let num = |out: &mut String| match v {
        [a] => {
            let _ = write!(out, "{a}");
        }
        [a, b] => {
            let _ = write!(out, "{}", u16::from_be_bytes([*a, *b]));
        }
        [a, b, c, d] => {
            let _ = write!(out, "{}", u32::from_be_bytes([*a, *b, *c, *d]));
        }
        _ => push_hex_bytes(out, v),
    };
    match tag {
        1 | 3..=11 | 16 | 28 | 32 | 41 | 42 | 44 | 45 | 48 | 49 | 50 | 54 | 65 | 69..=76 | 92 | 150 if v.len() % 4 == 0 => ips(out),
        2 if v.len() == 4 => {
            let _ = write!(out, "{}", i32::from_be_bytes([v[0], v[1], v[2], v[3]]));
        }
        12 | 14 | 15 | 17 | 18 | 40 | 47 | 56 | 60 | 64 | 66 | 67 | 114 => {
            out.push('"');
            push_printable(out, v);
            out.push('"');
        }
        53 if v.len() == 1 => out.push_str(dhcp_message_name(v[0])),
        55 => {
            for (i, &t) in v.iter().enumerate() {
                out.push_str(if i % 4 == 0 { "\n\t      " } else { ", " });
                let _ = write!(out, "{} ({t})", dhcp_option_name(t));
            }
        }
        61 if v.len() == 7 && v[0] == 1 => {
            out.push_str("ether ");
            push_mac(out, &v[1..]);
        }
        _ => num(out),
    }
}

/// Bytes in hex, as tcpdump shows an option it has no format for.
fn push_hex_bytes(out: &mut String, v: &[u8]) {
    for b in v {
        let _ = write!(out, "{b:02x}");
    }
}

/// A DHCP message type's name as tcpdump prints it (RFC 2132, 3203, 4388, 6926).
fn dhcp_message_name(t: u8) -> &'static str {
    match t {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NACK",
        7 => "Release",
        8 => "Inform",
        9 => "ForceRenew",
        10 => "LeaseQuery",
        11 => "LeaseUnassigned",
        12 => "LeaseUnknown",
        13 => "LeaseActive",
        14 => "BulkLeaseQuery",
        15 => "LeaseQueryDone",
        16 => "ActiveLeaseQuery",
        17 => "LeaseQueryStatus",
        18 => "TLS",
        _ => "Unknown",
    }
}

/// tcpdump's DHCPv6 text: `dhcp6 solicit`.
pub fn dhcpv6_line(out: &mut String, bytes: &[u8]) {
    match bytes.first() {
        Some(&t) => {
            let _ = write!(out, "dhcp6 {}", dhcp::v6_type_name(t));
        }
        None => out.push_str("dhcp6 [|dhcp6]"),
    }
}

/// The application text of a UDP datagram for the line, if inspect decodes its protocol;
/// `udp_len` is the length tcpdump prints (the UDP header's, less 8).
pub fn udp_line(out: &mut String, sport: u16, dport: u16, payload: &[u8], udp_len: usize, detail: u8) -> bool {
    match appdec::udp(sport, dport) {
        Some(AppProto::Dhcp) => dhcp_line(out, payload, udp_len, detail),
        Some(AppProto::Dhcpv6) => dhcpv6_line(out, payload),
        // tcpdump leaves LLMNR as plain UDP.
        Some(AppProto::Llmnr) | None => return false,
        Some(p) => dns_line(out, payload, p == AppProto::Mdns, detail > 0),
    }
    true
}

// ---------------------------------------------------------------- JSON (Wireshark names)

fn string(out: &mut String, k: &str, v: &str) {
    key(out, k);
    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "\"?\"".into()));
}

fn list<T>(out: &mut String, k: &str, items: &[T], each: impl Fn(&mut String, &T)) {
    if items.is_empty() {
        return;
    }
    key(out, k);
    out.push('[');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, it);
    }
    out.push(']');
}

fn quoted(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into()));
}

/// Appends the application fields of `p` to its JSON object (written by `json::packet`, whose
/// closing brace is moved after them).
pub fn json_tail(out: &mut String, p: &Packet<'_>, echo: &mut EchoPairs) {
    if out.ends_with('}') {
        out.pop();
    }
    if let Some((_, id, seq)) = echo_of(p) {
        if matches!(p.transport, Some(TransportSlice::Icmpv4(_))) {
            num(out, "icmp.ident", id);
            num(out, "icmp.seq", seq);
        } else {
            num(out, "icmpv6.echo.identifier", id);
            num(out, "icmpv6.echo.sequence_number", seq);
        }
        if let Some((frame, ms)) = echo.see(p) {
            let prefix = if matches!(p.transport, Some(TransportSlice::Icmpv4(_))) { "icmp" } else { "icmpv6" };
            num(out, &format!("{prefix}.resp_to"), frame);
            num(out, &format!("{prefix}.resptime"), format_args!("{ms:.6}"));
        }
    }
    match appdec::of_packet(p) {
        Some(App::Dns { msg, .. }) => dns_json(out, msg),
        Some(App::Dhcp(b)) => {
            if let Ok(d) = dhcp::parse(b) {
                dhcp_json(out, &d);
            }
        }
        Some(App::Dhcpv6(b)) => {
            if let Ok(d) = dhcp::parse_v6(b) {
                num(out, "dhcpv6.msgtype", d.msg_type);
                if let Some(x) = d.xid {
                    num(out, "dhcpv6.xid", x);
                }
            }
        }
        None => {}
    }
    out.push('}');
}

/// Appends the fields of the DNS messages a TCP segment completed (read from its stream) to
/// its JSON object: one message's as a datagram's, several messages' values of a field
/// together as one array, as tshark lists every occurrence.
pub fn dns_json_messages(out: &mut String, msgs: &[&[u8]]) {
    if msgs.is_empty() || !out.ends_with('}') {
        return;
    }
    out.pop();
    if let [one] = msgs {
        dns_json(out, one);
        out.push('}');
        return;
    }
    let mut fields: Vec<(String, Vec<serde_json::Value>, bool)> = Vec::new();
    for m in msgs {
        let mut one = String::from("{\"\":0");
        dns_json(&mut one, m);
        one.push('}');
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&one) else { continue };
        for (k, v) in map.into_iter().filter(|(k, _)| !k.is_empty()) {
            let at = match fields.iter().position(|f| f.0 == k) {
                Some(i) => i,
                None => {
                    fields.push((k, Vec::new(), false));
                    fields.len() - 1
                }
            };
            let Some(f) = fields.get_mut(at) else { continue };
            match v {
                serde_json::Value::Array(vs) => {
                    f.1.extend(vs);
                    f.2 = true;
                }
                v => f.1.push(v),
            }
        }
    }
    for (k, vs, list) in fields {
        key(out, &k);
        let v = match (list, <[serde_json::Value; 1]>::try_from(vs)) {
            (false, Ok([one])) => one,
            (_, Ok([one])) => serde_json::Value::Array(vec![one]),
            (_, Err(vs)) => serde_json::Value::Array(vs),
        };
        out.push_str(&v.to_string());
    }
    out.push('}');
}

fn all_records(m: &Message) -> impl Iterator<Item = &Record> {
    m.answers().iter().chain(m.name_servers()).chain(m.additionals())
}

fn dns_json(out: &mut String, msg: &[u8]) {
    let Some(h) = Header::of(msg) else { return };
    num(out, "dns.id", h.id);
    boolean(out, "dns.flags.response", h.response());
    num(out, "dns.flags.opcode", h.opcode());
    let parsed = dns::parse(msg);
    if h.response() {
        num(out, "dns.flags.rcode", dns::rcode(&h, parsed.as_ref().ok()));
    }
    num(out, "dns.count.queries", h.qd);
    num(out, "dns.count.answers", h.an);
    num(out, "dns.count.auth_rr", h.ns);
    num(out, "dns.count.add_rr", h.ar);
    let m = match parsed {
        Ok(m) => m,
        Err(e) => {
            string(out, "dns.malformed", &e.to_string());
            return;
        }
    };
    let names: Vec<String> = m.queries().iter().map(|q| dns::name_text(q.name())).collect();
    list(out, "dns.qry.name", &names, |o, n| quoted(o, n));
    let types: Vec<u16> = m.queries().iter().map(|q| q.query_type().into()).collect();
    list(out, "dns.qry.type", &types, |o, t| {
        let _ = write!(o, "{t}");
    });
    let rrs: Vec<&Record> = all_records(&m).filter(|r| u16::from(r.record_type()) != 41).collect();
    let pick = |f: &dyn Fn(&Record) -> Option<String>| -> Vec<String> { rrs.iter().filter_map(|r| f(r)).collect() };
    let a = pick(&|r| if let RData::A(a) = r.data() { Some(a.0.to_string()) } else { None });
    list(out, "dns.a", &a, |o, s| quoted(o, s));
    let aaaa = pick(&|r| if let RData::AAAA(a) = r.data() { Some(a.0.to_string()) } else { None });
    list(out, "dns.aaaa", &aaaa, |o, s| quoted(o, s));
    let cname = pick(&|r| if let RData::CNAME(n) = r.data() { Some(dns::name_text(&n.0)) } else { None });
    list(out, "dns.cname", &cname, |o, s| quoted(o, s));
    let ns = pick(&|r| if let RData::NS(n) = r.data() { Some(dns::name_text(&n.0)) } else { None });
    list(out, "dns.ns", &ns, |o, s| quoted(o, s));
    let ptr = pick(&|r| if let RData::PTR(n) = r.data() { Some(dns::name_text(&n.0)) } else { None });
    list(out, "dns.ptr.domain_name", &ptr, |o, s| quoted(o, s));
    let mx = pick(&|r| if let RData::MX(m) = r.data() { Some(dns::name_text(m.exchange())) } else { None });
    list(out, "dns.mx.mail_exchange", &mx, |o, s| quoted(o, s));
    let srv = pick(&|r| if let RData::SRV(s) = r.data() { Some(dns::name_text(s.target())) } else { None });
    list(out, "dns.srv.target", &srv, |o, s| quoted(o, s));
    let txt = pick(&|r| {
        if let RData::TXT(t) = r.data() {
            Some(t.txt_data().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>().join(""))
        } else {
            None
        }
    });
    list(out, "dns.txt", &txt, |o, s| quoted(o, s));
    let ttls: Vec<u32> = rrs.iter().map(|r| r.ttl()).collect();
    list(out, "dns.resp.ttl", &ttls, |o, t| {
        let _ = write!(o, "{t}");
    });
    if let Some(e) = m.extensions() {
        num(out, "dns.rr.udp_payload_size", e.max_payload());
    }
}

fn dhcp_json(out: &mut String, d: &Dhcp) {
    num(out, "dhcp.type", d.op);
    num(out, "dhcp.hw.type", d.htype);
    num(out, "dhcp.id", d.xid);
    num(out, "dhcp.secs", d.secs);
    boolean(out, "dhcp.flags.bc", d.broadcast);
    string(out, "dhcp.ip.client", &d.ciaddr.to_string());
    string(out, "dhcp.ip.your", &d.yiaddr.to_string());
    string(out, "dhcp.ip.server", &d.siaddr.to_string());
    string(out, "dhcp.ip.relay", &d.giaddr.to_string());
    if d.htype == 1 && d.chaddr.len() == 6 {
        key(out, "dhcp.hw.mac_addr");
        out.push('"');
        push_mac(out, &d.chaddr);
        out.push('"');
    }
    if let Some(t) = d.msg_type {
        num(out, "dhcp.option.dhcp", t);
    }
    if let Some(a) = d.subnet_mask {
        string(out, "dhcp.option.subnet_mask", &a.to_string());
    }
    if let Some(a) = d.requested {
        string(out, "dhcp.option.requested_ip_address", &a.to_string());
    }
    if let Some(a) = d.server_id {
        string(out, "dhcp.option.dhcp_server_id", &a.to_string());
    }
    if let Some(t) = d.lease_time {
        num(out, "dhcp.option.ip_address_lease_time", t);
    }
    list(out, "dhcp.option.router", &d.routers, |o, a| quoted(o, &a.to_string()));
    list(out, "dhcp.option.domain_name_server", &d.dns_servers, |o, a| quoted(o, &a.to_string()));
    if let Some(h) = &d.hostname {
        string(out, "dhcp.option.hostname", h);
    }
    if let Some(h) = &d.domain {
        string(out, "dhcp.option.domain_name", h);
    }
}

// ---------------------------------------------------------------- the five-layer tree (-V)

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "      {name:<22} {value}");
}

/// Appends the Application branch of `p` (ICMP echo pairing, DNS, DHCP) to its tree.
pub fn tree(out: &mut String, p: &Packet<'_>, echo: &mut EchoPairs) {
    // The layer tree names the application branch when the payload has a protocol; the fields
    // here continue it, or open it.
    let open = |out: &mut String, title: &str| {
        if !out.contains("\n  Application: ") {
            let _ = writeln!(out, "  Application: {title}");
        }
    };
    if let Some((request, id, seq)) = echo_of(p) {
        open(out, "ICMP echo");
        field(out, "Kind", if request { "request (ping)" } else { "reply (pong)" });
        field(out, "Identifier", format!("{id} (pairs the requests of one ping run)"));
        field(out, "Sequence", seq);
        if let Some((frame, ms)) = echo.see(p) {
            field(out, "Round trip", format!("{ms:.3} ms (reply to frame {frame})"));
        }
    }
    match appdec::of_packet(p) {
        Some(App::Dns { proto, msg, tcp }) => {
            open(out, "DNS");
            dns_tree(out, proto, msg, tcp)
        }
        Some(App::Dhcp(b)) => match dhcp::parse(b) {
            Ok(d) => {
                open(out, "DHCP");
                dhcp_tree(out, &d)
            }
            Err(e) => {
                open(out, "DHCP");
                field(out, "Error", e);
            }
        },
        Some(App::Dhcpv6(b)) => {
            open(out, "DHCPv6");
            match dhcp::parse_v6(b) {
                Ok(d) => {
                    field(out, "Message type", format!("{} ({})", d.msg_type, dhcp::v6_type_name(d.msg_type)));
                    if let Some(x) = d.xid {
                        field(out, "Transaction id", format!("{x:#08x}"));
                    }
                }
                Err(e) => field(out, "Error", e),
            }
        }
        None => {}
    }
}

/// The DNS fields of the `-V` tree's Application branch.
pub fn dns_tree(out: &mut String, proto: AppProto, msg: &[u8], tcp: bool) {
    let name = match proto {
        AppProto::Mdns => "mDNS",
        AppProto::Llmnr => "LLMNR",
        _ => "DNS",
    };
    let Some(h) = Header::of(msg) else { return };
    field(out, "Message", format!("{name} {}{}", if h.response() { "response" } else { "query" }, if tcp { " over TCP" } else { "" }));
    field(out, "Transaction id", format!("{:#06x} (pairs a query with its response)", h.id));
    let mut flags = Vec::new();
    for (on, what) in [
        (h.aa(), "authoritative"),
        (h.tc(), "truncated"),
        (h.rd(), "recursion desired"),
        (h.ra(), "recursion available"),
        (h.ad(), "authentic data"),
        (h.cd(), "checking disabled"),
    ] {
        if on {
            flags.push(what);
        }
    }
    field(out, "Flags", format!("{:#06x} ({})", h.flags, if flags.is_empty() { "none".into() } else { flags.join(", ") }));
    field(out, "Opcode", h.opcode());
    let parsed = dns::parse(msg);
    if h.response() {
        let r = dns::rcode(&h, parsed.as_ref().ok());
        field(out, "Response code", format!("{r} ({})", dns::rcode_name(r)));
    }
    field(out, "Counts", format!("{} questions, {} answers, {} authority, {} additional", h.qd, h.an, h.ns, h.ar));
    let m = match parsed {
        Ok(m) => m,
        Err(e) => {
            field(out, "Error", e);
            return;
        }
    };
    for q in m.queries() {
        let t: u16 = q.query_type().into();
        field(out, "Question", format!("{} {} (type {t}), class {}", dns::name_text(q.name()), dns::type_name(t), dns::class_name(q.query_class().into())));
    }
    for (section, rrs) in [("Answer", m.answers()), ("Authority", m.name_servers()), ("Additional", m.additionals())] {
        for r in rrs {
            let t: u16 = r.record_type().into();
            let data = dns::answer_text(r).unwrap_or_default();
            field(out, section, format!("{} {} {data}, TTL {} s", dns::name_text(r.name()), dns::type_name(t), r.ttl()));
        }
    }
    if let Some(e) = m.extensions() {
        field(out, "EDNS", format!("version {}, UDP payload size {}{}", e.version(), e.max_payload(), if e.flags().dnssec_ok { ", DNSSEC OK" } else { "" }));
    }
}

fn dhcp_tree(out: &mut String, d: &Dhcp) {
    let kind = d.msg_type.map(|t| dhcp::type_name(t).into_owned()).unwrap_or_else(|| "BOOTP".into());
    field(out, "Message", format!("DHCP {kind}"));
    field(out, "Op", format!("{} ({})", d.op, if d.op == 1 { "request, client to server" } else { "reply, server to client" }));
    field(out, "Transaction id", format!("{:#010x} (pairs the messages of one exchange)", d.xid));
    let mut mac = String::new();
    push_mac(&mut mac, &d.chaddr);
    field(out, "Client hardware", mac);
    field(out, "Client address", format!("{} (ciaddr: the client's, when it has one)", d.ciaddr));
    field(out, "Your address", format!("{} (yiaddr: what the server gives)", d.yiaddr));
    field(out, "Server address", format!("{} (siaddr: next server)", d.siaddr));
    if let Some(a) = d.requested {
        field(out, "Requested address", a);
    }
    if let Some(a) = d.server_id {
        field(out, "Server identifier", a);
    }
    if let Some(t) = d.lease_time {
        field(out, "Lease time", format!("{t} s"));
    }
    if let Some(a) = d.subnet_mask {
        field(out, "Subnet mask", a);
    }
    if !d.routers.is_empty() {
        field(out, "Routers", d.routers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
    }
    if !d.dns_servers.is_empty() {
        field(out, "DNS servers", d.dns_servers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
    }
    if let Some(h) = &d.hostname {
        field(out, "Host name", h);
    }
    if let Some(h) = &d.domain {
        field(out, "Domain name", h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DHCP message cut at every length, and with every option length byte set past the end,
    /// prints what is there and stops: no panic.
    #[test]
    fn verbose_dhcp_survives_cut_and_lying_messages() {
        let mut m = vec![0u8; 240];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        m[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        m.extend_from_slice(&[53, 1, 1, 55, 3, 1, 3, 6, 61, 7, 1, 2, 3, 4, 5, 6, 7, 12, 3, b'a', b'b', b'c', 255]);
        let mut full = String::new();
        dhcp_line(&mut full, &m, m.len(), 2);
        assert!(full.contains("DHCP-Message (53), length 1: Discover"), "{full}");
        assert!(full.contains("Client-ID (61), length 7: ether 02:03:04:05:06:07"), "{full}");
        assert!(full.contains("Hostname (12), length 3: \"abc\""), "{full}");
        for cut in 0..m.len() {
            let mut out = String::new();
            dhcp_line(&mut out, &m[..cut], cut, 2);
        }
        for at in 240..m.len() {
            let mut lying = m.clone();
            lying[at] = 0xff;
            let mut out = String::new();
            dhcp_line(&mut out, &lying, lying.len(), 1);
        }
    }
}
