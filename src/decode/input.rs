//! The one compact input every analyzer takes: what a frame is, made once per frame.
//!
//! Analyzers run on other threads than the reader and, under `-q`, never see the frame's bytes:
//! they see this small `Copy` summary instead, made here and only here. [`input`] makes it from a
//! frame, taking the common frame (Ethernet, a whole IPv4 packet, TCP or UDP) straight from
//! etherparse's slices and every other frame through the [`Packet`]; [`Input::of_packet`] makes it
//! from a packet already decoded. The two agree on every frame (`tests/it/decode.rs` holds them
//! equal on the whole corpus).

use std::ops::ControlFlow;

use etherparse::{LaxNetSlice, TransportSlice};

use super::key::{icmp_counterpart, wide_v4, Dir, FlowKey, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
use super::defrag::{Defrag, DefragConfig, DefragStats, Whole};
use super::encap::{Kind, TunnelKind};
use super::{decode_general, fast, offset_of, tcp_info, udp_info, v4_payload_len, ArpInfo, Fast, Link, Packet, TcpInfo, Top};
use crate::source::{Frame, Ts};

/// One TCP segment, UDP datagram or ICMP message as the connection tracker needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seg {
    /// TCP flag bits (0 for UDP).
    pub flags: u8,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Payload bytes, as the IP length says (a snap length may have cut what was captured); for
    /// ICMP, what follows the 8-byte header, as Zeek counts it.
    pub len: u32,
    /// Window field.
    pub window: u16,
    /// IP packet length (header included).
    pub ip_len: u32,
    /// Frame length on the wire.
    pub frame_len: u32,
}

/// A TCP segment, UDP datagram or ICMP message over IP: its flow, the way it went, and the
/// segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSeg {
    /// The flow's canonical key.
    pub key: FlowKey,
    /// [`FlowKey::table_hash`] of the key: where the flow lives in a table and in which shard.
    pub hash: u64,
    /// Whether it went from endpoint `a` to endpoint `b` of the key.
    pub from_a: bool,
    /// Whether it is a TCP segment (else a UDP datagram or an ICMP message: see the key's
    /// protocol).
    pub tcp: bool,
    /// Flags, numbers and lengths.
    pub seg: Seg,
    /// Where the payload's captured bytes start in the frame, and how many were captured.
    pub payload: (u32, u32),
}

impl FlowSeg {
    /// Source address and port.
    pub fn src(&self) -> (std::net::IpAddr, u16) {
        if self.from_a { self.key.a() } else { self.key.b() }
    }

    /// Destination address and port.
    pub fn dst(&self) -> (std::net::IpAddr, u16) {
        if self.from_a { self.key.b() } else { self.key.a() }
    }
}

/// What the network layer carried, as far as the analyzers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// A TCP segment, UDP datagram or ICMP message over IPv4 or IPv6.
    Flow(FlowSeg),
    /// An ARP packet: its Ethernet/IPv4 fields (None for other hardware or protocol types) and
    /// the link layer's source address, when the link has 6-byte addresses.
    Arp { arp: Option<ArpInfo>, link_src: Option<[u8; 6]> },
    /// Anything else.
    Other,
}

/// Frame flag: decoding stopped early.
pub const MALFORMED: u8 = 0x01;
/// Frame flag: at least one VLAN tag.
pub const VLAN: u8 = 0x02;
/// Frame flag: an IP fragment (IPv4 or IPv6).
pub const FRAGMENT: u8 = 0x04;
/// Frame flag: a transport header over IPv4.
pub const OVER_IPV4: u8 = 0x08;
/// Frame flag: a transport header over IPv6.
pub const OVER_IPV6: u8 = 0x10;
/// [`Input::flags`]: the TCP or UDP checksum is bad (checked only when asked:
/// [`DefragConfig::check_checksums`]).
pub const BAD_CHECKSUM: u8 = 0x20;
/// Frame flag: from an input read only to finish the connections open at the end of the ones
/// before it (`read --partial --next`): it moves their records and the clock on, and nothing
/// else sees it.
pub const CONTINUED: u8 = 0x40;
/// Frame flag: an 802.11 A-MSDU whose further subframes carry packets too: the input is its
/// first subframe's, and [`super::encap::amsdu_rest`] gives the others.
pub const AMSDU: u8 = 0x80;

