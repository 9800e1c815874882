//! The five-layer view (`-V`): one branch per layer, every field with its value and meaning, and
//! the byte offset where each header starts; `-x` adds a hex and ASCII dump of the frame.

use std::fmt::Write as _;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::names;
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::{offset_of, Link, Packet};
use crate::output::line::{push_mac, tcp_flags};
use crate::output::table::count;

fn branch(out: &mut String, title: &str, offset: Option<usize>) {
    match offset {
        Some(o) => {
            let _ = writeln!(out, "  {title}  @{o}");
        }
        None => {
            let _ = writeln!(out, "  {title}");
        }
    }
}

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "      {name:<22} {value}");
}

fn mac_str(m: &[u8]) -> String {
    let mut s = String::new();
    push_mac(&mut s, m);
    let kind = match m.first() {
        _ if m.iter().all(|b| *b == 0xff) => " (broadcast)",
        Some(b) if b & 1 == 1 => " (multicast)",
        Some(b) if b & 2 == 2 => " (locally administered)",
        _ => "",
    };
    s.push_str(kind);
    s
}

/// Appends the layer tree for `p` to `out` (several lines, each ending in a newline).
pub fn packet(out: &mut String, p: &Packet<'_>) {
    let _ = writeln!(
        out,
        "Frame {}: {} on wire, {} captured, {} UTC, link type {} ({})",
        p.number,
        count(p.len.into(), "byte", "bytes"),
        p.data.len(),
        p.ts,
        names::linktype(p.linktype),
        p.linktype
    );
    out.push_str("  Physical: ");
    let _ = writeln!(out, "{} on the wire{}", count(p.len.into(), "byte", "bytes"), if (p.data.len() as u32) < p.len { ", cut by the snap length" } else { "" });
    match p.link {
        Link::Ethernet { dst, src, ethertype } => {
            branch(out, "Data link: Ethernet II", Some(0));
            field(out, "Destination", mac_str(&dst));
            field(out, "Source", mac_str(&src));
            for v in p.vlans.iter().take(p.vlan_count as usize) {
                field(out, "VLAN tag", format!("TPID {:#06x}, id {}, priority {} (TCI @{})", v.tpid, v.id, v.pcp, v.offset));
            }
            if ethertype < 0x0600 {
                field(out, "Length (802.3)", ethertype);
            } else {
                field(out, "EtherType", format!("{ethertype:#06x} ({})", names::ethertype(ethertype).unwrap_or("unknown")));
            }
        }
        Link::Sll { version, pkttype, hatype, addr, addr_len, protocol, ifindex } => {
            branch(out, &format!("Data link: Linux cooked capture v{version}"), Some(0));
            let dir = match pkttype {
                0 => "to us",
                1 => "broadcast",
                2 => "multicast",
                3 => "to another host",
                4 => "sent by us",
                _ => "unknown",
            };
            field(out, "Packet type", format!("{pkttype} ({dir})"));
            field(out, "Hardware type", hatype);
            let mut a = String::new();
            push_mac(&mut a, addr.get(..addr_len as usize).unwrap_or(&[]));
            field(out, "Source address", a);
            if version == 2 {
                field(out, "Interface index", ifindex);
            }
            field(out, "Protocol", format!("{protocol:#06x} ({})", names::ethertype(protocol).unwrap_or("unknown")));
        }
        Link::Loopback { family } => {
            branch(out, "Data link: loopback", Some(0));
            let fam = match family {
                2 => "IPv4",
                10 | 24 | 28 | 30 => "IPv6",
                _ => "unknown",
            };
            field(out, "Address family", format!("{family} ({fam})"));
        }
        Link::RawIp => branch(out, "Data link: none (raw IP)", None),
        Link::Unsupported => branch(out, &format!("Data link: link type {} not decoded", p.linktype), Some(0)),
    }
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            branch(out, "Network: IPv4", Some(p.net_offset));
            field(out, "Version", h.version());
            field(out, "Header length", format!("{} bytes ({})", h.ihl() as u32 * 4, h.ihl()));
            field(out, "DSCP", format!("{} ({})", h.dcp().value(), names::dscp(h.dcp().value())));
            let ecn = match h.ecn().value() {
                0 => "Not-ECT",
                1 => "ECT(1)",
                2 => "ECT(0)",
                _ => "CE (congestion experienced)",
            };
            field(out, "ECN", format!("{} ({ecn})", h.ecn().value()));
            field(out, "Total length", h.total_len());
            field(out, "Identification", format!("{0:#06x} ({0})", h.identification()));
            field(
                out,
                "Flags",
                format!("DF={} (don't fragment), MF={} (more fragments)", h.dont_fragment() as u8, h.more_fragments() as u8),
            );
            field(out, "Fragment offset", format!("{} bytes", h.fragments_offset().value() as u32 * 8));
            field(out, "Time to live", h.ttl());
            let proto = h.protocol().0;
            field(out, "Protocol", format!("{proto} ({})", names::ip_proto(proto).unwrap_or("unknown")));
            let ok = p.ipv4_checksum_ok().unwrap_or(false);
            field(out, "Header checksum", format!("{:#06x} ({})", h.header_checksum(), if ok { "correct" } else { "INCORRECT" }));
            field(out, "Source", h.source_addr());
            field(out, "Destination", h.destination_addr());
            if !h.options().is_empty() {
                field(out, "Options", format!("{} bytes", h.options().len()));
            }
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            branch(out, "Network: IPv6", Some(p.net_offset));
            field(out, "Version", h.version());
            field(out, "Traffic class", format!("{:#04x}", h.traffic_class()));
            field(out, "Flow label", format!("{:#07x}", h.flow_label().value()));
            field(out, "Payload length", h.payload_length());
            let nh = h.next_header().0;
            field(out, "Next header", format!("{nh} ({})", names::ip_proto(nh).unwrap_or("unknown")));
            field(out, "Hop limit", h.hop_limit());
            field(out, "Source", std::net::Ipv6Addr::from(h.source()));
            field(out, "Destination", std::net::Ipv6Addr::from(h.destination()));
        }
        Some(LaxNetSlice::Arp(a)) => {
            branch(out, "Network: ARP", Some(p.net_offset));
            field(out, "Hardware type", a.hw_addr_type().0);
            field(out, "Protocol type", format!("{:#06x}", a.proto_addr_type().0));
            let op = a.operation().0;
            field(out, "Operation", format!("{op} ({})", names::arp_op(op)));
            let mut s = String::new();
            push_mac(&mut s, a.sender_hw_addr());
            field(out, "Sender MAC", s);
            field(out, "Sender IP", ip_or_hex(a.sender_protocol_addr()));
            let mut t = String::new();
            push_mac(&mut t, a.target_hw_addr());
            field(out, "Target MAC", t);
            field(out, "Target IP", ip_or_hex(a.target_protocol_addr()));
            if a.sender_protocol_addr() == a.target_protocol_addr() {
                field(out, "Note", "gratuitous ARP (sender and target IP are the same)");
            }
        }
        None => {}
    }
    let mut app_ports = None;
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            branch(out, "Transport: TCP", Some(offset_of(p.data, t.header_slice())));
            if let Some(i) = p.tcp() {
                field(out, "Source port", i.sport);
                field(out, "Destination port", i.dport);
                field(out, "Sequence number", i.seq);
                field(out, "Acknowledgment number", i.ack);
                field(out, "Header length", format!("{} bytes", t.header_slice().len()));
                let mut f = String::new();
                tcp_flags(&mut f, i.flags);
                let mut named = Vec::new();
                for (bit, n) in [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")] {
                    if i.flags & bit != 0 {
                        named.push(n);
                    }
                }
                field(out, "Flags", format!("{:#05x} [{f}] {}", i.flags, named.join(" ")));
                field(out, "Window", i.window);
                field(out, "Checksum", format!("{:#06x}", t.checksum()));
                field(out, "Urgent pointer", t.urgent_pointer());
                for o in TcpOpts::new(t.options()) {
                    match o {
                        TcpOpt::Mss(m) => field(out, "Option MSS", format!("{m} bytes")),
                        TcpOpt::WindowScale(w) => field(out, "Option window scale", format!("{w} (multiply by {})", 1u64 << w.min(30))),
                        TcpOpt::SackPermitted => field(out, "Option SACK permitted", "yes"),
                        TcpOpt::Sack(n) => field(out, "Option SACK", format!("{n} blocks")),
                        TcpOpt::Timestamps(v, e) => field(out, "Option timestamps", format!("TSval {v}, TSecr {e}")),
                        TcpOpt::Bad => field(out, "Options", "malformed from here"),
                        _ => {}
                    }
                }
                field(out, "Payload length", i.payload_len);
                app_ports = Some((i.sport, i.dport));
            }
        }
        Some(TransportSlice::Udp(u)) => {
            branch(out, "Transport: UDP", Some(offset_of(p.data, u.header_slice())));
            field(out, "Source port", u.source_port());
            field(out, "Destination port", u.destination_port());
            field(out, "Length", u.length());
            field(out, "Checksum", format!("{:#06x}", u.checksum()));
            app_ports = Some((u.source_port(), u.destination_port()));
        }
        Some(TransportSlice::Icmpv4(i)) => {
            branch(out, "Transport: ICMP", Some(offset_of(p.data, i.slice())));
            field(out, "Type", format!("{} ({})", i.type_u8(), names::icmp_type(i.type_u8())));
            field(out, "Code", format!("{} ({})", i.code_u8(), names::icmp(i.type_u8(), i.code_u8())));
            field(out, "Checksum", format!("{:#06x}", i.checksum()));
        }
        Some(TransportSlice::Icmpv6(i)) => {
            branch(out, "Transport: ICMPv6", Some(offset_of(p.data, i.slice())));
            field(out, "Type", format!("{} ({})", i.type_u8(), names::icmpv6_type(i.type_u8())));
            field(out, "Code", format!("{} ({})", i.code_u8(), names::icmpv6(i.type_u8(), i.code_u8())));
            field(out, "Checksum", format!("{:#06x}", i.checksum()));
        }
        Some(TransportSlice::Igmp(_)) => branch(out, "Transport: IGMP", None),
        None => {}
    }
    if let Some((sp, dp)) = app_ports {
        let payload = p.app_payload();
        let name = names::app_for_ports(sp, dp).unwrap_or("unknown (no well-known port)");
        branch(out, &format!("Application: {name}"), (!payload.is_empty()).then(|| offset_of(p.data, payload)));
        field(out, "Payload", format!("{} captured", count(payload.len() as u64, "byte", "bytes")));
        if !payload.is_empty() {
            let preview: String = payload
                .iter()
                .take(64)
                .take_while(|b| **b != b'\r' && **b != b'\n')
                .map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' })
                .collect();
            field(out, "Starts with", format!("\"{preview}\""));
        }
    }
    if let Some(stop) = &p.stop {
        let _ = writeln!(out, "  !! Decoding stopped: {stop}");
    }
}

