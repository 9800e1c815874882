//! Alerts: what the SYN-flood detector says about an attack, as plain data for every renderer.
//!
//! An alert is shown twice while it lives (when it opens and when it closes) and once more in the
//! end summary. Times are epoch seconds as floats in JSON, as Zeek and Suricata write them.

use std::net::IpAddr;

use crate::source::Ts;

/// Serializes a timestamp as epoch seconds (a float).
fn epoch<S: serde::Serializer>(t: &Ts, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

/// Whether an alert has just opened or has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The thresholds were just crossed; counts are those at that moment.
    Open,
    /// The flood ended (or the input did); counts are final.
    Closed,
}

/// Why an alert closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// Still open.
    None,
    /// The thresholds stayed uncrossed for the quiet period.
    Quiet,
    /// The input ended while the flood was still on (or within the quiet period).
    EndOfInput,
}

/// One of the heaviest sources of an alert's SYNs (Space-Saving counts).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopSource {
    /// The source address.
    pub addr: IpAddr,
    /// SYNs counted for it: an upper bound, exact when `error` is 0.
    pub syns: u64,
    /// How much of `syns` may belong to addresses it replaced in the counter table.
    pub error: u64,
}

/// A SYN flood against one address and port.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alert {
    /// The alert's kind: always `"syn_flood"`.
    pub alert: &'static str,
    /// `"open"` as it opens, `"closed"` when it ends.
    pub state: AlertState,
    /// Why it closed.
    pub closed_by: ClosedBy,
    /// The target address.
    pub dst: IpAddr,
    /// The target port.
    pub dport: u16,
    /// First SYN of the flood: the later of the first SYN of the one-second window in which the
    /// thresholds were crossed and the first SYN since no attempt was outstanding.
    #[serde(serialize_with = "epoch")]
    pub start: Ts,
    /// When the thresholds were crossed (the alert was raised).
    #[serde(serialize_with = "epoch")]
    pub detected: Ts,
    /// Last moment the thresholds were still crossed (so far, while open).
    #[serde(serialize_with = "epoch")]
    pub end: Ts,
    /// Seconds from `start` to `end`.
    pub duration: f64,
    /// SYNs to the target from `start` until the alert closed.
    pub syns: u64,
    /// Highest SYN count in any one-second sliding window during the alert.
    pub peak_syn_rate: u64,
    /// Connection attempts left half-open: no completing ACK within the timeout (or by the end of
    /// the input), counted from `start`.
    pub half_open: u64,
    /// Most attempts outstanding at once (SYN or SYN-ACK seen, no ACK yet, not timed out).
    pub peak_outstanding: u64,
    /// Handshakes completed during the alert.
    pub completed: u64,
    /// Attempts ended by a RST instead (refused or aborted).
    pub reset: u64,
    /// Share of resolved attempts that completed: completed / (completed + half-open + reset).
    pub completion_share: f64,
    /// SYN-ACKs from the target during the alert.
    pub synacks: u64,
    /// SYN-ACKs never answered by the client within the timeout (SYN-cookie servers show this).
    pub synacks_unanswered: u64,
    /// Distinct source addresses (HyperLogLog estimate).
    pub sources: u64,
    /// Estimated share of sources that sent one SYN and nothing else.
    pub one_syn_share: f64,
    /// Distinct sources in reserved, multicast or unroutable ranges, or the target's own address.
    pub bogon_sources: u64,
    /// The verdict: true when most sources sent one SYN only, or any source is a bogon.
    pub spoofed: bool,
    /// Which signs of spoofing were seen (`one_syn_sources`, `bogon_sources`,
    /// `unanswered_synacks`).
    pub spoof_signs: Vec<&'static str>,
    /// The sources with the most SYNs, heaviest first.
    pub top_sources: Vec<TopSource>,
}

/// Counters of the flood detector's bounded tables: what it had to forget.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FloodStats {
    /// Targets (address, port) tracked at the end.
    pub targets: u64,
    /// Targets evicted to make room for new ones.
    pub targets_evicted: u64,
    /// Pending handshakes pushed out of the full pending table before their timeout.
    pub pending_evicted: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts not kept in the report because too many were raised (they were still shown).
    pub alerts_dropped: u64,
}