/// The tunnel a frame came through (its innermost, when tunnels nest): what its connection
/// and its tunnel record need. For a tunnel over UDP the key is the outer UDP flow, which is
/// tracked as a connection too; for IP in IP and GRE it is the two outer addresses, ports 0,
/// and the outer protocol (4, 41 or 47).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    /// Zeek's tunnel type.
    pub kind: TunnelKind,
    /// Whether the frame went from endpoint `a` to `b` of the key.
    pub from_a: bool,
    /// The outer flow's canonical key.
    pub key: FlowKey,
    /// The outer IP packet's length.
    pub ip_len: u32,
    /// The outer UDP payload's length (0 without UDP).
    pub len: u32,
}

impl Tunnel {
    /// Whether the outer flow is a UDP flow (tracked as a connection).
    pub fn over_udp(&self) -> bool {
        self.key.proto == IPPROTO_UDP
    }

    /// The outer UDP datagram as the tracker takes a flow's packet, in a frame of `frame_len`
    /// bytes.
    pub fn outer_seg(&self, frame_len: u32) -> FlowSeg {
        FlowSeg {
            key: self.key,
            hash: self.key.table_hash(),
            from_a: self.from_a,
            tcp: false,
            seg: Seg { len: self.len, ip_len: self.ip_len, frame_len, ..Seg::default() },
            payload: (0, 0),
        }
    }
}

/// One frame, as every analyzer takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// Frame number in its input (1-based).
    pub number: u64,
    /// Capture time.
    pub ts: Ts,
    /// Length on the wire.
    pub len: u32,
    /// Bytes captured.
    pub caplen: u32,
    /// LINKTYPE_ of the frame.
    pub linktype: u32,
    /// The highest protocol decoded.
    pub top: Top,
    /// [`MALFORMED`], [`VLAN`], [`FRAGMENT`], [`OVER_IPV4`], [`OVER_IPV6`].
    pub flags: u8,
    /// The flow or ARP packet it carries (the innermost packet's, when it came through a tunnel).
    pub net: Net,
    /// The tunnel it came through: one more than its place in the list of tunnels kept beside
    /// the inputs ([`InputMaker`]; 0: none). A tunnel is large and rare, so it is kept out of
    /// line and the common input stays small.
    pub tunnel: u16,
}

