//! Names for numbers: EtherTypes, IP protocols, ICMP types and codes, well-known ports.
//!
//! Kept in one place so the line view, the layer view and JSON agree on every name.

/// Name of an EtherType, or None when unknown.
pub fn ethertype(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x8035 => "RARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x88a8 => "802.1ad",
        0x9100 => "QinQ",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x8863 => "PPPoE discovery",
        0x8864 => "PPPoE session",
        0x88cc => "LLDP",
        0x88e5 => "MACsec",
        0x88f7 => "PTP",
        0x8809 => "Slow protocols",
        0x888e => "EAPOL",
        0x9000 => "Loopback",
        _ => return None,
    })
}

/// Name of a PPP protocol, as tcpdump names it (`ppp-proto-0x...` when unknown).
pub fn ppp(p: u16) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Borrowed(match p {
        0x0021 => "IP",
        0x0057 => "IP6",
        0xc021 => "LCP",
        0xc023 => "PAP",
        0xc223 => "CHAP",
        0x8021 => "IPCP",
        0x8057 => "IP6CP",
        0x80fd => "CCP",
        0x0281 => "MPLS",
        _ => return std::borrow::Cow::Owned(format!("ppp-proto-{p:#x}")),
    })
}

/// Name of an IP protocol number, or None when unknown.
pub fn ip_proto(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        115 => "L2TP",
        132 => "SCTP",
        _ => return None,
    })
}

/// Name of an ICMPv4 type, as tcpdump and Wireshark describe it.
pub fn icmp_type(t: u8) -> &'static str {
    match t {
        0 => "echo reply",
        3 => "destination unreachable",
        4 => "source quench",
        5 => "redirect",
        8 => "echo request",
        9 => "router advertisement",
        10 => "router solicitation",
        11 => "time exceeded",
        12 => "parameter problem",
        13 => "timestamp request",
        14 => "timestamp reply",
        17 => "address mask request",
        18 => "address mask reply",
        42 => "extended echo request",
        43 => "extended echo reply",
        _ => "unknown ICMP type",
    }
}

/// Name of an ICMPv4 type and code: the code's own name where it has one, else the type's.
pub fn icmp(t: u8, code: u8) -> &'static str {
    match (t, code) {
        (3, 0) => "net unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "fragmentation needed",
        (3, 5) => "source route failed",
        (3, 6) => "destination network unknown",
        (3, 7) => "destination host unknown",
        (3, 9) => "network administratively prohibited",
        (3, 10) => "host administratively prohibited",
        (3, 13) => "communication administratively prohibited",
        (11, 0) => "time exceeded in transit",
        (11, 1) => "fragment reassembly time exceeded",
        _ => icmp_type(t),
    }
}

/// Name of an ICMPv6 type (RFC 4443, 4861).
pub fn icmpv6_type(t: u8) -> &'static str {
    match t {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        143 => "multicast listener report v2",
        _ => "unknown ICMPv6 type",
    }
}

/// Name of an ICMPv6 type and code: the code's own name where it has one, else the type's.
pub fn icmpv6(t: u8, code: u8) -> &'static str {
    match (t, code) {
        (1, 0) => "no route to destination",
        (1, 1) => "administratively prohibited",
        (1, 3) => "address unreachable",
        (1, 4) => "port unreachable",
        _ => icmpv6_type(t),
    }
}


/// The application protocol usually found on a port, as a hint (nothing is parsed).
pub fn app_for_port(port: u16) -> Option<&'static str> {
    Some(match port {
        20 | 21 => "FTP",
        22 => "SSH",
        23 => "Telnet",
        25 | 587 => "SMTP",
        53 | 5353 => "DNS",
        67 | 68 => "DHCP",
        69 => "TFTP",
        80 | 8000 | 8080 => "HTTP",
        110 => "POP3",
        123 => "NTP",
        137..=139 => "NetBIOS",
        143 => "IMAP",
        161 | 162 => "SNMP",
        179 => "BGP",
        389 => "LDAP",
        443 | 8443 => "TLS (HTTPS)",
        445 => "SMB",
        514 => "Syslog",
        546 | 547 => "DHCPv6",
        1812 | 1813 => "RADIUS",
        3306 => "MySQL",
        3389 => "RDP",
        4789 => "VXLAN",
        5060 => "SIP",
        5432 => "PostgreSQL",
        6379 => "Redis",
        _ => return None,
    })
}

/// Application hint for a flow: the well-known side of the two ports wins.
pub fn app_for_ports(sport: u16, dport: u16) -> Option<&'static str> {
    let (lo, hi) = if sport <= dport { (sport, dport) } else { (dport, sport) };
    app_for_port(lo).or_else(|| app_for_port(hi))
}

/// Name of an ARP operation.
pub fn arp_op(op: u16) -> &'static str {
    match op {
        1 => "request",
        2 => "reply",
        3 => "reverse request",
        4 => "reverse reply",
        8 => "inverse request",
        9 => "inverse reply",
        _ => "unknown",
    }
}

/// Name of a link type number.
pub fn linktype(l: u32) -> &'static str {
    match l {
        0 => "NULL",
        1 => "ETHERNET",
        101 => "RAW",
        108 => "LOOP",
        113 => "LINUX_SLL",
        228 => "IPV4",
        229 => "IPV6",
        276 => "LINUX_SLL2",
        105 => "IEEE802_11",
        127 => "IEEE802_11_RADIOTAP",
        119 => "IEEE802_11_PRISM",
        163 => "IEEE802_11_AVS",
        239 => "NFLOG",
        9 => "PPP",
        104 => "C_HDLC",
        _ => "unsupported",
    }
}

/// DSCP code point name.
pub fn dscp(d: u8) -> &'static str {
    match d {
        0 => "CS0 (default)",
        8 => "CS1",
        10 => "AF11",
        12 => "AF12",
        14 => "AF13",
        16 => "CS2",
        18 => "AF21",
        20 => "AF22",
        22 => "AF23",
        24 => "CS3",
        26 => "AF31",
        28 => "AF32",
        30 => "AF33",
        32 => "CS4",
        34 => "AF41",
        36 => "AF42",
        38 => "AF43",
        40 => "CS5",
        44 => "VOICE-ADMIT",
        46 => "EF",
        48 => "CS6",
        56 => "CS7",
        _ => "unassigned",
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A type is named for itself, whatever its code: a port unreachable is type 3,
    /// "destination unreachable", code 3, "port unreachable".
    #[test]
    fn types_are_named_apart_from_their_codes() {
        assert_eq!((icmp_type(3), icmp(3, 3)), ("destination unreachable", "port unreachable"));
        assert_eq!((icmp_type(3), icmp(3, 0)), ("destination unreachable", "net unreachable"));
        assert_eq!((icmp_type(11), icmp(11, 0)), ("time exceeded", "time exceeded in transit"));
        assert_eq!(icmp(3, 8), "destination unreachable");
        assert_eq!((icmpv6_type(1), icmpv6(1, 4)), ("destination unreachable", "port unreachable"));
        assert_eq!((icmpv6_type(1), icmpv6(1, 0)), ("destination unreachable", "no route to destination"));
        for t in 0..=255u8 {
            // Codes without a name of their own take the type's.
            assert_eq!(icmp(t, 200), icmp_type(t));
            assert_eq!(icmpv6(t, 200), icmpv6_type(t));
        }
    }
}
