//! Zeek's rules for connection records, each a pure function, so that `inspect`'s conn.log
//! agrees with Zeek's: the endpoint states Zeek keeps beside RFC 793's and the `conn_state` it
//! derives from them (`conn_state` in `scripts/base/protocols/conn/main.zeek`), which end of a
//! new connection it takes for the originator (`WantConnection` in
//! `src/packet_analysis/protocol/tcp/TCP.cc` and `udp/UDP.cc`, with `likely_server_ports`), and
//! the history pattern of `RSTOS0`.

use crate::decode::key::{IPPROTO_TCP, IPPROTO_UDP};
use crate::report::conn::ConnState;

/// A TCP endpoint's state as Zeek keeps it (`TCP_ENDPOINT_*` in `TCP_Endpoint.h`): coarser than
/// RFC 793's, moved by what the endpoint itself sends (`UpdateStateMachine` in
/// `TCPSessionAdapter.cc`), and the input of `conn_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum ZState {
    /// Sent nothing yet.
    #[default]
    Inactive = 0,
    /// Sent a SYN.
    SynSent = 1,
    /// Sent a SYN-ACK as the originator (the SYN was not seen).
    SynAckSent = 2,
    /// Seen only mid-stream: no SYN from it.
    Partial = 3,
    /// The handshake was seen (a SYN-ACK from the responder, or an ACK after one).
    Established = 4,
    /// Sent a FIN.
    Closed = 5,
    /// Sent a RST.
    Reset = 6,
}

/// Zeek's `conn_state` for TCP from the two endpoints' states; `sizes_zero` is whether neither
/// end sent payload, `history` the connection's history letters (the `RSTOS0` pattern reads it).
pub fn conn_state(o: ZState, r: ZState, sizes_zero: bool, history: &[u8]) -> ConnState {
    use ZState::*;
    let o_inactive = matches!(o, Inactive | Partial);
    let r_inactive = matches!(r, Inactive | Partial);
    if r == Reset {
        if matches!(o, SynSent | SynAckSent) || (o == Reset && sizes_zero) {
            ConnState::REJ
        } else if o_inactive {
            ConnState::RSTRH
        } else {
            ConnState::RSTR
        }
    } else if o == Reset {
        if r_inactive {
            if syn_then_rst(history) { ConnState::RSTOS0 } else { ConnState::OTH }
        } else {
            ConnState::RSTO
        }
    } else if o == Closed && r == Closed {
        ConnState::SF
    } else if o == Closed {
        if r_inactive { ConnState::SH } else { ConnState::S2 }
    } else if r == Closed {
        if o_inactive { ConnState::SHR } else { ConnState::S3 }
    } else if o == SynSent && r == Inactive {
        ConnState::S0
    } else if o == Established && r == Established {
        ConnState::S1
    } else {
        ConnState::OTH
    }
}

/// Whether a history is Zeek's `RSTOS0` pattern, `^?S[^HAFGIQ]*R.*`, matched whole: an optional
/// flip, the originator's SYN, then its RST with no SYN-ACK, ACK, FIN, gap or odd flags from it
/// in between.
fn syn_then_rst(history: &[u8]) -> bool {
    let h = history.strip_prefix(b"^").unwrap_or(history);
    let Some(rest) = h.strip_prefix(b"S") else { return false };
    for &c in rest {
        match c {
            b'R' => return true,
            b'H' | b'A' | b'F' | b'G' | b'I' | b'Q' => return false,
            _ => {}
        }
    }
    false
}

/// Zeek's `conn_state` for UDP: who sent anything.
pub fn udp_conn_state(orig_sent: bool, resp_sent: bool) -> ConnState {
    match (orig_sent, resp_sent) {
        (true, true) => ConnState::SF,
        (true, false) => ConnState::S0,
        (false, true) => ConnState::SHR,
        (false, false) => ConnState::OTH,
    }
}

/// Whether `port` of protocol `proto` is in Zeek's `likely_server_ports`: the ports its base
/// protocol scripts register as server ports (`Analyzer::register_for_ports`, and the `redef
/// likely_server_ports` of the DNS, HTTP, SSL/DTLS, SSH, SMTP, FTP, IRC, POP3, IMAP, SMB,
/// DCE-RPC, Kerberos, LDAP, NTP, DHCP, SNMP, Syslog, SIP, RADIUS, RDP, SOCKS, XMPP, Modbus,
/// DNP3, MQTT, Redis, PostgreSQL, Finger scripts and of the tunnel decoders), as `zeek -r`
/// loads them by default.
pub fn likely_server_port(proto: u8, port: u16) -> bool {
    match proto {
        IPPROTO_TCP => matches!(
            port,
            21 | 22 | 25 | 53 | 79 | 80 | 81 | 88 | 110 | 135 | 139 | 143 | 389 | 443 | 445 | 465 | 502 | 563 | 585
                | 587 | 614 | 631 | 636 | 989 | 990 | 992 | 993 | 995 | 1080 | 1883 | 2811 | 3128 | 3268 | 3389
                | 5222 | 5223 | 5269 | 5432 | 6379 | 6666..=6669 | 8000 | 8080 | 8888 | 20000
        ),
        IPPROTO_UDP => matches!(
            port,
            53 | 67 | 88 | 123 | 137 | 161 | 162 | 389 | 443 | 514 | 1812 | 2123 | 2152 | 3544 | 4789 | 5060 | 5072
                | 5353 | 5355 | 6081 | 20000
        ),
        _ => false,
    }
}

