//! Connections as reported: one [`ConnRecord`] per TCP connection, UDP flow or ICMP flow, in
//! Zeek's conn.log vocabulary, and the [`ConnSummary`] every run ends with.
//!
//! Field names follow Zeek's conn.log (`id.orig_h`, `conn_state`, `history`, ...) so that JSON
//! output can be read by tools that know conn.log; the extra fields (`orig_state`, `resp_state`,
//! handshake round trips, retransmissions, why the connection left the table) come after them.

use std::net::IpAddr;

use serde::Serialize;

use crate::source::Ts;

/// An RFC 793 connection state of one endpoint, as an observer on the wire infers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum TcpState {
    /// No connection (nothing sent yet, or reset, or fully closed).
    #[default]
    #[serde(rename = "CLOSED")]
    Closed,
    /// Sent a SYN, waiting for the peer's SYN.
    #[serde(rename = "SYN_SENT")]
    SynSent,
    /// Answered a SYN with SYN-ACK, waiting for the ACK of it.
    #[serde(rename = "SYN_RCVD")]
    SynRcvd,
    /// Handshake done, data may flow both ways.
    #[serde(rename = "ESTABLISHED")]
    Established,
    /// Sent a FIN, not yet acknowledged.
    #[serde(rename = "FIN_WAIT_1")]
    FinWait1,
    /// Its FIN was acknowledged; waiting for the peer's FIN.
    #[serde(rename = "FIN_WAIT_2")]
    FinWait2,
    /// Acknowledged the peer's FIN; has not sent its own.
    #[serde(rename = "CLOSE_WAIT")]
    CloseWait,
    /// Both FINs crossed; waiting for the ACK of its own.
    #[serde(rename = "CLOSING")]
    Closing,
    /// Sent its FIN after the peer's; waiting for the last ACK.
    #[serde(rename = "LAST_ACK")]
    LastAck,
    /// Closed first and saw the peer's FIN: waits 2×MSL before forgetting the connection.
    #[serde(rename = "TIME_WAIT")]
    TimeWait,
}

impl TcpState {
    /// Every state, in RFC 793 order.
    pub const ALL: [TcpState; 10] = [
        TcpState::Closed,
        TcpState::SynSent,
        TcpState::SynRcvd,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// The RFC 793 name, as `SYN_RCVD`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRcvd => "SYN_RCVD",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
        }
    }

    /// The state named `s` (case-insensitive; `-` may stand for `_`, `SYN_RECEIVED` for `SYN_RCVD`).
    pub fn parse(s: &str) -> Option<TcpState> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        let up = match up.as_str() {
            "SYN_RECEIVED" => "SYN_RCVD".to_string(),
            "FIN_WAIT1" => "FIN_WAIT_1".to_string(),
            "FIN_WAIT2" => "FIN_WAIT_2".to_string(),
            _ => up,
        };
        TcpState::ALL.into_iter().find(|t| t.name() == up)
    }
}

impl std::fmt::Display for TcpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Zeek's `conn_state`: what became of a connection, from its two endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum ConnState {
    /// Connection attempt seen, no reply.
    S0,
    /// Connection established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected.
    REJ,
    /// Established, close attempt by originator seen (no reply from responder).
    S2,
    /// Established, close attempt by responder seen (no reply from originator).
    S3,
    /// Established, originator aborted (sent a RST).
    RSTO,
    /// Responder sent a RST.
    RSTR,
    /// Originator sent a SYN followed by a RST, no SYN-ACK seen.
    RSTOS0,
    /// Responder sent a SYN-ACK followed by a RST, no SYN seen from the originator.
    RSTRH,
    /// Originator sent a SYN followed by a FIN, no SYN-ACK seen (half open).
    SH,
    /// Responder sent a SYN-ACK followed by a FIN, no SYN seen from the originator.
    SHR,
    /// No SYN seen, just midstream traffic.
    OTH,
}

impl ConnState {
    /// Every value, in Zeek's documentation order.
    pub const ALL: [ConnState; 13] = [
        ConnState::S0,
        ConnState::S1,
        ConnState::SF,
        ConnState::REJ,
        ConnState::S2,
        ConnState::S3,
        ConnState::RSTO,
        ConnState::RSTR,
        ConnState::RSTOS0,
        ConnState::RSTRH,
        ConnState::SH,
        ConnState::SHR,
        ConnState::OTH,
    ];

    /// Zeek's name, as `REJ`.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }

