//! The five-layer view (`-V`): one branch per layer, every field with its value and meaning, and
//! the byte offset where each header starts; `-x` adds a hex and ASCII dump of the frame.

use std::fmt::Write as _;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::bytes::{be16_or0, be32_or0};
use crate::decode::names;
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::defrag::Reassembled;
use crate::decode::encap::{Encap, Kind};
use crate::decode::wlan::{names as wlan_names, Mac, Radio, Radiotap, Wlan};
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

/// The radio header's fields (they describe the physical layer) and the 802.11 data link.
fn wlan_layers(out: &mut String, p: &Packet<'_>, w: &Wlan) {
    match w.radio {
        Radio::Radiotap => {
            if let Some(r) = Radiotap::parse(p.data) {
                field(out, "Radiotap header", format!("{} bytes, present flags {:#010x}", r.len, r.present));
                if let Some(t) = r.tsft {
                    field(out, "MAC timestamp", format!("{t} µs"));
                }
                if let Some(f) = r.flags {
                    let mut v = format!("{f:#04x}");
                    for (bit, name) in [(0x02, "short preamble"), (0x04, "WEP"), (0x08, "fragmented"), (0x10, "FCS at end"), (0x40, "bad FCS")] {
                        if f & bit != 0 {
                            let _ = write!(v, ", {name}");
                        }
                    }
                    field(out, "Flags", v);
                }
                if let Some(rate) = r.rate {
                    field(out, "Data rate", format!("{}.{} Mb/s", rate / 2, if rate % 2 == 1 { 5 } else { 0 }));
                }
                if let Some((freq, flags)) = r.channel {
                    field(out, "Channel", format!("{freq} MHz, flags {flags:#06x}"));
                }
                if let Some(s) = r.signal {
                    field(out, "Antenna signal", format!("{s} dBm"));
                }
                if let Some(n) = r.noise {
                    field(out, "Antenna noise", format!("{n} dBm"));
                }
                if let Some(a) = r.antenna {
                    field(out, "Antenna", a);
                }
            }
        }
        Radio::Prism => field(out, "Prism header", format!("{} bytes", w.radio_len)),
        Radio::Avs => field(out, "AVS header", format!("{} bytes", w.radio_len)),
        Radio::None => {}
    }
    mac_layer(out, w.mac(p.data), w.radio_len as usize, "", w.ethertype, w.llc_offset());
    if w.fcs {
        field(out, "FCS", format!("last 4 bytes @{}", p.data.len().saturating_sub(4)));
    }
}

/// The 802.11 header at the start of `mac` (the frame from there on), at `off` in the frame (an outer link layer, or a
/// frame inside Aruba's GRE: `inside` says so), and its LLC/SNAP header at `llc_at` when it
/// names an EtherType (`ethertype` not 0).
fn mac_layer(out: &mut String, mac: &[u8], off: usize, inside: &str, ethertype: u16, llc_at: usize) {
    let Some(m) = Mac::parse(mac) else {
        branch(out, &format!("Data link: IEEE 802.11{inside} (header cut short)"), Some(off));
        return;
    };
    branch(out, &format!("Data link: IEEE 802.11{inside}"), Some(off));
    field(out, "Type/subtype", format!("{:#06x} ({})", m.type_subtype(), wlan_names::subtype(m.ftype(), m.subtype())));
    let ds = match m.ds() {
        0 => "not to or from a distribution system",
        1 => "to DS (station to access point)",
        2 => "from DS (access point to station)",
        _ => "to and from DS (four addresses)",
    };
    field(out, "DS status", format!("{} ({ds})", m.ds()));
    let mut flags = format!("{:#04x}", m.flags);
    for (bit, name) in [(0x04, "more fragments"), (0x08, "retry"), (0x10, "power management"), (0x20, "more data"), (0x40, "protected"), (0x80, "order")] {
        if m.flags & bit != 0 {
            let _ = write!(flags, ", {name}");
        }
    }
    field(out, "Flags", flags);
    field(out, "Duration", format!("{} µs", m.duration));
    let r = m.roles();
    for (name, a) in [("Receiver", r.ra), ("Transmitter", r.ta), ("Destination", r.da), ("Source", r.sa), ("BSSID", r.bssid)] {
        if let Some(a) = a {
            field(out, name, mac_str(a));
        }
    }
    if let Some(seq) = m.seq_ctl {
        field(out, "Sequence", format!("{}, fragment {}", seq >> 4, seq & 0xf));
    }
    if let Some(q) = m.qos {
        field(out, "QoS control", format!("{q:#06x} (TID {}{})", q & 0xf, if q & 0x80 != 0 { ", A-MSDU" } else { "" }));
        if q & 0x80 != 0 && !m.protected() {
            let n = crate::decode::wlan::amsdu(mac).count();
            field(out, "A-MSDU", match n {
                1 => "1 subframe".to_string(),
                n => format!("{n} subframes: the first one's packet is shown, the analyzers read each"),
            });
        }
    }
    if let Some(h) = m.htc {
        field(out, "HT control", format!("{h:#010x}"));
    }
    if m.protected() {
        field(out, "Body", "encrypted: not decoded");
    }
    if ethertype != 0 {
        field(out, "LLC/SNAP", format!("EtherType {ethertype:#06x} ({}) @{llc_at}", names::ethertype(ethertype).unwrap_or("unknown")));
    }
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
    packet_whole(out, p, None);
}

