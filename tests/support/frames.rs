//! Well-formed frames built with etherparse's `PacketBuilder` (checksums and lengths right), for
//! the packet sequences the tests write into pcap files. A test that needs a deliberately broken
//! frame writes its bytes by hand instead.

use etherparse::{
    icmpv4::DestUnreachableHeader, icmpv6::DestUnreachableCode, Icmpv4Type, Icmpv6Type, PacketBuilder, TcpHeader,
};

/// TCP flag bits as in the header.
pub const FIN: u8 = 0x01;
/// SYN.
pub const SYN: u8 = 0x02;
/// RST.
pub const RST: u8 = 0x04;
/// PSH.
pub const PSH: u8 = 0x08;
/// ACK.
pub const ACK: u8 = 0x10;

/// The MAC every generated frame comes from.
pub const MAC_SRC: [u8; 6] = [2, 0, 0, 0, 0, 1];
/// The MAC every generated frame goes to.
pub const MAC_DST: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// An Ethernet/IPv4/TCP (or IPv6) segment to build:
/// `tcp(src, sport, dst, dport).flags(SYN).seq(7).frame()`.
#[derive(Debug, Clone, Copy)]
pub struct Tcp {
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
    sport: u16,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    window: u16,
    payload: usize,
    data: Option<&'static [u8]>,
}

/// A TCP segment from `src:sport` to `dst:dport`: no flags, numbers 0, window 4096, no payload.
pub fn tcp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Tcp {
    tcp_ip(src.into(), sport, dst.into(), dport)
}

/// [`tcp`] between addresses of either family (both of the same: an IPv6 pair makes an
/// Ethernet/IPv6 frame).
pub fn tcp_ip(src: std::net::IpAddr, sport: u16, dst: std::net::IpAddr, dport: u16) -> Tcp {
    Tcp { src, dst, sport, dport, flags: 0, seq: 0, ack: 0, window: 0x1000, payload: 0, data: None }
}

impl Tcp {
    /// Sets the flag bits ([`SYN`] | [`ACK`] …).
    pub fn flags(mut self, flags: u8) -> Tcp {
        self.flags = flags;
        self
    }

    /// Sets the sequence number.
    pub fn seq(mut self, seq: u32) -> Tcp {
        self.seq = seq;
        self
    }

    /// Sets the acknowledgement number.
    pub fn ack(mut self, ack: u32) -> Tcp {
        self.ack = ack;
        self
    }

    /// Carries `len` payload bytes (`x`).
    pub fn payload(mut self, len: usize) -> Tcp {
        self.payload = len;
        self
    }

    /// Carries these payload bytes.
    pub fn data(mut self, bytes: &'static [u8]) -> Tcp {
        self.data = Some(bytes);
        self
    }

    /// The frame's bytes.
    pub fn frame(&self) -> Vec<u8> {
        let mut h = TcpHeader::new(self.sport, self.dport, self.seq, self.window);
        h.fin = self.flags & FIN != 0;
        h.syn = self.flags & SYN != 0;
        h.rst = self.flags & RST != 0;
        h.psh = self.flags & PSH != 0;
        h.ack = self.flags & ACK != 0;
        h.acknowledgment_number = self.ack;
        let payload = self.data.map_or_else(|| vec![b'x'; self.payload], <[u8]>::to_vec);
        use std::net::IpAddr::{V4, V6};
        let eth = PacketBuilder::ethernet2(MAC_SRC, MAC_DST);
        let mut out = Vec::new();
        match (self.src, self.dst) {
            (V4(s), V4(d)) => eth.ipv4(s.octets(), d.octets(), 64).tcp_header(h).write(&mut out, &payload),
            (s, d) => {
                let six = |a: std::net::IpAddr| match a {
                    V4(a) => a.to_ipv6_mapped().octets(),
                    V6(a) => a.octets(),
                };
                eth.ipv6(six(s), six(d), 64).tcp_header(h).write(&mut out, &payload)
            }
        }
        .expect("a TCP frame this small always builds");
        out
    }
}

/// An Ethernet/IPv4/UDP datagram from `src:sport` to `dst:dport` carrying `payload`.
pub fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_SRC, MAC_DST).ipv4(src, dst, 64).udp(sport, dport);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("a UDP frame this small always builds");
    out
}

/// The ICMP port unreachable that `dst` sends back for a UDP datagram from `src:sport` to
/// `dst:dport`, quoting the datagram's IPv4 and UDP headers and its payload.
pub fn icmp_port_unreachable(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let inner = PacketBuilder::ipv4(src, dst, 64).udp(sport, dport);
    let mut quoted = Vec::with_capacity(inner.size(payload.len()));
    inner.write(&mut quoted, payload).expect("the quoted datagram builds");
    let b = PacketBuilder::ethernet2(MAC_DST, MAC_SRC)
        .ipv4(dst, src, 64)
        .icmpv4(Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::Port));
    let mut out = Vec::with_capacity(b.size(quoted.len()));
    b.write(&mut out, &quoted).expect("the ICMP error builds");
    out
}

/// The ICMPv6 port unreachable (type 1, code 4) that `dst` sends back for a UDP datagram from
/// `src:sport` to `dst:dport`, quoting the datagram.
pub fn icmpv6_port_unreachable(src: [u8; 16], sport: u16, dst: [u8; 16], dport: u16, payload: &[u8]) -> Vec<u8> {
    let inner = PacketBuilder::ipv6(src, dst, 64).udp(sport, dport);
    let mut quoted = Vec::with_capacity(inner.size(payload.len()));
    inner.write(&mut quoted, payload).expect("the quoted datagram builds");
    let b = PacketBuilder::ethernet2(MAC_DST, MAC_SRC)
        .ipv6(dst, src, 64)
        .icmpv6(Icmpv6Type::DestinationUnreachable(DestUnreachableCode::Port));
    let mut out = Vec::with_capacity(b.size(quoted.len()));
    b.write(&mut out, &quoted).expect("the ICMPv6 error builds");
    out
}
