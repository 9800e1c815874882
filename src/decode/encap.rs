//! Encapsulations: the headers between a frame's link layer and the IP packet whose connection
//! it carries, so that the connection tracked is the one inside, as Zeek tracks it.
//!
//! Two kinds, as Zeek's packet analysis has them:
//! - shims of the link layer (MPLS label stacks, PPPoE sessions, Cisco's VN-Tag and FabricPath),
//!   which carry the frame's one IP packet;
//! - tunnels, an IP packet carrying another: IP in IP (4in4, 6in4, 4in6, 6in6), GRE (with PPTP's
//!   enhanced GRE, ERSPAN types I to III, Aruba's 802.11 frames, GRE in GRE), and over UDP: VXLAN, Geneve, Teredo, AYIYA,
//!   GTP-U, GRE (RFC 8086) and MPLS (RFC 7510). The tunnel is a connection of its own (Zeek's
//!   tunnel.log), and the packet inside is the one whose connection is tracked.
//!
//! etherparse reads every Ethernet, VLAN and IP header; the headers it does not know are read here,
//! each by a small function over the bytes that checks every length. [`descend`] runs after the
//! outer layers are decoded and moves the packet's network and transport layers to the innermost
//! packet, listing each header it passed in [`Encaps`], so every view can show them in order.

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use super::{be16, be32, fill_from_lax, last_link_end, Link, Packet};

/// Most headers listed between the link layer and the innermost packet; a packet nested deeper
/// is shown up to there.
pub const MAX: usize = 10;

/// UDP ports of the tunnels decoded over UDP.
pub mod port {
    /// VXLAN (RFC 7348).
    pub const VXLAN: u16 = 4789;
    /// Geneve (RFC 8926).
    pub const GENEVE: u16 = 6081;
    /// Teredo (RFC 4380).
    pub const TEREDO: u16 = 3544;
    /// AYIYA (draft-massar-v6ops-ayiya).
    pub const AYIYA: u16 = 5072;
    /// GTP-U, GTP version 1 user plane (3GPP TS 29.281).
    pub const GTP_U: u16 = 2152;
    /// GRE over UDP (RFC 8086).
    pub const GRE: u16 = 4754;
    /// MPLS over UDP (RFC 7510).
    pub const MPLS: u16 = 6635;
}

/// Whether a UDP datagram to or from `p` may carry a tunnel: such frames leave the fast path.
#[inline(always)]
pub fn tunnel_port(p: u16) -> bool {
    matches!(p, port::VXLAN | port::GENEVE | port::TEREDO | port::AYIYA | port::GTP_U | port::GRE | port::MPLS)
}

/// One header between the link layer and the innermost packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An IPv4 header whose payload is a tunnel.
    Ipv4,
    /// An IPv6 header (with its extension headers) whose payload is a tunnel.
    Ipv6,
    /// A UDP header whose payload is a tunnel.
    Udp,
    /// A GRE header (RFC 2784, 2890; version 1 is PPTP's, RFC 2637).
    Gre,
    /// A PPP header: its protocol field (after PPTP's GRE or a PPPoE session header).
    Ppp,
    /// An ERSPAN header: `version` 1 (type II) or 2 (type III); type I has none.
    Erspan,
    /// A VXLAN header.
    Vxlan,
    /// A Geneve header with its options.
    Geneve,
    /// Teredo's authentication and origin indications (`len` 0 when there are none).
    Teredo,
    /// An AYIYA header.
    Ayiya,
    /// A GTP-U header with its optional fields and extension headers.
    Gtpu,
    /// One MPLS label stack entry.
    Mpls,
    /// A PPPoE session header.
    Pppoe,
    /// A VN-Tag.
    VnTag,
    /// A Cisco FabricPath tag (the outer addresses are the frame's link layer).
    FabricPath,
    /// An Ethernet header inside a tunnel or shim.
    Ethernet,
    /// An 802.11 MAC header inside a tunnel (Aruba's GRE), up to and with its LLC/SNAP header
    /// (and an A-MSDU's first subframe header between them).
    Wlan,
    /// A VLAN tag inside a tunnel or shim.
    Vlan,
}