impl Input {
    /// The segment or datagram, if it is one.
    pub fn flow(&self) -> Option<&FlowSeg> {
        match &self.net {
            Net::Flow(f) => Some(f),
            _ => None,
        }
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The tunnel it came through, in the list `tunnels` kept beside it.
    #[inline]
    pub fn tunnel_in<'t>(&self, tunnels: &'t [Tunnel]) -> Option<&'t Tunnel> {
        match self.tunnel {
            0 => None,
            n => tunnels.get(n as usize - 1),
        }
    }

    /// The input of a packet already decoded (its tunnel, if any, is noted by [`InputMaker`],
    /// which keeps the list).
    pub fn of_packet(p: &Packet<'_>) -> Input {
        let mut flags = 0;
        if p.stop.is_some() {
            flags |= MALFORMED;
        }
        if p.vlan_count > 0 {
            flags |= VLAN;
        }
        if (matches!(p.link, Link::Wlan(_)) || !p.encaps.is_empty()) && super::encap::amsdu_more(p) {
            flags |= AMSDU;
        }
        let top = p.top();
        let net = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                if v4.payload().fragmented {
                    flags |= FRAGMENT;
                }
                if p.transport.is_some() {
                    flags |= OVER_IPV4;
                }
                let h = v4.header();
                let ends = (wide_v4(h.source()), wide_v4(h.destination()), false);
                flow(p.data, ends, p.transport.as_ref(), p.tcp(), (p.ip_len(), icmp_payload_len(p)), p.len)
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                if v6.payload().fragmented {
                    flags |= FRAGMENT;
                }
                if p.transport.is_some() {
                    flags |= OVER_IPV6;
                }
                let h = v6.header();
                let ends = (h.source(), h.destination(), true);
                flow(p.data, ends, p.transport.as_ref(), p.tcp(), (p.ip_len(), icmp_payload_len(p)), p.len)
            }
            Some(LaxNetSlice::Arp(_)) => {
                // Inside a tunnel the ARP packet's own frame is the innermost Ethernet header; an
                // 802.11 frame (Aruba's GRE) gives none, as an 802.11 link layer gives none.
                let inner = p.encaps.as_slice().iter().rev().find(|e| matches!(e.kind, Kind::Ethernet | Kind::Wlan));
                let src = match inner {
                    Some(e) if e.kind == Kind::Ethernet => e.bytes(p.data).get(6..12).and_then(|s| <[u8; 6]>::try_from(s).ok()),
                    Some(_) => None,
                    None => link_src(&p.link),
                };
                Net::Arp { arp: p.arp(), link_src: src }
            }
            None => Net::Other,
        };
        Input { number: p.number, ts: p.ts, len: p.len, caplen: p.data.len() as u32, linktype: p.linktype, top, flags, net, tunnel: 0 }
    }

    /// The input of fragment `p` that completed datagram `whole`: the frame's, with the whole
    /// datagram's network and transport layers (its flow counts the datagram once, with the
    /// wire bytes of every frame that carried a piece of it).
    pub fn of_whole(p: &Packet<'_>, whole: &Whole<'_>) -> Input {
        let mut x = Input::of_whole_packet(p, &whole.decode(p).packet, whole);
        if let Net::Flow(f) = &mut x.net {
            // The payload is not in this frame's bytes.
            f.payload = (0, 0);
        }
        x
    }

    /// The input of the datagram `whole` (decoded: `wp`) that `p`'s frame completed.
    fn of_whole_packet(p: &Packet<'_>, wp: &Packet<'_>, whole: &Whole<'_>) -> Input {
        let mut x = Input::of_packet(wp);
        x.len = p.len;
        x.caplen = p.data.len() as u32;
        x.linktype = p.linktype;
        x.flags |= FRAGMENT | (Input::of_packet(p).flags & (VLAN | MALFORMED));
        if let Net::Flow(f) = &mut x.net {
            f.seg.frame_len = whole.frame_bytes.min(u32::MAX as u64) as u32;
        }
        x
    }

    /// The input of the common frame, from the fast path's slices.
    #[inline]
    fn of_fast(frame: &Frame<'_>, f: &Fast<'_>) -> Input {
        let h = f.ip.header();
        let addrs = (wide_v4(h.source()), wide_v4(h.destination()), false);
        let tcp = match &f.transport {
            TransportSlice::Tcp(t) => Some(tcp_info(t, v4_payload_len(&f.ip))),
            _ => None,
        };
        // The fast path carries TCP and UDP only, whose lengths come from their own headers.
        let net = flow(frame.data, addrs, Some(&f.transport), tcp, (h.total_len() as u32, 0), frame.len);
        let top = if tcp.is_some() { Top::Tcp } else { Top::Udp };
        Input {
            number: frame.number,
            ts: frame.ts,
            len: frame.len,
            caplen: frame.data.len() as u32,
            linktype: frame.linktype,
            top,
            flags: OVER_IPV4,
            net,
            tunnel: 0,
        }
    }
}

