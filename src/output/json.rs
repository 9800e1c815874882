//! JSON Lines: one object per packet, event and summary, each with an `"event_type"`.
//!
//! Packet fields carry Wireshark's display-filter names, flat, so `jq` filters read like
//! Wireshark filters. Objects are written by hand into a reused buffer: serde would build a map
//! per packet, and this is the hot path of `--format json`.

use std::fmt::Write as _;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::bytes::{be16_or0, be32_or0};
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::defrag::Reassembled;
use crate::decode::encap::{Encap, Kind};
use crate::decode::wlan::{Mac, Radio, Radiotap, Wlan};
use crate::decode::{Cause, Link, Packet};
use crate::output::line::push_mac;

/// `,"k":`, the start of one more field of the object being written.
pub(crate) fn key(out: &mut String, k: &str) {
    out.push_str(",\"");
    out.push_str(k);
    out.push_str("\":");
}

/// A field whose value is written as it displays (numbers).
pub(crate) fn num(out: &mut String, k: &str, v: impl std::fmt::Display) {
    key(out, k);
    let _ = write!(out, "{v}");
}

fn string(out: &mut String, k: &str, v: impl std::fmt::Display) {
    key(out, k);
    out.push('"');
    let _ = write!(out, "{v}");
    out.push('"');
}

/// A true/false field.
pub(crate) fn boolean(out: &mut String, k: &str, v: bool) {
    key(out, k);
    out.push_str(if v { "true" } else { "false" });
}

fn mac_field(out: &mut String, k: &str, m: &[u8]) {
    key(out, k);
    out.push('"');
    push_mac(out, m);
    out.push('"');
}

/// Appends the JSON object for one packet (without a newline) to `out`.
pub fn packet(out: &mut String, p: &Packet<'_>) {
    packet_whole(out, p, None);
}

/// [`packet`] for a fragment that completed datagram `whole` (None for any other packet): the
/// fragment's own headers, then the whole datagram's transport layer and the list of its
/// fragments, as tshark gives them on that frame.
pub fn packet_whole(out: &mut String, p: &Packet<'_>, whole: Option<&Reassembled<'_>>) {
    out.push_str("{\"event_type\":\"packet\"");
    num(out, "frame.number", p.number);
    if p.ts_known {
        let _ = write!(out, ",\"frame.time_epoch\":{}.{:09}", p.ts.sec, p.ts.nsec);
    }
    num(out, "frame.len", p.len);
    num(out, "frame.cap_len", p.data.len());
    num(out, "frame.linktype", p.linktype);
    if p.encaps.is_empty() {
        link_fields(out, p);
        net_fields(out, p);
        match whole {
            Some(w) => reassembled(out, w),
            None => transport_fields(out, p),
        }
    } else {
        tunneled(out, p);
    }
    malformed(out, p);
    out.push('}');
}

/// The fields of a reassembled datagram: the list of its fragments (frame numbers), their
/// count and its length, then its transport layer.
fn reassembled(out: &mut String, w: &Reassembled<'_>) {
    let ip = if w.v6 { "ipv6" } else { "ip" };
    key(out, &format!("{ip}.fragment"));
    out.push('[');
    for (i, piece) in w.pieces.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", piece.frame);
    }
    out.push(']');
    num(out, &format!("{ip}.fragment.count"), w.pieces.len());
    num(out, &format!("{ip}.reassembled.length"), w.packet.ip_payload_len());
    transport_fields(out, &w.packet);
}