/// One header: its kind, where it starts in the frame, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap {
    /// What header it is.
    pub kind: Kind,
    /// Its byte offset in the frame.
    pub offset: u32,
    /// Its length in bytes.
    pub len: u32,
}

impl Encap {
    /// Its bytes in `data` (the frame), as far as captured.
    pub fn bytes<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        let start = (self.offset as usize).min(data.len());
        let end = start.saturating_add(self.len as usize).min(data.len());
        data.get(start..end).unwrap_or(&[])
    }

    /// The EtherType an Ethernet, VLAN or 802.11 header ends with (the 802.11 one's LLC/SNAP
    /// header's); 0 for other headers and when it was not captured.
    pub fn ethertype(&self, data: &[u8]) -> u16 {
        if !matches!(self.kind, Kind::Ethernet | Kind::Vlan | Kind::Wlan) {
            return 0;
        }
        let end = self.offset as usize + self.len as usize;
        end.checked_sub(2).and_then(|at| super::bytes::be16(data, at)).unwrap_or(0)
    }

    /// The bytes from its start to the end of the frame.
    pub fn rest<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.offset as usize..).unwrap_or(&[])
    }
}

/// The headers of one frame between its link layer and its innermost packet, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encaps {
    items: [Encap; MAX],
    n: u8,
}

impl Default for Encaps {
    fn default() -> Self {
        Encaps { items: [Encap { kind: Kind::Ipv4, offset: 0, len: 0 }; MAX], n: 0 }
    }
}

impl Encaps {
    /// The headers, outermost first.
    pub fn as_slice(&self) -> &[Encap] {
        self.items.get(..self.n as usize).unwrap_or(&[])
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Keeps the `n` outermost.
    fn truncate(&mut self, n: usize) {
        self.n = self.n.min(u8::try_from(n).unwrap_or(u8::MAX));
    }

    fn push(&mut self, kind: Kind, offset: usize, len: usize) -> bool {
        match self.items.get_mut(self.n as usize) {
            Some(slot) => {
                *slot = Encap { kind, offset: offset as u32, len: len as u32 };
                self.n += 1;
                true
            }
            None => false,
        }
    }

    /// The innermost tunnel: its kind and the index of its outer IP header.
    pub fn tunnel(&self) -> Option<(TunnelKind, usize)> {
        let items = self.as_slice();
        let mut found = None;
        for (i, e) in items.iter().enumerate() {
            if !matches!(e.kind, Kind::Ipv4 | Kind::Ipv6) {
                continue;
            }
            let kind = match items.get(i + 1).map(|n| n.kind) {
                Some(Kind::Gre) => TunnelKind::Gre,
                Some(Kind::Udp) => match items.get(i + 2).map(|n| n.kind) {
                    Some(Kind::Vxlan) => TunnelKind::Vxlan,
                    Some(Kind::Geneve) => TunnelKind::Geneve,
                    Some(Kind::Teredo) => TunnelKind::Teredo,
                    Some(Kind::Ayiya) => TunnelKind::Ayiya,
                    Some(Kind::Gtpu) => TunnelKind::Gtpv1,
                    Some(Kind::Gre) => TunnelKind::Gre,
                    _ => TunnelKind::Mpls,
                },
                _ => TunnelKind::Ip,
            };
            found = Some((kind, i));
        }
        found
    }
}

/// A tunnel's type, as Zeek's `Tunnel::Type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TunnelKind {
    /// IP in IP.
    #[serde(rename = "Tunnel::IP")]
    Ip,
    /// GRE (also over UDP).
    #[serde(rename = "Tunnel::GRE")]
    Gre,
    /// VXLAN.
    #[serde(rename = "Tunnel::VXLAN")]
    Vxlan,
    /// Geneve.
    #[serde(rename = "Tunnel::GENEVE")]
    Geneve,
    /// Teredo.
    #[serde(rename = "Tunnel::TEREDO")]
    Teredo,
    /// AYIYA.
    #[serde(rename = "Tunnel::AYIYA")]
    Ayiya,
    /// GTP version 1 (GTP-U).
    #[serde(rename = "Tunnel::GTPv1")]
    Gtpv1,
    /// MPLS over UDP, which Zeek does not decode.
    #[serde(rename = "Tunnel::MPLS")]
    Mpls,
}