/// The innermost tunnel of a packet whose inner packet was decoded: its outer IP header's
/// addresses, and its UDP header's ports if it is a tunnel over UDP.
#[cold]
pub fn tunnel_of(p: &Packet<'_>) -> Option<Tunnel> {
    let (kind, i) = p.encaps.tunnel()?;
    let list = p.encaps.as_slice();
    let outer = list.get(i)?;
    // Only a tunnel whose inner packet was read is one: an undecoded payload is the outer's.
    if p.net.is_none() || p.net_offset < outer.offset as usize + outer.len as usize {
        return None;
    }
    let bytes = outer.rest(p.data);
    let (s, d, v6, ip_len, proto) = match outer.kind {
        Kind::Ipv4 => {
            let h = etherparse::Ipv4HeaderSlice::from_slice(bytes).ok()?;
            (wide_v4(h.source()), wide_v4(h.destination()), false, h.total_len() as u32, h.protocol().0)
        }
        _ => {
            let h = etherparse::Ipv6HeaderSlice::from_slice(bytes).ok()?;
            let proto = match list.get(i + 1).map(|e| e.kind) {
                Some(Kind::Udp) => IPPROTO_UDP,
                Some(Kind::Gre) => 47,
                _ => h.next_header().0,
            };
            (h.source(), h.destination(), true, 40 + h.payload_length() as u32, proto)
        }
    };
    let (key, dir, len) = match list.get(i + 1) {
        Some(u) if u.kind == Kind::Udp => {
            let b = u.bytes(p.data);
            let port = |at: usize| b.get(at..at + 2).map_or(0, |x| u16::from_be_bytes([x[0], x[1]]));
            let (k, dir) = FlowKey::of_bytes(IPPROTO_UDP, (s, port(0)), (d, port(2)), v6);
            (k, dir, (port(4) as u32).saturating_sub(8))
        }
        _ => {
            let (k, dir) = FlowKey::of_bytes(proto, (s, 0), (d, 0), v6);
            (k, dir, 0)
        }
    };
    Some(Tunnel { kind, from_a: dir == Dir::AtoB, key, ip_len, len })
}

/// The IP payload length of an ICMP message, which its flow counts (0 for other packets, whose
/// lengths come from their own headers).
fn icmp_payload_len(p: &Packet<'_>) -> u32 {
    match p.transport {
        Some(TransportSlice::Icmpv4(_)) | Some(TransportSlice::Icmpv6(_)) => p.ip_payload_len() as u32,
        _ => 0,
    }
}

/// Frames into inputs with IP fragments reassembled and tunnels noted: a fragment's input is
/// the frame's until the one that completes its datagram, whose input is the whole datagram's
/// ([`Input::of_whole`]); a frame that came through a tunnel has the tunnel pushed on the list
/// kept beside the inputs (its input holds the place). Every other frame's input is
/// [`input`]'s, at no extra cost.
#[derive(Debug, Default)]
pub struct InputMaker {
    defrag: Defrag,
    check_checksums: bool,
}

impl InputMaker {
    /// A maker reassembling within `cfg`'s limits.
    pub fn new(cfg: DefragConfig) -> InputMaker {
        InputMaker { defrag: Defrag::new(cfg), check_checksums: cfg.check_checksums }
    }

    /// What reassembly counted.
    pub fn defrag_stats(&self) -> DefragStats {
        self.defrag.stats()
    }

    /// The input of a frame; its tunnel, if any, goes on `tunnels`.
    #[inline]
    pub fn input(&mut self, frame: &Frame<'_>, tunnels: &mut Vec<Tunnel>) -> Input {
        match fast(frame) {
            // The fast path takes neither fragments nor tunnels.
            Some(f) if self.check_checksums => checked(Input::of_fast(frame, &f), &super::decode(frame)),
            Some(f) => Input::of_fast(frame, &f),
            None => self.of_packet(&decode_general(frame), tunnels),
        }
    }

    /// The input of a packet already decoded; its tunnel, if any, goes on `tunnels`.
    pub fn of_packet(&mut self, p: &Packet<'_>, tunnels: &mut Vec<Tunnel>) -> Input {
        let mut x = Input::of_packet(p);
        if self.check_checksums {
            x = checked(x, p);
        }
        if x.has(FRAGMENT) {
            x = self.fragment(p, x);
        }
        if !p.encaps.is_empty() {
            x.tunnel = note_tunnel(p, tunnels);
        }
        x
    }

