//! Zeek's summary of a TCP connection (`conn_state`) as a pure function of its two endpoints, as
//! Zeek derives it from its own `TCP_Endpoint`s.

use crate::report::conn::ConnState;

/// An endpoint's state in Zeek's coarser terms, the inputs of `conn_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeekEnd {
    /// Sent nothing.
    Inactive,
    /// Sent a SYN, not established.
    SynSent,
    /// Sent a SYN-ACK without having seen a SYN.
    SynAckSent,
    /// Seen only mid-stream (no SYN from it).
    Partial,
    /// Handshake done.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// Zeek's `conn_state` for TCP, from the two endpoints (a pure function of its inputs).
/// `bytes` is whether any payload was seen either way; `syn_then_rst` whether the originator's
/// history is a SYN followed by a RST with no SYN-ACK, ACK, FIN or data in between.
pub fn conn_state(o: ZeekEnd, r: ZeekEnd, bytes: bool, syn_then_rst: bool) -> ConnState {
    use ZeekEnd::*;
    let o_inactive = matches!(o, Inactive | Partial);
    let r_inactive = matches!(r, Inactive | Partial);
    if r == Reset {
        if matches!(o, SynSent | SynAckSent) || (o == Reset && !bytes) {
            ConnState::REJ
        } else if o_inactive {
            ConnState::RSTRH
        } else {
            ConnState::RSTR
        }
    } else if o == Reset {
        if r_inactive {
            if syn_then_rst { ConnState::RSTOS0 } else { ConnState::OTH }
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

/// Zeek's `conn_state` for UDP: who sent anything.
pub fn udp_conn_state(orig_sent: bool, resp_sent: bool) -> ConnState {
    match (orig_sent, resp_sent) {
        (true, true) => ConnState::SF,
        (true, false) => ConnState::S0,
        (false, true) => ConnState::SHR,
        (false, false) => ConnState::OTH,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn zeek_states_table() {
        use ZeekEnd::*;
        assert_eq!(conn_state(SynSent, Inactive, false, false), ConnState::S0);
        assert_eq!(conn_state(Established, Established, true, false), ConnState::S1);
        assert_eq!(conn_state(Closed, Closed, true, false), ConnState::SF);
        assert_eq!(conn_state(SynSent, Reset, false, false), ConnState::REJ);
        assert_eq!(conn_state(Reset, Reset, false, false), ConnState::REJ);
        assert_eq!(conn_state(Reset, Reset, true, false), ConnState::RSTR);
        assert_eq!(conn_state(Closed, Established, true, false), ConnState::S2);
        assert_eq!(conn_state(Established, Closed, true, false), ConnState::S3);
        assert_eq!(conn_state(Reset, Established, true, false), ConnState::RSTO);
        assert_eq!(conn_state(Established, Reset, true, false), ConnState::RSTR);
        assert_eq!(conn_state(Reset, Inactive, false, true), ConnState::RSTOS0);
        assert_eq!(conn_state(Inactive, Reset, false, false), ConnState::RSTRH);
        assert_eq!(conn_state(Closed, Inactive, false, false), ConnState::SH);
        assert_eq!(conn_state(Inactive, Closed, false, false), ConnState::SHR);
        assert_eq!(conn_state(Partial, Partial, true, false), ConnState::OTH);
        assert_eq!(udp_conn_state(true, true), ConnState::SF);
        assert_eq!(udp_conn_state(true, false), ConnState::S0);
        assert_eq!(udp_conn_state(false, true), ConnState::SHR);
    }
}