impl TunnelKind {
    /// Zeek's name without its namespace, as `VXLAN`.
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Ip => "IP",
            TunnelKind::Gre => "GRE",
            TunnelKind::Vxlan => "VXLAN",
            TunnelKind::Geneve => "GENEVE",
            TunnelKind::Teredo => "TEREDO",
            TunnelKind::Ayiya => "AYIYA",
            TunnelKind::Gtpv1 => "GTPv1",
            TunnelKind::Mpls => "MPLS",
        }
    }
}

/// Where the next header starts and what it is.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// A payload of this EtherType at this offset.
    Ether(u16, usize),
    /// An Ethernet header.
    Frame(usize),
    /// An IP header (version from its first nibble).
    Ip(usize),
    /// A PPP protocol field.
    Ppp(usize),
    /// An MPLS label stack.
    Mpls(usize),
    /// An 802.11 frame without radio header or FCS (Aruba's GRE).
    Wlan(usize),
}

/// EtherType of an MPLS unicast label stack.
const MPLS_UC: u16 = 0x8847;
/// EtherType of an MPLS multicast label stack.
const MPLS_MC: u16 = 0x8848;
/// EtherType of a PPPoE session.
const PPPOE_SESSION: u16 = 0x8864;
/// EtherType of a VN-Tag.
const VNTAG: u16 = 0x8926;
/// EtherType of a Cisco FabricPath tag.
const FABRICPATH: u16 = 0x8903;
/// GRE protocol of transparent Ethernet bridging.
const TEB: u16 = 0x6558;
/// GRE protocol of ERSPAN types I and II.
const ERSPAN_2: u16 = 0x88be;
/// GRE protocol of ERSPAN type III.
const ERSPAN_3: u16 = 0x22eb;
/// GRE protocol of PPP (PPTP).
const PPP: u16 = 0x880b;

/// Whether a payload of EtherType `et` is a shim this module reads.
fn shim(et: u16) -> bool {
    matches!(et, MPLS_UC | MPLS_MC | PPPOE_SESSION | VNTAG | FABRICPATH)
}

/// Follows the packet's encapsulations, if any, down to the innermost packet: its network and
/// transport layers become that packet's, and every header passed is listed in `p.encaps`.
/// Leaves a packet without one as it is.
pub fn descend(p: &mut Packet<'_>) {
    let next = match (&p.net, p.stop.is_some()) {
        (None, false) => match p.link {
            Link::Ethernet { ethertype, .. } if shim(ethertype) => Next::Ether(ethertype, last_link_end(p, 0)),
            Link::Sll { protocol, version, .. } if shim(protocol) => {
                Next::Ether(protocol, if version == 2 { 20 } else { 16 })
            }
            Link::Wlan(w) if shim(w.ethertype) => Next::Ether(w.ethertype, w.llc_offset() + 8),
            _ => return,
        },
        (Some(LaxNetSlice::Ipv4(_)) | Some(LaxNetSlice::Ipv6(_)), _) => match tunnel_of(p) {
            Some(n) => n,
            None => return,
        },
        _ => return,
    };
    walk(p, next);
}

/// Reads on from `next` to the innermost packet.
fn walk(p: &mut Packet<'_>, mut next: Next) {
    // Each step moves forward in the frame, so this ends; the bound keeps a hostile nesting short.
    for _ in 0..MAX {
        let step = match next {
            Next::Ether(et, at) => ether(p, et, at),
            Next::Frame(at) => frame(p, at),
            Next::Ip(at) => ip(p, at),
            Next::Ppp(at) => ppp(p, at),
            Next::Mpls(at) => mpls(p, at),
            Next::Wlan(at) => wlan(p, at),
        };
        match step {
            Some(n) => next = n,
            None => return,
        }
    }
}

