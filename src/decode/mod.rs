//! Decoding: a raw frame becomes a [`Packet`], a borrowed, layer-by-layer view of its bytes.
//!
//! The link layer is read here (Ethernet, Linux cooked, BSD loopback, raw IP, NFLOG); everything
//! above it is sliced by etherparse's lax slicer, which keeps whatever decoded and says where and why
//! it stopped. Nothing is copied and nothing is allocated per packet: a `Packet` holds slices
//! into the frame, and every field is read from those bytes only when someone asks for it.

pub mod app;
pub mod bytes;
pub mod checksum;
pub mod defrag;
pub mod encap;
pub mod igmp;
pub mod input;
pub mod key;
pub mod names;
pub mod tcpopt;
pub mod wlan;

pub use input::{input, FlowSeg, Input, Net, Seg};
pub use key::{Dir, FlowKey};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::err::packet::SliceError;
use etherparse::err::Layer as EpLayer;
use etherparse::{EtherType, LaxIpPayloadSlice, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::source::{Frame, Ts};
use bytes::{be16, be32};

/// LINKTYPE_ values (tcpdump.org/linktypes.html) understood by the decoder.
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    /// IEEE 802.3 Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IPv4 or IPv6.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
    /// IEEE 802.11 without a radio header.
    pub const IEEE802_11: u32 = 105;
    /// IEEE 802.11 behind a Prism (or AVS) monitoring header.
    pub const IEEE802_11_PRISM: u32 = 119;
    /// IEEE 802.11 behind a radiotap header.
    pub const IEEE802_11_RADIO: u32 = 127;
    /// IEEE 802.11 behind an AVS monitoring header.
    pub const IEEE802_11_AVS: u32 = 163;
    /// Linux netfilter NFLOG messages (`tcpdump -i nflog:N`): a 4-byte header, then TLVs.
    pub const NFLOG: u32 = 239;
}

/// The data-link header, as read from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II: destination, source, and the EtherType (or 802.3 length) after any tags.
    Ethernet { dst: [u8; 6], src: [u8; 6], ethertype: u16 },
    /// Linux cooked capture (v1 or v2): direction, hardware type, link-layer source, protocol.
    Sll { version: u8, pkttype: u16, hatype: u16, addr: [u8; 8], addr_len: u8, protocol: u16, ifindex: u32 },
    /// BSD NULL or LOOP header with its address family.
    Loopback { family: u32 },
    /// No link header: the frame starts with an IP header.
    RawIp,
    /// IEEE 802.11 (Wi-Fi), with its radio header if any, and LLC/SNAP.
    Wlan(wlan::Wlan),
    /// Linux NFLOG: the header's address family (2 IPv4, 10 IPv6), version and resource id
    /// (the NFLOG group); the packet is the payload TLV's.
    Nflog { family: u8, version: u8, resource_id: u16 },
    /// A link type the decoder does not read; the frame is counted and shown undecoded.
    Unsupported,
}

/// The layer at which decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Layer 2: Ethernet, VLAN tags, cooked headers.
    DataLink,
    /// Layer 3: IPv4, IPv6 and its extension headers, ARP.
    Network,
    /// Layer 4: TCP, UDP, ICMP.
    Transport,
}

impl Layer {
    /// Human name of the layer.
    pub fn name(self) -> &'static str {
        match self {
            Layer::DataLink => "data link",
            Layer::Network => "network",
            Layer::Transport => "transport",
        }
    }
}

/// Why decoding stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The header needs more bytes than the frame holds.
    Short { needed: usize, present: usize },
    /// etherparse rejected a header (bad version, bad length field, ...).
    Invalid(SliceError),
    /// A loopback address family we do not know.
    UnknownFamily(u32),
    /// The frame's link type is not decoded.
    UnsupportedLinkType,
    /// An NFLOG TLV whose length does not cover its own 4-byte header.
    TlvLength(u16),
}

/// Where and why decoding stopped: the layer, the header, its byte offset and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// The layer that failed.
    pub layer: Layer,
    /// The header that could not be read ("TCP header", "IPv4 header", ...).
    pub header: &'static str,
    /// Byte offset in the frame where that header starts.
    pub offset: usize,
    /// What went wrong.
    pub cause: Cause,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} layer: {} at offset {}: ", self.layer.name(), self.header, self.offset)?;
        match &self.cause {
            Cause::Short { needed, present } => {
                write!(f, "not enough data: {needed} bytes required, {present} present")
            }
            Cause::Invalid(e) => match e {
                SliceError::Len(l) => write!(
                    f,
                    "not enough data: {} bytes required, {} present ({})",
                    l.required_len,
                    l.len,
                    len_source_name(l.len_source)
                ),
                other => write!(f, "{}", error_text(other)),
            },
            Cause::UnknownFamily(fam) => write!(f, "unknown address family {fam}"),
            Cause::UnsupportedLinkType => write!(f, "link type not decoded"),
            Cause::TlvLength(n) => write!(f, "TLV length {n} is less than its 4-byte header"),
        }
    }
}

