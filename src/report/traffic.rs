//! The statistics tables of `inspect stats` as plain rows, in the JSON shapes users script
//! against (`{"event_type":"phs",...}`, `"conv"`, `"endpoint"`, `"io"`), so text, TSV, JSON,
//! plots and the HTML report all read the same numbers.

use std::ops::Range;

use serde::Serialize;

/// One node of the protocol hierarchy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PhsRow {
    /// Always "phs".
    pub event_type: &'static str,
    /// The protocols from the outermost, as tshark's `frame.protocols` spells them
    /// (`eth:ethertype:ip:tcp`).
    pub path: String,
    /// Frames whose protocols start with this path.
    pub frames: u64,
    /// Their bytes on the wire.
    pub bytes: u64,
}

/// One conversation; A is the side tshark lists first (the one that sent its first frame).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConvRow {
    /// Always "conv".
    pub event_type: &'static str,
    /// eth, ip, ipv6, tcp or udp.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A's address.
    pub addr_a: String,
    /// A's port (tcp and udp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_a: Option<u16>,
    /// B's address.
    pub addr_b: String,
    /// B's port (tcp and udp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_b: Option<u16>,
    /// Frames from A to B.
    pub frames_ab: u64,
    /// Their bytes.
    pub bytes_ab: u64,
    /// Frames from B to A.
    pub frames_ba: u64,
    /// Their bytes.
    pub bytes_ba: u64,
    /// Seconds from the capture's first frame to the conversation's.
    pub rel_start: f64,
    /// Seconds from its first frame to its last.
    pub duration: f64,
}

impl ConvRow {
    /// Frames both ways.
    pub fn frames(&self) -> u64 {
        self.frames_ab + self.frames_ba
    }

    /// Bytes both ways.
    pub fn bytes(&self) -> u64 {
        self.bytes_ab + self.bytes_ba
    }
}

/// One endpoint.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EndpointRow {
    /// Always "endpoint".
    pub event_type: &'static str,
    /// eth, ip, ipv6, tcp or udp.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The address.
    pub addr: String,
    /// The port (tcp and udp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Frames sent.
    pub tx_frames: u64,
    /// Their bytes.
    pub tx_bytes: u64,
    /// Frames received.
    pub rx_frames: u64,
    /// Their bytes.
    pub rx_bytes: u64,
}

impl EndpointRow {
    /// Frames sent and received.
    pub fn frames(&self) -> u64 {
        self.tx_frames + self.rx_frames
    }

    /// Bytes sent and received.
    pub fn bytes(&self) -> u64 {
        self.tx_bytes + self.rx_bytes
    }
}

/// Frames and bytes of one interval that passed one filter.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IoRow {
    /// Always "io".
    pub event_type: &'static str,
    /// Seconds from the capture's first frame to the interval's start.
    pub interval_start: f64,
    /// The display filter of the column ("" for every frame).
    pub filter: String,
    /// Frames in the interval that passed it.
    pub frames: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Frames and bytes to or from one service port (the lower of a packet's two ports).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PortRow {
    /// Always "port".
    pub event_type: &'static str,
    /// tcp or udp.
    pub transport: &'static str,
    /// The port.
    pub port: u16,
    /// Frames.
    pub frames: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// `-z io,stat`: the interval and one column per filter.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IoTable {
    /// Interval length in seconds.
    pub interval: f64,
    /// The columns' filters ("" for every frame).
    pub filters: Vec<String>,
    /// Per column, frames and bytes of each interval from the first frame's.
    pub columns: Vec<Vec<(u64, u64)>>,
}

impl IoTable {
    /// The rows, interval by interval, column by column.
    pub fn rows(&self) -> Vec<IoRow> {
        let n = self.columns.iter().map(Vec::len).max().unwrap_or(0);
        let mut out = Vec::with_capacity(n * self.filters.len());
        for i in 0..n {
            for (f, col) in self.filters.iter().zip(&self.columns) {
                let (frames, bytes) = col.get(i).copied().unwrap_or((0, 0));
                out.push(IoRow { event_type: "io", interval_start: i as f64 * self.interval, filter: f.clone(), frames, bytes });
            }
        }
        out
    }
}

