//! The ARP part of the report: the learned table (who is at which MAC, in which state) and the
//! events that changed it, named as arpwatch names them.
//!
//! Times are epoch seconds as floats, as in every JSON object of the program; MACs serialize as
//! lowercase colon-separated strings so `jq` and humans read the same text.

use std::fmt;
use std::net::Ipv4Addr;

/// A 48-bit Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Mac = Mac([0xff; 6]);
    /// 00:00:00:00:00:00, what an ARP request carries as the unknown target address.
    pub const ZERO: Mac = Mac([0; 6]);

    /// Group bit set: the address names a multicast group (broadcast included), never a station.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// U/L bit set: assigned locally (virtual machines, containers, randomized phones), not by
    /// the IEEE.
    pub fn is_local(self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The organization the IEEE registered this address's prefix to (MA-L, MA-M, MA-S, CID,
    /// IAB), or what kind of address it is when no registry has it.
    pub fn vendor(self) -> Option<String> {
        let b = self.0;
        let hex = format!("{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}", b[0], b[1], b[2], b[3], b[4], b[5]);
        if let Some(rec) = oui_data::lookup(&hex) {
            return Some(rec.organization().to_string());
        }
        if self == Mac::BROADCAST {
            Some("(broadcast)".into())
        } else if self.is_multicast() {
            Some("(multicast)".into())
        } else if self.is_local() {
            Some("(locally administered)".into())
        } else {
            None
        }
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl serde::Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The state of an entry, as a host's neighbour cache (Linux `ip neigh`) would show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArpState {
    /// Confirmed by a reply less than the reachable time ago.
    Reachable,
    /// Known, but not confirmed recently (or only heard in a request or an announcement).
    Stale,
    /// Asked for and not answered yet; the timeout has not run out.
    Incomplete,
    /// Asked for and never answered within the timeout.
    Failed,
}

impl ArpState {
    /// The name shown in tables.
    pub fn name(self) -> &'static str {
        match self {
            ArpState::Reachable => "reachable",
            ArpState::Stale => "stale",
            ArpState::Incomplete => "incomplete",
            ArpState::Failed => "failed",
        }
    }
}

/// How the entry's current MAC was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Learned {
    /// From a reply: the station answered a who-has.
    Reply,
    /// From the sender fields of a request the station sent.
    Request,
    /// From a gratuitous ARP (sender IP = target IP), request or reply form.
    Gratuitous,
    /// Never: the address was only asked for.
    Target,
}

impl Learned {
    /// The name shown in tables.
    pub fn name(self) -> &'static str {
        match self {
            Learned::Reply => "reply",
            Learned::Request => "request",
            Learned::Gratuitous => "gratuitous",
            Learned::Target => "asked for",
        }
    }
}

/// One row of the ARP table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArpEntry {
    /// The IPv4 address.
    pub ip: Ipv4Addr,
    /// Its current MAC; `None` when it was only asked for and never heard.
    pub mac: Option<Mac>,
    /// The organization owning the MAC's prefix, or the kind of address.
    pub vendor: Option<String>,
    /// Neighbour-cache state at the end of the traffic seen.
    pub state: ArpState,
    /// How the current MAC was learned.
    pub learned: Learned,
    /// First time the address was seen (epoch seconds).
    pub first_seen: f64,
    /// Last time the address was seen (epoch seconds).
    pub last_seen: f64,
    /// ARP packets sent by this address.
    pub packets: u64,
    /// How many times its MAC changed.
    pub changes: u32,
    /// Earlier MACs, most recent first (a few at most).
    pub previous_macs: Vec<Mac>,
}

/// The kinds of ARP events; the first six carry arpwatch's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ArpEventKind {
    /// An address heard for the first time.
    #[serde(rename = "new station")]
    NewStation,
    /// A known address now at a MAC it never had: a conflict, a replaced card, or a spoof.
    #[serde(rename = "changed ethernet address")]
    ChangedEthernetAddress,
    /// A known address back at one of its earlier MACs.
    #[serde(rename = "flip flop")]
    FlipFlop,
    /// The frame's link-layer source differs from the ARP sender MAC.
    #[serde(rename = "ethernet mismatch")]
    EthernetMismatch,
    /// The sender address is outside the local network (`--net`).
    #[serde(rename = "bogon")]
    Bogon,
    /// The sender MAC is broadcast or all zeros.
    #[serde(rename = "ethernet broadcast")]
    EthernetBroadcast,
    /// An announcement: sender IP equals target IP.
    #[serde(rename = "gratuitous")]
    Gratuitous,
    /// Two MACs answered for one address within the duplicate window.
    #[serde(rename = "duplicate address")]
    DuplicateAddress,
    /// A who-has that no one answered within the timeout.
    #[serde(rename = "unanswered request")]
    UnansweredRequest,
    /// One sender's request rate went over the threshold.
    #[serde(rename = "arp storm")]
    ArpStorm,
}