/// Where `p`'s innermost 802.11 frame lies: the place of its header among the encapsulations
/// (None when it is the link layer), and its start and end in the frame (an FCS left out).
fn wlan_frame(p: &Packet<'_>) -> Option<(Option<usize>, usize, usize)> {
    let inner = p.encaps.as_slice().iter().rposition(|e| e.kind == Kind::Wlan);
    match (inner, p.link) {
        (Some(i), _) => Some((inner, p.encaps.as_slice().get(i)?.offset as usize, p.data.len())),
        (None, Link::Wlan(w)) => Some((None, w.radio_len as usize, p.data.len().saturating_sub(if w.fcs { 4 } else { 0 }))),
        _ => None,
    }
}

/// Whether `p`'s innermost 802.11 frame is an A-MSDU of more than one subframe, as
/// [`amsdu_rest`] reads them.
pub fn amsdu_more(p: &Packet<'_>) -> bool {
    wlan_frame(p).and_then(|(_, at, end)| p.data.get(at..end)).is_some_and(|mac| super::wlan::amsdu(mac).nth(1).is_some())
}

/// The packets that the second and further subframes of the A-MSDU in `first`'s innermost
/// 802.11 frame carry, as Zeek's IEEE802_11 analyzer forwards each subframe as a packet of its
/// own ([`super::wlan::amsdu`]): each is `first` (the frame decoded, which reads the first
/// subframe) as far as its 802.11 header, then the subframe's packet.
pub fn amsdu_rest<'p, 'a>(first: &'p Packet<'a>) -> impl Iterator<Item = Packet<'a>> + 'p {
    let data = first.data;
    let found = wlan_frame(first).and_then(|(inner, at, end)| Some((inner, at, data.get(at..end)?)));
    found.into_iter().flat_map(move |(inner, mac_at, mac)| {
        super::wlan::amsdu(mac).skip(1).map(move |sub| {
            let mut p = first.clone();
            p.encaps.truncate(inner.map_or(0, |i| i + 1));
            p.data = data.get(..mac_at + sub.end).unwrap_or(data);
            reset(&mut p);
            walk(&mut p, Next::Ether(sub.ethertype, mac_at + sub.llc + 8));
            p
        })
    })
}

/// Clears the network and transport layers before the inner packet's are read.
fn reset(p: &mut Packet<'_>) {
    p.net = None;
    p.transport = None;
    p.stop = None;
}

/// A payload of EtherType `et` at `at`.
fn ether(p: &mut Packet<'_>, et: u16, at: usize) -> Option<Next> {
    let data = p.data;
    let rest = data.get(at..)?;
    match et {
        MPLS_UC | MPLS_MC => Some(Next::Mpls(at)),
        PPPOE_SESSION => {
            // Version and type 0x11, code 0 (session data), session id, length; then PPP.
            if rest.len() < 6 || rest.first() != Some(&0x11) || rest.get(1) != Some(&0) {
                return None;
            }
            p.encaps.push(Kind::Pppoe, at, 6).then_some(Next::Ppp(at + 6))
        }
        VNTAG => {
            let inner = be16(rest, 4)?;
            p.encaps.push(Kind::VnTag, at, 6).then_some(Next::Ether(inner, at + 6))
        }
        FABRICPATH => {
            // The FTag and TTL, then the frame the switches carry.
            if rest.len() < 2 + 14 {
                return None;
            }
            p.encaps.push(Kind::FabricPath, at, 2).then_some(Next::Frame(at + 2))
        }
        _ => {
            reset(p);
            let s = LaxSlicedPacket::from_ether_type(EtherType(et), rest);
            fill_inner(p, &s, at);
            tunnel_of(p)
        }
    }
}

