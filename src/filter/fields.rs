//! The fields a display filter (and `-T fields -e`) can name: Wireshark's names for what the
//! decoder reads, the same names the JSON output uses, and the few that only `inspect` has.
//! Each field visits its values in a packet (several for a field that occurs more than once, or
//! for an either-direction field such as `ip.addr`) without allocating.

use etherparse::{LaxNetSlice, TransportSlice};

use super::Note;
use crate::decode::tcpopt::{TcpOpt, TcpOpts};
use crate::decode::{Link, Packet};

/// One value of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    /// An unsigned number (booleans are 0 or 1).
    U(u64),
    /// A number with a fraction (`frame.time_epoch`).
    Float(f64),
    /// An IPv4 address.
    V4(u32),
    /// An IPv6 address.
    V6(u128),
    /// A MAC address.
    Mac([u8; 6]),
    /// Text.
    S(&'a str),
    /// A protocol's bytes.
    Bytes(&'a [u8]),
    /// A field that only tells that something is so (`tcp.analysis.retransmission`).
    Present,
}

/// What a field's values are handed to, one at a time, until it says true. A value may live
/// only for the call (a DNS name read out of its compressed labels).
pub type Visit<'f> = dyn for<'v> FnMut(Val<'v>) -> bool + 'f;

/// What a field holds, which decides what it can be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unsigned integer of this many bits.
    Uint(u8),
    /// 0 or 1 (Wireshark's FT_BOOLEAN).
    Bool,
    /// Seconds with a fraction.
    Float,
    /// IPv4 address.
    Ipv4,
    /// IPv6 address.
    Ipv6,
    /// MAC address.
    Mac,
    /// Text.
    Str,
    /// A protocol: present or not, and its bytes for `contains` and `matches`.
    Proto,
    /// Present or not, nothing else.
    Flag,
}

/// Which analyzers' notes a field needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The packet alone.
    Packet,
    /// The connection tracker.
    Conn,
    /// The SYN-flood detector.
    Flood,
    /// The application layer's messages (read from reassembled streams).
    App,
    /// Echo requests paired with their replies, frame by frame in order (`icmp.resptime`).
    Echo,
    /// Streams numbered frame by frame in order (`tcp.stream`, `udp.stream`).
    Stream,
}

/// The fields, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum F {
    Frame, FrameNumber, FrameTimeEpoch, FrameLen, FrameCapLen,
    Eth, EthDst, EthSrc, EthAddr, EthType, EthLen,
    Vlan, VlanId, VlanEtype, Ieee8021ad, Ieee8021adId,
    Sll, SllPkttype, SllHatype, SllEtype,
    Null, NullFamily,
    Nflog, NflogFamily, NflogVersion, NflogResId,
    Ip, IpVersion, IpHdrLen, IpDsfield, IpLen, IpId, IpFlagsDf, IpFlagsMf, IpFragOffset, IpTtl, IpProto,
    IpChecksum, IpSrc, IpDst, IpAddr,
    Ipv6, Ipv6Src, Ipv6Dst, Ipv6Addr, Ipv6Nxt, Ipv6Hlim, Ipv6Plen,
    Arp, ArpOpcode, ArpSrcHwMac, ArpSrcProtoIpv4, ArpDstHwMac, ArpDstProtoIpv4,
    Tcp, TcpSrcport, TcpDstport, TcpPort, TcpSeqRaw, TcpAckRaw, TcpFlags,
    TcpFlagsFin, TcpFlagsSyn, TcpFlagsReset, TcpFlagsPush, TcpFlagsAck, TcpFlagsUrg, TcpFlagsEce, TcpFlagsCwr,
    TcpStream, UdpStream, TcpWindowSizeValue, TcpHdrLen, TcpLen, TcpMss, TcpWscale, TcpSackPerm, TcpTsval, TcpTsecr, TcpChecksumStatus,
    Udp, UdpSrcport, UdpDstport, UdpPort, UdpLength, UdpChecksum, UdpChecksumStatus,
    Icmp, IcmpType, IcmpCode, Icmpv6, Icmpv6Type, Icmpv6Code, Igmp,
    IgmpVersion, IgmpType, IgmpMaxResp, IgmpChecksum, IgmpMaddr, IgmpSaddr, IgmpRecordType, IgmpNumGrpRecs,
    IcmpIdent, IcmpSeq, IcmpRespTo, IcmpResptime,
    Dns, DnsId, DnsFlagsResponse, DnsFlagsOpcode, DnsFlagsRcode, DnsCountQueries, DnsCountAnswers, DnsCountAuthRr,
    DnsCountAddRr, DnsQryName, DnsQryType, DnsA, DnsAaaa, DnsCname, DnsRespTtl,
    Dhcp, DhcpType, DhcpId, DhcpIpClient, DhcpIpYour, DhcpHwMacAddr, DhcpOptionDhcp, DhcpOptionRequested,
    DhcpOptionServerId, DhcpOptionHostname,
    Http, HttpRequest, HttpResponse, HttpRequestMethod, HttpRequestUri, HttpRequestVersion, HttpHost, HttpUserAgent,
    HttpResponseVersion, HttpResponseCode, HttpResponsePhrase, HttpContentType, HttpContentLength,
    TlsHandshakeType, TlsServerName, TlsAlpn, TlsHandshakeVersion, TlsSupportedVersion, TlsCiphersuite,
    TlsRecordVersion, ConnUid, ConnState, ConnHistory, TcpState, TcpRetransmission, Alert,
}

