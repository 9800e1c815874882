//! DNS messages (RFC 1035, EDNS of RFC 6891), parsed by hickory-proto and bounded here.
//!
//! Messages are hostile: a header may claim 65,535 records in a 20-byte datagram, a name may
//! point at itself. hickory-proto refuses compression pointers that do not point backwards
//! (so no loop) and names past 255 bytes; its only unbounded cost is the room it reserves for
//! the records a header claims, so a header claiming more records than the bytes could hold is
//! refused here before hickory sees it. What the header says is read here too, from the bytes,
//! so that a message whose records do not parse still shows its id, flags and counts.

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::BinDecodable;

/// Most bytes of a DNS message inspect parses (a TCP message may be 65,535).
pub const MAX_MESSAGE: usize = 65_535;

/// The fixed header of a DNS message, read from its first 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Transaction id.
    pub id: u16,
    /// The second 16 bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub flags: u16,
    /// Questions.
    pub qd: u16,
    /// Answer records.
    pub an: u16,
    /// Authority records.
    pub ns: u16,
    /// Additional records.
    pub ar: u16,
}

impl Header {
    /// The header of `msg`, if it has 12 bytes.
    pub fn of(msg: &[u8]) -> Option<Header> {
        let w = |i: usize| msg.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        Some(Header { id: w(0)?, flags: w(2)?, qd: w(4)?, an: w(6)?, ns: w(8)?, ar: w(10)? })
    }
    /// A response (QR set).
    pub fn response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode (0 query, 1 inverse query, 2 status, 4 notify, 5 update).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// Authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    /// Truncated.
    pub fn tc(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// Recursion desired.
    pub fn rd(&self) -> bool {
        self.flags & 0x0100 != 0
    }
    /// Recursion available.
    pub fn ra(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    /// The reserved bit.
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    /// Authentic data (DNSSEC).
    pub fn ad(&self) -> bool {
        self.flags & 0x0020 != 0
    }
    /// Checking disabled (DNSSEC).
    pub fn cd(&self) -> bool {
        self.flags & 0x0010 != 0
    }
    /// The header's 4-bit response code.
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
}

/// Why a DNS message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// Fewer than the header's 12 bytes.
    Short(usize),
    /// The header claims more records than its bytes can hold.
    Counts { claimed: u32, room: usize },
    /// hickory-proto's reason (a length past the end, a bad pointer, a name too long).
    Parse(String),
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsError::Short(n) => write!(f, "DNS message of {n} bytes, shorter than its 12-byte header"),
            DnsError::Counts { claimed, room } => {
                write!(f, "DNS header claims {claimed} records, more than {room} bytes can hold")
            }
            DnsError::Parse(why) => write!(f, "DNS message: {why}"),
        }
    }
}

/// Parses a DNS message. The bytes a header's counts need at least (5 per question, 11 per
/// record) are checked first, so a hostile header costs nothing.
pub fn parse(msg: &[u8]) -> Result<Message, DnsError> {
    let h = Header::of(msg).ok_or(DnsError::Short(msg.len()))?;
    let room = msg.len().min(MAX_MESSAGE) - 12;
    let need = h.qd as usize * 5 + (h.an as usize + h.ns as usize + h.ar as usize) * 11;
    if need > room {
        let claimed = h.qd as u32 + h.an as u32 + h.ns as u32 + h.ar as u32;
        return Err(DnsError::Counts { claimed, room });
    }
    Message::from_bytes(msg.get(..msg.len().min(MAX_MESSAGE)).unwrap_or(msg)).map_err(|e| DnsError::Parse(e.to_string()))
}

/// The DNS message a TCP segment starts, without its 2-byte length, when the segment holds it
/// whole.
pub fn tcp_message(payload: &[u8]) -> Option<&[u8]> {
    let len = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]) as usize;
    payload.get(2..2 + len).filter(|m| m.len() >= 12)
}

/// A name as Wireshark and Zeek show it: ASCII, no trailing dot (`<Root>` for the root).
pub fn name_text(n: &Name) -> String {
    if n.is_root() || n.num_labels() == 0 {
        return "<Root>".into();
    }
    let mut s = String::new();
    for (i, label) in n.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        for &b in label {
            if b.is_ascii_graphic() {
                s.push(b as char);
            } else {
                s.push_str(&format!("\\{b:03}"));
            }
        }
    }
    s
}