fn len_source_name(s: etherparse::LenSource) -> &'static str {
    use etherparse::LenSource::*;
    match s {
        Slice => "captured bytes",
        MacsecShortLength => "MACsec short length",
        Ipv4HeaderTotalLen => "IPv4 total length",
        Ipv6HeaderPayloadLen => "IPv6 payload length",
        UdpHeaderLen => "UDP length",
        TcpHeaderLen => "TCP header length",
        ArpAddrLengths => "ARP address lengths",
    }
}

/// etherparse's own message with its "ERROR_TITLE: " prefix removed.
fn error_text(e: &SliceError) -> String {
    let s = e.to_string();
    match s.split_once(": ") {
        Some((_, rest)) => rest.to_string(),
        None => s,
    }
}

/// One VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vlan {
    /// The TPID that introduced the tag (0x8100, 0x88a8, 0x9100).
    pub tpid: u16,
    /// The 12-bit VLAN identifier.
    pub id: u16,
    /// Priority code point.
    pub pcp: u8,
    /// Byte offset of the tag's TCI in the frame.
    pub offset: usize,
}

/// A decoded frame: every layer that could be read, plus where decoding stopped, if it did.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    /// Frame number in its input (1-based).
    pub number: u64,
    /// Capture time.
    pub ts: Ts,
    /// False when the record had no time of its own (see `Frame::ts_known`).
    pub ts_known: bool,
    /// LINKTYPE_ of the frame.
    pub linktype: u32,
    /// Length on the wire.
    pub len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The link header.
    pub link: Link,
    /// VLAN tags, outermost first (`vlan_count` of them are valid).
    pub vlans: [Vlan; 3],
    /// How many entries of `vlans` are in use.
    pub vlan_count: u8,
    /// IPv4, IPv6 or ARP.
    pub net: Option<LaxNetSlice<'a>>,
    /// TCP, UDP, ICMP, ICMPv6 or IGMP.
    pub transport: Option<TransportSlice<'a>>,
    /// Offset of the network header in the frame.
    pub net_offset: usize,
    /// Where and why decoding stopped, if it stopped early.
    pub stop: Option<Stop>,
    /// The headers between the link layer (and its VLAN tags) and `net`, outermost first: shims
    /// such as MPLS, and the outer layers of tunnels (`net` and `transport` are then the
    /// innermost packet's).
    pub encaps: encap::Encaps,
}

/// Byte offset of `inner` within `outer` (both slices of one frame).
pub fn offset_of(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize).min(outer.len())
}

/// Decodes one frame. Never fails: what cannot be decoded is described in `Packet::stop`.
#[inline]
pub fn decode<'a>(frame: &Frame<'a>) -> Packet<'a> {
    // The common frame (Ethernet, IPv4, TCP or UDP) is built as one literal in the caller's
    // return slot: a packet built first and handed to the decoding functions by address would be
    // copied out at the end, 296 bytes a frame.
    match fast(frame) {
        Some(Fast { link, net_offset, ip, transport }) => Packet {
            link,
            net: Some(LaxNetSlice::Ipv4(ip)),
            transport: Some(transport),
            net_offset,
            ..Packet::blank(frame)
        },
        None => decode_general(frame),
    }
}

/// [`decode`] without its fast path for Ethernet/IPv4/TCP-or-UDP frames: for tests that hold
/// the two paths equal.
#[doc(hidden)]
#[inline(never)]
pub fn decode_general<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut p = Packet::blank(frame);
    decode_rest(frame, &mut p);
    p
}

/// The frame's outermost packet: [`decode`] without following any encapsulation (a tunnel's
/// outer IP and UDP headers are its network and transport layers).
pub fn decode_outermost<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut p = Packet::blank(frame);
    decode_outer(frame, &mut p);
    p
}

impl<'a> Packet<'a> {
    /// The packet of a frame before any header is read.
    #[inline]
    fn blank(frame: &Frame<'a>) -> Packet<'a> {
        Packet {
            number: frame.number,
            ts: frame.ts,
            ts_known: frame.ts_known,
            linktype: frame.linktype,
            len: frame.len,
            data: frame.data,
            link: Link::Unsupported,
            vlans: [Vlan::default(); 3],
            vlan_count: 0,
            net: None,
            transport: None,
            net_offset: 0,
            stop: None,
            encaps: encap::Encaps::default(),
        }
    }
}

/// The general path of [`decode`] (through [`decode_general`], kept out of line): every link
/// type, every layer etherparse knows.
fn decode_rest<'a>(frame: &Frame<'a>, p: &mut Packet<'a>) {
    decode_outer(frame, p);
    encap::descend(p);
}