/// Every field: its name, what it holds, where it comes from.
pub const FIELDS: &[(&str, F, Kind)] = &[
    ("frame", F::Frame, Kind::Proto),
    ("frame.number", F::FrameNumber, Kind::Uint(32)),
    ("frame.time_epoch", F::FrameTimeEpoch, Kind::Float),
    ("frame.len", F::FrameLen, Kind::Uint(32)),
    ("frame.cap_len", F::FrameCapLen, Kind::Uint(32)),
    ("eth", F::Eth, Kind::Proto),
    ("eth.dst", F::EthDst, Kind::Mac),
    ("eth.src", F::EthSrc, Kind::Mac),
    ("eth.addr", F::EthAddr, Kind::Mac),
    ("eth.type", F::EthType, Kind::Uint(16)),
    ("eth.len", F::EthLen, Kind::Uint(16)),
    ("vlan", F::Vlan, Kind::Proto),
    ("vlan.id", F::VlanId, Kind::Uint(12)),
    ("vlan.etype", F::VlanEtype, Kind::Uint(16)),
    ("ieee8021ad", F::Ieee8021ad, Kind::Proto),
    ("ieee8021ad.id", F::Ieee8021adId, Kind::Uint(12)),
    ("sll", F::Sll, Kind::Proto),
    ("sll.pkttype", F::SllPkttype, Kind::Uint(16)),
    ("sll.hatype", F::SllHatype, Kind::Uint(16)),
    ("sll.etype", F::SllEtype, Kind::Uint(16)),
    ("null", F::Null, Kind::Proto),
    ("null.family", F::NullFamily, Kind::Uint(32)),
    ("nflog", F::Nflog, Kind::Proto),
    ("nflog.family", F::NflogFamily, Kind::Uint(8)),
    ("nflog.version", F::NflogVersion, Kind::Uint(8)),
    ("nflog.res_id", F::NflogResId, Kind::Uint(16)),
    ("ip", F::Ip, Kind::Proto),
    ("ip.version", F::IpVersion, Kind::Uint(4)),
    ("ip.hdr_len", F::IpHdrLen, Kind::Uint(8)),
    ("ip.dsfield", F::IpDsfield, Kind::Uint(8)),
    ("ip.len", F::IpLen, Kind::Uint(16)),
    ("ip.id", F::IpId, Kind::Uint(16)),
    ("ip.flags.df", F::IpFlagsDf, Kind::Bool),
    ("ip.flags.mf", F::IpFlagsMf, Kind::Bool),
    ("ip.frag_offset", F::IpFragOffset, Kind::Uint(16)),
    ("ip.ttl", F::IpTtl, Kind::Uint(8)),
    ("ip.proto", F::IpProto, Kind::Uint(8)),
    ("ip.checksum", F::IpChecksum, Kind::Uint(16)),
    ("ip.src", F::IpSrc, Kind::Ipv4),
    ("ip.dst", F::IpDst, Kind::Ipv4),
    ("ip.addr", F::IpAddr, Kind::Ipv4),
    ("ipv6", F::Ipv6, Kind::Proto),
    ("ipv6.src", F::Ipv6Src, Kind::Ipv6),
    ("ipv6.dst", F::Ipv6Dst, Kind::Ipv6),
    ("ipv6.addr", F::Ipv6Addr, Kind::Ipv6),
    ("ipv6.nxt", F::Ipv6Nxt, Kind::Uint(8)),
    ("ipv6.hlim", F::Ipv6Hlim, Kind::Uint(8)),
    ("ipv6.plen", F::Ipv6Plen, Kind::Uint(16)),
    ("arp", F::Arp, Kind::Proto),
    ("arp.opcode", F::ArpOpcode, Kind::Uint(16)),
    ("arp.src.hw_mac", F::ArpSrcHwMac, Kind::Mac),
    ("arp.src.proto_ipv4", F::ArpSrcProtoIpv4, Kind::Ipv4),
    ("arp.dst.hw_mac", F::ArpDstHwMac, Kind::Mac),
    ("arp.dst.proto_ipv4", F::ArpDstProtoIpv4, Kind::Ipv4),
    ("tcp", F::Tcp, Kind::Proto),
    ("tcp.stream", F::TcpStream, Kind::Uint(32)),
    ("tcp.srcport", F::TcpSrcport, Kind::Uint(16)),
    ("tcp.dstport", F::TcpDstport, Kind::Uint(16)),
    ("tcp.port", F::TcpPort, Kind::Uint(16)),
    ("tcp.seq_raw", F::TcpSeqRaw, Kind::Uint(32)),
    ("tcp.ack_raw", F::TcpAckRaw, Kind::Uint(32)),
    ("tcp.flags", F::TcpFlags, Kind::Uint(12)),
    ("tcp.flags.fin", F::TcpFlagsFin, Kind::Bool),
    ("tcp.flags.syn", F::TcpFlagsSyn, Kind::Bool),
    ("tcp.flags.reset", F::TcpFlagsReset, Kind::Bool),
    ("tcp.flags.push", F::TcpFlagsPush, Kind::Bool),
    ("tcp.flags.ack", F::TcpFlagsAck, Kind::Bool),
    ("tcp.flags.urg", F::TcpFlagsUrg, Kind::Bool),
    ("tcp.flags.ece", F::TcpFlagsEce, Kind::Bool),
    ("tcp.flags.cwr", F::TcpFlagsCwr, Kind::Bool),
    ("tcp.window_size_value", F::TcpWindowSizeValue, Kind::Uint(16)),
    ("tcp.hdr_len", F::TcpHdrLen, Kind::Uint(8)),
    ("tcp.len", F::TcpLen, Kind::Uint(32)),
    ("tcp.options.mss_val", F::TcpMss, Kind::Uint(16)),
    ("tcp.options.wscale.shift", F::TcpWscale, Kind::Uint(8)),
    ("tcp.options.sack_perm", F::TcpSackPerm, Kind::Flag),
    ("tcp.options.timestamp.tsval", F::TcpTsval, Kind::Uint(32)),
    ("tcp.options.timestamp.tsecr", F::TcpTsecr, Kind::Uint(32)),
    ("tcp.checksum.status", F::TcpChecksumStatus, Kind::Uint(8)),
    ("udp", F::Udp, Kind::Proto),
    ("udp.stream", F::UdpStream, Kind::Uint(32)),
    ("udp.srcport", F::UdpSrcport, Kind::Uint(16)),
    ("udp.dstport", F::UdpDstport, Kind::Uint(16)),
    ("udp.port", F::UdpPort, Kind::Uint(16)),
    ("udp.length", F::UdpLength, Kind::Uint(16)),
    ("udp.checksum", F::UdpChecksum, Kind::Uint(16)),
    ("udp.checksum.status", F::UdpChecksumStatus, Kind::Uint(8)),
    ("icmp", F::Icmp, Kind::Proto),
    ("icmp.type", F::IcmpType, Kind::Uint(8)),
    ("icmp.code", F::IcmpCode, Kind::Uint(8)),
    ("icmpv6", F::Icmpv6, Kind::Proto),
    ("icmpv6.type", F::Icmpv6Type, Kind::Uint(8)),
    ("icmpv6.code", F::Icmpv6Code, Kind::Uint(8)),
    ("igmp", F::Igmp, Kind::Proto),
    ("igmp.version", F::IgmpVersion, Kind::Uint(8)),
    ("igmp.type", F::IgmpType, Kind::Uint(8)),
    ("igmp.max_resp", F::IgmpMaxResp, Kind::Uint(32)),
    ("igmp.checksum", F::IgmpChecksum, Kind::Uint(16)),
    ("igmp.maddr", F::IgmpMaddr, Kind::Ipv4),
    ("igmp.saddr", F::IgmpSaddr, Kind::Ipv4),
    ("igmp.record_type", F::IgmpRecordType, Kind::Uint(8)),
    ("igmp.num_grp_recs", F::IgmpNumGrpRecs, Kind::Uint(16)),
    ("icmp.ident", F::IcmpIdent, Kind::Uint(16)),
    ("icmp.seq", F::IcmpSeq, Kind::Uint(16)),
    ("icmp.resp_to", F::IcmpRespTo, Kind::Uint(32)),
    ("icmp.resptime", F::IcmpResptime, Kind::Float),
    ("dns", F::Dns, Kind::Proto),
    ("dns.id", F::DnsId, Kind::Uint(16)),
    ("dns.flags.response", F::DnsFlagsResponse, Kind::Bool),
    ("dns.flags.opcode", F::DnsFlagsOpcode, Kind::Uint(16)),
    ("dns.flags.rcode", F::DnsFlagsRcode, Kind::Uint(16)),
    ("dns.count.queries", F::DnsCountQueries, Kind::Uint(16)),
    ("dns.count.answers", F::DnsCountAnswers, Kind::Uint(16)),
    ("dns.count.auth_rr", F::DnsCountAuthRr, Kind::Uint(16)),
    ("dns.count.add_rr", F::DnsCountAddRr, Kind::Uint(16)),
    ("dns.qry.name", F::DnsQryName, Kind::Str),
    ("dns.qry.type", F::DnsQryType, Kind::Uint(16)),
    ("dns.a", F::DnsA, Kind::Ipv4),
    ("dns.aaaa", F::DnsAaaa, Kind::Ipv6),
    ("dns.cname", F::DnsCname, Kind::Str),
    ("dns.resp.ttl", F::DnsRespTtl, Kind::Uint(32)),
    ("dhcp", F::Dhcp, Kind::Proto),
    ("dhcp.type", F::DhcpType, Kind::Uint(8)),
    ("dhcp.id", F::DhcpId, Kind::Uint(32)),
    ("dhcp.ip.client", F::DhcpIpClient, Kind::Ipv4),
    ("dhcp.ip.your", F::DhcpIpYour, Kind::Ipv4),
    ("dhcp.hw.mac_addr", F::DhcpHwMacAddr, Kind::Mac),
    ("dhcp.option.dhcp", F::DhcpOptionDhcp, Kind::Uint(8)),
    ("dhcp.option.requested_ip_address", F::DhcpOptionRequested, Kind::Ipv4),
    ("dhcp.option.dhcp_server_id", F::DhcpOptionServerId, Kind::Ipv4),
    ("dhcp.option.hostname", F::DhcpOptionHostname, Kind::Str),
    ("http", F::Http, Kind::Flag),
    ("http.request", F::HttpRequest, Kind::Flag),
    ("http.response", F::HttpResponse, Kind::Flag),
    ("http.request.method", F::HttpRequestMethod, Kind::Str),
    ("http.request.uri", F::HttpRequestUri, Kind::Str),
    ("http.request.version", F::HttpRequestVersion, Kind::Str),
    ("http.host", F::HttpHost, Kind::Str),
    ("http.user_agent", F::HttpUserAgent, Kind::Str),
    ("http.response.version", F::HttpResponseVersion, Kind::Str),
    ("http.response.code", F::HttpResponseCode, Kind::Uint(16)),
    ("http.response.phrase", F::HttpResponsePhrase, Kind::Str),
    ("http.content_type", F::HttpContentType, Kind::Str),
    ("http.content_length", F::HttpContentLength, Kind::Uint(64)),
    ("tls.handshake.type", F::TlsHandshakeType, Kind::Uint(8)),
    ("tls.handshake.extensions_server_name", F::TlsServerName, Kind::Str),
    ("tls.handshake.extensions_alpn_str", F::TlsAlpn, Kind::Str),
    ("tls.handshake.version", F::TlsHandshakeVersion, Kind::Uint(16)),
    ("tls.handshake.extensions.supported_version", F::TlsSupportedVersion, Kind::Uint(16)),
    ("tls.handshake.ciphersuite", F::TlsCiphersuite, Kind::Uint(16)),
    ("tls.record.version", F::TlsRecordVersion, Kind::Uint(16)),
    ("conn.uid", F::ConnUid, Kind::Str),
    ("conn.state", F::ConnState, Kind::Str),
    ("conn.history", F::ConnHistory, Kind::Str),
    ("tcp.state", F::TcpState, Kind::Str),
    ("tcp.analysis.retransmission", F::TcpRetransmission, Kind::Flag),
    ("alert", F::Alert, Kind::Flag),
];

