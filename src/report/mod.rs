//! The report model: plain data that every renderer (text, tables, JSON) reads.
//!
//! Analyzers fill it; renderers never see packets' bytes or analyzer internals, so a new
//! output format is a new reader of these structs and nothing else.

pub mod alert;
pub mod app;
pub mod conn;
pub mod arp;
pub mod stats;
pub mod series;
pub mod traffic;
pub mod web;

pub use alert::{Alert, FloodStats, Notice};
pub use stats::Stats;

/// Something an analyzer noticed that is shown as it happens (and again in the summary).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Event {
    /// A problem with an input that ended its reading early (shown in the summary too).
    InputError(InputError),
    /// A change or anomaly in the ARP table.
    Arp(arp::ArpEvent),
    /// A SYN-flood alert opened or closed.
    Alert(Box<Alert>),
    /// A connection surge ended (a notice, of lower severity than an alert).
    Notice(Box<Notice>),
    /// A segment the SYN-flood detector acted on, kept for the merge of split captures'
    /// alerts (`--partial` only; no renderer shows it).
    FloodSeg(alert::FloodSeg),
    /// A connection left the tracker's table (Zeek conn.log record).
    Conn(Box<conn::ConnRecord>),
    /// A tunnel was discovered, closed or expired (Zeek tunnel.log record).
    Tunnel(Box<conn::TunnelRecord>),
    /// A protocol did what it should not (Zeek weird.log record).
    Weird(Box<Weird>),
    /// An application message completed by this frame: shown with the frame, not apart.
    Message(Box<web::Message>),
    /// An HTTP request and its response (Zeek http.log record).
    Http(Box<web::HttpRecord>),
    /// A TLS handshake's names (Zeek ssl.log record).
    Tls(Box<web::TlsRecord>),
    /// A DNS query and its answer, or a query never answered (Zeek dns.log record).
    Dns(Box<app::DnsRecord>),
    /// A DHCP exchange (Zeek dhcp.log record).
    Dhcp(Box<app::DhcpRecord>),
    /// An ICMP echo request and its reply, or a request never answered.
    IcmpEcho(Box<app::EchoRecord>),
}

/// Something a connection did that its protocol does not allow, or that is a sign of evasion,
/// with Zeek's weird.log fields and names (`rexmit_inconsistency`: bytes sent again with
/// different content).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Weird {
    /// When it was seen (seconds since the epoch).
    pub ts: f64,
    /// The connection's uid.
    pub uid: String,
    /// Originator's address.
    #[serde(rename = "id.orig_h")]
    pub orig_h: std::net::IpAddr,
    /// Originator's port.
    #[serde(rename = "id.orig_p")]
    pub orig_p: u16,
    /// Responder's address.
    #[serde(rename = "id.resp_h")]
    pub resp_h: std::net::IpAddr,
    /// Responder's port.
    #[serde(rename = "id.resp_p")]
    pub resp_p: u16,
    /// Zeek's name for it.
    pub name: &'static str,
    /// More about it.
    pub addl: String,
    /// The frame it was seen in.
    pub frame: u64,
}

/// An input that could not be read to its end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputError {
    /// The input's name.
    pub input: String,
    /// The one-line message.
    pub message: String,
}

/// Everything known at the end of a run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Counters over all packets.
    pub stats: Stats,
    /// Inputs that ended early, with why.
    pub errors: Vec<InputError>,
    /// The ARP table and its events, when the ARP analyzer ran.
    pub arp: Option<arp::ArpReport>,
    /// SYN-flood alerts, closed, in order of start.
    pub alerts: Vec<Alert>,
    /// Connection-surge notices, in order of start.
    pub notices: Vec<Notice>,
    /// What the flood detector's bounded tables had to forget (None when it did not run).
    pub flood: Option<FloodStats>,
    /// Connection totals and table (when the tracker ran).
    pub conns: Option<conn::ConnSummary>,
    /// What reassembling the TCP streams counted (when asked for).
    pub streams: Option<crate::analyze::stream::StreamTally>,
    /// HTTP and TLS counts (when the application layer found any).
    pub web: Option<web::WebSummary>,
    /// The application tables (DNS, DHCP, ping), when the capture had any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<app::AppReport>,
    /// Values over time for pictures and sparklines (when asked for: `--plot`, `report`).
    #[serde(skip)]
    pub series: Option<series::Series>,
}