/// An Ethernet header at `at` and what follows it.
fn frame(p: &mut Packet<'_>, at: usize) -> Option<Next> {
    let data = p.data;
    let rest = data.get(at..)?;
    let s = LaxSlicedPacket::from_ethernet(rest).ok()?;
    if !p.encaps.push(Kind::Ethernet, at, 14) {
        return None;
    }
    let mut et = be16(rest, 12)?;
    for ext in s.link_exts.iter() {
        if let etherparse::LaxLinkExtSlice::Vlan(v) = ext {
            let off = super::offset_of(data, v.header_slice());
            p.encaps.push(Kind::Vlan, off, 4);
            et = v.ether_type().0;
        }
    }
    reset(p);
    fill_inner(p, &s, at);
    if p.net.is_none() && p.stop.is_none() && shim(et) {
        let end = p.encaps.as_slice().last().map_or(at + 14, |e| e.offset as usize + e.len as usize);
        return Some(Next::Ether(et, end));
    }
    tunnel_of(p)
}

/// An 802.11 frame at `at`, read as the outer 802.11 link layer is (`wlan::decode`): a data
/// frame whose LLC/SNAP header names the packet it carries (an A-MSDU's first subframe) goes on
/// to that packet; any other frame ends the descent at the GRE header, as Zeek's `IEEE802_11`
/// analyzer forwards none of them.
fn wlan(p: &mut Packet<'_>, at: usize) -> Option<Next> {
    let rest = p.data.get(at..)?;
    let w = super::wlan::decode(super::linktype::IEEE802_11, rest).ok()?;
    if w.ethertype == 0 {
        return None;
    }
    let len = w.llc_offset() + 8;
    p.encaps.push(Kind::Wlan, at, len).then_some(Next::Ether(w.ethertype, at + len))
}

/// An IP header at `at` (IPv4 or IPv6 by its first nibble).
fn ip(p: &mut Packet<'_>, at: usize) -> Option<Next> {
    let data = p.data;
    let rest = data.get(at..)?;
    let et = match rest.first()? >> 4 {
        4 => EtherType::IPV4,
        6 => EtherType::IPV6,
        _ => return None,
    };
    reset(p);
    let s = LaxSlicedPacket::from_ether_type(et, rest);
    fill_inner(p, &s, at);
    tunnel_of(p)
}

/// A PPP protocol field at `at` (after an optional address and control field), and the IP packet
/// after it; other protocols (LCP, CCP, ...) end the descent.
fn ppp(p: &mut Packet<'_>, at: usize) -> Option<Next> {
    let data = p.data;
    let rest = data.get(at..)?;
    let skip = if rest.get(..2) == Some(&[0xff, 0x03]) { 2 } else { 0 };
    // Protocol-field compression: an odd first byte is a one-byte protocol.
    let first = *rest.get(skip)?;
    let (proto, len) = if first & 1 == 1 { (first as u16, 1) } else { (be16(rest, skip)?, 2) };
    if !p.encaps.push(Kind::Ppp, at, skip + len) {
        return None;
    }
    match proto {
        0x0021 | 0x0057 => Some(Next::Ip(at + skip + len)),
        _ => None,
    }
}

/// An MPLS label stack at `at`, down to its bottom entry, and the IP packet it carries (by the
/// first nibble, as Zeek and tcpdump guess it).
fn mpls(p: &mut Packet<'_>, at: usize) -> Option<Next> {
    let data = p.data;
    let mut off = at;
    loop {
        let entry = be32(data, off)?;
        if !p.encaps.push(Kind::Mpls, off, 4) {
            return None;
        }
        off += 4;
        if entry & 0x100 != 0 {
            break;
        }
    }
    match data.get(off)? >> 4 {
        4 | 6 => Some(Next::Ip(off)),
        _ => None,
    }
}

/// Copies the layers etherparse found in an inner packet that starts at `base`.
fn fill_inner<'a>(p: &mut Packet<'a>, s: &LaxSlicedPacket<'a>, base: usize) {
    fill_from_lax(p, s, base);
}

