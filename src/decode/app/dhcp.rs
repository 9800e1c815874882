//! DHCP and BOOTP (RFC 2131, 2132) and DHCPv6 (RFC 8415) messages, parsed by dhcproto.
//!
//! What every view needs of a message is gathered into [`Dhcp`] (and [`Dhcpv6`]) once, so the
//! renderers and the transaction table read plain fields. Hostile bytes: dhcproto's
//! `Message::chaddr` slices by the header's hardware length, which the wire sets (a length past
//! 16 would panic), so the client's hardware address is read here from the bytes instead.

use std::net::Ipv4Addr;

use dhcproto::v4::{self, DhcpOption, OptionCode};
use dhcproto::Decodable;

/// The fields of one BOOTP/DHCP message that inspect shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp {
    /// 1 request (client to server), 2 reply.
    pub op: u8,
    /// Transaction id.
    pub xid: u32,
    /// Seconds since the client began.
    pub secs: u16,
    /// The broadcast flag.
    pub broadcast: bool,
    /// Hardware type (1 Ethernet) and address length.
    pub htype: u8,
    /// The client's hardware address (up to 16 bytes, as long as the header says).
    pub chaddr: Vec<u8>,
    /// Client's address (when it has one).
    pub ciaddr: Ipv4Addr,
    /// The address the server gives ("your").
    pub yiaddr: Ipv4Addr,
    /// Next server.
    pub siaddr: Ipv4Addr,
    /// Relay agent.
    pub giaddr: Ipv4Addr,
    /// DHCP message type (option 53); None for plain BOOTP.
    pub msg_type: Option<u8>,
    /// Requested address (option 50).
    pub requested: Option<Ipv4Addr>,
    /// Server identifier (option 54).
    pub server_id: Option<Ipv4Addr>,
    /// Lease time in seconds (option 51).
    pub lease_time: Option<u32>,
    /// Routers (option 3).
    pub routers: Vec<Ipv4Addr>,
    /// DNS servers (option 6).
    pub dns_servers: Vec<Ipv4Addr>,
    /// Host name (option 12).
    pub hostname: Option<String>,
    /// Domain name (option 15).
    pub domain: Option<String>,
    /// Subnet mask (option 1).
    pub subnet_mask: Option<Ipv4Addr>,
    /// Client identifier (option 61).
    pub client_id: Option<Vec<u8>>,
}

/// Why a DHCP message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpError(pub String);

impl std::fmt::Display for DhcpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DHCP message: {}", self.0)
    }
}

/// The fixed BOOTP header is 236 bytes; the magic cookie and options follow.
pub const HEADER: usize = 236;

/// Parses a BOOTP/DHCP message.
pub fn parse(bytes: &[u8]) -> Result<Dhcp, DhcpError> {
    if bytes.len() < HEADER {
        return Err(DhcpError(format!("{} bytes, shorter than the 236-byte BOOTP header", bytes.len())));
    }
    let m = v4::Message::from_bytes(bytes).map_err(|e| DhcpError(e.to_string()))?;
    let hlen = bytes.get(2).copied().unwrap_or(0).min(16) as usize;
    let chaddr = bytes.get(28..28 + hlen).unwrap_or(&[]).to_vec();
    let mut d = Dhcp {
        op: bytes.first().copied().unwrap_or(0),
        xid: m.xid(),
        secs: m.secs(),
        broadcast: m.flags().broadcast(),
        htype: bytes.get(1).copied().unwrap_or(0),
        chaddr,
        ciaddr: m.ciaddr(),
        yiaddr: m.yiaddr(),
        siaddr: m.siaddr(),
        giaddr: m.giaddr(),
        msg_type: None,
        requested: None,
        server_id: None,
        lease_time: None,
        routers: Vec::new(),
        dns_servers: Vec::new(),
        hostname: None,
        domain: None,
        subnet_mask: None,
        client_id: None,
    };
    let opts = m.opts();
    if let Some(DhcpOption::MessageType(t)) = opts.get(OptionCode::MessageType) {
        d.msg_type = Some(u8::from(*t));
    }
    if let Some(DhcpOption::RequestedIpAddress(a)) = opts.get(OptionCode::RequestedIpAddress) {
        d.requested = Some(*a);
    }
    if let Some(DhcpOption::ServerIdentifier(a)) = opts.get(OptionCode::ServerIdentifier) {
        d.server_id = Some(*a);
    }
    if let Some(DhcpOption::AddressLeaseTime(t)) = opts.get(OptionCode::AddressLeaseTime) {
        d.lease_time = Some(*t);
    }
    if let Some(DhcpOption::Router(r)) = opts.get(OptionCode::Router) {
        d.routers = r.clone();
    }
    if let Some(DhcpOption::DomainNameServer(r)) = opts.get(OptionCode::DomainNameServer) {
        d.dns_servers = r.clone();
    }
    if let Some(DhcpOption::Hostname(h)) = opts.get(OptionCode::Hostname) {
        d.hostname = Some(h.clone());
    }
    if let Some(DhcpOption::DomainName(h)) = opts.get(OptionCode::DomainName) {
        d.domain = Some(h.clone());
    }
    if let Some(DhcpOption::SubnetMask(a)) = opts.get(OptionCode::SubnetMask) {
        d.subnet_mask = Some(*a);
    }
    if let Some(DhcpOption::ClientIdentifier(c)) = opts.get(OptionCode::ClientIdentifier) {
        d.client_id = Some(c.clone());
    }
    Ok(d)
}

