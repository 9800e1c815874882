//! JSON Lines: one object per packet, event and summary, each with an `"event_type"`.
//!
//! Packet fields carry Wireshark's display-filter names, flat, so `jq` filters read like
//! Wireshark filters. Objects are written by hand into a reused buffer: serde would build a map
//! per packet, and this is the hot path of `--format json`.

use std::fmt::Write as _;

use etherparse::{LaxNetSlice, TransportSlice};

use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::{Cause, Link, Packet};
use crate::output::line::push_mac;

fn key(out: &mut String, k: &str) {
    out.push_str(",\"");
    out.push_str(k);
    out.push_str("\":");
}

fn num(out: &mut String, k: &str, v: impl std::fmt::Display) {
    key(out, k);
    let _ = write!(out, "{v}");
}

fn string(out: &mut String, k: &str, v: impl std::fmt::Display) {
    key(out, k);
    out.push('"');
    let _ = write!(out, "{v}");
    out.push('"');
}

fn boolean(out: &mut String, k: &str, v: bool) {
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
    out.push_str("{\"event_type\":\"packet\"");
    num(out, "frame.number", p.number);
    if p.ts_known {
        let _ = write!(out, ",\"frame.time_epoch\":{}.{:09}", p.ts.sec, p.ts.nsec);
    }
    num(out, "frame.len", p.len);
    num(out, "frame.cap_len", p.data.len());
    num(out, "frame.linktype", p.linktype);
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
        Link::RawIp | Link::Unsupported => {}
    }
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            num(out, "ip.version", h.version());
            num(out, "ip.hdr_len", h.ihl() as u32 * 4);
            num(out, "ip.dsfield", (h.dcp().value() << 2) | h.ecn().value());
            num(out, "ip.len", h.total_len());
            num(out, "ip.id", h.identification());
            boolean(out, "ip.flags.df", h.dont_fragment());
            boolean(out, "ip.flags.mf", h.more_fragments());
            num(out, "ip.frag_offset", h.fragments_offset().value() as u32 * 8);
            num(out, "ip.ttl", h.ttl());
            num(out, "ip.proto", h.protocol().0);
            num(out, "ip.checksum", h.header_checksum());
            boolean(out, "ip.checksum.ok", p.ipv4_checksum_ok().unwrap_or(false));
            string(out, "ip.src", h.source_addr());
            string(out, "ip.dst", h.destination_addr());
            if !h.options().is_empty() {
                num(out, "ip.options_len", h.options().len());
            }
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            // Wireshark gives IPv6 packets `ip.version` too; filters like `ip.version == 6` work.
            num(out, "ip.version", h.version());
            string(out, "ipv6.src", std::net::Ipv6Addr::from(h.source()));
            string(out, "ipv6.dst", std::net::Ipv6Addr::from(h.destination()));
            num(out, "ipv6.nxt", h.next_header().0);
            num(out, "ipv6.hlim", h.hop_limit());
            num(out, "ipv6.plen", h.payload_length());
        }
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
        }
        Some(TransportSlice::Icmpv4(i)) => {
            num(out, "icmp.type", i.type_u8());
            num(out, "icmp.code", i.code_u8());
        }
        Some(TransportSlice::Icmpv6(i)) => {
            num(out, "icmpv6.type", i.type_u8());
            num(out, "icmpv6.code", i.code_u8());
        }
        Some(TransportSlice::Igmp(_)) | None => {}
    }
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
    out.push('}');
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