/// The IP datagram an ICMP or ICMPv6 error quotes, decoded.
pub fn quoted<'a>(p: &Packet<'a>) -> Option<Packet<'a>> {
    let data = match &p.transport {
        Some(TransportSlice::Icmpv4(i)) if matches!(i.type_u8(), 3 | 4 | 5 | 11 | 12) => i.payload(),
        Some(TransportSlice::Icmpv6(i)) if matches!(i.type_u8(), 1..=4) => i.payload(),
        _ => return None,
    };
    let frame = crate::source::Frame { number: p.number, ts: p.ts, linktype: crate::decode::linktype::RAW, len: data.len() as u32, data, interface: 0, ts_known: p.ts_known };
    let inner = crate::decode::decode(&frame);
    inner.ip_addrs().is_some().then_some(inner)
}

/// The field named `name`.
pub fn lookup(name: &str) -> Option<(F, Kind)> {
    FIELDS.iter().find(|(n, ..)| *n == name).map(|&(_, f, k)| (f, k))
}

impl F {
    /// Which analyzers know this field's value.
    pub fn source(self) -> Source {
        match self {
            F::ConnUid | F::ConnState | F::ConnHistory | F::TcpState | F::TcpRetransmission => Source::Conn,
            F::Alert => Source::Flood,
            F::IcmpRespTo | F::IcmpResptime => Source::Echo,
            F::TcpStream | F::UdpStream => Source::Stream,
            F::Http
            | F::HttpRequest
            | F::HttpResponse
            | F::HttpRequestMethod
            | F::HttpRequestUri
            | F::HttpRequestVersion
            | F::HttpHost
            | F::HttpUserAgent
            | F::HttpResponseVersion
            | F::HttpResponseCode
            | F::HttpResponsePhrase
            | F::HttpContentType
            | F::HttpContentLength
            | F::TlsHandshakeType
            | F::TlsServerName
            | F::TlsAlpn
            | F::TlsHandshakeVersion
            | F::TlsSupportedVersion
            | F::TlsCiphersuite
            | F::TlsRecordVersion => Source::App,
            _ => Source::Packet,
        }
    }

