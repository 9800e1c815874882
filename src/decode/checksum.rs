//! TCP and UDP checksums, verified as Wireshark verifies them when asked to
//! (`-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE`): the values of
//! `tcp.checksum.status` and `udp.checksum.status`, and what Zeek's `C`/`c` history letters count.
//!
//! One difference from Wireshark, on purpose: a checksum the sending host left for its network
//! card to fill in (checksum offload; a capture on that host sees the field holding only the
//! pseudo-header's sum) is `Unverified`, not `Bad`. Captures made on the sending host, or on a
//! veth pair, have one in every packet they sent, and they are not damage.

use etherparse::{LaxNetSlice, TransportSlice};

use super::Packet;

/// Wireshark's checksum status (`proto_checksum_vals`), with its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// The checksum is wrong.
    Bad = 0,
    /// The checksum is right.
    Good = 1,
    /// Not checked: a fragment, a truncated capture, a datagram quoted in an ICMP error, or a
    /// checksum left to the network card.
    Unverified = 2,
    /// A UDP checksum of zero over IPv4: the sender computed none.
    NotPresent = 3,
    /// A UDP checksum of zero over IPv6, where one is required.
    Illegal = 4,
}

impl Status {
    /// Every status, by number.
    pub const ALL: [Status; 5] = [Status::Bad, Status::Good, Status::Unverified, Status::NotPresent, Status::Illegal];

    /// Wireshark's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Bad => "Bad",
            Status::Good => "Good",
            Status::Unverified => "Unverified",
            Status::NotPresent => "Not present",
            Status::Illegal => "Illegal",
        }
    }

    /// The status named `name` (as Wireshark's display filters take it, any case).
    pub fn named(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// The status of `p`'s TCP or UDP checksum (None without either). `quoted`: `p` is the datagram
/// an ICMP error quotes, which Wireshark does not verify.
pub fn status(p: &Packet<'_>, quoted: bool) -> Option<Status> {
    let (tcp, seg) = match &p.transport {
        Some(TransportSlice::Tcp(t)) => (true, t.slice()),
        Some(TransportSlice::Udp(u)) => (false, u.slice()),
        _ => return None,
    };
    let at = if tcp { 16 } else { 6 };
    let field = u16::from_be_bytes([*seg.get(at)?, *seg.get(at + 1)?]);
    let net = p.net.as_ref()?;
    let v6 = matches!(net, LaxNetSlice::Ipv6(_));
    if !tcp && field == 0 {
        return Some(if v6 && !quoted { Status::Illegal } else { Status::NotPresent });
    }
    let ip = net.ip_payload_ref()?;
    // Cut by the snap length: not all of it is here. (A frame that is all there but shorter
    // than its IP header says is checked over what it has, as Wireshark does.)
    let snapped = p.len as usize > p.data.len();
    if quoted || ip.fragmented || (ip.incomplete && snapped) {
        return Some(Status::Unverified);
    }
    // The segment as the IP header has it (a TCP segment runs to the end of the IP payload; a
    // UDP datagram is as long as its own length field says, which must fit in that payload).
    let len = if tcp {
        ip.payload.len()
    } else {
        let ulen = usize::from(u16::from_be_bytes([*seg.get(4)?, *seg.get(5)?]));
        if ulen > ip.payload.len() || ulen < 8 {
            return Some(Status::Unverified);
        }
        ulen
    };
    let Some(seg) = ip.payload.get(..len) else { return Some(Status::Unverified) };
    let mut pseudo: u64 = 0;
    match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            pseudo += sum(&h.source()) + sum(&h.destination());
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            pseudo += sum(&h.source()) + sum(&h.destination());
        }
        LaxNetSlice::Arp(_) => return None,
    }
    pseudo += u64::from(if tcp { 6u16 } else { 17 }) + (len as u64 >> 16) + (len as u64 & 0xffff);
    let all = fold(pseudo + sum(seg));
    Some(if all == 0xffff {
        // Right; but a TCP checksum must be sent as 0x0000, never as its other form 0xffff
        // (RFC 1624), which Wireshark counts bad.
        if tcp && field == 0xffff { Status::Bad } else { Status::Good }
    } else if field == fold(pseudo) {
        Status::Unverified
    } else {
        Status::Bad
    })
}

/// The ones'-complement sum of `b` as 16-bit big-endian words (an odd last byte padded with
/// zero), not yet folded.
fn sum(b: &[u8]) -> u64 {
    let mut s: u64 = 0;
    let mut words = b.chunks_exact(4);
    for w in &mut words {
        if let [a, b, c, d] = *w {
            s += u64::from(u32::from_be_bytes([a, b, c, d]));
        }
    }
    let rest = words.remainder();
    let mut pairs = rest.chunks_exact(2);
    for w in &mut pairs {
        if let [a, b] = *w {
            s += u64::from(u16::from_be_bytes([a, b]));
        }
    }
    if let [last] = pairs.remainder() {
        s += u64::from(*last) << 8;
    }
    s
}

/// Folds a sum to 16 bits with end-around carries.
fn fold(mut s: u64) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sums_fold_as_rfc_1071_says() {
        // RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        assert_eq!(fold(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0xddf2);
        assert_eq!(fold(sum(&[0xff])), 0xff00);
        assert_eq!(Status::named("not present"), Some(Status::NotPresent));
        assert_eq!(Status::named("Bogus"), None);
    }
}