    /// Zeek's description.
    pub fn meaning(self) -> &'static str {
        match self {
            ConnState::S0 => "connection attempt seen, no reply",
            ConnState::S1 => "connection established, not terminated",
            ConnState::SF => "normal establishment and termination",
            ConnState::REJ => "connection attempt rejected",
            ConnState::S2 => "established, close attempt by originator seen (no reply from responder)",
            ConnState::S3 => "established, close attempt by responder seen (no reply from originator)",
            ConnState::RSTO => "established, originator aborted (sent a RST)",
            ConnState::RSTR => "responder sent a RST",
            ConnState::RSTOS0 => "originator sent a SYN followed by a RST, no SYN-ACK seen",
            ConnState::RSTRH => "responder sent a SYN-ACK followed by a RST, no SYN seen from the originator",
            ConnState::SH => "originator sent a SYN followed by a FIN, no SYN-ACK seen (half open)",
            ConnState::SHR => "responder sent a SYN-ACK followed by a FIN, no SYN seen from the originator",
            ConnState::OTH => "no SYN seen, just midstream traffic",
        }
    }

    /// Its place in [`ConnState::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The state named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<ConnState> {
        let up = s.trim().to_ascii_uppercase();
        ConnState::ALL.into_iter().find(|c| c.name() == up)
    }
}

impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a connection left the tracker's table (or `open`: it is still in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// The input ended with it still in the table.
    EndOfInput,
    /// A live capture stopped (a signal, `-c`, `--duration`) with it still in the table.
    CaptureStopped,
    /// Its TIME_WAIT ran out.
    TimeWaitExpired,
    /// An unanswered SYN waited too long.
    SynTimeout,
    /// A half-open or half-closed connection stayed idle too long.
    HalfOpenTimeout,
    /// An established connection stayed idle too long.
    IdleTimeout,
    /// A UDP flow stayed idle too long.
    UdpTimeout,
    /// An ICMP flow stayed idle too long.
    IcmpTimeout,
    /// The table was full and it was the longest idle.
    Evicted,
    /// A new SYN on the same ports started a new connection.
    Reused,
    /// Still in the table (a live snapshot).
    Open,
}

impl End {
    /// The ways of leaving the table, in the order the summary lists them.
    pub const LEFT: [End; 10] = [
        End::EndOfInput,
        End::CaptureStopped,
        End::TimeWaitExpired,
        End::SynTimeout,
        End::HalfOpenTimeout,
        End::IdleTimeout,
        End::UdpTimeout,
        End::IcmpTimeout,
        End::Evicted,
        End::Reused,
    ];

    /// The name, as `time_wait_expired`.
    pub fn name(self) -> &'static str {
        match self {
            End::EndOfInput => "end_of_input",
            End::CaptureStopped => "capture_stopped",
            End::TimeWaitExpired => "time_wait_expired",
            End::SynTimeout => "syn_timeout",
            End::HalfOpenTimeout => "half_open_timeout",
            End::IdleTimeout => "idle_timeout",
            End::UdpTimeout => "udp_timeout",
            End::IcmpTimeout => "icmp_timeout",
            End::Evicted => "evicted",
            End::Reused => "reused",
            End::Open => "open",
        }
    }

    /// Its place in [`End::LEFT`] (`Open` after them).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One state change of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Transition {
    /// Seconds since the connection's first packet.
    pub t: f64,
    /// `orig` or `resp`.
    pub end: &'static str,
    /// The state left.
    pub from: TcpState,
    /// The state entered.
    pub to: TcpState,
}