/// The tunnel the packet's IP layer carries, if any: pushes its outer IP (and UDP) header and
/// says where its payload starts. A fragment carries none (until it is reassembled).
fn tunnel_of(p: &mut Packet<'_>) -> Option<Next> {
    let data = p.data;
    let (proto, payload, fragmented) = match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let pl = v4.payload();
            (pl.ip_number, pl.payload, pl.fragmented)
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let pl = v6.payload();
            (pl.ip_number, pl.payload, pl.fragmented)
        }
        _ => return None,
    };
    if fragmented || p.stop.is_some() {
        return None;
    }
    let ip_kind = if matches!(p.net, Some(LaxNetSlice::Ipv4(_))) { Kind::Ipv4 } else { Kind::Ipv6 };
    let net_at = p.net_offset;
    let pl_at = super::offset_of(data, payload);
    match proto {
        IpNumber::IPV4 | IpNumber::IPV6 => {
            let first = payload.first()? >> 4;
            let want = if proto == IpNumber::IPV4 { 4 } else { 6 };
            if first != want {
                return None;
            }
            p.encaps.push(ip_kind, net_at, pl_at - net_at).then_some(Next::Ip(pl_at))
        }
        IpNumber::GRE => {
            let (len, next) = gre(payload, pl_at)?;
            if p.encaps.as_slice().len() + 2 > MAX {
                return None;
            }
            p.encaps.push(ip_kind, net_at, pl_at - net_at);
            p.encaps.push(Kind::Gre, pl_at, len);
            erspan_or(p, payload, pl_at, len, next)
        }
        IpNumber::UDP => {
            let Some(TransportSlice::Udp(u)) = &p.transport else { return None };
            let (sport, dport) = (u.source_port(), u.destination_port());
            if !tunnel_port(sport) && !tunnel_port(dport) {
                return None;
            }
            let body = u.payload();
            let body_at = super::offset_of(data, body);
            let on = |port: u16| sport == port || dport == port;
            let (kind, len, next) = if on(port::VXLAN) {
                vxlan(body, body_at)?
            } else if on(port::GENEVE) {
                geneve(body, body_at)?
            } else if on(port::GTP_U) {
                gtpu(body, body_at)?
            } else if on(port::TEREDO) {
                teredo(body, body_at)?
            } else if on(port::AYIYA) {
                ayiya(body, body_at)?
            } else if on(port::GRE) {
                let (len, next) = gre(body, body_at)?;
                (Kind::Gre, len, next)
            } else {
                // MPLS over UDP: the label stack is the payload.
                if body.len() < 4 {
                    return None;
                }
                if p.encaps.as_slice().len() + 2 > MAX {
                    return None;
                }
                p.encaps.push(ip_kind, net_at, pl_at - net_at);
                p.encaps.push(Kind::Udp, pl_at, 8);
                return Some(Next::Mpls(body_at));
            };
            if p.encaps.as_slice().len() + 3 > MAX {
                return None;
            }
            p.encaps.push(ip_kind, net_at, pl_at - net_at);
            p.encaps.push(Kind::Udp, pl_at, 8);
            p.encaps.push(kind, body_at, len);
            if kind == Kind::Gre {
                return erspan_or(p, body, body_at, len, next);
            }
            Some(next)
        }
        _ => None,
    }
}

/// After a GRE header of `len` bytes at `at` (its bytes `gre`): an ERSPAN header when the
/// protocol is ERSPAN's, then the next header.
fn erspan_or(p: &mut Packet<'_>, gre: &[u8], at: usize, len: usize, next: Next) -> Option<Next> {
    let proto = be16(gre, 2)?;
    let flags = be16(gre, 0)?;
    let body = at + len;
    match proto {
        // Type I has no header of its own; type II (the sequence bit set) has 8 bytes.
        ERSPAN_2 if flags & 0x1000 != 0 => {
            let h = gre.get(len..len + 8)?;
            (h.first()? >> 4 == 1).then_some(())?;
            p.encaps.push(Kind::Erspan, body, 8).then_some(Next::Frame(body + 8))
        }
        ERSPAN_2 => Some(Next::Frame(body)),
        ERSPAN_3 => {
            let h = gre.get(len..len + 12)?;
            (h.first()? >> 4 == 2).then_some(())?;
            // The O bit: an 8-byte platform subheader follows.
            let sub = if h.get(11)? & 0x01 != 0 { 8 } else { 0 };
            gre.get(len..len + 12 + sub)?;
            p.encaps.push(Kind::Erspan, body, 12 + sub).then_some(Next::Frame(body + 12 + sub))
        }
        _ => Some(next),
    }
}