    /// Whether the field also takes values from the messages a frame completed on a TCP stream
    /// (DNS over TCP).
    pub fn from_tcp_stream(self) -> bool {
        matches!(
            self,
            F::Dns
                | F::DnsId
                | F::DnsFlagsResponse
                | F::DnsFlagsOpcode
                | F::DnsFlagsRcode
                | F::DnsCountQueries
                | F::DnsCountAnswers
                | F::DnsCountAuthRr
                | F::DnsCountAddRr
                | F::DnsQryName
                | F::DnsQryType
                | F::DnsA
                | F::DnsAaaa
                | F::DnsCname
                | F::DnsRespTtl
        )
    }

    /// Hands each value of this field in `p` (with `note`, the analyzers' notes) to `f` until
    /// `f` says true; whether it did. A field absent from the packet has no value. As in
    /// Wireshark, the IP datagram an ICMP error quotes gives the IP and transport fields more
    /// values, after the packet's own.
    pub fn any(self, p: &Packet<'_>, note: &Note, f: &mut Visit<'_>) -> bool {
        if self.own(p, note, f) {
            return true;
        }
        if !self.quoted_too() {
            return false;
        }
        match quoted(p) {
            // Wireshark does not verify the checksum of a datagram an ICMP error quotes.
            Some(inner) if matches!(self, F::TcpChecksumStatus | F::UdpChecksumStatus) => self.checksum_status(&inner, true, f),
            Some(inner) => self.own(&inner, note, f),
            None => false,
        }
    }

    /// Whether the datagram an ICMP error quotes has values of this field.
    fn quoted_too(self) -> bool {
        use F::*;
        self.source() == Source::Packet
            && !matches!(
            self,
            Frame | FrameNumber | FrameTimeEpoch | FrameLen | FrameCapLen | Eth | EthDst | EthSrc | EthAddr | EthType | EthLen | Vlan
                | VlanId | VlanEtype | Ieee8021ad | Ieee8021adId | Sll | SllPkttype | SllHatype | SllEtype | Null | NullFamily | Arp
                | Nflog | NflogFamily | NflogVersion | NflogResId
                | ArpOpcode | ArpSrcHwMac | ArpSrcProtoIpv4 | ArpDstHwMac | ArpDstProtoIpv4
        )
    }

    /// `tcp.checksum.status` or `udp.checksum.status` of `p` (`quoted`: in an ICMP error).
    fn checksum_status<'a>(self, p: &Packet<'a>, quoted: bool, f: &mut dyn FnMut(Val<'a>) -> bool) -> bool {
        let want_tcp = self == F::TcpChecksumStatus;
        let is_tcp = matches!(p.transport, Some(TransportSlice::Tcp(_)));
        if want_tcp != is_tcp {
            return false;
        }
        crate::decode::checksum::status(p, quoted).is_some_and(|s| f(Val::U(s as u64)))
    }