/// One connection (TCP) or flow (UDP, ICMP), with Zeek conn.log field names. For ICMP the
/// ports are Zeek's: the message type, and the counterpart type of a request or reply (else the
/// code).
#[derive(Debug, Clone, Serialize)]
pub struct ConnRecord {
    /// Time of the first packet (seconds since the epoch).
    pub ts: f64,
    /// Deterministic connection id: the same packets always give the same uid.
    pub uid: String,
    /// Originator's address.
    #[serde(rename = "id.orig_h")]
    pub orig_h: IpAddr,
    /// Originator's port.
    #[serde(rename = "id.orig_p")]
    pub orig_p: u16,
    /// Responder's address.
    #[serde(rename = "id.resp_h")]
    pub resp_h: IpAddr,
    /// Responder's port.
    #[serde(rename = "id.resp_p")]
    pub resp_p: u16,
    /// `tcp`, `udp` or `icmp` (ICMPv6 too, as Zeek logs it).
    pub proto: &'static str,
    /// What the connection carries, found from its content (Zeek's `service`: `dns`, `dhcp`, `http`, `ssl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
    /// Seconds from the first to the last packet.
    pub duration: f64,
    /// Payload bytes the originator sent (retransmitted segments not counted again).
    pub orig_bytes: u64,
    /// Payload bytes the responder sent (retransmitted segments not counted again).
    pub resp_bytes: u64,
    /// Zeek's summary of the connection.
    pub conn_state: ConnState,
    /// Bytes acknowledged but never seen (content gaps, both ways; Zeek's `missed_bytes`).
    pub missed_bytes: u64,
    /// Zeek's history letters: upper case from the originator, lower case from the responder.
    pub history: String,
    /// Packets from the originator.
    pub orig_pkts: u64,
    /// IP-level bytes from the originator (IP header included).
    pub orig_ip_bytes: u64,
    /// Packets from the responder.
    pub resp_pkts: u64,
    /// IP-level bytes from the responder.
    pub resp_ip_bytes: u64,
    /// Zeek's `tunnel_parents`: the uids of the tunnels the connection came through (each the
    /// uid of its tunnel record, and of the outer connection for a tunnel over UDP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tunnel_parents: Vec<String>,
    /// Originator's RFC 793 state at the end (TCP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_state: Option<TcpState>,
    /// Responder's RFC 793 state at the end (TCP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resp_state: Option<TcpState>,
    /// Frame bytes on the wire from the originator (what tshark's conversations count).
    pub orig_frame_bytes: u64,
    /// Frame bytes on the wire from the responder.
    pub resp_frame_bytes: u64,
    /// Retransmitted segments from the originator (TCP).
    pub orig_retrans: u32,
    /// Retransmitted segments from the responder (TCP).
    pub resp_retrans: u32,
    /// Seconds from the SYN to the SYN-ACK, when both were seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_syn_synack: Option<f64>,
    /// Seconds from the SYN-ACK to the originator's ACK of it, when both were seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_synack_ack: Option<f64>,
    /// The connection was already open when the capture began: the originator is a guess.
    pub mid_stream: bool,
    /// Why the connection left the table (`open` in a live snapshot).
    pub end: End,
    /// `read --partial --next`: it was open at the end of the inputs and went on in the next
    /// one, whose own run reports that part again, begun mid-stream (a merge drops it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub continued: bool,
    /// Each endpoint's state changes (kept with `-V`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Transition>,
    /// Start time, for sorting and display.
    #[serde(skip)]
    pub start: Ts,
    /// The last packet's time (`ts` + `duration`, exactly).
    #[serde(skip)]
    pub last: Ts,
}

/// What happened to a tunnel (Zeek's `Tunnel::Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TunnelAction {
    /// A tunnel carried its first connection.
    #[serde(rename = "Tunnel::DISCOVER")]
    Discover,
    /// The tunnel's own connection (the outer UDP flow) ended.
    #[serde(rename = "Tunnel::CLOSE")]
    Close,
    /// An IP tunnel carried nothing for `Tunnel::expiration_interval` (an hour).
    #[serde(rename = "Tunnel::EXPIRE")]
    Expire,
}

/// One line of Zeek's tunnel.log: a tunnel discovered, closed or expired.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelRecord {
    /// When it happened (seconds since the epoch).
    pub ts: f64,
    /// The tunnel's uid: the outer connection's for a tunnel over UDP, its own for IP in IP and
    /// GRE; inner connections name it in `tunnel_parents`.
    pub uid: String,
    /// The tunnel's originator: the outer connection's, or the first packet's sender.
    #[serde(rename = "id.orig_h")]
    pub orig_h: IpAddr,
    /// Its port (0 for IP in IP and GRE).
    #[serde(rename = "id.orig_p")]
    pub orig_p: u16,
    /// The other end.
    #[serde(rename = "id.resp_h")]
    pub resp_h: IpAddr,
    /// Its port (0 for IP in IP and GRE).
    #[serde(rename = "id.resp_p")]
    pub resp_p: u16,
    /// Zeek's tunnel type, as `Tunnel::VXLAN`.
    pub tunnel_type: crate::decode::encap::TunnelKind,
    /// What happened.
    pub action: TunnelAction,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Connection totals and the table of connections at the end of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnSummary {
    /// TCP connections reported.
    pub tcp: u64,
    /// UDP flows reported.
    pub udp: u64,
    /// ICMP flows reported.
    #[serde(skip_serializing_if = "is_zero")]
    pub icmp: u64,
    /// Connections per `conn_state`, over all connections (filters do not apply).
    pub by_state: Vec<(ConnState, u64)>,
    /// Connections that left the table per reason.
    pub by_end: Vec<(End, u64)>,
    /// Connections evicted because the table was full.
    pub evicted: u64,
    /// The table's cap.
    pub max_conns: usize,
    /// Most connections tracked at once.
    pub peak: usize,
    /// Connections that passed the table filters.
    pub matched: u64,
    /// Rows kept for the table (the earliest-starting `max_rows` of the matched), by start.
    pub rows: Vec<ConnRecord>,
    /// The row cap.
    pub max_rows: usize,
    /// The filters in force, as the user gave them (empty when none).
    pub filter: String,
    /// The connections that passed the filters, per service (`-z service`; in a live
    /// snapshot, only those that have left the table).
    #[serde(skip)]
    pub services: crate::report::traffic::Services,
}