    #[cold]
    fn fragment(&mut self, p: &Packet<'_>, x: Input) -> Input {
        let now = p.ts.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        match self.defrag.packet(p, now) {
            Some(whole) => Input::of_whole(p, &whole),
            None => x,
        }
    }
}

/// `x`, marked [`BAD_CHECKSUM`] if its packet `p`'s TCP or UDP checksum is bad.
#[cold]
fn checked(mut x: Input, p: &Packet<'_>) -> Input {
    if super::checksum::status(p, false) == Some(super::checksum::Status::Bad) {
        x.flags |= BAD_CHECKSUM;
    }
    x
}

/// Pushes the tunnel of `p` on `tunnels`; its place for the input (0: none, or no room).
#[cold]
fn note_tunnel(p: &Packet<'_>, tunnels: &mut Vec<Tunnel>) -> u16 {
    let Some(t) = tunnel_of(p) else { return 0 };
    match u16::try_from(tunnels.len() + 1) {
        Ok(n) => {
            tunnels.push(t);
            n
        }
        Err(_) => 0,
    }
}

/// The input of a frame: the one place frames become what the analyzers take.
#[inline]
pub fn input(frame: &Frame<'_>) -> Input {
    match fast(frame) {
        Some(f) => Input::of_fast(frame, &f),
        None => Input::of_packet(&decode_general(frame)),
    }
}

/// Frames into inputs for a command that reads a file on its own (`follow`, `segments`,
/// `ladder`), as the pipeline reads them: after a frame's input, one for each further subframe
/// of an 802.11 A-MSDU; IP fragments reassembled, the frame completing a datagram giving the
/// whole datagram's input.
#[derive(Debug, Default)]
pub struct Inputs {
    defrag: Defrag,
}

impl Inputs {
    /// Calls `each` with each input of `frame`, the bytes its payload's place is given in (the
    /// frame's, or a reassembled datagram's) and its packet, until it breaks.
    pub fn each(&mut self, frame: &Frame<'_>, mut each: impl FnMut(&Input, &[u8], &Packet<'_>) -> ControlFlow<()>) -> ControlFlow<()> {
        let p = super::decode(frame);
        // A tunnel over UDP: its outer datagram first, as tshark numbers it.
        if let Some(outer) = outer_udp(&p) {
            each(&Input::of_packet(&outer), frame.data, &outer)?;
        }
        let x = Input::of_packet(&p);
        if x.has(FRAGMENT) {
            let now = p.ts.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            return match self.defrag.packet(&p, now) {
                Some(whole) => {
                    let wp = whole.decode(&p).packet;
                    each(&Input::of_whole_packet(&p, &wp, &whole), whole.bytes, &wp)
                }
                None => each(&x, frame.data, &p),
            };
        }
        each(&x, frame.data, &p)?;
        if x.has(AMSDU) {
            for sub in super::encap::amsdu_rest(&p) {
                let mut s = Input::of_packet(&sub);
                s.flags &= !AMSDU;
                each(&s, frame.data, &sub)?;
            }
        }
        ControlFlow::Continue(())
    }
}

/// The outermost packet of `p`'s frame when `p` came out of a tunnel whose outer headers are
/// the frame's IP and UDP (VXLAN, Geneve, GTP-U, Teredo, AYIYA, GRE or MPLS in UDP): a UDP
/// datagram of its own, as tshark numbers it among the UDP streams.
pub fn outer_udp<'a>(p: &Packet<'a>) -> Option<Packet<'a>> {
    let list = p.encaps.as_slice();
    let outermost = matches!(list.first()?.kind, Kind::Ipv4 | Kind::Ipv6) && list.get(1)?.kind == Kind::Udp;
    // The packet inside was read (else `p`'s layers are the outer ones already).
    if !outermost || p.net_offset <= list.get(1)?.offset as usize {
        return None;
    }
    let frame = Frame { number: p.number, ts: p.ts, linktype: p.linktype, len: p.len, data: p.data, interface: 0, ts_known: p.ts_known };
    let outer = super::decode_outermost(&frame);
    matches!(outer.transport, Some(TransportSlice::Udp(_))).then_some(outer)
}