fn link_fields(out: &mut String, p: &Packet<'_>) {
    match p.link {
        Link::Ethernet { dst, src, ethertype } => {
            mac_field(out, "eth.dst", &dst);
            mac_field(out, "eth.src", &src);
            let tags = p.vlans.get(..p.vlan_count as usize).unwrap_or(&[]);
            match tags.first() {
                Some(v) => num(out, "eth.type", v.tpid),
                // Below 0x0600 the field is an IEEE 802.3 length, which Wireshark calls eth.len.
                None if ethertype < 0x0600 => num(out, "eth.len", ethertype),
                None => num(out, "eth.type", ethertype),
            }
            // Wireshark names 802.1Q C-tags `vlan.*` and 802.1ad S-tags `ieee8021ad.*`.
            for (name, s_tag) in [("ieee8021ad.id", true), ("vlan.id", false)] {
                let mut ids = tags.iter().filter(|v| (v.tpid == 0x88a8) == s_tag).peekable();
                if ids.peek().is_some() {
                    key(out, name);
                    out.push('[');
                    for (i, v) in ids.enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{}", v.id);
                    }
                    out.push(']');
                }
            }
            if !tags.is_empty() {
                num(out, "vlan.etype", ethertype);
            }
        }
        Link::Sll { pkttype, hatype, addr, addr_len, protocol, version, ifindex } => {
            num(out, "sll.pkttype", pkttype);
            if version == 2 {
                num(out, "sll.ifindex", ifindex);
            }
            num(out, "sll.hatype", hatype);
            if addr_len == 6 {
                mac_field(out, "sll.src.eth", addr.get(..6).unwrap_or(&[]));
            }
            num(out, "sll.etype", protocol);
        }
        Link::Loopback { family } => num(out, "null.family", family),
        Link::Nflog { family, version, resource_id } => {
            num(out, "nflog.family", family);
            num(out, "nflog.version", version);
            num(out, "nflog.res_id", resource_id);
        }
        Link::Wlan(w) => wlan_fields(out, p, &w),
        Link::RawIp | Link::Unsupported => {}
    }
}

/// The radio header's and the 802.11 header's fields, by Wireshark's names.
fn wlan_fields(out: &mut String, p: &Packet<'_>, w: &Wlan) {
    match w.radio {
        Radio::Radiotap => {
            if let Some(r) = Radiotap::parse(p.data) {
                num(out, "radiotap.length", r.len);
                if let Some(t) = r.tsft {
                    num(out, "radiotap.mactime", t);
                }
                if let Some(f) = r.flags {
                    num(out, "radiotap.flags", f);
                }
                if let Some(rate) = r.rate {
                    if rate % 2 == 0 {
                        num(out, "radiotap.datarate", rate / 2);
                    } else {
                        let _ = write!(out, ",\"radiotap.datarate\":{}.5", rate / 2);
                    }
                }
                if let Some((freq, flags)) = r.channel {
                    num(out, "radiotap.channel.freq", freq);
                    num(out, "radiotap.channel.flags", flags);
                }
                if let Some(s) = r.signal {
                    num(out, "radiotap.dbm_antsignal", s);
                }
                if let Some(n) = r.noise {
                    num(out, "radiotap.dbm_antnoise", n);
                }
                if let Some(a) = r.antenna {
                    num(out, "radiotap.antenna", a);
                }
            }
        }
        Radio::Prism => {
            let b = p.data;
            if let (Some(code), Some(len)) = (b.get(0..4), b.get(4..8)) {
                num(out, "prism.msgcode", u32::from_le_bytes([code[0], code[1], code[2], code[3]]));
                num(out, "prism.msglen", u32::from_le_bytes([len[0], len[1], len[2], len[3]]));
            }
        }
        Radio::Avs => num(out, "wlancap.length", w.radio_len),
        Radio::None => {}
    }
    mac_fields(out, w.mac(p.data), w.ethertype);
}

/// The 802.11 header's fields at the start of `mac` (an outer link layer or a frame inside
/// Aruba's GRE), and the EtherType its LLC/SNAP header names (0 for none).
fn mac_fields(out: &mut String, mac: &[u8], ethertype: u16) {
    let Some(m) = Mac::parse(mac) else { return };
    num(out, "wlan.fc.type_subtype", m.type_subtype());
    num(out, "wlan.fc.ds", m.ds());
    num(out, "wlan.fc.protected", u8::from(m.protected()));
    num(out, "wlan.fc.order", u8::from(m.order()));
    num(out, "wlan.duration", m.duration);
    let r = m.roles();
    for (name, a) in [("wlan.ra", r.ra), ("wlan.ta", r.ta), ("wlan.da", r.da), ("wlan.sa", r.sa), ("wlan.bssid", r.bssid)] {
        if let Some(a) = a {
            mac_field(out, name, a);
        }
    }
    if let Some(seq) = m.seq_ctl {
        num(out, "wlan.seq", seq >> 4);
    }
    if let Some(q) = m.qos {
        num(out, "wlan.qos.tid", q & 0xf);
        num(out, "wlan.qos.amsdupresent", (q >> 7) & 1);
    }
    if let Some(h) = m.htc {
        num(out, "wlan.htc", h);
    }
    if ethertype != 0 {
        num(out, "llc.type", ethertype);
    }
}