    /// The values of this field in `p` itself.
    fn own(self, p: &Packet<'_>, note: &Note, f: &mut Visit<'_>) -> bool {
        use Val::*;
        let data = p.data;
        let eth = match p.link {
            Link::Ethernet { dst, src, ethertype } => Some((dst, src, ethertype)),
            _ => None,
        };
        let tags = p.vlans.get(..p.vlan_count as usize).unwrap_or(&[]);
        let v4 = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => Some(v4.header()),
            _ => None,
        };
        let v6 = match &p.net {
            Some(LaxNetSlice::Ipv6(v6)) => Some(v6.header()),
            _ => None,
        };
        let tcp = match &p.transport {
            Some(TransportSlice::Tcp(t)) => Some(t),
            _ => None,
        };
        let udp = match &p.transport {
            Some(TransportSlice::Udp(u)) => Some(u),
            _ => None,
        };
        let flag = |bit: u8| tcp.and_then(|_| p.tcp()).map(|i| U(u64::from(i.flags & bit != 0)));
        let one = |v: Option<Val<'_>>, f: &mut Visit<'_>| v.is_some_and(&mut *f);
        let conn = note.conn.as_ref();
        match self {
            F::Frame => f(Bytes(data)),
            F::FrameNumber => f(U(p.number)),
            F::FrameTimeEpoch => p.ts_known && f(Float(p.ts.as_secs_f64())),
            F::FrameLen => f(U(p.len.into())),
            F::FrameCapLen => f(U(data.len() as u64)),
            F::Eth => one(eth.map(|_| Bytes(data.get(..14).unwrap_or(data))), f),
            F::EthDst => one(eth.map(|e| Mac(e.0)), f),
            F::EthSrc => one(eth.map(|e| Mac(e.1)), f),
            // Wireshark adds the destination first.
            F::EthAddr => eth.is_some_and(|e| f(Mac(e.0)) || f(Mac(e.1))),
            F::EthType => one(
                eth.and_then(|e| match tags.first() {
                    Some(t) => Some(U(t.tpid.into())),
                    None if e.2 < 0x0600 => None,
                    None => Some(U(e.2.into())),
                }),
                f,
            ),
            F::EthLen => one(eth.filter(|e| tags.is_empty() && e.2 < 0x0600).map(|e| U(e.2.into())), f),
            F::Vlan => tags.iter().any(|t| t.tpid != 0x88a8) && f(Bytes(data)),
            F::VlanId => tags.iter().filter(|t| t.tpid != 0x88a8).any(|t| f(U(t.id.into()))),
            F::VlanEtype => one(eth.filter(|_| !tags.is_empty()).map(|e| U(e.2.into())), f),
            F::Ieee8021ad => tags.iter().any(|t| t.tpid == 0x88a8) && f(Bytes(data)),
            F::Ieee8021adId => tags.iter().filter(|t| t.tpid == 0x88a8).any(|t| f(U(t.id.into()))),
            F::Sll | F::SllPkttype | F::SllHatype | F::SllEtype => match p.link {
                Link::Sll { pkttype, hatype, protocol, .. } => f(match self {
                    F::SllPkttype => U(pkttype.into()),
                    F::SllHatype => U(hatype.into()),
                    F::SllEtype => U(protocol.into()),
                    _ => Bytes(data),
                }),
                _ => false,
            },
            F::Null | F::NullFamily => match p.link {
                Link::Loopback { family } => f(if self == F::Null { Bytes(data) } else { U(family.into()) }),
                _ => false,
            },
            F::Nflog | F::NflogFamily | F::NflogVersion | F::NflogResId => match p.link {
                Link::Nflog { family, version, resource_id } => f(match self {
                    F::NflogFamily => U(family.into()),
                    F::NflogVersion => U(version.into()),
                    F::NflogResId => U(resource_id.into()),
                    _ => Bytes(data),
                }),
                _ => false,
            },
            F::Ip => v4.is_some() && f(Bytes(data.get(p.net_offset..).unwrap_or(&[]))),
            F::IpVersion => match (&v4, &v6) {
                (Some(h), _) => f(U(h.version().into())),
                (_, Some(h)) => f(U(h.version().into())),
                _ => false,
            },
            F::IpHdrLen => one(v4.as_ref().map(|h| U(u64::from(h.ihl()) * 4)), f),
            F::IpDsfield => one(v4.as_ref().map(|h| U(u64::from((h.dcp().value() << 2) | h.ecn().value()))), f),
            F::IpLen => one(v4.as_ref().map(|h| U(h.total_len().into())), f),
            F::IpId => one(v4.as_ref().map(|h| U(h.identification().into())), f),
            F::IpFlagsDf => one(v4.as_ref().map(|h| U(h.dont_fragment().into())), f),
            F::IpFlagsMf => one(v4.as_ref().map(|h| U(h.more_fragments().into())), f),
            F::IpFragOffset => one(v4.as_ref().map(|h| U(u64::from(h.fragments_offset().value()) * 8)), f),
            F::IpTtl => one(v4.as_ref().map(|h| U(h.ttl().into())), f),
            F::IpProto => one(v4.as_ref().map(|h| U(h.protocol().0.into())), f),
            F::IpChecksum => one(v4.as_ref().map(|h| U(h.header_checksum().into())), f),
            F::IpSrc => one(v4.as_ref().map(|h| V4(u32::from_be_bytes(h.source()))), f),
            F::IpDst => one(v4.as_ref().map(|h| V4(u32::from_be_bytes(h.destination()))), f),
            F::IpAddr => v4.as_ref().is_some_and(|h| f(V4(u32::from_be_bytes(h.source()))) || f(V4(u32::from_be_bytes(h.destination())))),
            F::Ipv6 => v6.is_some() && f(Bytes(data.get(p.net_offset..).unwrap_or(&[]))),
            F::Ipv6Src => one(v6.as_ref().map(|h| V6(u128::from_be_bytes(h.source()))), f),
            F::Ipv6Dst => one(v6.as_ref().map(|h| V6(u128::from_be_bytes(h.destination()))), f),
            F::Ipv6Addr => {
                v6.as_ref().is_some_and(|h| f(V6(u128::from_be_bytes(h.source()))) || f(V6(u128::from_be_bytes(h.destination()))))
            }
            F::Ipv6Nxt => one(v6.as_ref().map(|h| U(h.next_header().0.into())), f),
            F::Ipv6Hlim => one(v6.as_ref().map(|h| U(h.hop_limit().into())), f),
            F::Ipv6Plen => one(v6.as_ref().map(|h| U(h.payload_length().into())), f),
            F::Arp => matches!(p.net, Some(LaxNetSlice::Arp(_))) && f(Bytes(data.get(p.net_offset..).unwrap_or(&[]))),
            F::ArpOpcode => match &p.net {
                Some(LaxNetSlice::Arp(a)) => f(U(a.operation().0.into())),
                _ => false,
            },
            F::ArpSrcHwMac => one(p.arp().map(|a| Mac(a.sender_mac)), f),
            F::ArpSrcProtoIpv4 => one(p.arp().map(|a| V4(a.sender_ip.into())), f),
            F::ArpDstHwMac => one(p.arp().map(|a| Mac(a.target_mac)), f),
            F::ArpDstProtoIpv4 => one(p.arp().map(|a| V4(a.target_ip.into())), f),
            F::Tcp => one(tcp.map(|t| Bytes(t.slice())), f),
            F::TcpSrcport => one(tcp.map(|t| U(t.source_port().into())), f),
            F::TcpDstport => one(tcp.map(|t| U(t.destination_port().into())), f),
            F::TcpPort => tcp.is_some_and(|t| f(U(t.source_port().into())) || f(U(t.destination_port().into()))),
            F::TcpSeqRaw => one(tcp.map(|t| U(t.sequence_number().into())), f),
            F::TcpAckRaw => one(tcp.map(|t| U(t.acknowledgment_number().into())), f),
            F::TcpFlags => one(tcp.and_then(|t| p.tcp().map(|i| U(u64::from(i.flags) | u64::from(t.ns()) << 8))), f),
            F::TcpFlagsFin => one(flag(0x01), f),
            F::TcpFlagsSyn => one(flag(0x02), f),
            F::TcpFlagsReset => one(flag(0x04), f),
            F::TcpFlagsPush => one(flag(0x08), f),
            F::TcpFlagsAck => one(flag(0x10), f),
            F::TcpFlagsUrg => one(flag(0x20), f),
            F::TcpFlagsEce => one(flag(0x40), f),
            F::TcpFlagsCwr => one(flag(0x80), f),
            F::TcpWindowSizeValue => one(tcp.map(|t| U(t.window_size().into())), f),
            F::TcpHdrLen => one(tcp.map(|t| U(t.header_slice().len() as u64)), f),
            F::TcpLen => one(tcp.and_then(|_| p.tcp()).map(|i| U(i.payload_len.into())), f),
            F::TcpMss | F::TcpWscale | F::TcpSackPerm | F::TcpTsval | F::TcpTsecr => tcp.is_some_and(|t| {
                TcpOpts::new(t.options()).any(|o| match (self, o) {
                    (F::TcpMss, TcpOpt::Mss(m)) => f(U(m.into())),
                    (F::TcpWscale, TcpOpt::WindowScale(w)) => f(U(w.into())),
                    (F::TcpSackPerm, TcpOpt::SackPermitted) => f(Present),
                    (F::TcpTsval, TcpOpt::Timestamps(v, _)) => f(U(v.into())),
                    (F::TcpTsecr, TcpOpt::Timestamps(_, e)) => f(U(e.into())),
                    _ => false,
                })
            }),
            F::Udp => one(udp.map(|u| Bytes(u.slice())), f),
            F::UdpSrcport => one(udp.map(|u| U(u.source_port().into())), f),
            F::UdpDstport => one(udp.map(|u| U(u.destination_port().into())), f),
            F::UdpPort => udp.is_some_and(|u| f(U(u.source_port().into())) || f(U(u.destination_port().into()))),
            F::UdpLength => one(udp.map(|u| U(u.length().into())), f),
            F::UdpChecksum => one(udp.map(|u| U(u.checksum().into())), f),
            F::TcpChecksumStatus | F::UdpChecksumStatus => self.checksum_status(p, false, f),
            F::Icmp | F::IcmpType | F::IcmpCode => match &p.transport {
                Some(TransportSlice::Icmpv4(i)) => f(match self {
                    F::IcmpType => U(i.type_u8().into()),
                    F::IcmpCode => U(i.code_u8().into()),
                    _ => Bytes(i.slice()),
                }),
                _ => false,
            },
            F::Icmpv6 | F::Icmpv6Type | F::Icmpv6Code => match &p.transport {
                Some(TransportSlice::Icmpv6(i)) => f(match self {
                    F::Icmpv6Type => U(i.type_u8().into()),
                    F::Icmpv6Code => U(i.code_u8().into()),
                    _ => Bytes(i.slice()),
                }),
                _ => false,
            },
            F::Igmp => match &p.transport {
                Some(TransportSlice::Igmp(i)) => f(Bytes(i.slice())),
                _ => false,
            },
            F::IgmpVersion
            | F::IgmpType
            | F::IgmpMaxResp
            | F::IgmpChecksum
            | F::IgmpMaddr
            | F::IgmpSaddr
            | F::IgmpRecordType
            | F::IgmpNumGrpRecs => {
                let Some(g) = crate::decode::igmp::Igmp::of(p) else { return false };
                match self {
                    F::IgmpVersion => one(g.version().map(|v| U(v.into())), f),
                    F::IgmpType => one(g.kind().map(|v| U(v.into())), f),
                    F::IgmpMaxResp => one(g.max_resp().map(|v| U(v.into())), f),
                    F::IgmpChecksum => one(g.checksum().map(|v| U(v.into())), f),
                    F::IgmpMaddr => g.groups().any(|a| f(V4(a.into()))),
                    F::IgmpSaddr => g.sources().any(|a| f(V4(a.into()))),
                    F::IgmpRecordType => g.records().any(|r| f(U(r.kind.into()))),
                    _ => one(g.record_count().map(|v| U(v.into())), f),
                }
            }
            // An echo request or reply's identifier and sequence number.
            F::IcmpIdent | F::IcmpSeq => match &p.transport {
                Some(TransportSlice::Icmpv4(i)) if matches!(i.type_u8(), 0 | 8) => {
                    let b = i.bytes5to8();
                    let at = if self == F::IcmpIdent { 0 } else { 2 };
                    f(U(u16::from_be_bytes([b[at], b[at + 1]]).into()))
                }
                _ => false,
            },
            F::Dns
            | F::DnsId
            | F::DnsFlagsResponse
            | F::DnsFlagsOpcode
            | F::DnsFlagsRcode
            | F::DnsCountQueries
            | F::DnsCountAnswers
            | F::DnsCountAuthRr
            | F::DnsCountAddRr
            | F::DnsQryName
            | F::DnsQryType
            | F::DnsA
            | F::DnsAaaa
            | F::DnsCname
            | F::DnsRespTtl => {
                let packet = match crate::decode::app::of_packet(p) {
                    Some(crate::decode::app::App::Dns { msg, .. }) => dns_values(self, msg, f),
                    _ => false,
                };
                packet
                    || note.msgs.iter().any(|m| matches!(m, crate::report::web::Message::Dns(d) if dns_values(self, &d.bytes, f)))
            }
            F::Dhcp
            | F::DhcpType
            | F::DhcpId
            | F::DhcpIpClient
            | F::DhcpIpYour
            | F::DhcpHwMacAddr
            | F::DhcpOptionDhcp
            | F::DhcpOptionRequested
            | F::DhcpOptionServerId
            | F::DhcpOptionHostname => dhcp_values(self, p, f),
            F::ConnUid => one(conn.map(|c| S(c.uid())), f),
            F::ConnState => one(conn.map(|c| S(c.state.name())), f),
            F::ConnHistory => one(conn.map(|c| S(c.history())), f),
            F::TcpState => one(conn.and_then(|c| c.tcp_state).map(|s| S(s.name())), f),
            F::TcpRetransmission => conn.is_some_and(|c| c.retransmission) && f(Present),
            F::Alert => note.alert && f(Present),
            F::IcmpRespTo => note.echo.is_some_and(|(frame, _)| f(U(frame))),
            F::TcpStream => note.streams.0.iter().any(|&n| f(U(u64::from(n)))),
            F::UdpStream => note.streams.1.iter().any(|&n| f(U(u64::from(n)))),
            // Milliseconds, to the nanosecond, as tshark gives them.
            F::IcmpResptime => note.echo.is_some_and(|(_, ns)| f(Float(ns as f64 / 1e6))),
            _ => note.msgs.iter().any(|m| message_values(self, m, f)),
        }
    }
}

