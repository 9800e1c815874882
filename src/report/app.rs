//! Application transactions as the report and the event stream carry them, with Zeek's log
//! field names (dns.log, dhcp.log) and a `uid` equal to the connection's conn.log uid.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

/// One DNS query and its answer (Zeek dns.log), or a query never answered.
#[derive(Debug, Clone, Serialize)]
pub struct DnsRecord {
    /// When the query was sent (seconds since the epoch).
    pub ts: f64,
    /// The connection's uid.
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
    /// `udp` or `tcp`.
    pub proto: &'static str,
    /// The message id that pairs them.
    pub trans_id: u16,
    /// Seconds from the query to the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<f64>,
    /// The name asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Its class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qclass: Option<u16>,
    /// Its class's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qclass_name: Option<String>,
    /// The type asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qtype: Option<u16>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qtype_name: Option<String>,
    /// The answer's response code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<u16>,
    /// Its name (NOERROR, NXDOMAIN, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode_name: Option<String>,
    /// Authoritative answer.
    #[serde(rename = "AA")]
    pub aa: bool,
    /// Truncated.
    #[serde(rename = "TC")]
    pub tc: bool,
    /// Recursion desired.
    #[serde(rename = "RD")]
    pub rd: bool,
    /// Recursion available.
    #[serde(rename = "RA")]
    pub ra: bool,
    /// The reserved bit.
    #[serde(rename = "Z")]
    pub z: u8,
    /// The answers' data (addresses, names, text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// Their TTLs in seconds.
    #[serde(rename = "TTLs", skip_serializing_if = "Vec::is_empty")]
    pub ttls: Vec<f64>,
    /// The server refused it (REFUSED).
    pub rejected: bool,
    /// Whether an answer came (false: unanswered at the end of the run).
    pub answered: bool,
    /// `dns`, `mdns` or `llmnr`.
    pub service: &'static str,
    /// The query's frame.
    pub frame: u64,
    /// The answer's frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_frame: Option<u64>,
    /// The query's place among all frames of the run (frame numbers restart with each input).
    #[serde(skip)]
    pub order: u64,
}

/// One DHCP exchange: the messages of one transaction id (Zeek dhcp.log).
#[derive(Debug, Clone, Serialize)]
pub struct DhcpRecord {
    /// Its first message's time.
    pub ts: f64,
    /// The uids of the connections its messages went over.
    pub uids: Vec<String>,
    /// The client's address, once it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<IpAddr>,
    /// The server's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_addr: Option<IpAddr>,
    /// The client's port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_port: Option<u16>,
    /// The server's port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_port: Option<u16>,
    /// The client's hardware address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The host name the client sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// The domain the server sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The address the client asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_addr: Option<Ipv4Addr>,
    /// The address the server acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_addr: Option<Ipv4Addr>,
    /// The lease in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_time: Option<f64>,
    /// The message types, in order (DISCOVER, OFFER, REQUEST, ACK).
    pub msg_types: Vec<String>,
    /// Seconds from the first message to the last.
    pub duration: f64,
    /// The transaction id.
    pub trans_id: u32,
    /// The frames of its messages.
    pub frames: Vec<u64>,
    /// Its first message's place among all frames of the run.
    #[serde(skip)]
    pub order: u64,
}

/// One ICMP echo request and its reply, or a request never answered.
#[derive(Debug, Clone, Serialize)]
pub struct EchoRecord {
    /// When the request was sent.
    pub ts: f64,
    /// The ICMP flow's uid.
    pub uid: String,
    /// Who pinged.
    #[serde(rename = "id.orig_h")]
    pub orig_h: IpAddr,
    /// Who was pinged.
    #[serde(rename = "id.resp_h")]
    pub resp_h: IpAddr,
    /// The echo identifier.
    pub ident: u16,
    /// The sequence number.
    pub seq: u16,
    /// When the reply came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_ts: Option<f64>,
    /// Seconds from request to reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<f64>,
    /// Whether a reply came.
    pub answered: bool,
    /// The request's frame.
    pub frame: u64,
    /// The reply's frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_frame: Option<u64>,
    /// The request's place among all frames of the run.
    #[serde(skip)]
    pub order: u64,
}

/// A row of a count table.
#[derive(Debug, Clone, Serialize)]
pub struct Counted {
    /// What is counted.
    pub what: String,
    /// How often.
    pub count: u64,
}

/// Round trips to one target.
#[derive(Debug, Clone, Serialize)]
pub struct PingStats {
    /// The target.
    pub target: IpAddr,
    /// Requests sent.
    pub sent: u64,
    /// Replies received.
    pub received: u64,
    /// Least, mean and greatest round trip in milliseconds (None without replies).
    pub min_ms: Option<f64>,
    /// Mean.
    pub avg_ms: Option<f64>,
    /// Greatest.
    pub max_ms: Option<f64>,
}

/// The application tables of the report, each empty when the capture had none of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppReport {
    /// DNS queries seen (answered or not).
    pub dns_queries: u64,
    /// Queries by name and type, most asked first (capped).
    pub dns_by_query: Vec<Counted>,
    /// Answers by response code.
    pub dns_rcodes: Vec<Counted>,
    /// The slowest answered queries, slowest first.
    pub dns_slowest: Vec<DnsRecord>,
    /// Queries never answered (the first ones, capped), and how many in all.
    pub dns_unanswered: Vec<DnsRecord>,
    /// How many queries were never answered.
    pub dns_unanswered_count: u64,
    /// Answers whose query was not seen.
    pub dns_orphans: u64,
    /// DHCP exchanges that leased an address.
    pub dhcp_leases: Vec<DhcpRecord>,
    /// DHCP exchanges in all.
    pub dhcp_exchanges: u64,
    /// Ping round trips per target.
    pub ping: Vec<PingStats>,
}

impl AppReport {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.dns_queries == 0 && self.dns_orphans == 0 && self.dhcp_exchanges == 0 && self.ping.is_empty()
    }
}
