//! The application layer: which packets carry DNS, DHCP or DHCPv6, and their messages.
//!
//! A protocol is recognised by port, as tcpdump and Wireshark do (DNS on 53, mDNS on 5353,
//! LLMNR on 5355, DHCP on 67/68, DHCPv6 on 546/547), or on any port the user names
//! (`--decode-as udp.port==5300,dns`, `tcp.port==5300,dns`, as Wireshark's Decode As). The messages are parsed by
//! well-kept crates (hickory-proto for DNS, dhcproto for DHCP and DHCPv6); this module only
//! finds them and bounds what those parsers are given.

pub mod dhcp;
pub mod dns;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use etherparse::TransportSlice;

use super::Packet;

/// An application protocol inspect decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppProto {
    /// DNS (port 53, or a port the user named).
    Dns,
    /// Multicast DNS (port 5353): DNS messages with a few bits of their own.
    Mdns,
    /// Link-local multicast name resolution (port 5355): DNS messages.
    Llmnr,
    /// DHCP and BOOTP (ports 67 and 68).
    Dhcp,
    /// DHCPv6 (ports 546 and 547).
    Dhcpv6,
}

impl AppProto {
    /// Whether its messages are DNS messages.
    pub fn is_dns(self) -> bool {
        matches!(self, AppProto::Dns | AppProto::Mdns | AppProto::Llmnr)
    }

    /// Zeek's name for the service (conn.log `service`).
    pub fn service(self) -> &'static str {
        match self {
            AppProto::Dns | AppProto::Mdns | AppProto::Llmnr => "dns",
            AppProto::Dhcp | AppProto::Dhcpv6 => "dhcp",
        }
    }
}

/// One `--decode-as` value: the packets of a TCP or UDP port read as a protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeAs {
    /// TCP (else UDP).
    pub tcp: bool,
    /// The port, either end's.
    pub port: u16,
    /// The protocol.
    pub proto: AppProto,
}

/// Ports the user asked to decode as a protocol (`--decode-as`), set once at start.
static DECODE_AS: OnceLock<Vec<DecodeAs>> = OnceLock::new();

/// Whether DNS over TCP is read from the reassembled streams (the application layer is on):
/// the per-packet views then take it from the messages a frame completed, not from the
/// segment, as tshark does. Set once at start.
static DNS_TCP_FROM_STREAM: AtomicBool = AtomicBool::new(false);

/// Parses one `--decode-as` value: `udp.port==N,dns` or `tcp.port==N,dns`.
pub fn parse_decode_as(s: &str) -> Result<DecodeAs, String> {
    let bad = || format!("'{s}': expected udp.port==PORT,PROTOCOL (PROTOCOL: dns, mdns, llmnr, dhcp, dhcpv6) or tcp.port==PORT,dns");
    let (sel, proto) = s.split_once(',').ok_or_else(bad)?;
    let sel = sel.trim();
    let (tcp, rest) = match (sel.strip_prefix("udp.port"), sel.strip_prefix("tcp.port")) {
        (Some(r), _) => (false, r),
        (_, Some(r)) => (true, r),
        _ => return Err(bad()),
    };
    let port = rest.trim_start().strip_prefix("==").ok_or_else(bad)?;
    let port: u16 = port.trim().parse().map_err(|_| bad())?;
    let proto = match proto.trim().to_ascii_lowercase().as_str() {
        "dns" => AppProto::Dns,
        "mdns" if !tcp => AppProto::Mdns,
        "llmnr" if !tcp => AppProto::Llmnr,
        "dhcp" | "bootp" if !tcp => AppProto::Dhcp,
        "dhcpv6" if !tcp => AppProto::Dhcpv6,
        _ => return Err(bad()),
    };
    Ok(DecodeAs { tcp, port, proto })
}

/// Sets the `--decode-as` table for the run (the first call wins).
pub fn set_decode_as(table: Vec<DecodeAs>) {
    let _ = DECODE_AS.set(table);
}

/// Says whether DNS over TCP is read from the reassembled streams (see [`DNS_TCP_FROM_STREAM`]).
pub fn set_dns_tcp_from_stream(on: bool) {
    DNS_TCP_FROM_STREAM.store(on, Ordering::Relaxed);
}

/// The protocol the user named for a port of this transport, if any.
#[inline]
fn decode_as(tcp: bool, sport: u16, dport: u16) -> Option<AppProto> {
    DECODE_AS.get()?.iter().find(|d| d.tcp == tcp && (d.port == sport || d.port == dport)).map(|d| d.proto)
}

/// The protocol of a UDP datagram between these ports, if inspect decodes it.
#[inline]
pub fn udp(sport: u16, dport: u16) -> Option<AppProto> {
    if let Some(p) = decode_as(false, sport, dport) {
        return Some(p);
    }
    let of = |port: u16| match port {
        53 => Some(AppProto::Dns),
        5353 => Some(AppProto::Mdns),
        5355 => Some(AppProto::Llmnr),
        67 | 68 => Some(AppProto::Dhcp),
        546 | 547 => Some(AppProto::Dhcpv6),
        _ => None,
    };
    // The server's port names the protocol; DHCP client and server both use theirs.
    of(dport).or_else(|| of(sport))
}

/// The protocol of a TCP segment between these ports: DNS on port 53, on mDNS's port 5353
/// (Wireshark reads DNS over TCP there; LLMNR's 5355 over TCP it does not), or on a port named
/// with `--decode-as tcp.port==N,dns`.
#[inline]
pub fn tcp(sport: u16, dport: u16) -> Option<AppProto> {
    if sport == 53 || dport == 53 || sport == MDNS || dport == MDNS {
        return Some(AppProto::Dns);
    }
    decode_as(true, sport, dport)
}

/// mDNS's port.
const MDNS: u16 = 5353;

/// Whether Zeek logs the DNS over TCP between these ports (dns.log, the connection's service):
/// its DNS analyzer takes TCP port 53 and the ports the user names, not 5353.
#[inline]
pub fn tcp_logged(sport: u16, dport: u16) -> bool {
    sport == 53 || dport == 53 || decode_as(true, sport, dport).is_some()
}

/// The application message one packet carries.
#[derive(Debug, Clone, Copy)]
pub enum App<'a> {
    /// A DNS message (over TCP: the one that starts the segment, without its length prefix).
    Dns { proto: AppProto, msg: &'a [u8], tcp: bool },
    /// A BOOTP/DHCP message.
    Dhcp(&'a [u8]),
    /// A DHCPv6 message.
    Dhcpv6(&'a [u8]),
}

/// The application message of a decoded packet, if it carries one inspect decodes. Over TCP,
/// when the streams are not read (`--no-app`), a segment counts when it starts with a DNS
/// message's length and holds the whole message; otherwise its messages come from the stream.
pub fn of_packet<'a>(p: &Packet<'a>) -> Option<App<'a>> {
    match &p.transport {
        Some(TransportSlice::Udp(u)) => {
            let proto = udp(u.source_port(), u.destination_port())?;
            let payload = u.payload();
            Some(match proto {
                AppProto::Dhcp => App::Dhcp(payload),
                AppProto::Dhcpv6 => App::Dhcpv6(payload),
                _ => App::Dns { proto, msg: payload, tcp: false },
            })
        }
        Some(TransportSlice::Tcp(t)) => {
            if DNS_TCP_FROM_STREAM.load(Ordering::Relaxed) {
                return None;
            }
            let proto = tcp(t.source_port(), t.destination_port())?;
            let msg = dns::tcp_message(t.payload())?;
            Some(App::Dns { proto, msg, tcp: true })
        }
        _ => None,
    }
}