/// The link layer and what etherparse reads above it, before any encapsulation is followed.
fn decode_outer<'a>(frame: &Frame<'a>, p: &mut Packet<'a>) {
    let data = frame.data;
    let short = |header: &'static str, needed: usize| Stop {
        layer: Layer::DataLink,
        header,
        offset: 0,
        cause: Cause::Short { needed, present: data.len() },
    };
    match frame.linktype {
        linktype::ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
            Ok(s) => {
                if let Some(etherparse::LinkSlice::Ethernet2(eth)) = &s.link {
                    p.link = Link::Ethernet { dst: eth.destination(), src: eth.source(), ethertype: eth.ether_type().0 };
                }
                let mut inner_type = None;
                for ext in s.link_exts.iter() {
                    if let LaxLinkExtSlice::Vlan(v) = ext {
                        if let Some(slot) = p.vlans.get_mut(p.vlan_count as usize) {
                            let hdr = v.header_slice();
                            *slot = Vlan {
                                tpid: inner_type.unwrap_or(match p.link {
                                    Link::Ethernet { ethertype, .. } => ethertype,
                                    _ => 0x8100,
                                }),
                                id: v.vlan_identifier().value(),
                                pcp: v.priority_code_point().value(),
                                offset: offset_of(data, hdr),
                            };
                            p.vlan_count += 1;
                        }
                        inner_type = Some(v.ether_type().0);
                    }
                }
                if let (Some(t), Link::Ethernet { ethertype, .. }) = (inner_type, &mut p.link) {
                    // Show the EtherType of the payload; the tags keep their own TPIDs.
                    *ethertype = t;
                }
                fill_from_lax(p, &s, 0);
            }
            Err(e) => p.stop = Some(short("Ethernet header", e.required_len)),
        },
        linktype::LINUX_SLL | linktype::LINUX_SLL2 => {
            let v2 = frame.linktype == linktype::LINUX_SLL2;
            let hlen = if v2 { 20 } else { 16 };
            if data.len() < hlen {
                p.stop = Some(short(if v2 { "Linux cooked v2 header" } else { "Linux cooked header" }, hlen));
                return;
            }
            let mut addr = [0u8; 8];
            let (pkttype, hatype, addr_len, protocol, ifindex) = if v2 {
                if let Some(a) = data.get(12..20) {
                    addr.copy_from_slice(a);
                }
                (
                    data.get(10).copied().unwrap_or(0) as u16,
                    be16(data, 8).unwrap_or(0),
                    data.get(11).copied().unwrap_or(0),
                    be16(data, 0).unwrap_or(0),
                    be32(data, 4).unwrap_or(0),
                )
            } else {
                if let Some(a) = data.get(6..14) {
                    addr.copy_from_slice(a);
                }
                (
                    be16(data, 0).unwrap_or(0),
                    be16(data, 2).unwrap_or(0),
                    be16(data, 4).unwrap_or(0).min(8) as u8,
                    be16(data, 14).unwrap_or(0),
                    0,
                )
            };
            p.link = Link::Sll { version: if v2 { 2 } else { 1 }, pkttype, hatype, addr, addr_len, protocol, ifindex };
            let rest = data.get(hlen..).unwrap_or(&[]);
            // Protocol values below 0x0600 are Linux's own (802.3, 802.2 LLC, CAN, ...): not IP.
            if protocol >= 0x0600 {
                let s = LaxSlicedPacket::from_ether_type(EtherType(protocol), rest);
                fill_from_lax(p, &s, hlen);
            }
        }
        linktype::NULL | linktype::LOOP => {
            let Some(raw) = data.get(0..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
                p.stop = Some(short("loopback header", 4));
                return;
            };
            let be = u32::from_be_bytes(raw);
            let family = if frame.linktype == linktype::LOOP {
                be
            } else {
                // NULL is in the capturing host's order: a family number is small, so the
                // order in which it is small is the right one.
                let le = u32::from_le_bytes(raw);
                if be & 0xffff_0000 == 0 { be } else { le }
            };
            p.link = Link::Loopback { family };
            let rest = data.get(4..).unwrap_or(&[]);
            match family {
                2 => fill_from_lax(p, &LaxSlicedPacket::from_ether_type(EtherType::IPV4, rest), 4),
                10 | 24 | 28 | 30 => fill_from_lax(p, &LaxSlicedPacket::from_ether_type(EtherType::IPV6, rest), 4),
                other => {
                    p.stop = Some(Stop { layer: Layer::DataLink, header: "loopback header", offset: 0, cause: Cause::UnknownFamily(other) })
                }
            }
        }
        linktype::RAW | linktype::IPV4 | linktype::IPV6 | 12 | 14 => {
            p.link = Link::RawIp;
            let et = match data.first().map(|b| b >> 4) {
                Some(6) => EtherType::IPV6,
                _ if frame.linktype == linktype::IPV6 => EtherType::IPV6,
                _ => EtherType::IPV4,
            };
            fill_from_lax(p, &LaxSlicedPacket::from_ether_type(et, data), 0);
        }
        linktype::IEEE802_11 | linktype::IEEE802_11_RADIO | linktype::IEEE802_11_PRISM | linktype::IEEE802_11_AVS => {
            match wlan::decode(frame.linktype, data) {
                Ok(w) => {
                    p.link = Link::Wlan(w);
                    if w.ethertype >= 0x0600 {
                        let at = w.llc_offset() + 8;
                        let rest = data.get(at..).unwrap_or(&[]);
                        fill_from_lax(p, &LaxSlicedPacket::from_ether_type(EtherType(w.ethertype), rest), at);
                    }
                }
                Err(header) => {
                    let offset = if header == "802.11 header" { wlan_radio_len(frame.linktype, data) } else { 0 };
                    // A radio header says its own length; an 802.11 data header has 24 bytes.
                    let needed = match data.get(2..4) {
                        Some(l) if header == "radiotap header" => (u16::from_le_bytes([l[0], l[1]]) as usize).max(8),
                        _ if header == "radiotap header" => 8,
                        _ => offset + 24,
                    };
                    p.stop = Some(Stop {
                        layer: Layer::DataLink,
                        header,
                        offset,
                        cause: Cause::Short { needed, present: data.len() },
                    });
                }
            }
        }
        linktype::NFLOG => decode_nflog(data, frame.len, p),
        _ => {
            p.stop = Some(Stop { layer: Layer::DataLink, header: "frame", offset: 0, cause: Cause::UnsupportedLinkType });
        }
    }
}