/// The fragments a datagram was rebuilt from, listed under the fragment that completed it.
fn reassembly(out: &mut String, p: &Packet<'_>, w: &Reassembled<'_>) {
    let len = w.packet.ip_payload_len();
    branch(
        out,
        &format!("Reassembled: {} of {} from {}", if w.v6 { "IPv6 datagram" } else { "IPv4 datagram" }, count(len as u64, "byte", "bytes"), count(w.pieces.len() as u64, "fragment", "fragments")),
        None,
    );
    for piece in w.pieces {
        let this = if piece.frame == p.number { " (this frame)" } else { "" };
        field(out, &format!("Frame {}{this}", piece.frame), format!("offset {}, {}", piece.offset, count(piece.len as u64, "byte", "bytes")));
    }
}

/// [`packet`] for a fragment that completed datagram `whole` (None for any other packet): its
/// own layers, the list of fragments, then the whole datagram's transport and application
/// layers (their offsets within the datagram).
pub fn packet_whole(out: &mut String, p: &Packet<'_>, whole: Option<&Reassembled<'_>>) {
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
        Link::Nflog { family, version, resource_id } => {
            branch(out, "Data link: NFLOG", Some(0));
            let fam = match family {
                2 => "IPv4",
                10 => "IPv6",
                _ => "unknown",
            };
            field(out, "Address family", format!("{family} ({fam})"));
            field(out, "Version", version);
            field(out, "Resource id", resource_id);
        }
        Link::Wlan(w) => wlan_layers(out, p, &w),
        Link::RawIp => branch(out, "Data link: none (raw IP)", None),
        Link::Unsupported => branch(out, &format!("Data link: link type {} not decoded", p.linktype), Some(0)),
    }
    for (i, e) in p.encaps.as_slice().iter().enumerate() {
        encap(out, p, i, e);
    }
    let inner_read = p.encaps.as_slice().last().is_none_or(|e| p.net_offset >= (e.offset + e.len) as usize);
    match &p.net {
        _ if !inner_read => {}
        Some(LaxNetSlice::Ipv4(v4)) => ipv4(out, &v4.header(), p.net_offset, inner_title(p)),
        Some(LaxNetSlice::Ipv6(v6)) => ipv6(out, &v6.header(), p.net_offset, inner_title(p)),
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
    // The transport layer: the packet's, or the whole datagram's on the fragment completing it.
    let up = match whole {
        Some(w) => {
            reassembly(out, p, w);
            &w.packet
        }
        None => p,
    };
    let inner_read = inner_read || whole.is_some();

    let mut app_ports = None;
    match &up.transport {
        _ if !inner_read => {}
        Some(TransportSlice::Tcp(t)) => {
            branch(out, "Transport: TCP", Some(offset_of(up.data, t.header_slice())));
            if let Some(i) = up.tcp() {
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
            branch(out, "Transport: UDP", Some(offset_of(up.data, u.header_slice())));
            field(out, "Source port", u.source_port());
            field(out, "Destination port", u.destination_port());
            field(out, "Length", u.length());
            field(out, "Checksum", format!("{:#06x}", u.checksum()));
            app_ports = Some((u.source_port(), u.destination_port()));
        }
        Some(TransportSlice::Icmpv4(i)) => {
            branch(out, "Transport: ICMP", Some(offset_of(up.data, i.slice())));
            field(out, "Type", format!("{} ({})", i.type_u8(), names::icmp_type(i.type_u8())));
            field(out, "Code", format!("{} ({})", i.code_u8(), names::icmp(i.type_u8(), i.code_u8())));
            field(out, "Checksum", format!("{:#06x}", i.checksum()));
        }
        Some(TransportSlice::Icmpv6(i)) => {
            branch(out, "Transport: ICMPv6", Some(offset_of(up.data, i.slice())));
            field(out, "Type", format!("{} ({})", i.type_u8(), names::icmpv6_type(i.type_u8())));
            field(out, "Code", format!("{} ({})", i.code_u8(), names::icmpv6(i.type_u8(), i.code_u8())));
            field(out, "Checksum", format!("{:#06x}", i.checksum()));
        }
        Some(TransportSlice::Igmp(i)) => {
            branch(out, "Transport: IGMP", Some(offset_of(up.data, i.slice())));
            igmp_fields(out, up);
        }
        None => {}
    }
    if let Some((sp, dp)) = app_ports {
        let payload = up.app_payload();
        let name = names::app_for_ports(sp, dp).unwrap_or("unknown (no well-known port)");
        branch(out, &format!("Application: {name}"), (!payload.is_empty()).then(|| offset_of(up.data, payload)));
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

/// The title of the innermost network layer: marked as inside when there are tunnels.
fn inner_title(p: &Packet<'_>) -> &'static str {
    if p.encaps.tunnel().is_some() { " (inside the tunnel)" } else { "" }
}

fn ipv4(out: &mut String, h: &etherparse::Ipv4HeaderSlice<'_>, offset: usize, note: &str) {
    branch(out, &format!("Network: IPv4{note}"), Some(offset));
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
    let ok = crate::decode::internet_checksum(h.slice()) == 0;
    field(out, "Header checksum", format!("{:#06x} ({})", h.header_checksum(), if ok { "correct" } else { "INCORRECT" }));
    field(out, "Source", h.source_addr());
    field(out, "Destination", h.destination_addr());
    if !h.options().is_empty() {
        field(out, "Options", format!("{} bytes", h.options().len()));
    }
}

fn ipv6(out: &mut String, h: &etherparse::Ipv6HeaderSlice<'_>, offset: usize, note: &str) {
    branch(out, &format!("Network: IPv6{note}"), Some(offset));
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

/// One header between the link layer and the innermost packet, as its own branch: outer IP and
/// UDP headers under the network and transport layers they are, tunnel headers and shims
/// under what they carry.
fn encap(out: &mut String, p: &Packet<'_>, i: usize, e: &Encap) {
    let b = e.bytes(p.data);
    let at = Some(e.offset as usize);
    let tunnel = p.encaps.tunnel().map(|(k, _)| k.name()).unwrap_or("");
    match e.kind {
        Kind::Ipv4 => {
            if let Ok(h) = etherparse::Ipv4HeaderSlice::from_slice(e.rest(p.data)) {
                ipv4(out, &h, e.offset as usize, " (outer)");
            }
        }
        Kind::Ipv6 => {
            if let Ok(h) = etherparse::Ipv6HeaderSlice::from_slice(e.rest(p.data)) {
                ipv6(out, &h, e.offset as usize, " (outer)");
            }
        }
        Kind::Udp => {
            branch(out, "Transport: UDP (outer)", at);
            field(out, "Source port", be16_or0(b, 0));
            field(out, "Destination port", be16_or0(b, 2));
            field(out, "Length", be16_or0(b, 4));
            field(out, "Checksum", format!("{:#06x}", be16_or0(b, 6)));
        }
        Kind::Gre => {
            let flags = be16_or0(b, 0);
            let version = flags & 7;
            branch(out, &format!("Tunnel: GRE version {version}{}", if version == 1 { " (PPTP)" } else { "" }), at);
            field(out, "Flags", format!("{flags:#06x}"));
            let proto = be16_or0(b, 2);
            field(out, "Protocol", format!("{proto:#06x} ({})", gre_proto(proto)));
            let mut o = 4;
            if version == 0 && flags & 0x8000 != 0 {
                field(out, "Checksum", format!("{:#06x}", be16_or0(b, o)));
                o += 4;
            }
            if flags & 0x2000 != 0 {
                if version == 1 {
                    field(out, "Payload length", be16_or0(b, o));
                    field(out, "Call id", be16_or0(b, o + 2));
                } else {
                    field(out, "Key", format!("{0:#x} ({0})", be32_or0(b, o)));
                }
                o += 4;
            }
            if flags & 0x1000 != 0 {
                field(out, "Sequence number", be32_or0(b, o));
                o += 4;
            }
            if version == 1 && flags & 0x0080 != 0 {
                field(out, "Acknowledgment number", be32_or0(b, o));
            }
            if proto == 0x88be && flags & 0x1000 == 0 {
                field(out, "ERSPAN", "type I (no header of its own): a mirrored frame follows");
            }
        }
        Kind::Ppp => {
            let skip = if b.starts_with(&[0xff, 0x03]) { 2 } else { 0 };
            let proto = if b.get(skip).is_some_and(|x| x & 1 == 1) { b.get(skip).copied().unwrap_or(0) as u16 } else { be16_or0(b, skip) };
            branch(out, "Data link: PPP", at);
            field(out, "Protocol", format!("{proto:#06x} ({})", names::ppp(proto)));
        }
        Kind::Erspan => {
            let version = b.first().map_or(0, |v| v >> 4);
            branch(out, &format!("Tunnel: ERSPAN type {}", if version == 2 { "III" } else { "II" }), at);
            field(out, "Version", version);
            field(out, "VLAN", be16_or0(b, 0) & 0x0fff);
            field(out, "Session id", be16_or0(b, 2) & 0x03ff);
        }
        Kind::Vxlan => {
            branch(out, "Tunnel: VXLAN", at);
            let flags = b.first().copied().unwrap_or(0);
            field(out, "Flags", format!("{flags:#04x}{}", if flags & 0x08 != 0 { " (VNI valid)" } else { "" }));
            field(out, "VNI", be32_or0(b, 4) >> 8);
        }
        Kind::Geneve => {
            branch(out, "Tunnel: Geneve", at);
            field(out, "Version", b.first().map_or(0, |v| v >> 6));
            field(out, "Options length", format!("{} bytes", e.len.saturating_sub(8)));
            let proto = be16_or0(b, 2);
            field(out, "Protocol", format!("{proto:#06x} ({})", gre_proto(proto)));
            field(out, "VNI", be32_or0(b, 4) >> 8);
        }
        Kind::Teredo => {
            branch(out, "Tunnel: Teredo", at);
            field(out, "Indications", format!("{} bytes", e.len));
        }
        Kind::Ayiya => {
            branch(out, "Tunnel: AYIYA", at);
            field(out, "Opcode", b.get(2).map_or(0, |v| v & 0x0f));
            let nh = b.get(3).copied().unwrap_or(0);
            field(out, "Next header", format!("{nh} ({})", names::ip_proto(nh).unwrap_or("unknown")));
        }
        Kind::Gtpu => {
            branch(out, "Tunnel: GTP-U (GTPv1 user plane)", at);
            field(out, "Message type", format!("{} (G-PDU)", b.get(1).copied().unwrap_or(0)));
            field(out, "Length", be16_or0(b, 2));
            field(out, "TEID", format!("{0:#x} ({0})", be32_or0(b, 4)));
        }
        Kind::Mpls => {
            let v = be32_or0(b, 0);
            branch(out, "Data link: MPLS label stack entry", at);
            field(out, "Label", v >> 12);
            field(out, "Traffic class", (v >> 9) & 7);
            field(out, "Bottom of stack", if v & 0x100 != 0 { "yes" } else { "no" });
            field(out, "Time to live", v & 0xff);
        }
        Kind::Pppoe => {
            branch(out, "Data link: PPPoE session", at);
            field(out, "Session id", format!("{:#06x}", be16_or0(b, 2)));
            field(out, "Payload length", be16_or0(b, 4));
        }
        Kind::VnTag => {
            let v = be32_or0(b, 0);
            branch(out, "Data link: VN-Tag", at);
            field(out, "Direction", if v & 0x8000_0000 != 0 { "to the bridge" } else { "from the bridge" });
            field(out, "Destination VIF", (v >> 16) & 0x3fff);
            field(out, "Source VIF", v & 0x0fff);
            let et = be16_or0(b, 4);
            field(out, "EtherType", format!("{et:#06x} ({})", names::ethertype(et).unwrap_or("unknown")));
        }
        Kind::FabricPath => {
            let v = be16_or0(b, 0);
            branch(out, "Data link: Cisco FabricPath", at);
            field(out, "FTag", v >> 6);
            field(out, "TTL", v & 0x3f);
        }
        Kind::Ethernet => {
            let inside = if tunnel.is_empty() { String::new() } else { format!(" (inside the {tunnel} tunnel)") };
            branch(out, &format!("Data link: Ethernet II{inside}"), at);
            field(out, "Destination", mac_str(b.get(0..6).unwrap_or(&[])));
            field(out, "Source", mac_str(b.get(6..12).unwrap_or(&[])));
            // The EtherType follows any VLAN tags, which are their own headers.
            if p.encaps.as_slice().get(i + 1).is_none_or(|n| n.kind != Kind::Vlan) {
                let et = e.ethertype(p.data);
                field(out, "EtherType", format!("{et:#06x} ({})", names::ethertype(et).unwrap_or("unknown")));
            }
        }
        Kind::Wlan => {
            let inside = if tunnel.is_empty() { String::new() } else { format!(" (inside the {tunnel} tunnel)") };
            // The header ends with LLC/SNAP.
            let llc_at = (e.offset as usize + b.len()).saturating_sub(8);
            mac_layer(out, e.rest(p.data), e.offset as usize, &inside, e.ethertype(p.data), llc_at);
        }
        Kind::Vlan => {
            let tci = be16_or0(b, 0);
            let et = e.ethertype(p.data);
            field(out, "VLAN tag", format!("id {}, priority {} (TCI @{})", tci & 0x0fff, tci >> 13, e.offset));
            if p.encaps.as_slice().get(i + 1).is_none_or(|n| n.kind != Kind::Vlan) {
                field(out, "EtherType", format!("{et:#06x} ({})", names::ethertype(et).unwrap_or("unknown")));
            }
        }
    }
}

/// What a GRE or Geneve protocol type names.
fn gre_proto(p: u16) -> &'static str {
    match p {
        0x6558 => "transparent Ethernet bridging",
        0x88be => "ERSPAN type I or II",
        0x22eb => "ERSPAN type III",
        0x880b => "PPP",
        p if crate::decode::encap::aruba(p) => "Aruba WLAN (802.11)",
        other => names::ethertype(other).unwrap_or("unknown"),
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

/// IGMP's fields: the version (from type and length), the message, the groups and sources.
fn igmp_fields(out: &mut String, p: &Packet<'_>) {
    let Some(g) = crate::decode::igmp::Igmp::of(p) else { return };
    if let Some(v) = g.version() {
        field(out, "Version", v);
    }
    let kind = g.kind().unwrap_or(0);
    let name = match kind {
        0x11 => "membership query",
        0x12 => "v1 membership report",
        0x16 => "v2 membership report",
        0x17 => "leave group",
        0x22 => "v3 membership report",
        _ => "other",
    };
    field(out, "Type", format!("{kind:#04x} ({name})"));
    if let Some(t) = g.max_resp() {
        field(out, "Max response time", format!("{}.{} s", t / 10, t % 10));
    }
    if let Some(c) = g.checksum() {
        field(out, "Checksum", format!("{c:#06x}"));
    }
    if let Some((s, qrv, qqi)) = g.query_flags() {
        field(out, "S flag", s);
        field(out, "Robustness (QRV)", qrv);
        field(out, "Query interval", format!("{qqi} s"));
    }
    if g.record_count().is_none() {
        for a in g.groups() {
            field(out, "Group address", a);
        }
        for a in g.sources() {
            field(out, "Source address", a);
        }
    }
    for r in g.records() {
        let kind = match r.kind {
            1 => "mode is include",
            2 => "mode is exclude",
            3 => "change to include",
            4 => "change to exclude",
            5 => "allow new sources",
            6 => "block old sources",
            _ => "unknown",
        };
        let sources: Vec<String> = r.sources.chunks_exact(4).map(|a| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])).collect();
        field(out, "Group record", format!("{} {kind} ({}), sources [{}]", r.group, r.kind, sources.join(", ")));
    }
}