fn ip_or_hex(b: &[u8]) -> String {
    match <[u8; 4]>::try_from(b) {
        Ok(a) => std::net::Ipv4Addr::from(a).to_string(),
        Err(_) => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(""),
    }
}

/// Appends a hex dump of `data` (with its ASCII when `ascii`), 16 bytes a line, with offsets,
/// as tcpdump's -x and -X print it (after `indent`: a tab in tcpdump's lines, spaces in the
/// five-layer tree).
pub fn hex(out: &mut String, data: &[u8], ascii: bool, indent: &str) {
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{indent}0x{:04x}:  ", i * 16);
        let mut text = String::new();
        for (j, b) in chunk.iter().enumerate() {
            let _ = write!(text, "{b:02x}");
            if j % 2 == 1 && j + 1 < chunk.len() {
                text.push(' ');
            }
        }
        out.push_str(&text);
        if ascii {
            // tcpdump pads the hex to its full width: 8 groups of 4 digits and 7 spaces.
            out.push_str(&" ".repeat(39usize.saturating_sub(text.len()) + 2));
            for b in chunk {
                out.push(if b.is_ascii_graphic() { *b as char } else { '.' });
            }
        }
        out.push('\n');
    }
}

/// The bytes as tcpdump's -A prints them: printable characters and line ends as they are
/// (a CR before an LF dropped), anything else as a dot; after a line break of its own.
pub fn ascii(out: &mut String, data: &[u8]) {
    for (i, &b) in data.iter().enumerate() {
        let left = data.len() - i - 1;
        match b {
            // A CR is left out before an LF and near the end, a dot elsewhere (tcpdump's rule).
            b'\r' => {
                if left > 1 && data.get(i + 1) != Some(&b'\n') {
                    out.push('.');
                }
            }
            b'\n' | b'\t' | b' ' => out.push(b as char),
            b if b.is_ascii_graphic() => out.push(b as char),
            _ => out.push('.'),
        }
    }
    out.push('\n');
}