/// NFLOG (tcpdump.org/linktypes/LINKTYPE_NFLOG.html), read as Zeek's NFLOG analyzer and
/// tcpdump read it: after the 4-byte header, TLVs (length and type in the capturing host's
/// byte order, little-endian on every Linux machine that captures in practice; the length
/// counts the TLV's own header and is padded to 4) up to the payload TLV (type 9), whose
/// packet runs to the end of the frame and is IP of the header's family. A frame without a
/// payload TLV carries no packet (unless the capture cut it off). Every step moves forward by
/// at least 4 bytes, so the walk ends within a quarter of the frame's length.
fn decode_nflog<'a>(data: &'a [u8], wire_len: u32, p: &mut Packet<'a>) {
    const PAYLOAD: u16 = 9;
    let (Some(&family), Some(&version), Some(resource_id)) = (data.first(), data.get(1), be16(data, 2)) else {
        p.stop = Some(Stop { layer: Layer::DataLink, header: "NFLOG header", offset: 0, cause: Cause::Short { needed: 4, present: data.len() } });
        return;
    };
    p.link = Link::Nflog { family, version, resource_id };
    let le16 = |at: usize| data.get(at..at.checked_add(2)?).and_then(|b| <[u8; 2]>::try_from(b).ok()).map(u16::from_le_bytes);
    let tlv_stop = |offset: usize, cause: Cause| Some(Stop { layer: Layer::DataLink, header: "NFLOG TLV", offset, cause });
    let mut at = 4usize;
    let start = loop {
        if at >= data.len() {
            // Cut by the snapshot length between two TLVs: the rest, perhaps the packet, is lost.
            if wire_len as usize > data.len() {
                p.stop = tlv_stop(at, Cause::Short { needed: at + 4, present: data.len() });
            }
            return;
        }
        let (Some(len), Some(typ)) = (le16(at), le16(at + 2)) else {
            p.stop = tlv_stop(at, Cause::Short { needed: at + 4, present: data.len() });
            return;
        };
        if typ == PAYLOAD {
            break at + 4;
        }
        if len < 4 {
            p.stop = tlv_stop(at, Cause::TlvLength(len));
            return;
        }
        let padded = (len as usize).div_ceil(4) * 4;
        if at + padded > data.len() {
            p.stop = tlv_stop(at, Cause::Short { needed: at + padded, present: data.len() });
            return;
        }
        at += padded;
    };
    let rest = data.get(start..).unwrap_or(&[]);
    match family {
        2 => fill_from_lax(p, &LaxSlicedPacket::from_ether_type(EtherType::IPV4, rest), start),
        10 => fill_from_lax(p, &LaxSlicedPacket::from_ether_type(EtherType::IPV6, rest), start),
        other => {
            p.stop = Some(Stop { layer: Layer::DataLink, header: "NFLOG header", offset: 0, cause: Cause::UnknownFamily(other as u32) })
        }
    }
}

/// Where the 802.11 header starts when only it failed: after the radio header.
fn wlan_radio_len(linktype: u32, data: &[u8]) -> usize {
    match linktype {
        linktype::IEEE802_11_RADIO => wlan::Radiotap::parse(data).map_or(0, |r| r.len as usize),
        linktype::IEEE802_11_PRISM | linktype::IEEE802_11_AVS => wlan::prism_len(data).map_or(0, |(_, l)| l),
        _ => 0,
    }
}

/// What the fast path finds in a frame: its link header, where IP starts, and the two layers.
struct Fast<'a> {
    link: Link,
    net_offset: usize,
    ip: etherparse::LaxIpv4Slice<'a>,
    transport: TransportSlice<'a>,
}

/// The common frame (Ethernet II, a whole unfragmented IPv4 packet, TCP or UDP) as etherparse
/// slices it, without the rest of a [`Packet`]; None for any other frame, which takes the general
/// way. Both [`decode`] and [`input::input`] start here.
#[inline]
fn fast<'a>(frame: &Frame<'a>) -> Option<Fast<'a>> {
    (frame.linktype == linktype::ETHERNET).then(|| ethernet_ipv4_fast(frame.data)).flatten()
}

/// The IP payload's length as the IPv4 header claims it (or as captured, if longer and cut).
#[inline]
fn v4_payload_len(v4: &etherparse::LaxIpv4Slice<'_>) -> usize {
    let h = v4.header();
    let pl = v4.payload();
    let claimed = (h.total_len() as usize).saturating_sub(h.slice().len());
    if pl.incomplete { claimed.max(pl.payload.len()) } else { pl.payload.len() }
}