/// Whether a UDP flow between ports `a` and `b` gets Zeek's DNS analyzer, and with it the DNS
/// session timer: its responder's port is one of `DNS::ports` (53, 137, 5353, 5355,
/// `Analyzer::register_for_ports` in `base/protocols/dns/main.zeek`). Either port is taken: a
/// flow from one of them is flipped so that it is the responder's ([`flip_first`]).
pub fn dns_ports(a: u16, b: u16) -> bool {
    matches!(a, 53 | 137 | 5353 | 5355) || matches!(b, 53 | 137 | 5353 | 5355)
}

/// Whether Zeek's DNS analyzer has removed a UDP connection that began at `start_ns` and last
/// had a packet at `last_ns` by the time a packet of it comes at `now_ns`, the frame before that
/// one at `prev_ns` (`DNS_Analyzer::ExpireTimer`): its timer runs `timeout_ns`
/// (`dns_session_timeout`) after the start and again `timeout_ns` after each run, and a run that
/// finds the connection idle for `timeout_ns` less a second removes it. Zeek runs the timers due
/// when a frame's time passes them, before the frame (`dispatch_packet`), at that frame's time:
/// here the runs up to `prev_ns` are taken on time (frames of other flows kept the clock going)
/// and the one due after it at `now_ns`.
pub fn dns_session_over(start_ns: i64, last_ns: i64, prev_ns: i64, now_ns: i64, timeout_ns: i64) -> bool {
    if timeout_ns <= 0 {
        return false;
    }
    let idle = timeout_ns.saturating_sub(1_000_000_000).max(0);
    // The first run at or after `at`.
    let run = |at: i64| {
        let k = (at.saturating_sub(start_ns).max(1) + timeout_ns - 1) / timeout_ns;
        start_ns.saturating_add(k.saturating_mul(timeout_ns))
    };
    run(last_ns.saturating_add(idle)) <= prev_ns || (run(prev_ns.saturating_add(1)) <= now_ns && now_ns.saturating_sub(last_ns) >= idle)
}