fn net_fields(out: &mut String, p: &Packet<'_>) {
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => ipv4_fields(out, &v4.header()),
        Some(LaxNetSlice::Ipv6(v6)) => ipv6_fields(out, &v6.header()),
        Some(LaxNetSlice::Arp(a)) => {
            num(out, "arp.opcode", a.operation().0);
            if let Some(i) = p.arp() {
                mac_field(out, "arp.src.hw_mac", &i.sender_mac);
                string(out, "arp.src.proto_ipv4", i.sender_ip);
                mac_field(out, "arp.dst.hw_mac", &i.target_mac);
                string(out, "arp.dst.proto_ipv4", i.target_ip);
            }
        }
        None => {}
    }
}

fn ipv4_fields(out: &mut String, h: &etherparse::Ipv4HeaderSlice<'_>) {
    {
        {
            num(out, "ip.version", h.version());
            num(out, "ip.hdr_len", h.ihl() as u32 * 4);
            num(out, "ip.dsfield", (h.dcp().value() << 2) | h.ecn().value());
            num(out, "ip.len", h.total_len());
            num(out, "ip.id", h.identification());
            boolean(out, "ip.flags.df", h.dont_fragment());
            boolean(out, "ip.flags.mf", h.more_fragments());
            // In 8-byte units, as the header (and tshark's field) has it.
            num(out, "ip.frag_offset", h.fragments_offset().value());
            num(out, "ip.ttl", h.ttl());
            num(out, "ip.proto", h.protocol().0);
            num(out, "ip.checksum", h.header_checksum());
            boolean(out, "ip.checksum.ok", crate::decode::internet_checksum(h.slice()) == 0);
            string(out, "ip.src", h.source_addr());
            string(out, "ip.dst", h.destination_addr());
            if !h.options().is_empty() {
                num(out, "ip.options_len", h.options().len());
            }
        }
    }
}

fn ipv6_fields(out: &mut String, h: &etherparse::Ipv6HeaderSlice<'_>) {
    // Wireshark gives IPv6 packets `ip.version` too; filters like `ip.version == 6` work.
    num(out, "ip.version", h.version());
    string(out, "ipv6.src", std::net::Ipv6Addr::from(h.source()));
    string(out, "ipv6.dst", std::net::Ipv6Addr::from(h.destination()));
    num(out, "ipv6.nxt", h.next_header().0);
    num(out, "ipv6.hlim", h.hop_limit());
    num(out, "ipv6.plen", h.payload_length());
}

