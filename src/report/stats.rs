//! Run-wide counters: packets, bytes, protocols, malformed frames, time span.

use crate::source::Ts;

/// Names of the protocol counters, in display order.
pub const PROTOCOLS: [&str; 12] =
    ["arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "igmp", "other", "undecoded", "vlan", "fragments"];

/// Counters over every packet of the run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Frames read.
    pub packets: u64,
    /// Bytes on the wire (original lengths).
    pub bytes: u64,
    /// Bytes captured (may be less than `bytes` when a snap length cut frames).
    pub captured_bytes: u64,
    /// Frames whose decoding stopped early (truncated or invalid headers).
    pub malformed: u64,
    /// Frames cut short by the capture's snap length.
    pub snapped: u64,
    /// Count of frames per protocol name, as in [`PROTOCOLS`].
    pub protocols: Vec<(String, u64)>,
    /// Frames per link type number.
    pub linktypes: Vec<(u32, u64)>,
    /// Time of the first frame.
    pub first: Option<Ts>,
    /// Time of the last frame.
    pub last: Option<Ts>,
    /// What IP fragment reassembly counted, when there were fragments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassembly: Option<crate::decode::defrag::DefragStats>,
}

impl Stats {
    /// Seconds from the first to the last frame.
    pub fn duration(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) => b.secs_since(a).max(0.0),
            _ => 0.0,
        }
    }

    /// Count for one protocol name (0 when never seen).
    pub fn protocol(&self, name: &str) -> u64 {
        self.protocols.iter().find(|(n, _)| n == name).map(|(_, c)| *c).unwrap_or(0)
    }
}