/// Whether GRE protocol `proto` is one of Aruba's, whose payload is an 802.11 frame, by Zeek's
/// test (`GREAnalyzer::AnalyzePacket`): bits 0x8200 set and the low nibble clear, or 0x9000.
/// (Zeek's second clause, 0x8300 up to 0x8370, lies inside the first.) Wireshark names 0x8200
/// to 0x8370 and 0x9000 "ARUBA WLAN".
pub fn aruba(proto: u16) -> bool {
    (proto & 0x8200 == 0x8200 && proto & 0xf == 0) || proto == 0x9000
}

/// A GRE header at the start of `b` (at `at` in the frame): its length and what follows it.
/// Version 0 carries IPv4, IPv6, Ethernet (bridging), ERSPAN, MPLS or Aruba's 802.11 frames;
/// version 1 (PPTP) carries PPP. Routing (the R bit, obsolete) and other protocols are not
/// followed.
fn gre(b: &[u8], at: usize) -> Option<(usize, Next)> {
    let flags = be16(b, 0)?;
    let proto = be16(b, 2)?;
    let version = flags & 0x7;
    if flags & 0x4000 != 0 || version > 1 {
        return None;
    }
    let mut len = 4;
    if version == 0 {
        if flags & 0x8000 != 0 {
            len += 4;
        }
        if flags & 0x2000 != 0 {
            len += 4;
        }
        if flags & 0x1000 != 0 {
            len += 4;
        }
    } else {
        // Enhanced GRE: the key (payload length, call id) is always there.
        if proto != PPP || flags & 0x2000 == 0 {
            return None;
        }
        len += 4;
        if flags & 0x1000 != 0 {
            len += 4;
        }
        if flags & 0x0080 != 0 {
            len += 4;
        }
    }
    b.get(..len)?;
    let body = at + len;
    let next = match proto {
        0x0800 | 0x86dd => Next::Ip(body),
        TEB => Next::Frame(body),
        MPLS_UC | MPLS_MC => Next::Mpls(body),
        PPP => Next::Ppp(body),
        // ERSPAN: see erspan_or.
        ERSPAN_2 | ERSPAN_3 => Next::Frame(body),
        _ if aruba(proto) => Next::Wlan(body),
        // Shown as a GRE packet with its protocol number, as tcpdump shows it.
        _ => return None,
    };
    Some((len, next))
}

/// A VXLAN header: 8 bytes, then an Ethernet frame.
fn vxlan(b: &[u8], at: usize) -> Option<(Kind, usize, Next)> {
    b.get(..8 + 14)?;
    Some((Kind::Vxlan, 8, Next::Frame(at + 8)))
}

/// A Geneve header (version 0) with its options, then the payload its protocol type names.
fn geneve(b: &[u8], at: usize) -> Option<(Kind, usize, Next)> {
    let first = *b.first()?;
    if first >> 6 != 0 {
        return None;
    }
    let len = 8 + (first & 0x3f) as usize * 4;
    b.get(..len)?;
    let proto = be16(b, 2)?;
    let next = match proto {
        TEB => Next::Frame(at + len),
        0x0800 | 0x86dd => Next::Ip(at + len),
        _ => return None,
    };
    Some((Kind::Geneve, len, next))
}

/// A GTP-U header (version 1, a G-PDU) with its optional fields and extension headers, then the
/// IP packet of the user.
fn gtpu(b: &[u8], at: usize) -> Option<(Kind, usize, Next)> {
    let flags = *b.first()?;
    // Version 1, protocol type GTP, message type 255 (G-PDU).
    if flags >> 5 != 1 || flags & 0x10 == 0 || *b.get(1)? != 0xff {
        return None;
    }
    let mut len = 8;
    if flags & 0x07 != 0 {
        len += 4;
        if flags & 0x04 != 0 {
            // Extension headers, each its length in 4-byte units, its last byte the next type.
            let mut next_type = *b.get(11)?;
            while next_type != 0 {
                let units = *b.get(len)? as usize;
                if units == 0 {
                    return None;
                }
                len += units * 4;
                next_type = *b.get(len - 1)?;
            }
        }
    }
    let v = b.get(len)? >> 4;
    (v == 4 || v == 6).then_some((Kind::Gtpu, len, Next::Ip(at + len)))
}