impl ArpEventKind {
    /// Every kind, in display order.
    pub const ALL: [ArpEventKind; 10] = [
        ArpEventKind::NewStation,
        ArpEventKind::ChangedEthernetAddress,
        ArpEventKind::FlipFlop,
        ArpEventKind::EthernetMismatch,
        ArpEventKind::Bogon,
        ArpEventKind::EthernetBroadcast,
        ArpEventKind::Gratuitous,
        ArpEventKind::DuplicateAddress,
        ArpEventKind::UnansweredRequest,
        ArpEventKind::ArpStorm,
    ];

    /// The event's name as printed (arpwatch's where it has one).
    pub fn name(self) -> &'static str {
        match self {
            ArpEventKind::NewStation => "new station",
            ArpEventKind::ChangedEthernetAddress => "changed ethernet address",
            ArpEventKind::FlipFlop => "flip flop",
            ArpEventKind::EthernetMismatch => "ethernet mismatch",
            ArpEventKind::Bogon => "bogon",
            ArpEventKind::EthernetBroadcast => "ethernet broadcast",
            ArpEventKind::Gratuitous => "gratuitous",
            ArpEventKind::DuplicateAddress => "duplicate address",
            ArpEventKind::UnansweredRequest => "unanswered request",
            ArpEventKind::ArpStorm => "arp storm",
        }
    }

    /// Position in [`ArpEventKind::ALL`], for counters.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Something that happened to the ARP table, with its time and the old and new values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ArpEvent {
    /// What happened.
    pub event: ArpEventKind,
    /// When (epoch seconds); for an unanswered request, when its timeout ran out.
    pub ts: f64,
    /// The address concerned.
    pub ip: Ipv4Addr,
    /// The MAC now (the sender's MAC; for an unanswered request the one last known, if any).
    pub mac: Option<Mac>,
    /// The MAC before, for changes, flip flops and duplicates.
    pub old_mac: Option<Mac>,
    /// The frame's link-layer source, for an ethernet mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eth_src: Option<Mac>,
    /// Requests counted: unanswered who-has for this address, or requests in the storm's second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The frame that showed it (0 for a timeout noticed between frames).
    pub frame: u64,
}

/// The ARP table and what happened to it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ArpReport {
    /// The table, ordered by address.
    pub entries: Vec<ArpEntry>,
    /// The last events (at most the configured number), in order.
    pub events: Vec<ArpEvent>,
    /// Events of each kind, including those no longer kept: (name, count), nonzero only.
    pub event_counts: Vec<(String, u64)>,
    /// Every event, kept or not.
    pub events_total: u64,
    /// ARP packets seen.
    pub packets: u64,
    /// Requests (opcode 1) seen, probes and announcements included.
    pub requests: u64,
    /// Replies (opcode 2) seen.
    pub replies: u64,
    /// ARP probes (sender address 0.0.0.0, RFC 5227).
    pub probes: u64,
    /// ARP packets that are not Ethernet/IPv4 or carry another opcode.
    pub other: u64,
    /// Entries dropped to make room under the cap.
    pub evicted: u64,
    /// Entries dropped after `--arp-gc` seconds of silence.
    pub expired: u64,
    /// The cap on entries.
    pub capacity: usize,
    /// The time the states are given at (last packet seen, epoch seconds).
    pub as_of: Option<f64>,
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn vendor_from_the_registry_or_the_address_bits() {
        // 00:00:0c is Cisco's oldest MA-L block.
        let cisco = Mac([0x00, 0x00, 0x0c, 1, 2, 3]).vendor().unwrap_or_default();
        assert!(cisco.to_lowercase().starts_with("cisco"), "{cisco}");
        assert_eq!(Mac([0x02, 0, 0, 0, 0, 1]).vendor().as_deref(), Some("(locally administered)"));
        assert_eq!(Mac([0x01, 0x00, 0x5e, 0, 0, 1]).vendor().as_deref(), Some("(multicast)"));
        assert_eq!(Mac::BROADCAST.vendor().as_deref(), Some("(broadcast)"));
    }

    #[test]
    fn mac_serializes_as_text() {
        let j = serde_json::to_string(&Mac([0xde, 0xad, 0xbe, 0xef, 0, 1])).unwrap_or_default();
        assert_eq!(j, "\"de:ad:be:ef:00:01\"");
    }
}