/// A TCP header's fields, its payload being what is left of `ip_payload` bytes after it.
#[inline]
fn tcp_info(t: &etherparse::TcpSlice<'_>, ip_payload: usize) -> TcpInfo {
    let hdr = t.header_slice();
    TcpInfo {
        sport: t.source_port(),
        dport: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags: hdr.get(13).copied().unwrap_or(0),
        window: t.window_size(),
        payload_len: ip_payload.saturating_sub(hdr.len()) as u32,
    }
}

/// A UDP header's ports and payload length (its length field less the header).
#[inline]
fn udp_info(u: &etherparse::UdpSlice<'_>) -> (u16, u16, u32) {
    (u.source_port(), u.destination_port(), u.length().saturating_sub(8) as u32)
}

/// The common case, Ethernet II carrying a whole, unfragmented IPv4 packet without options
/// errors and a TCP or UDP header, sliced by the same etherparse calls the general path makes but
/// without building a `LaxSlicedPacket` (whose size made copying it a tenth of the decoding
/// time). Anything else (VLAN tags, other EtherTypes, a stop anywhere) gives None and is left to
/// the general path; `tests/decode.rs` (`fast_path_equals_general_path`) holds the two equal on
/// every frame of the corpus.
// Always inlined: returned through memory, its large result cost more than the work.
#[inline(always)]
fn ethernet_ipv4_fast(data: &[u8]) -> Option<Fast<'_>> {
    let eth = etherparse::Ethernet2Slice::from_slice_without_fcs(data).ok()?;
    if eth.ether_type() != EtherType::IPV4 {
        return None;
    }
    let Ok((etherparse::LaxIpSlice::Ipv4(ip), None)) = etherparse::LaxIpSlice::from_slice(eth.payload_slice()) else {
        return None;
    };
    let pl = ip.payload();
    if pl.fragmented {
        return None;
    }
    let transport = match pl.ip_number {
        etherparse::IpNumber::TCP => TransportSlice::Tcp(etherparse::TcpSlice::from_slice(pl.payload).ok()?),
        etherparse::IpNumber::UDP => {
            let u = etherparse::UdpSlice::from_slice_lax(pl.payload).ok()?;
            // A datagram that may carry a tunnel takes the general way, which follows it.
            if encap::tunnel_port(u.source_port()) || encap::tunnel_port(u.destination_port()) {
                return None;
            }
            TransportSlice::Udp(u)
        }
        _ => return None,
    };
    Some(Fast {
        link: Link::Ethernet { dst: eth.destination(), src: eth.source(), ethertype: eth.ether_type().0 },
        net_offset: offset_of(data, ip.header().slice()),
        ip,
        transport,
    })
}

/// Copies the layers etherparse found into the packet and converts its stop reason. By
/// reference: moving the whole sliced packet (link extensions and all) would copy it per frame;
/// only the two layers kept are copied.
fn fill_from_lax<'a>(p: &mut Packet<'a>, s: &LaxSlicedPacket<'a>, base: usize) {
    if let Some(net) = &s.net {
        let hdr: &[u8] = match net {
            LaxNetSlice::Ipv4(v4) => v4.header().slice(),
            LaxNetSlice::Ipv6(v6) => v6.header().slice(),
            LaxNetSlice::Arp(a) => a.slice(),
        };
        p.net_offset = offset_of(p.data, hdr);
    }
    if let Some((err, layer)) = &s.stop_err {
        let layer = *layer;
        let (lyr, header) = layer_of(layer);
        let offset = match &err {
            SliceError::Len(l) => base + l.layer_start_offset,
            _ => match lyr {
                Layer::DataLink => base,
                Layer::Network => {
                    if s.net.is_some() {
                        // An extension header after the fixed IP header failed.
                        p.net_offset
                    } else {
                        last_link_end(p, base)
                    }
                }
                Layer::Transport => s
                    .net
                    .as_ref()
                    .and_then(|n| n.ip_payload_ref())
                    .map(|pl: &LaxIpPayloadSlice<'_>| offset_of(p.data, pl.payload))
                    .unwrap_or(base),
            },
        };
        let cause = match &err {
            SliceError::Len(l) => Cause::Short { needed: l.required_len, present: l.len },
            _ => Cause::Invalid(err.clone()),
        };
        p.stop = Some(Stop { layer: lyr, header, offset, cause });
    }
    p.net = s.net.clone();
    p.transport = s.transport.clone();
}

fn last_link_end(p: &Packet<'_>, base: usize) -> usize {
    match p.vlan_count {
        0 => base.max(if matches!(p.link, Link::Ethernet { .. }) { 14 } else { base }),
        n => p.vlans.get(n as usize - 1).map(|v| v.offset + 4).unwrap_or(base),
    }
}