fn transport_fields(out: &mut String, p: &Packet<'_>) {
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            if let Some(i) = p.tcp() {
                num(out, "tcp.srcport", i.sport);
                num(out, "tcp.dstport", i.dport);
                num(out, "tcp.seq_raw", i.seq);
                num(out, "tcp.ack_raw", i.ack);
                num(out, "tcp.flags", i.flags as u16 | ((t.ns() as u16) << 8));
                // Each flag as 0 or 1, as display filters name them.
                for (name, bit) in [
                    ("tcp.flags.fin", 0x01u8),
                    ("tcp.flags.syn", 0x02),
                    ("tcp.flags.reset", 0x04),
                    ("tcp.flags.push", 0x08),
                    ("tcp.flags.ack", 0x10),
                    ("tcp.flags.urg", 0x20),
                ] {
                    num(out, name, u8::from(i.flags & bit != 0));
                }
                num(out, "tcp.window_size_value", i.window);
                num(out, "tcp.hdr_len", t.header_slice().len());
                num(out, "tcp.len", i.payload_len);
                if let Some(st) = crate::decode::checksum::status(p, false) {
                    num(out, "tcp.checksum.status", st as u8);
                }
                for o in TcpOpts::new(t.options()) {
                    match o {
                        TcpOpt::Mss(m) => num(out, "tcp.options.mss_val", m),
                        TcpOpt::WindowScale(w) => num(out, "tcp.options.wscale.shift", w),
                        TcpOpt::SackPermitted => boolean(out, "tcp.options.sack_perm", true),
                        TcpOpt::Timestamps(v, e) => {
                            num(out, "tcp.options.timestamp.tsval", v);
                            num(out, "tcp.options.timestamp.tsecr", e);
                        }
                        _ => {}
                    }
                }
            }
        }
        Some(TransportSlice::Udp(u)) => {
            num(out, "udp.srcport", u.source_port());
            num(out, "udp.dstport", u.destination_port());
            num(out, "udp.length", u.length());
            num(out, "udp.checksum", u.checksum());
            if let Some(st) = crate::decode::checksum::status(p, false) {
                num(out, "udp.checksum.status", st as u8);
            }
        }
        Some(TransportSlice::Icmpv4(i)) => {
            num(out, "icmp.type", i.type_u8());
            num(out, "icmp.code", i.code_u8());
        }
        Some(TransportSlice::Icmpv6(i)) => {
            num(out, "icmpv6.type", i.type_u8());
            num(out, "icmpv6.code", i.code_u8());
        }
        Some(TransportSlice::Igmp(_)) => igmp_fields(out, p),
        None => {
            igmp_fields(out, p);
            // A GRE packet whose payload is not followed: its header still has its fields.
            let pl = p.net.as_ref().and_then(|n| n.ip_payload_ref());
            if let Some(pl) = pl.filter(|pl| pl.ip_number.0 == 47 && !pl.fragmented) {
                gre_fields(out, pl.payload);
            }
        }
    }
}

/// A JSON array of `items`, each written by `each`; nothing when there are none.
fn array<T>(out: &mut String, k: &str, items: impl Iterator<Item = T>, each: impl Fn(&mut String, T)) {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return;
    }
    key(out, k);
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, v);
    }
    out.push(']');
}

/// IGMP's fields, as Wireshark names them; those of a v3 report's records are arrays, one value
/// per record (the group, the source count, and every source address).
fn igmp_fields(out: &mut String, p: &Packet<'_>) {
    let Some(g) = crate::decode::igmp::Igmp::of(p) else { return };
    let Some(kind) = g.kind() else { return };
    if let Some(v) = g.version() {
        num(out, "igmp.version", v);
    }
    num(out, "igmp.type", kind);
    if let Some(t) = g.max_resp() {
        num(out, "igmp.max_resp", t);
    }
    if let Some(c) = g.checksum() {
        num(out, "igmp.checksum", c);
    }
    if let Some((s, qrv, qqic)) = g.query_flags() {
        boolean(out, "igmp.s", s);
        num(out, "igmp.qrv", qrv);
        num(out, "igmp.qqic", qqic);
    }
    if let Some(n) = g.record_count() {
        num(out, "igmp.num_grp_recs", n);
    }
    array(out, "igmp.record_type", g.records(), |o, r| {
        let _ = write!(o, "{}", r.kind);
    });
    array(out, "igmp.aux_data_len", g.records(), |o, r| {
        let _ = write!(o, "{}", r.aux_words);
    });
    array(out, "igmp.maddr", g.groups(), |o, a| {
        let _ = write!(o, "\"{a}\"");
    });
    array(out, "igmp.num_src", g.query_source_count().into_iter().chain(g.records().map(|r| r.source_count)), |o, n| {
        let _ = write!(o, "{n}");
    });
    array(out, "igmp.saddr", g.sources(), |o, a| {
        let _ = write!(o, "\"{a}\"");
    });
}

