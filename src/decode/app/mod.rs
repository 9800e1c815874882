//! The application layer: which packets carry DNS, DHCP or DHCPv6, and their messages.
//!
//! A protocol is recognised by port, as tcpdump and Wireshark do (DNS on 53, mDNS on 5353,
//! LLMNR on 5355, DHCP on 67/68, DHCPv6 on 546/547), or on any UDP port the user names
//! (`--decode-as udp.port==5300,dns`, as Wireshark's Decode As). The messages are parsed by
//! well-kept crates (hickory-proto for DNS, dhcproto for DHCP and DHCPv6); this module only
//! finds them and bounds what those parsers are given.

pub mod dhcp;
pub mod dns;

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

/// UDP ports the user asked to decode as a protocol (`--decode-as`), set once at start.
static DECODE_AS: OnceLock<Vec<(u16, AppProto)>> = OnceLock::new();

/// Parses one `--decode-as` value: `udp.port==N,dns`.
pub fn parse_decode_as(s: &str) -> Result<(u16, AppProto), String> {
    let bad = || format!("'{s}': expected udp.port==PORT,PROTOCOL (PROTOCOL: dns, dhcp)");
    let (sel, proto) = s.split_once(',').ok_or_else(bad)?;
    let port = sel.trim().strip_prefix("udp.port").map(str::trim_start).and_then(|r| r.strip_prefix("==")).ok_or_else(bad)?;
    let port: u16 = port.trim().parse().map_err(|_| bad())?;
    let proto = match proto.trim().to_ascii_lowercase().as_str() {
        "dns" => AppProto::Dns,
        "mdns" => AppProto::Mdns,
        "llmnr" => AppProto::Llmnr,
        "dhcp" | "bootp" => AppProto::Dhcp,
        "dhcpv6" => AppProto::Dhcpv6,
        _ => return Err(bad()),
    };
    Ok((port, proto))
}

/// Sets the `--decode-as` table for the run (the first call wins).
pub fn set_decode_as(table: Vec<(u16, AppProto)>) {
    let _ = DECODE_AS.set(table);
}

/// The protocol of a UDP datagram between these ports, if inspect decodes it.
#[inline]
pub fn udp(sport: u16, dport: u16) -> Option<AppProto> {
    if let Some(t) = DECODE_AS.get() {
        if let Some((_, p)) = t.iter().find(|(port, _)| *port == sport || *port == dport) {
            return Some(*p);
        }
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

/// The protocol of a TCP segment between these ports: DNS on port 53.
#[inline]
pub fn tcp(sport: u16, dport: u16) -> Option<AppProto> {
    (sport == 53 || dport == 53).then_some(AppProto::Dns)
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

/// The application message of a decoded packet, if it carries one inspect decodes. Over TCP, a
/// segment counts when it starts with a DNS message's length and holds the whole message, as
/// tcpdump shows it.
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
            let proto = tcp(t.source_port(), t.destination_port())?;
            let msg = dns::tcp_message(t.payload())?;
            Some(App::Dns { proto, msg, tcp: true })
        }
        _ => None,
    }
}