fn layer_of(l: EpLayer) -> (Layer, &'static str) {
    use EpLayer::*;
    match l {
        LinuxSllHeader => (Layer::DataLink, "Linux cooked header"),
        Ethernet2Header => (Layer::DataLink, "Ethernet header"),
        EtherPayload => (Layer::DataLink, "Ethernet payload"),
        VlanHeader => (Layer::DataLink, "VLAN tag"),
        MacsecHeader | MacsecPacket => (Layer::DataLink, "MACsec header"),
        IpHeader => (Layer::Network, "IP header"),
        Ipv4Header => (Layer::Network, "IPv4 header"),
        Ipv4Packet => (Layer::Network, "IPv4 packet"),
        IpAuthHeader => (Layer::Network, "IP authentication header"),
        Ipv6Header => (Layer::Network, "IPv6 header"),
        Ipv6Packet => (Layer::Network, "IPv6 packet"),
        Ipv6ExtHeader => (Layer::Network, "IPv6 extension header"),
        Ipv6HopByHopHeader => (Layer::Network, "IPv6 hop-by-hop header"),
        Ipv6DestOptionsHeader => (Layer::Network, "IPv6 destination options header"),
        Ipv6RouteHeader => (Layer::Network, "IPv6 routing header"),
        Ipv6FragHeader => (Layer::Network, "IPv6 fragment header"),
        Arp => (Layer::Network, "ARP packet"),
        UdpHeader => (Layer::Transport, "UDP header"),
        UdpPayload => (Layer::Transport, "UDP payload"),
        TcpHeader => (Layer::Transport, "TCP header"),
        Icmpv4 | Icmpv4Timestamp | Icmpv4TimestampReply => (Layer::Transport, "ICMP header"),
        Icmpv6 => (Layer::Transport, "ICMPv6 header"),
        Igmp => (Layer::Transport, "IGMP header"),
    }
}

/// Transport protocol of a packet, for flow keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (v4 or v6).
    Icmp,
}

/// The ARP fields analyzers need, for Ethernet/IPv4 ARP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpInfo {
    /// 1 request, 2 reply (other values kept as they are).
    pub op: u16,
    /// Sender hardware address.
    pub sender_mac: [u8; 6],
    /// Sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// Target hardware address.
    pub target_mac: [u8; 6],
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
}

/// The TCP fields analyzers need, copied out of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flag bits: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
    pub flags: u8,
    /// Window field (unscaled).
    pub window: u16,
    /// Payload bytes in this segment (as captured, or as the IP length says if cut by snaplen).
    pub payload_len: u32,
}

/// TCP flag bits as in the header.
pub mod tcpflag {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronize sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer field significant.
    pub const URG: u8 = 0x20;
    /// ECN echo.
    pub const ECE: u8 = 0x40;
    /// Congestion window reduced.
    pub const CWR: u8 = 0x80;
}