/// A record type's mnemonic (Zeek's `qtype_name`), or `TYPEnnn` (RFC 3597) for others.
pub fn type_name(t: u16) -> std::borrow::Cow<'static, str> {
    let s = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "*",
        257 => "CAA",
        _ => return format!("TYPE{t}").into(),
    };
    s.into()
}

/// A response code's name as Zeek writes it (`rcode_name`).
pub fn rcode_name(r: u16) -> std::borrow::Cow<'static, str> {
    let s = match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        _ => return format!("unknown-{r}").into(),
    };
    s.into()
}

/// A class's name (Zeek's `qclass_name`).
pub fn class_name(c: u16) -> std::borrow::Cow<'static, str> {
    match c & 0x7fff {
        1 => "C_INTERNET".into(),
        3 => "C_CHAOS".into(),
        4 => "C_HESIOD".into(),
        254 => "C_NONE".into(),
        255 => "C_ANY".into(),
        n => format!("class-{n}").into(),
    }
}

/// The full response code: the header's 4 bits and, with EDNS, 8 more from the OPT record.
pub fn rcode(h: &Header, m: Option<&Message>) -> u16 {
    let high = m.and_then(|m| m.extensions().as_ref()).map_or(0, |e| e.rcode_high() as u16);
    (high << 4) | h.rcode() as u16
}

/// A record's data as Zeek writes it in `answers` (an address, a name, text), or None for data
/// Zeek does not log as an answer.
pub fn answer_text(r: &Record) -> Option<String> {
    Some(match r.data() {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(n) => name_text(&n.0),
        RData::NS(n) => name_text(&n.0),
        RData::PTR(n) => name_text(&n.0),
        RData::MX(mx) => name_text(mx.exchange()),
        RData::SRV(s) => name_text(s.target()),
        RData::TXT(t) => {
            let parts: Vec<String> = t.txt_data().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
            format!("TXT {} {}", parts.iter().map(|p| p.len()).sum::<usize>(), parts.join(" "))
        }
        RData::SOA(s) => name_text(s.mname()),
        RData::OPT(_) => return None,
        _ => format!("<unknown type={}>", u16::from(r.record_type())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for `www.tcpdump.org` A with EDNS, as dig sends it (tcpdump's dns_udp.pcap, frame 1).
    const QUERY: [u8; 44] = [
        0x59, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, b'w', b'w', b'w', 0x07, b't',
        b'c', b'p', b'd', b'u', b'm', b'p', 0x03, b'o', b'r', b'g', 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
        0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn a_query_parses_with_its_edns() {
        let h = Header::of(&QUERY).unwrap();
        assert_eq!((h.id, h.qd, h.ar, h.rd(), h.response()), (22836, 1, 1, true, false));
        let m = parse(&QUERY).unwrap();
        assert_eq!(name_text(m.queries()[0].name()), "www.tcpdump.org");
        assert_eq!(m.extensions().as_ref().map(|e| e.max_payload()), Some(4096));
    }

    #[test]
    fn a_pointer_to_itself_is_an_error_not_a_loop() {
        // The question's name is a pointer to offset 12: itself.
        let mut m = QUERY[..12].to_vec();
        m[11] = 0;
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(parse(&m), Err(DnsError::Parse(_))));
    }

    #[test]
    fn two_pointers_to_each_other_are_an_error() {
        let mut m = QUERY[..12].to_vec();
        m[11] = 0;
        // A label, then a pointer back to the label: a name that never ends.
        m.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
        assert!(parse(&m).is_err());
    }

    #[test]
    fn a_header_claiming_more_than_the_bytes_hold_costs_nothing() {
        let mut m = QUERY.to_vec();
        m[6] = 0xff;
        m[7] = 0xff;
        assert!(matches!(parse(&m), Err(DnsError::Counts { claimed: 65537, room: 32 })));
    }

    #[test]
    fn lengths_past_the_end_are_errors() {
        // An answer whose data length runs past the message.
        let mut m = QUERY[..33].to_vec();
        m[3] = 0x80;
        m[2] |= 0x80;
        m[7] = 1;
        m[11] = 0;
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0x00, 0xff, 1, 2, 3, 4]);
        assert!(matches!(parse(&m), Err(DnsError::Parse(_))));
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
    }

    #[test]
    fn a_tcp_segment_counts_only_with_the_whole_message() {
        let mut seg = vec![0, QUERY.len() as u8];
        seg.extend_from_slice(&QUERY);
        assert_eq!(tcp_message(&seg), Some(&QUERY[..]));
        assert_eq!(tcp_message(&seg[..seg.len() - 1]), None);
    }
}