/// The values of DNS field `field` in message `msg`, as tshark gives them: the header's from
/// the header (the response code on responses only), the rest from the message read whole,
/// each record's in the order of the answer, authority and additional sections (the OPT record
/// has no TTL).
fn dns_values(field: F, msg: &[u8], f: &mut Visit<'_>) -> bool {
    use crate::decode::app::dns;
    use hickory_proto::rr::RData;
    use Val::*;
    let Some(h) = dns::Header::of(msg) else { return field == F::Dns && f(Bytes(msg)) };
    match field {
        F::DnsId => return f(U(h.id.into())),
        F::DnsFlagsResponse => return f(U(h.response().into())),
        F::DnsFlagsOpcode => return f(U(h.opcode().into())),
        F::DnsCountQueries => return f(U(h.qd.into())),
        F::DnsCountAnswers => return f(U(h.an.into())),
        F::DnsCountAuthRr => return f(U(h.ns.into())),
        F::DnsCountAddRr => return f(U(h.ar.into())),
        F::Dns => return f(Bytes(msg)),
        _ => {}
    }
    let m = dns::parse(msg).ok();
    if field == F::DnsFlagsRcode {
        return h.response() && f(U(dns::rcode(&h, m.as_ref()).into()));
    }
    let Some(m) = m else { return false };
    let mut records = m.answers().iter().chain(m.name_servers()).chain(m.additionals()).filter(|r| u16::from(r.record_type()) != 41);
    match field {
        F::DnsQryName => m.queries().iter().any(|q| f(S(&dns::name_text(q.name())))),
        F::DnsQryType => m.queries().iter().any(|q| f(U(u16::from(q.query_type()).into()))),
        F::DnsA => records.any(|r| matches!(r.data(), RData::A(a) if f(V4(u32::from(a.0))))),
        F::DnsAaaa => records.any(|r| matches!(r.data(), RData::AAAA(a) if f(V6(u128::from(a.0))))),
        F::DnsCname => records.any(|r| matches!(r.data(), RData::CNAME(n) if f(S(&dns::name_text(&n.0))))),
        F::DnsRespTtl => records.any(|r| f(U(r.ttl().into()))),
        _ => false,
    }
}