impl<'a> Packet<'a> {
    /// Source and destination IP addresses, if there is an IP layer.
    pub fn ip_addrs(&self) -> Option<(IpAddr, IpAddr)> {
        match &self.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                Some((IpAddr::V4(h.source_addr()), IpAddr::V4(h.destination_addr())))
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                Some((IpAddr::V6(Ipv6Addr::from(h.source())), IpAddr::V6(Ipv6Addr::from(h.destination()))))
            }
            _ => None,
        }
    }

    /// Bytes of the IP packet as its header says (IPv4 total length, IPv6 40 + payload length).
    pub fn ip_len(&self) -> u32 {
        match &self.net {
            Some(LaxNetSlice::Ipv4(v4)) => v4.header().total_len() as u32,
            Some(LaxNetSlice::Ipv6(v6)) => 40 + v6.header().payload_length() as u32,
            _ => 0,
        }
    }

    /// TCP fields, if this is a TCP segment whose header decoded.
    pub fn tcp(&self) -> Option<TcpInfo> {
        let Some(TransportSlice::Tcp(t)) = &self.transport else { return None };
        Some(tcp_info(t, self.ip_payload_len()))
    }

    /// Payload length of the IP layer per its length fields (not the captured bytes), so that
    /// snap-length truncation does not shrink the transport's byte counts.
    pub fn ip_payload_len(&self) -> usize {
        match &self.net {
            Some(LaxNetSlice::Ipv4(v4)) => v4_payload_len(v4),
            Some(n) => n.ip_payload_ref().map_or(0, |pl| pl.payload.len()),
            None => 0,
        }
    }

    /// UDP source port, destination port and payload length, if this is UDP.
    pub fn udp(&self) -> Option<(u16, u16, u32)> {
        let Some(TransportSlice::Udp(u)) = &self.transport else { return None };
        Some(udp_info(u))
    }

    /// The transport protocol and ports (0 for ICMP), if any.
    pub fn ports(&self) -> Option<(Proto, u16, u16)> {
        match &self.transport {
            Some(TransportSlice::Tcp(t)) => Some((Proto::Tcp, t.source_port(), t.destination_port())),
            Some(TransportSlice::Udp(u)) => Some((Proto::Udp, u.source_port(), u.destination_port())),
            Some(TransportSlice::Icmpv4(_)) | Some(TransportSlice::Icmpv6(_)) => Some((Proto::Icmp, 0, 0)),
            _ => None,
        }
    }

    /// ARP fields, for Ethernet/IPv4 ARP.
    pub fn arp(&self) -> Option<ArpInfo> {
        let Some(LaxNetSlice::Arp(a)) = &self.net else { return None };
        let sm: [u8; 6] = a.sender_hw_addr().try_into().ok()?;
        let si: [u8; 4] = a.sender_protocol_addr().try_into().ok()?;
        let tm: [u8; 6] = a.target_hw_addr().try_into().ok()?;
        let ti: [u8; 4] = a.target_protocol_addr().try_into().ok()?;
        Some(ArpInfo {
            op: a.operation().0,
            sender_mac: sm,
            sender_ip: Ipv4Addr::from(si),
            target_mac: tm,
            target_ip: Ipv4Addr::from(ti),
        })
    }

    /// Ethernet source address, if the link layer is Ethernet.
    pub fn eth_src(&self) -> Option<[u8; 6]> {
        match self.link {
            Link::Ethernet { src, .. } => Some(src),
            _ => None,
        }
    }

    /// The application payload (after the transport header), as captured.
    pub fn app_payload(&self) -> &'a [u8] {
        match &self.transport {
            Some(TransportSlice::Tcp(t)) => t.payload(),
            Some(TransportSlice::Udp(u)) => u.payload(),
            _ => &[],
        }
    }

    /// Whether the IPv4 header checksum is right (None without IPv4).
    pub fn ipv4_checksum_ok(&self) -> Option<bool> {
        let Some(LaxNetSlice::Ipv4(v4)) = &self.net else { return None };
        Some(internet_checksum(v4.header().slice()) == 0)
    }

    /// Whether its IP packet is a fragment of a larger datagram (IPv4 or IPv6).
    pub fn fragmented(&self) -> bool {
        match &self.net {
            Some(LaxNetSlice::Ipv4(v4)) => v4.payload().fragmented,
            Some(LaxNetSlice::Ipv6(v6)) => v6.payload().fragmented,
            _ => false,
        }
    }

    /// The highest decoded protocol, for statistics and summaries.
    pub fn top(&self) -> Top {
        match (&self.transport, &self.net) {
            (Some(TransportSlice::Tcp(_)), _) => Top::Tcp,
            (Some(TransportSlice::Udp(_)), _) => Top::Udp,
            (Some(TransportSlice::Icmpv4(_)), _) => Top::Icmp,
            (Some(TransportSlice::Icmpv6(_)), _) => Top::Icmpv6,
            (Some(TransportSlice::Igmp(_)), _) => Top::Igmp,
            (None, Some(LaxNetSlice::Arp(_))) => Top::Arp,
            (None, Some(LaxNetSlice::Ipv4(_))) => Top::Ipv4,
            (None, Some(LaxNetSlice::Ipv6(_))) => Top::Ipv6,
            (None, None) => match self.link {
                Link::Unsupported => Top::Undecoded,
                _ => Top::Other,
            },
        }
    }
}

/// The highest protocol decoded in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    /// ARP.
    Arp,
    /// IPv4 without a transport header decoded.
    Ipv4,
    /// IPv6 without a transport header decoded.
    Ipv6,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// IGMP.
    Igmp,
    /// A link layer read, nothing above it.
    Other,
    /// A link type not decoded.
    Undecoded,
}

impl Top {
    /// Every value, in the order of [`Top::index`].
    pub const ALL: [Top; 10] =
        [Top::Arp, Top::Ipv4, Top::Ipv6, Top::Tcp, Top::Udp, Top::Icmp, Top::Icmpv6, Top::Igmp, Top::Other, Top::Undecoded];

