//! IGMP (RFC 1112, 2236 and 3376) and the IPv4 header's options, in tcpdump's words.
//!
//! Every host on a LAN speaks IGMP (joining the mDNS and SSDP groups, answering a querier), so
//! it is in most captures people look at; a line that said only `IGMP, length 32` hid which
//! group was joined or left. IGMP's version is not a field: a query of 8 bytes is v1 (no
//! response time) or v2, one of 12 or more is v3, and each version's report has its own type.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The text after `src > dst: ` for the IGMP message `msg` (the bytes captured) of `len` bytes
/// (the IP payload's length), at tcpdump's `-v` level `detail`.
pub fn text(out: &mut String, msg: &[u8], len: usize, detail: u8) {
    let (Some(&kind), Some(&code), Some(group)) = (msg.first(), msg.get(1), msg.get(4..8)) else {
        out.push_str(" [|igmp]");
        return;
    };
    let group = Ipv4Addr::new(group[0], group[1], group[2], group[3]);
    match kind {
        0x11 if len < 12 => {
            if code == 0 {
                out.push_str("igmp query v1");
            } else {
                out.push_str("igmp query v2");
                // 10 s (100 tenths) is RFC 2236's default, left unsaid.
                if code != 100 {
                    let _ = write!(out, " [max resp time {code}]");
                }
            }
            if !group.is_unspecified() {
                let _ = write!(out, " [gaddr {group}]");
            }
            if len != 8 {
                let _ = write!(out, " [len {len}]");
            }
        }
        0x11 => {
            out.push_str("igmp query v3");
            if code != 100 {
                out.push_str(" [max resp time ");
                response_time(out, code);
                out.push(']');
            }
            if !group.is_unspecified() {
                let _ = write!(out, " [gaddr {group}");
                let sources = msg.get(10..12).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                if sources > 0 {
                    addresses(out, msg.get(12..).unwrap_or_default(), sources, detail);
                }
                out.push(']');
            }
        }
        0x12 => {
            let _ = write!(out, "igmp v1 report {group}");
            if len != 8 {
                let _ = write!(out, " [len {len}]");
            }
        }
        0x16 => {
            let _ = write!(out, "igmp v2 report {group}");
        }
        0x17 => {
            let _ = write!(out, "igmp leave {group}");
        }
        0x22 => {
            let records = msg.get(6..8).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
            let _ = write!(out, "igmp v3 report, {records} group record(s)");
            if detail > 0 {
                report_records(out, msg.get(..len.min(msg.len())).unwrap_or(msg), records, detail);
            }
        }
        // DVMRP (RFC 1075) and PIM version 1 ride in IGMP: named by their code (the fields of
        // some codes are left out).
        0x13 => {
            let name = match code {
                1 => "Probe",
                2 => "Report",
                3 => "Ask-neighbors(old)",
                4 => "Neighbors(old)",
                5 => "Ask-neighbors2",
                6 => "Neighbors2",
                7 => "Prune",
                8 => "Graft",
                9 => "Graft-ACK",
                _ => "",
            };
            if name.is_empty() {
                let _ = write!(out, "igmp dvmrp [type {code}]");
            } else {
                let _ = write!(out, "igmp dvmrp {name}");
            }
        }
        0x14 => {
            let name = match code {
                0 => "Query",
                1 => "Register",
                2 => "Register-Stop",
                3 => "Join/Prune",
                4 => "RP-reachable",
                5 => "Assert",
                6 => "Graft",
                7 => "Graft-ACK",
                _ => "",
            };
            if name.is_empty() {
                let _ = write!(out, "igmp pimv1 [type {code}]");
            } else {
                let _ = write!(out, "igmp pimv1 {name}");
            }
            let version = msg.get(4).map_or(1, |v| v >> 4);
            if version != 1 {
                let _ = write!(out, " [v{version}]");
            }
        }
        // Multicast traceroute: a query or request (0x1f) and its response (0x1e).
        0x1e | 0x1f => {
            let Some(m) = msg.get(..24) else {
                let _ = write!(out, " [invalid len {len}]");
                return;
            };
            let addr = |at: usize| Ipv4Addr::new(m[at], m[at + 1], m[at + 2], m[at + 3]);
            let query = u32::from_be_bytes([0, m[21], m[22], m[23]]);
            let name = if kind == 0x1f { "mtrace" } else { "mresp" };
            let _ = write!(out, "{name} {query}: {} to {} reply-to {}", addr(8), addr(12), addr(16));
            if addr(16).is_multicast() {
                let _ = write!(out, " with-ttl {}", m[20]);
            }
        }
        _ => {
            let _ = write!(out, "igmp-{kind}");
        }
    }
    // The checksum covers the whole message, so only a message captured whole is checked.
    if detail > 0 {
        if let Some(whole) = msg.get(..len) {
            if crate::decode::internet_checksum(whole) != 0 {
                let field = msg.get(2..4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                let _ = write!(out, " bad igmp cksum {field:x}!");
            }
        }
    }
}

/// A v3 report's group records (RFC 3376 4.2.4): group, record type and sources each.
fn report_records(out: &mut String, msg: &[u8], records: u16, detail: u8) {
    let mut read = 0u16;
    for r in crate::decode::igmp::v3_records(msg, records) {
        if !r.whole {
            break;
        }
        read += 1;
        let _ = write!(out, " [gaddr {} ", r.group);
        match r.kind {
            1 => out.push_str("is_in"),
            2 => out.push_str("is_ex"),
            3 => out.push_str("to_in"),
            4 => out.push_str("to_ex"),
            5 => out.push_str("allow"),
            6 => out.push_str("block"),
            other => {
                let _ = write!(out, " [v3-report-#{other}]");
            }
        }
        if detail == 1 {
            let _ = write!(out, ", {} source(s)", r.source_count);
        } else {
            out.push_str(" {");
            for a in r.sources.chunks_exact(4) {
                let _ = write!(out, " {}", Ipv4Addr::new(a[0], a[1], a[2], a[3]));
            }
            out.push_str(" }");
        }
        out.push(']');
    }
    if read < records {
        out.push_str(" [invalid number of groups]");
    }
}

/// A query's source list: its count, or with `-vv` the addresses.
fn addresses(out: &mut String, list: &[u8], count: u16, detail: u8) {
    if detail < 2 {
        let _ = write!(out, ", {count} source(s)");
        return;
    }
    out.push_str(" {");
    let mut shown = 0u16;
    for a in list.chunks_exact(4).take(usize::from(count)) {
        let _ = write!(out, " {}", Ipv4Addr::new(a[0], a[1], a[2], a[3]));
        shown += 1;
    }
    if shown < count {
        out.push_str(" [|igmp]");
    }
    out.push_str(" }");
}

/// IGMPv3's Max Resp Code as a time (RFC 3376 4.1.1: from 128 on, a floating-point value in
/// tenths of a second): under a minute with its tenth, longer ones in minutes and seconds.
fn response_time(out: &mut String, code: u8) {
    let tenths = crate::decode::igmp::code_value(code);
    if tenths < 600 {
        let _ = write!(out, "{}.{}s", tenths / 10, tenths % 10);
    } else {
        let secs = tenths / 10;
        let _ = write!(out, "{}m", secs / 60);
        if secs % 60 != 0 {
            let _ = write!(out, "{}s", secs % 60);
        }
    }
}

/// The Internet Timestamp option (RFC 791) as tcpdump -v writes it, after its name: ` TS{`, the
/// kind (timestamps only, each after an address, or at prespecified addresses), each slot as
/// `TIME@ADDRESS` (no address for timestamps only), ` ^ ` where the pointer says the next
/// one goes, and the hosts that could not add theirs.
fn timestamps(out: &mut String, body: &[u8]) {
    let [_, len, ptr, flags, slots @ ..] = body else {
        let _ = write!(out, "[bad length {}]", body.len());
        return;
    };
    out.push_str(" TS{");
    let kind = flags & 0x0f;
    let hop = if kind == 0 { 4 } else { 8 };
    if usize::from(len.saturating_sub(4)) % hop != 0 {
        let _ = write!(out, "[bad length {len}]");
    }
    // The pointer counts octets of the option from 1: the first slot is at 5.
    let next = usize::from(*ptr).wrapping_sub(1);
    if next < 4 || (next - 4) % hop != 0 || next > usize::from(*len) + 1 {
        let _ = write!(out, "[bad ptr {ptr}]");
    }
    let name = match kind {
        0 => "TSONLY",
        1 => "TS+ADDR",
        3 => "PRESPEC",
        _ => "",
    };
    // Where the slots ended (tcpdump marks the pointer there too); 0 when none were read.
    let mut at = 0;
    if name.is_empty() {
        let _ = write!(out, "[bad ts type {kind}]");
    } else {
        out.push_str(name);
        at = 4;
        for slot in slots.chunks_exact(hop) {
            out.push_str(if next == at { " ^ " } else { " " });
            let (addr, time) = slot.split_at(hop - 4);
            if let [a, b, c, d] = *time {
                let _ = write!(out, "{}@", u32::from_be_bytes([a, b, c, d]));
            }
            if let [a, b, c, d] = *addr {
                let _ = write!(out, "{}", Ipv4Addr::new(a, b, c, d));
            }
            at += hop;
        }
    }
    if next == at {
        out.push_str(" ^ ");
    }
    match flags >> 4 {
        0 => out.push('}'),
        n => {
            let _ = write!(out, " [{n} hops not recorded]}} ");
        }
    }
}

/// tcpdump -v's `, options (...)` of an IPv4 header whose options are `opts`: each option by
/// name, a route's addresses (a comma after those already passed), Router Alert's value.
pub fn ip4_options(out: &mut String, opts: &[u8]) {
    if opts.is_empty() {
        return;
    }
    out.push_str(", options (");
    let mut rest = opts;
    let mut first = true;
    while let Some(&kind) = rest.first() {
        if !first {
            out.push(',');
        }
        first = false;
        match kind {
            0 => {
                out.push_str("EOL");
                break;
            }
            1 => {
                out.push_str("NOP");
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            _ => {}
        }
        let len = rest.get(1).map_or(0, |&l| usize::from(l));
        let name = match kind {
            7 => "RR",
            68 => "timestamp",
            130 => "security",
            131 => "LSRR",
            137 => "SSRR",
            148 => "RA",
            _ => "",
        };
        if name.is_empty() {
            let _ = write!(out, "unknown {kind}");
        } else {
            out.push_str(name);
        }
        let Some(body) = rest.get(..len).filter(|_| len >= 2) else {
            let _ = write!(out, " [bad length {len}]");
            break;
        };
        match kind {
            148 if len != 4 => {
                let _ = write!(out, " [bad length {len}]");
            }
            148 => {
                let value = u16::from_be_bytes([body[2], body[3]]);
                if value != 0 {
                    let _ = write!(out, " value {value}");
                }
            }
            7 | 131 | 137 if len >= 3 => {
                let pointer = usize::from(body[2]);
                for (i, a) in body.get(3..).unwrap_or_default().chunks_exact(4).enumerate() {
                    let _ = write!(out, " {}", Ipv4Addr::new(a[0], a[1], a[2], a[3]));
                    // Option offsets count from 1: an address before the pointer is filled.
                    if 3 + 4 * i + 1 < pointer {
                        out.push(',');
                    }
                }
            }
            68 => timestamps(out, body),
            _ => {}
        }
        rest = rest.get(len..).unwrap_or_default();
    }
    out.push(')');
}