/// The values of DHCP field `field` in `p` (BOOTP's header fields, and the options tshark names).
fn dhcp_values(field: F, p: &Packet<'_>, f: &mut Visit<'_>) -> bool {
    use crate::decode::app::dhcp;
    use Val::*;
    let Some(crate::decode::app::App::Dhcp(b)) = crate::decode::app::of_packet(p) else { return false };
    match field {
        F::Dhcp => return f(Bytes(b)),
        F::DhcpId => {
            let id = b.get(4..8).filter(|_| b.len() >= dhcp::HEADER).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
            return id.is_some_and(|id| f(U(id.into())));
        }
        _ => {}
    }
    let Ok(d) = dhcp::parse(b) else { return false };
    let v4 = |a: std::net::Ipv4Addr| V4(u32::from(a));
    match field {
        F::DhcpType => f(U(d.op.into())),
        F::DhcpIpClient => f(v4(d.ciaddr)),
        F::DhcpIpYour => f(v4(d.yiaddr)),
        // The header's address, then the client identifier's when it is an Ethernet address
        // (option 61, type 1), as tshark adds both.
        F::DhcpHwMacAddr => {
            let header = <[u8; 6]>::try_from(d.chaddr.as_slice()).ok().filter(|_| d.htype == 1);
            let option = d.client_id.as_deref().and_then(|c| match c {
                [1, mac @ ..] => <[u8; 6]>::try_from(mac).ok(),
                _ => None,
            });
            header.is_some_and(|m| f(Mac(m))) || option.is_some_and(|m| f(Mac(m)))
        }
        F::DhcpOptionDhcp => d.msg_type.is_some_and(|t| f(U(t.into()))),
        F::DhcpOptionRequested => d.requested.is_some_and(|a| f(v4(a))),
        F::DhcpOptionServerId => d.server_id.is_some_and(|a| f(v4(a))),
        F::DhcpOptionHostname => d.hostname.as_deref().is_some_and(|h| f(S(h))),
        _ => false,
    }
}