/// Teredo: an optional authentication indication and an optional origin indication, then an
/// IPv6 packet whose payload length agrees with the datagram (Zeek's check before it believes
/// a datagram on the port is Teredo).
fn teredo(b: &[u8], at: usize) -> Option<(Kind, usize, Next)> {
    let mut len = 0usize;
    if b.get(..2) == Some(&[0x00, 0x01]) {
        let id = *b.get(2)? as usize;
        let auth = *b.get(3)? as usize;
        len += 4 + id + auth + 8 + 1;
    }
    if b.get(len..len + 2) == Some(&[0x00, 0x00]) {
        len += 8;
    }
    let ip6 = b.get(len..)?;
    if ip6.len() < 40 || ip6.first()? >> 4 != 6 {
        return None;
    }
    let plen = be16(ip6, 4)? as usize;
    (40 + plen == ip6.len()).then_some((Kind::Teredo, len, Next::Ip(at + len)))
}

/// An AYIYA header (a forward message) and the IP packet it carries.
fn ayiya(b: &[u8], at: usize) -> Option<(Kind, usize, Next)> {
    let id_len = 1usize << (b.first()? >> 4);
    let sig_len = (b.get(1)? >> 4) as usize * 4;
    let opcode = b.get(2)? & 0x0f;
    let next = *b.get(3)?;
    let len = 8 + id_len + sig_len;
    if opcode != 1 || !(next == 4 || next == 41) {
        return None;
    }
    let v = b.get(len)? >> 4;
    let want = if next == 4 { 4 } else { 6 };
    (v == want).then_some((Kind::Ayiya, len, Next::Ip(at + len)))
}

#[cfg(test)]
mod test {
    use super::*;

    /// A GRE header with a key and a sequence number (RFC 2890) is 12 bytes; one with routing
    /// or an unknown version is not followed.
    #[test]
    fn gre_lengths() {
        let keyed = [0x30, 0x00, 0x08, 0x00, 0, 0, 0, 2, 0, 0, 0, 9];
        assert!(matches!(gre(&keyed, 100), Some((12, Next::Ip(112)))));
        let routed = [0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0];
        assert!(gre(&routed, 0).is_none());
        let v2 = [0x00, 0x02, 0x08, 0x00];
        assert!(gre(&v2, 0).is_none());
        // PPTP: key (length, call), sequence and acknowledgement.
        let pptp = [0x30, 0x81, 0x88, 0x0b, 0, 40, 0, 1, 0, 0, 0, 5, 0, 0, 0, 4];
        assert!(matches!(gre(&pptp, 0), Some((16, Next::Ppp(16)))));
        for n in 0..pptp.len() {
            let _ = gre(&pptp[..n], 0);
        }
    }

    /// Aruba's protocol types carry an 802.11 frame; IPv6, ERSPAN, MPLS and PPP are not theirs.
    #[test]
    fn aruba_protocols() {
        for proto in [0x8200, 0x8210, 0x8300, 0x8370, 0x9000] {
            assert!(aruba(proto), "{proto:#x}");
            assert!(matches!(gre(&[0, 0, (proto >> 8) as u8, proto as u8], 10), Some((4, Next::Wlan(14)))));
        }
        for proto in [0x8201, 0x86dd, 0x88be, 0x8847, 0x880b, 0x8100, 0x9001] {
            assert!(!aruba(proto), "{proto:#x}");
        }
    }

    /// GTP-U with a sequence number and one extension header (a PDU session container).
    #[test]
    fn gtpu_extension_headers() {
        let mut b = vec![0x34, 0xff, 0, 40, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x01, 0x00];
        b.extend_from_slice(&[0x45; 20]);
        assert!(matches!(gtpu(&b, 0), Some((Kind::Gtpu, 16, Next::Ip(16)))));
        for n in 0..b.len() {
            let _ = gtpu(&b[..n], 0);
        }
    }
}