fn malformed(out: &mut String, p: &Packet<'_>) {
    if let Some(stop) = &p.stop {
        key(out, "malformed");
        out.push_str("{\"layer\":\"");
        out.push_str(stop.layer.name());
        out.push_str("\",\"header\":\"");
        out.push_str(stop.header);
        let _ = write!(out, "\",\"offset\":{}", stop.offset);
        if let Cause::Short { needed, present } = stop.cause {
            let _ = write!(out, ",\"needed\":{needed},\"present\":{present}");
        }
        out.push_str(",\"reason\":");
        out.push_str(&serde_json::to_string(&stop.to_string()).unwrap_or_else(|_| "\"?\"".into()));
        out.push('}');
    }
}

/// The fields of a frame with shims or tunnels: every layer's, outermost first, under
/// Wireshark's names; a field that occurs in more than one layer (the outer and inner `ip.src`)
/// is an array of its values, outermost first, as `tshark -T json --no-duplicate-keys` gives it.
fn tunneled(out: &mut String, p: &Packet<'_>) {
    let mut body = String::with_capacity(512);
    match (p.link, p.encaps.as_slice().first()) {
        // Wireshark names FabricPath's outer addresses `cfp.*`; `eth.*` is the frame inside.
        (Link::Ethernet { dst, src, .. }, Some(e)) if e.kind == Kind::FabricPath && p.vlan_count == 0 => {
            mac_field(&mut body, "cfp.d_hmac", &dst);
            mac_field(&mut body, "cfp.s_hmac", &src);
        }
        _ => link_fields(&mut body, p),
    }
    for e in p.encaps.as_slice() {
        encap_fields(&mut body, p, e);
    }
    let inner_read = p.encaps.as_slice().last().is_none_or(|e| p.net_offset >= (e.offset + e.len) as usize);
    if inner_read {
        net_fields(&mut body, p);
        transport_fields(&mut body, p);
    }
    // Every field was written as `,"key":value` with no `,"` inside a value: split and group.
    let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
    for part in body.split(",\"").skip(1) {
        let Some((k, v)) = part.split_once("\":") else { continue };
        match fields.iter_mut().find(|(key, _)| *key == k) {
            Some((_, vs)) => vs.push(v),
            None => fields.push((k, vec![v])),
        }
    }
    for (k, vs) in fields {
        key(out, k);
        match vs.as_slice() {
            [one] => out.push_str(one),
            many => {
                out.push('[');
                let mut first = true;
                for v in many {
                    // Lists (VLAN ids) join into one list.
                    let inner = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(v);
                    if inner.is_empty() {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(inner);
                }
                out.push(']');
            }
        }
    }
}

/// A GRE header's fields.
fn gre_fields(out: &mut String, b: &[u8]) {
    if b.len() < 4 {
        return;
    }
    let flags = be16_or0(b, 0);
    num(out, "gre.flags_and_version", flags);
    num(out, "gre.proto", be16_or0(b, 2));
    let mut o = 4;
    if flags & 7 == 0 && flags & 0x8000 != 0 {
        o += 4;
    }
    if flags & 0x2000 != 0 {
        if flags & 7 == 1 {
            num(out, "gre.key.payload_length", be16_or0(b, o));
            num(out, "gre.key.call_id", be16_or0(b, o + 2));
        } else {
            num(out, "gre.key", be32_or0(b, o));
        }
        o += 4;
    }
    if flags & 0x1000 != 0 {
        num(out, "gre.sequence_number", be32_or0(b, o));
        o += 4;
    }
    if flags & 7 == 1 && flags & 0x0080 != 0 {
        num(out, "gre.ack_number", be32_or0(b, o));
    }
}

/// The fields of one shim or tunnel header.
fn encap_fields(out: &mut String, p: &Packet<'_>, e: &Encap) {
    let b = e.bytes(p.data);
    match e.kind {
        Kind::Ipv4 => {
            if let Ok(h) = etherparse::Ipv4HeaderSlice::from_slice(e.rest(p.data)) {
                ipv4_fields(out, &h);
            }
        }
        Kind::Ipv6 => {
            if let Ok(h) = etherparse::Ipv6HeaderSlice::from_slice(e.rest(p.data)) {
                ipv6_fields(out, &h);
            }
        }
        Kind::Udp => {
            num(out, "udp.srcport", be16_or0(b, 0));
            num(out, "udp.dstport", be16_or0(b, 2));
            num(out, "udp.length", be16_or0(b, 4));
            num(out, "udp.checksum", be16_or0(b, 6));
        }
        Kind::Gre => gre_fields(out, b),
        Kind::Ppp => {
            let skip = if b.starts_with(&[0xff, 0x03]) { 2 } else { 0 };
            let proto = if b.get(skip).is_some_and(|x| x & 1 == 1) { b.get(skip).copied().unwrap_or(0) as u16 } else { be16_or0(b, skip) };
            num(out, "ppp.protocol", proto);
        }
        Kind::Erspan => {
            num(out, "erspan.version", b.first().map_or(0, |v| v >> 4));
            num(out, "erspan.vlan", be16_or0(b, 0) & 0x0fff);
            num(out, "erspan.spanid", be16_or0(b, 2) & 0x03ff);
        }
        Kind::Vxlan => {
            num(out, "vxlan.flags", be16_or0(b, 0));
            num(out, "vxlan.vni", be32_or0(b, 4) >> 8);
        }
        Kind::Geneve => {
            num(out, "geneve.version", b.first().map_or(0, |v| v >> 6));
            num(out, "geneve.proto_type", be16_or0(b, 2));
            num(out, "geneve.vni", be32_or0(b, 4) >> 8);
        }
        Kind::Gtpu => {
            num(out, "gtp.flags", b.first().copied().unwrap_or(0));
            num(out, "gtp.message", b.get(1).copied().unwrap_or(0));
            num(out, "gtp.teid", be32_or0(b, 4));
        }
        Kind::Ayiya => {
            num(out, "ayiya.opcode", b.get(2).map_or(0, |v| v & 0x0f));
            num(out, "ayiya.nextheader", b.get(3).copied().unwrap_or(0));
        }
        Kind::Teredo => {}
        Kind::Mpls => {
            let v = be32_or0(b, 0);
            num(out, "mpls.label", v >> 12);
            num(out, "mpls.exp", (v >> 9) & 7);
            num(out, "mpls.bottom", (v >> 8) & 1);
            num(out, "mpls.ttl", v & 0xff);
        }
        Kind::Pppoe => {
            num(out, "pppoe.code", b.get(1).copied().unwrap_or(0));
            num(out, "pppoe.session_id", be16_or0(b, 2));
        }
        Kind::VnTag => num(out, "vntag.etype", be16_or0(b, 4)),
        Kind::FabricPath => {
            let v = be16_or0(b, 0);
            num(out, "cfp.ftag", v >> 6);
            num(out, "cfp.ttl", v & 0x3f);
        }
        Kind::Ethernet => {
            mac_field(out, "eth.dst", b.get(0..6).unwrap_or(&[]));
            mac_field(out, "eth.src", b.get(6..12).unwrap_or(&[]));
            num(out, "eth.type", e.ethertype(p.data));
        }
        Kind::Wlan => mac_fields(out, b, e.ethertype(p.data)),
        Kind::Vlan => {
            key(out, "vlan.id");
            let _ = write!(out, "[{}]", be16_or0(b, 0) & 0x0fff);
            num(out, "vlan.etype", e.ethertype(p.data));
        }
    }
}

/// Serializes any report value as one JSON line with the given `event_type` first.
///
/// The value is serialized straight to text and `"event_type"` spliced in after its opening
/// brace: building a `serde_json::Value` map first (as this did) cost more than the rest of a
/// `--format json` run, since every connection is one event.
pub fn event<T: serde::Serialize>(event_type: &str, value: &T) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"event_type\":");
    out.push_str(&serde_json::to_string(event_type).unwrap_or_else(|_| "\"?\"".into()));
    let body = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    match body.strip_prefix('{') {
        Some("}") => out.push('}'),
        Some(rest) => {
            out.push(',');
            out.push_str(rest);
        }
        None => {
            out.push_str(",\"value\":");
            out.push_str(&body);
            out.push('}');
        }
    }
    out
}