/// The values of HTTP or TLS field `field` in message `m`, as tshark gives them on the frame that
/// completed the message (a request's or response's last segment, a hello's).
fn message_values(field: F, m: &crate::report::web::Message, f: &mut Visit<'_>) -> bool {
    use crate::report::web::Message::*;
    use Val::*;
    let text = |v: &Option<String>, f: &mut Visit<'_>| v.as_deref().is_some_and(|s| f(S(s)));
    match (field, m) {
        (F::Http, HttpRequest(_) | HttpResponse(_)) | (F::HttpRequest, HttpRequest(_)) | (F::HttpResponse, HttpResponse(_)) => {
            f(Present)
        }
        (F::HttpRequestMethod, HttpRequest(r)) => f(S(&r.method)),
        (F::HttpRequestUri, HttpRequest(r)) => f(S(&r.uri)),
        (F::HttpRequestVersion, HttpRequest(r)) => f(S(&r.version)),
        (F::HttpHost, HttpRequest(r)) => text(&r.host, f),
        (F::HttpUserAgent, HttpRequest(r)) => text(&r.user_agent, f),
        (F::HttpContentType, HttpRequest(r)) => text(&r.content_type, f),
        (F::HttpContentLength, HttpRequest(r)) => r.content_length.is_some_and(|n| f(U(n))),
        (F::HttpResponseVersion, HttpResponse(r)) => f(S(&r.version)),
        (F::HttpResponseCode, HttpResponse(r)) => f(U(r.code.into())),
        (F::HttpResponsePhrase, HttpResponse(r)) => f(S(&r.phrase)),
        (F::HttpContentType, HttpResponse(r)) => text(&r.content_type, f),
        (F::HttpContentLength, HttpResponse(r)) => r.content_length.is_some_and(|n| f(U(n))),
        (F::TlsHandshakeType, ClientHello(_)) => f(U(1)),
        (F::TlsHandshakeType, ServerHello(_)) => f(U(2)),
        (F::TlsHandshakeType, TlsHandshake(t)) => f(U((*t).into())),
        (F::TlsServerName, ClientHello(h)) => text(&h.server_name, f),
        (F::TlsAlpn, ClientHello(h)) => h.alpn.iter().any(|a| f(S(a))),
        (F::TlsAlpn, ServerHello(h)) => text(&h.alpn, f),
        (F::TlsHandshakeVersion, ClientHello(h)) => f(U(h.legacy_version.into())),
        (F::TlsHandshakeVersion, ServerHello(h)) => f(U(h.legacy_version.into())),
        (F::TlsSupportedVersion, ClientHello(h)) => h.versions.iter().any(|v| f(U((*v).into()))),
        (F::TlsSupportedVersion, ServerHello(h)) => h.supported_version.is_some_and(|v| f(U(v.into()))),
        (F::TlsCiphersuite, ClientHello(h)) => h.ciphers.iter().any(|c| f(U((*c).into()))),
        (F::TlsCiphersuite, ServerHello(h)) => f(U(h.cipher_id.into())),
        (F::TlsRecordVersion, TlsRecord(v)) => f(U((*v).into())),
        _ => false,
    }
}
