//! An IGMP message's fields as Wireshark names them (`igmp.*`), for JSON and display filters.
//!
//! IGMP's version is not a field of the message: a query of fewer than 12 bytes is v1 (no
//! response time) or v2, a longer one v3 (RFC 3376 7.1); each version's report has its own type.
//! A v3 report is a list of group records, so several of its fields hold one value per record.

use std::net::Ipv4Addr;

use super::bytes::be16;
use super::Packet;

/// The IGMP message of a packet: the bytes captured and its length by the IP header.
#[derive(Debug, Clone, Copy)]
pub struct Igmp<'a> {
    msg: &'a [u8],
    len: usize,
}

/// One group record of a v3 report (RFC 3376 4.2.4).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub kind: u8,
    pub aux_words: u8,
    pub group: Ipv4Addr,
    /// The source addresses captured (4 bytes each; fewer than `source_count` when cut).
    pub sources: &'a [u8],
    pub source_count: u16,
    /// Whether the message holds all of the record: its sources and auxiliary data.
    pub whole: bool,
}

/// The group records (RFC 3376 4.2.4) of the v3 report `msg` that says it has `count`: each
/// whose 8-byte head `msg` holds, in order.
pub fn v3_records(msg: &[u8], count: u16) -> impl Iterator<Item = Record<'_>> {
    let mut left = count;
    let mut at = 8usize;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        left -= 1;
        let head = msg.get(at..at + 8)?;
        let source_count = u16::from_be_bytes([head[2], head[3]]);
        let aux_words = head[1];
        let sources_end = at + 8 + 4 * usize::from(source_count);
        let sources = msg.get(at + 8..sources_end.min(msg.len())).unwrap_or_default();
        at = sources_end + 4 * usize::from(aux_words);
        Some(Record { kind: head[0], aux_words, group: v4(&head[4..8]), sources, source_count, whole: at <= msg.len() })
    })
}

fn v4(b: &[u8]) -> Ipv4Addr {
    match b {
        [a, b, c, d, ..] => Ipv4Addr::new(*a, *b, *c, *d),
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

/// RFC 3376 4.1.1's time code (Max Resp Code, QQIC): from 128 on a small float.
pub fn code_value(code: u8) -> u32 {
    if code < 128 {
        u32::from(code)
    } else {
        (u32::from(code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3)
    }
}

impl<'a> Igmp<'a> {
    /// The IGMP message of `p`, if it carries one (IP protocol 2, not a later fragment).
    pub fn of(p: &Packet<'a>) -> Option<Self> {
        let pl = p.net.as_ref()?.ip_payload_ref()?;
        if pl.ip_number.0 != 2 || pl.fragmented {
            return None;
        }
        Some(Igmp { msg: pl.payload, len: p.ip_payload_len() })
    }

    pub fn kind(&self) -> Option<u8> {
        self.msg.first().copied()
    }

    fn code(&self) -> Option<u8> {
        self.msg.get(1).copied()
    }

    pub fn checksum(&self) -> Option<u16> {
        be16(self.msg, 2)
    }

    /// A membership query of IGMPv3's form.
    fn v3_query(&self) -> bool {
        self.kind() == Some(0x11) && self.len >= 12
    }

    pub fn version(&self) -> Option<u8> {
        match self.kind()? {
            0x11 if self.len >= 12 => Some(3),
            0x11 => Some(if self.code()? == 0 { 1 } else { 2 }),
            0x12 => Some(1),
            0x16 | 0x17 => Some(2),
            0x22 => Some(3),
            _ => None,
        }
    }

    /// Max Resp Time in tenths of a second (v2's code as it is, v3's decoded).
    pub fn max_resp(&self) -> Option<u32> {
        match (self.version()?, self.kind()?) {
            (3, 0x11) => self.code().map(code_value),
            (2, _) => self.code().map(u32::from),
            _ => None,
        }
    }

    /// The group address: a query's or report's one, or each record's of a v3 report.
    pub fn groups(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        let one = match self.kind() {
            Some(0x11 | 0x12 | 0x16 | 0x17) => self.msg.get(4..8).map(v4),
            _ => None,
        };
        one.into_iter().chain(self.records().map(|r| r.group))
    }

    /// A v3 report's record count.
    pub fn record_count(&self) -> Option<u16> {
        (self.kind() == Some(0x22)).then(|| be16(self.msg, 6)).flatten()
    }

    /// A v3 report's records, as far as they were captured.
    pub fn records(&self) -> impl Iterator<Item = Record<'a>> + 'a {
        v3_records(self.msg, self.record_count().unwrap_or(0))
    }

    /// A v3 query's source count.
    pub fn query_source_count(&self) -> Option<u16> {
        self.v3_query().then(|| be16(self.msg, 10)).flatten()
    }

    /// Every source address: a v3 query's, then each record's of a v3 report.
    pub fn sources(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        let n = usize::from(self.query_source_count().unwrap_or(0));
        let query: &'a [u8] = if n > 0 { self.msg.get(12..).unwrap_or_default() } else { &[] };
        query.chunks_exact(4).take(n).map(v4).chain(self.records().flat_map(|r| r.sources.chunks_exact(4).map(v4)))
    }

    /// A v3 query's S flag, robustness variable and query interval (decoded, in seconds).
    pub fn query_flags(&self) -> Option<(bool, u8, u32)> {
        if !self.v3_query() {
            return None;
        }
        let (flags, qqic) = (*self.msg.get(8)?, *self.msg.get(9)?);
        Some((flags & 0x08 != 0, flags & 0x07, code_value(qqic)))
    }
}