/// A DHCP message type's name as Zeek writes it in `msg_types` (RFC 2132, 4388).
pub fn type_name(t: u8) -> std::borrow::Cow<'static, str> {
    let s = match t {
        1 => "DISCOVER",
        2 => "OFFER",
        3 => "REQUEST",
        4 => "DECLINE",
        5 => "ACK",
        6 => "NAK",
        7 => "RELEASE",
        8 => "INFORM",
        9 => "FORCERENEW",
        10 => "LEASEQUERY",
        11 => "LEASEUNASSIGNED",
        12 => "LEASEUNKNOWN",
        13 => "LEASEACTIVE",
        _ => return format!("TYPE{t}").into(),
    };
    s.into()
}

/// The fields of one DHCPv6 message that inspect shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dhcpv6 {
    /// Message type (1 Solicit ... 13 Relay-reply).
    pub msg_type: u8,
    /// Transaction id (24 bits; relay messages have none).
    pub xid: Option<u32>,
}

/// Most relay headers unwrapped to reach the relayed message (RFC 8415 allows 8 hops... and
/// a hostile message any number).
const MAX_RELAY_DEPTH: usize = 8;

/// Reads a DHCPv6 message's type and transaction id. A relay message (which has no id) gives
/// the id of the client or server message it carries (option 9, Relay Message), as Wireshark
/// shows it. The client/server message's options are checked by dhcproto: a message whose
/// options run past the end is an error.
pub fn parse_v6(bytes: &[u8]) -> Result<Dhcpv6, DhcpError> {
    let t = *bytes.first().ok_or_else(|| DhcpError("empty DHCPv6 message".into()))?;
    let mut inner = bytes;
    for _ in 0..MAX_RELAY_DEPTH {
        match inner.first() {
            Some(12) | Some(13) => match relayed(inner) {
                Some(m) => inner = m,
                None => return Ok(Dhcpv6 { msg_type: t, xid: None }),
            },
            Some(_) => {
                let m = dhcproto::v6::Message::from_bytes(inner).map_err(|e| DhcpError(e.to_string()))?;
                return Ok(Dhcpv6 { msg_type: t, xid: Some(m.xid_num()) });
            }
            None => break,
        }
    }
    Ok(Dhcpv6 { msg_type: t, xid: None })
}

/// The message a relay message carries: its Relay Message option (9), after the 34-byte relay
/// header (type, hop count, link and peer addresses).
fn relayed(relay: &[u8]) -> Option<&[u8]> {
    let mut opts = relay.get(34..)?;
    while opts.len() >= 4 {
        let code = u16::from_be_bytes([opts[0], opts[1]]);
        let len = u16::from_be_bytes([opts[2], opts[3]]) as usize;
        let data = opts.get(4..4 + len)?;
        if code == 9 {
            return Some(data);
        }
        opts = opts.get(4 + len..)?;
    }
    None
}

/// A DHCPv6 message type's name (RFC 8415).
pub fn v6_type_name(t: u8) -> std::borrow::Cow<'static, str> {
    let s = match t {
        1 => "solicit",
        2 => "advertise",
        3 => "request",
        4 => "confirm",
        5 => "renew",
        6 => "rebind",
        7 => "reply",
        8 => "release",
        9 => "decline",
        10 => "reconfigure",
        11 => "inf-req",
        12 => "relay-fwd",
        13 => "relay-reply",
        14 => "leasequery",
        15 => "leasequery-reply",
        _ => return format!("type-{t}").into(),
    };
    s.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DHCPDISCOVER as a client sends it, built field by field.
    fn discover() -> Vec<u8> {
        let mut m = vec![0u8; HEADER];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        m[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        m[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        m.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1, 12, 4, b'h', b'o', b's', b't', 255]);
        m
    }

    #[test]
    fn a_discover_gives_its_type_mac_and_host_name() {
        let d = parse(&discover()).unwrap();
        assert_eq!((d.op, d.xid, d.msg_type), (1, 0x1234_5678, Some(1)));
        assert_eq!(d.chaddr, [2, 0, 0, 0, 0, 1]);
        assert_eq!(d.hostname.as_deref(), Some("host"));
    }

    #[test]
    fn a_hardware_length_past_16_does_not_panic() {
        let mut m = discover();
        m[2] = 200;
        assert_eq!(parse(&m).unwrap().chaddr.len(), 16);
    }

    #[test]
    fn every_cut_and_option_length_is_an_answer_not_a_panic() {
        let m = discover();
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
        for i in HEADER..m.len() {
            for v in [0u8, 1, 4, 0x7f, 0xff] {
                let mut x = m.clone();
                x[i] = v;
                let _ = parse(&x);
            }
        }
        for n in 0..8 {
            let _ = parse_v6(&[1, 2, 3, 4, 0, 1, 0, 0xff][..n]);
        }
    }
}