/// Whether Zeek makes the receiver of a connection's first packet its originator (and notes
/// `^` in the history): the packet came from a likely server port (`WantConnection`). For TCP
/// only a packet other than a plain SYN can be flipped, and when both ports are likely server
/// ports only one without SYN, towards the higher port. `to_broadcast` is whether the packet
/// went to the IPv4 broadcast address, which is never made an originator.
pub fn flip_first(proto: u8, tcp_flags: u8, sport: u16, dport: u16, to_broadcast: bool) -> bool {
    use crate::decode::tcpflag::{ACK, SYN};
    if to_broadcast {
        return false;
    }
    match proto {
        IPPROTO_TCP => {
            let plain_syn = tcp_flags & (SYN | ACK) == SYN;
            if plain_syn || !likely_server_port(proto, sport) {
                false
            } else if likely_server_port(proto, dport) {
                tcp_flags & SYN == 0 && sport < dport
            } else {
                true
            }
        }
        IPPROTO_UDP => likely_server_port(proto, sport) && !likely_server_port(proto, dport),
        _ => false,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// `DNS_Analyzer::ExpireTimer` with Zeek's 10 s: runs at 10, 20, 30 s after the start.
    #[test]
    fn dns_session_timer_runs() {
        let s = 1_000_000_000i64;
        // Alone in the trace: the run due at 10 s comes with the packet, which is 9 s late.
        assert!(!dns_session_over(0, s / 100, s / 100, 8 * s, 10 * s));
        assert!(dns_session_over(0, 8 * s, 8 * s, 19 * s, 10 * s));
        assert!(!dns_session_over(0, 8 * s, 8 * s, 16 * s, 10 * s));
        // With frames all along, the run at 10 s found 2 s idle and the next is due at 20 s.
        assert!(!dns_session_over(0, 8 * s, 17 * s, 17 * s + s / 2, 10 * s));
        assert!(dns_session_over(0, 8 * s, 20 * s, 20 * s + s / 2, 10 * s));
        // Not before the first run.
        assert!(!dns_session_over(0, 0, 0, 9 * s, 10 * s));
        assert!(dns_session_over(0, 0, 0, 10 * s, 10 * s));
    }

    #[test]
    fn zeek_states_table() {
        use ZState::*;
        assert_eq!(conn_state(SynSent, Inactive, true, b"S"), ConnState::S0);
        assert_eq!(conn_state(Established, Established, false, b"ShAD"), ConnState::S1);
        assert_eq!(conn_state(Closed, Closed, false, b"ShADFf"), ConnState::SF);
        assert_eq!(conn_state(SynSent, Reset, true, b"Sr"), ConnState::REJ);
        assert_eq!(conn_state(Reset, Reset, true, b"ShRr"), ConnState::REJ);
        assert_eq!(conn_state(Reset, Reset, false, b"ShADRr"), ConnState::RSTR);
        assert_eq!(conn_state(Closed, Established, false, b"ShADF"), ConnState::S2);
        assert_eq!(conn_state(Established, Closed, false, b"ShADf"), ConnState::S3);
        assert_eq!(conn_state(Reset, Established, false, b"ShADR"), ConnState::RSTO);
        assert_eq!(conn_state(Established, Reset, false, b"ShADr"), ConnState::RSTR);
        assert_eq!(conn_state(Reset, Inactive, true, b"SR"), ConnState::RSTOS0);
        assert_eq!(conn_state(Reset, Inactive, true, b"^SR"), ConnState::RSTOS0);
        assert_eq!(conn_state(Reset, Inactive, true, b"DR"), ConnState::OTH);
        assert_eq!(conn_state(Reset, Inactive, true, b"SFR"), ConnState::OTH);
        assert_eq!(conn_state(Inactive, Reset, true, b"^r"), ConnState::RSTRH);
        assert_eq!(conn_state(Closed, Inactive, true, b"SF"), ConnState::SH);
        assert_eq!(conn_state(Inactive, Closed, true, b"^hf"), ConnState::SHR);
        assert_eq!(conn_state(Partial, Partial, false, b"Dd"), ConnState::OTH);
        // A SYN-ACK first, from the side Zeek made the originator (not flipped).
        assert_eq!(conn_state(SynAckSent, Inactive, true, b"H"), ConnState::OTH);
        assert_eq!(udp_conn_state(true, true), ConnState::SF);
        assert_eq!(udp_conn_state(true, false), ConnState::S0);
        assert_eq!(udp_conn_state(false, true), ConnState::SHR);
    }

    #[test]
    fn rstos0_pattern_is_zeeks() {
        for (h, want) in [
            ("SR", true),
            ("^SR", true),
            ("SaR", true),
            ("STR", true),
            ("SRr", true),
            ("ShR", true),
            ("SHR", false),
            ("SAR", false),
            ("SFR", false),
            ("SGR", false),
            ("SIR", false),
            ("SQR", false),
            ("R", false),
            ("S", false),
            ("^^SR", false),
        ] {
            assert_eq!(syn_then_rst(h.as_bytes()), want, "{h}");
        }
    }

    /// `WantConnection`: a plain SYN is never flipped; a SYN-ACK or mid-stream packet from a
    /// likely server port to another port is; between two likely server ports only a packet
    /// without SYN towards the higher port; UDP from a likely server port to another port.
    #[test]
    fn first_packet_flips_as_zeek_decides() {
        use crate::decode::tcpflag::{ACK, FIN, PSH, SYN};
        assert!(!flip_first(IPPROTO_TCP, SYN, 80, 40000, false));
        assert!(flip_first(IPPROTO_TCP, SYN | ACK, 80, 40000, false));
        assert!(flip_first(IPPROTO_TCP, PSH | ACK, 443, 40000, false));
        assert!(flip_first(IPPROTO_TCP, FIN | ACK, 22, 51000, false));
        assert!(!flip_first(IPPROTO_TCP, SYN | ACK, 40000, 80, false));
        assert!(!flip_first(IPPROTO_TCP, ACK, 40000, 41000, false));
        assert!(!flip_first(IPPROTO_TCP, SYN | ACK, 80, 6669, false));
        assert!(flip_first(IPPROTO_TCP, ACK, 80, 6669, false));
        assert!(!flip_first(IPPROTO_TCP, ACK, 6669, 80, false));
        assert!(flip_first(IPPROTO_UDP, 0, 53, 33000, false));
        assert!(!flip_first(IPPROTO_UDP, 0, 53, 53, false));
        assert!(!flip_first(IPPROTO_UDP, 0, 33000, 53, false));
        assert!(!flip_first(IPPROTO_UDP, 0, 67, 68, true));
        assert!(flip_first(IPPROTO_UDP, 0, 67, 68, false));
    }
}