    /// Short name, as the statistics show it.
    pub fn name(self) -> &'static str {
        match self {
            Top::Arp => "arp",
            Top::Ipv4 => "ipv4",
            Top::Ipv6 => "ipv6",
            Top::Tcp => "tcp",
            Top::Udp => "udp",
            Top::Icmp => "icmp",
            Top::Icmpv6 => "icmpv6",
            Top::Igmp => "igmp",
            Top::Other => "other",
            Top::Undecoded => "undecoded",
        }
    }

    /// Its place in [`Top::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// RFC 1071 ones'-complement sum; 0 over a header that includes a correct checksum.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        if let [a, b] = c {
            sum += u16::from_be_bytes([*a, *b]) as u32;
        }
    }
    if let [last] = chunks.remainder() {
        sum += (*last as u32) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod test {
    use super::*;

    /// A hand-built SYN as Linux sends it: Ethernet, IPv4 (DF, TTL 64), TCP with MSS, SACK
    /// permitted, timestamps and window scale.
    const SYN: [u8; 74] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c,
        0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x0a, 0x74, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0xa2, 0x2e,
        0x00, 0x50, 0x5e, 0x6a, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x14, 0x28, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
        0x03, 0x07,
    ];

    fn frame(data: &[u8], linktype: u32) -> Frame<'_> {
        Frame { number: 1, ts: Ts::default(), linktype, len: data.len() as u32, data, interface: 0, ts_known: true }
    }

    #[test]
    fn deconstruct_syn() {
        let p = decode(&frame(&SYN, linktype::ETHERNET));
        assert_eq!(p.stop, None);
        assert_eq!(p.link, Link::Ethernet { dst: [2, 0, 0, 0, 0, 2], src: [2, 0, 0, 0, 0, 1], ethertype: 0x0800 });
        assert_eq!(p.net_offset, 14);
        let t = p.tcp().expect("tcp");
        assert_eq!((t.sport, t.dport, t.flags, t.payload_len), (41518, 80, tcpflag::SYN, 0));
        assert_eq!(t.seq, 0x5e6a7f01);
        assert_eq!(p.ipv4_checksum_ok(), Some(true));
        assert_eq!(p.top(), Top::Tcp);
    }

    #[test]
    fn truncated_tcp_says_where() {
        let p = decode(&frame(&SYN[..40], linktype::ETHERNET));
        let stop = p.stop.clone().expect("stop");
        assert_eq!(stop.layer, Layer::Transport);
        assert_eq!(stop.offset, 34);
        assert!(matches!(stop.cause, Cause::Short { .. }), "{stop}");
        assert!(p.ip_addrs().is_some(), "the IP layer is kept");
    }

    #[test]
    fn every_prefix_is_safe() {
        for n in 0..SYN.len() {
            let p = decode(&frame(&SYN[..n], linktype::ETHERNET));
            if n < SYN.len() {
                assert!(p.stop.is_some() || p.tcp().is_some(), "cut at {n}");
            }
        }
        for lt in [0u32, 1, 101, 108, 113, 228, 229, 239, 276, 9999] {
            for n in 0..SYN.len() {
                let _ = decode(&frame(&SYN[..n], lt));
            }
        }
    }

    #[test]
    fn raw_ip_and_loopback() {
        let p = decode(&frame(&SYN[14..], linktype::RAW));
        assert!(p.tcp().is_some());
        let mut lo = vec![2, 0, 0, 0];
        lo.extend_from_slice(&SYN[14..]);
        let p = decode(&frame(&lo, linktype::NULL));
        assert_eq!(p.link, Link::Loopback { family: 2 });
        assert!(p.tcp().is_some());
    }

    #[test]
    fn unsupported_link_is_kept() {
        let p = decode(&frame(&SYN, 147));
        assert_eq!(p.top(), Top::Undecoded);
        assert_eq!(p.stop.map(|s| s.cause), Some(Cause::UnsupportedLinkType));
    }

    /// An NFLOG frame: header (family, version 0, resource id 5), then `tlvs`, then the
    /// payload TLV holding `packet`.
    fn nflog(family: u8, tlvs: &[u8], packet: &[u8]) -> Vec<u8> {
        let mut v = vec![family, 0, 0, 5];
        v.extend_from_slice(tlvs);
        v.extend_from_slice(&((packet.len() + 4) as u16).to_le_bytes());
        v.extend_from_slice(&[9, 0]);
        v.extend_from_slice(packet);
        v
    }

    #[test]
    fn nflog_payload_after_padded_tlvs() {
        // A prefix TLV of length 5 (padded to 8), then a hook TLV of length 8.
        let tlvs = [5, 0, 10, 0, 0, 0, 0, 0, 8, 0, 1, 0, 8, 0, 3, 0];
        let data = nflog(2, &tlvs, &SYN[14..]);
        let p = decode(&frame(&data, linktype::NFLOG));
        assert_eq!(p.link, Link::Nflog { family: 2, version: 0, resource_id: 5 });
        assert_eq!(p.net_offset, 4 + 16 + 4);
        assert!(p.tcp().is_some() && p.stop.is_none(), "{:?}", p.stop);
        assert_eq!(format!("{p:?}"), format!("{:?}", decode_general(&frame(&data, linktype::NFLOG))));
    }

    #[test]
    fn nflog_hostile_tlvs_stop() {
        // Zero length: a stop, not an endless walk.
        let zero = nflog(2, &[0, 0, 1, 0], &SYN[14..]);
        let p = decode(&frame(&zero, linktype::NFLOG));
        assert_eq!(p.stop.map(|s| (s.offset, s.cause)), Some((4, Cause::TlvLength(0))));
        assert!(p.net.is_none());
        // A length past the end of the frame.
        let long = nflog(2, &[0xff, 0xff, 1, 0], &[]);
        let p = decode(&frame(&long, linktype::NFLOG));
        assert!(matches!(p.stop.map(|s| s.cause), Some(Cause::Short { needed, .. }) if needed == 4 + 0x1_0000));
        // A family that is not IP, and a header cut short.
        let other = nflog(7, &[], &SYN[14..]);
        let p = decode(&frame(&other, linktype::NFLOG));
        assert_eq!(p.stop.map(|s| s.cause), Some(Cause::UnknownFamily(7)));
        let p = decode(&frame(&[2, 0, 0], linktype::NFLOG));
        assert_eq!(p.link, Link::Unsupported);
        assert!(matches!(p.stop.map(|s| s.cause), Some(Cause::Short { needed: 4, present: 3 })));
    }

    #[test]
    fn nflog_without_payload_carries_no_packet() {
        let data = [2, 0, 0, 5, 8, 0, 1, 0, 8, 0, 3, 0];
        let p = decode(&frame(&data, linktype::NFLOG));
        assert!(p.net.is_none() && p.stop.is_none(), "{:?}", p.stop);
        assert_eq!(p.link, Link::Nflog { family: 2, version: 0, resource_id: 5 });
    }
}