/// The flow of a packet from address `s` to `d` (IPv6 or not) whose transport is `transport`
/// (TCP fields `tcp`), with its IP length and IP payload length (the latter read for ICMP
/// only) and its length on the wire; [`Net::Other`] unless TCP, UDP or ICMP.
#[inline(always)]
fn flow(
    data: &[u8],
    (s, d, v6): ([u8; 16], [u8; 16], bool),
    transport: Option<&TransportSlice<'_>>,
    tcp: Option<TcpInfo>,
    (ip_len, ip_payload): (u32, u32),
    frame_len: u32,
) -> Net {
    let (proto, sport, dport, seg, payload) = match (transport, tcp) {
        (Some(TransportSlice::Tcp(t)), Some(i)) => {
            let seg = Seg { flags: i.flags, seq: i.seq, ack: i.ack, len: i.payload_len, window: i.window, ip_len, frame_len };
            (IPPROTO_TCP, i.sport, i.dport, seg, t.payload())
        }
        (Some(TransportSlice::Udp(u)), _) => {
            let (sport, dport, len) = udp_info(u);
            (IPPROTO_UDP, sport, dport, Seg { len, ip_len, frame_len, ..Seg::default() }, u.payload())
        }
        (Some(TransportSlice::Icmpv4(i)), _) => {
            return icmp(data, (s, d, v6), (i.type_u8(), i.code_u8()), i.payload(), (ip_len, ip_payload), frame_len);
        }
        (Some(TransportSlice::Icmpv6(i)), _) => {
            return icmp(data, (s, d, v6), (i.type_u8(), i.code_u8()), i.payload(), (ip_len, ip_payload), frame_len);
        }
        _ => return Net::Other,
    };
    let (key, dir) = FlowKey::of_bytes(proto, (s, sport), (d, dport), v6);
    Net::Flow(FlowSeg {
        key,
        hash: key.table_hash(),
        from_a: dir == Dir::AtoB,
        tcp: proto == IPPROTO_TCP,
        seg,
        payload: (offset_of(data, payload) as u32, payload.len() as u32),
    })
}

/// The flow of an ICMP message of `(type, code)` from `s` to `d`, with Zeek's ports (see
/// [`icmp_counterpart`]): a request or reply on the canonical key its counterpart shares, any
/// other message on a key of its own direction. Its length is what follows the 8-byte header.
#[cold]
fn icmp(
    data: &[u8],
    (s, d, v6): ([u8; 16], [u8; 16], bool),
    (typ, code): (u8, u8),
    payload: &[u8],
    (ip_len, ip_payload): (u32, u32),
    frame_len: u32,
) -> Net {
    let proto = if v6 { IPPROTO_ICMPV6 } else { IPPROTO_ICMP };
    let (dport, one_way) = icmp_counterpart(v6, typ, code);
    let (key, dir) = if one_way {
        (FlowKey::one_way(proto, (s, typ as u16), (d, dport), v6), Dir::AtoB)
    } else {
        FlowKey::of_bytes(proto, (s, typ as u16), (d, dport), v6)
    };
    Net::Flow(FlowSeg {
        key,
        hash: key.table_hash(),
        from_a: dir == Dir::AtoB,
        tcp: false,
        seg: Seg { len: ip_payload.saturating_sub(8), ip_len, frame_len, ..Seg::default() },
        payload: (offset_of(data, payload) as u32, payload.len() as u32),
    })
}

/// The link layer's source address, when it has 6-byte addresses (Ethernet, or a Linux cooked
/// header of a frame this host did not send).
pub fn link_src(link: &Link) -> Option<[u8; 6]> {
    match *link {
        Link::Ethernet { src, .. } => Some(src),
        Link::Sll { addr, addr_len: 6, pkttype, .. } if pkttype != 4 => addr.get(..6)?.try_into().ok(),
        _ => None,
    }
}