/// Everything `inspect stats` counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrafficReport {
    /// Frames read.
    pub frames: u64,
    /// Their bytes on the wire.
    pub bytes: u64,
    /// Seconds from the first frame to the last.
    pub duration: f64,
    /// Capture time of the first frame (seconds since the epoch).
    pub start: Option<f64>,
    /// The protocol hierarchy, parents before children.
    pub phs: Vec<PhsRow>,
    /// Conversation tables, in the order asked for: the kind and its rows, most frames first.
    pub conv: Vec<(&'static str, Vec<ConvRow>)>,
    /// Endpoint tables, likewise.
    pub endpoints: Vec<(&'static str, Vec<EndpointRow>)>,
    /// Frames per interval.
    pub io: Option<IoTable>,
    /// Busiest service ports, most frames first.
    pub ports: Vec<PortRow>,
    /// Busiest IP addresses, most bytes first.
    pub talkers: Vec<EndpointRow>,
    /// The overview (no -z): its IP endpoints are shown as talkers, its frames per second as
    /// a sparkline only.
    #[serde(skip)]
    pub overview: bool,
    /// Shown after `read`'s report (`read -z`), which has the frame counts already.
    #[serde(skip)]
    pub after_read: bool,
}

/// Conversation and endpoint tables handed over a row at a time, so that a table of a million
/// conversations is written without a million rows of text held: the report's own rows, or
/// rows made one by one from the counters (`inspect stats`).
pub trait Tables {
    /// The kinds of the conversation tables, in the order asked for.
    fn conv_kinds(&self) -> Vec<&'static str>;
    /// How many rows conversation table `table` has.
    fn conv_rows(&self, table: usize) -> usize;
    /// Hands rows `rows` of conversation table `table` to `f` in order, stopping at an error
    /// (parts of a table can so be made on several threads).
    fn each_conv_in(&self, table: usize, rows: Range<usize>, f: &mut dyn FnMut(&ConvRow) -> std::io::Result<()>) -> std::io::Result<()>;
    /// Hands every row of conversation table `table` to `f` in order.
    fn each_conv(&self, table: usize, f: &mut dyn FnMut(&ConvRow) -> std::io::Result<()>) -> std::io::Result<()> {
        self.each_conv_in(table, 0..self.conv_rows(table), f)
    }
    /// The kinds of the endpoint tables.
    fn endpoint_kinds(&self) -> Vec<&'static str>;
    /// How many rows endpoint table `table` has.
    fn endpoint_rows(&self, table: usize) -> usize;
    /// Hands rows `rows` of endpoint table `table` to `f` in order.
    fn each_endpoint_in(&self, table: usize, rows: Range<usize>, f: &mut dyn FnMut(&EndpointRow) -> std::io::Result<()>) -> std::io::Result<()>;
    /// Hands every row of endpoint table `table` to `f` in order.
    fn each_endpoint(&self, table: usize, f: &mut dyn FnMut(&EndpointRow) -> std::io::Result<()>) -> std::io::Result<()> {
        self.each_endpoint_in(table, 0..self.endpoint_rows(table), f)
    }
}

impl Tables for TrafficReport {
    fn conv_kinds(&self) -> Vec<&'static str> {
        self.conv.iter().map(|(k, _)| *k).collect()
    }

    fn conv_rows(&self, table: usize) -> usize {
        self.conv.get(table).map_or(0, |(_, rows)| rows.len())
    }

    fn each_conv_in(&self, table: usize, rows: Range<usize>, f: &mut dyn FnMut(&ConvRow) -> std::io::Result<()>) -> std::io::Result<()> {
        self.conv.get(table).and_then(|(_, all)| all.get(rows)).map_or(Ok(()), |rows| rows.iter().try_for_each(f))
    }

    fn endpoint_kinds(&self) -> Vec<&'static str> {
        self.endpoints.iter().map(|(k, _)| *k).collect()
    }

    fn endpoint_rows(&self, table: usize) -> usize {
        self.endpoints.get(table).map_or(0, |(_, rows)| rows.len())
    }

    fn each_endpoint_in(&self, table: usize, rows: Range<usize>, f: &mut dyn FnMut(&EndpointRow) -> std::io::Result<()>) -> std::io::Result<()> {
        self.endpoints.get(table).and_then(|(_, all)| all.get(rows)).map_or(Ok(()), |rows| rows.iter().try_for_each(f))
    }
}

/// Connections, packets and bytes of one application service, as the connections' records
/// name it (`-z service`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServiceRow {
    /// Always "service".
    pub event_type: &'static str,
    /// conn.log's `service` (`dns`, `http`, `ssl,http` ...), `-` for none found.
    pub service: &'static str,
    /// Connections.
    pub conns: u64,
    /// Their packets both ways.
    pub packets: u64,
    /// Their IP bytes both ways (conn.log's `orig_ip_bytes` + `resp_ip_bytes`).
    pub bytes: u64,
}

/// The per-service counts of a run's connections.
#[derive(Debug, Clone, Default)]
pub struct Services {
    rows: Vec<ServiceRow>,
}

impl Services {
    /// Counts `conns` connections of service `service` (None: none found), with their
    /// packets and IP bytes both ways.
    pub fn add_counts(&mut self, service: Option<&'static str>, conns: u64, packets: u64, bytes: u64) {
        let service = service.unwrap_or("-");
        let i = match self.rows.iter().position(|r| r.service == service) {
            Some(i) => i,
            None => {
                self.rows.push(ServiceRow { event_type: "service", service, conns: 0, packets: 0, bytes: 0 });
                self.rows.len() - 1
            }
        };
        if let Some(r) = self.rows.get_mut(i) {
            r.conns += conns;
            r.packets += packets;
            r.bytes += bytes;
        }
    }

    /// The rows, most connections first (then by name), at most `top`.
    pub fn rows(&self, top: Option<usize>) -> Vec<ServiceRow> {
        let mut rows = self.rows.clone();
        rows.sort_by(|a, b| b.conns.cmp(&a.conns).then(a.service.cmp(b.service)));
        rows.truncate(top.unwrap_or(usize::MAX));
        rows
    }
}
