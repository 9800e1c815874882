//! Alerts and notices: what the SYN-flood detector says, as plain data for every renderer.
//!
//! An alert (`syn_flood`: a target held half-open) is shown twice while it lives, when it opens
//! and when it closes, both times with the same `id`, and once more in the end summary: a JSON
//! consumer keeps the last object of each `id`. A notice (`connection_surge`: many new
//! connections that the target completes) is of lower severity and is shown once, when it ends,
//! with Zeek's `notice.log` names where they fit. Times are epoch seconds as floats in JSON, as
//! Zeek and Suricata write them.

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
    /// A live capture stopped while the flood was still on (or within the quiet period).
    CaptureStopped,
}

/// `addr:port`, with brackets around IPv6 addresses.
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// How a flood spreads over its targets: which one of three alerts it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// One address and port (`dst`, `dport`).
    OnePort,
    /// Several ports of one address (`dst`; `dport` is null).
    MultiPort,
    /// Many addresses of one subnet (`dst`/`prefix`; `dport` is null unless all SYNs went to
    /// one port).
    Carpet,
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

/// A SYN flood: a target (one port, several ports of one address, or many addresses of one
/// subnet) held half-open.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alert {
    /// The alert's kind: always `"syn_flood"`.
    pub alert: &'static str,
    /// The same number in the `open` and the `closed` object of one alert; unique in a run
    /// (shared with notices).
    pub id: u64,
    /// `"open"` as it opens, `"closed"` when it ends.
    pub state: AlertState,
    /// Why it closed.
    pub closed_by: ClosedBy,
    /// One port, several ports of one address, or many addresses of one subnet.
    pub pattern: Pattern,
    /// The target address; for a carpet flood, the first address of `prefix`.
    pub dst: IpAddr,
    /// For a carpet flood, the smallest prefix holding every address its SYNs went to (else the
    /// address's whole length, 32 or 128).
    pub prefix: u8,
    /// The target port (null when the SYNs went to several ports).
    pub dport: Option<u16>,
    /// Distinct destination addresses of the flood's SYNs (1 unless a carpet; estimated).
    pub hosts: u64,
    /// Distinct destination ports of the flood's SYNs (1 for one port; estimated).
    pub ports: u64,
    /// Lowest and highest destination port of the flood's SYNs.
    pub port_range: [u16; 2],
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
    /// Handshakes completed over SYNs in the one-second window in which the alert was raised
    /// (it opens only below `--flood-completion`).
    pub window_completion: f64,
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
    /// The sources certain to have sent more SYNs than any source not listed (Space-Saving:
    /// each count's lower bound, `syns - error`, exceeds the most an unlisted source may have
    /// sent), heaviest first; empty when none stands out, as under random spoofing.
    pub top_sources: Vec<TopSource>,
}

/// A connection surge: at least `--flood-syn-rate` SYNs a second and `--flood-half-open`
/// attempts waiting on one address and port, while at least `--flood-completion` of them
/// complete. A busy service, not an attack: a notice, shown once when it ends. Field names
/// follow Zeek's `notice.log` (`note`, `msg`, `sub`, `src`, `dst`, `p`, `n`) where they fit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Notice {
    /// Epoch seconds of the surge's first SYN (Zeek's `ts`).
    #[serde(serialize_with = "epoch")]
    pub ts: Ts,
    /// Always `"connection_surge"`.
    pub note: &'static str,
    /// One line for a person.
    pub msg: String,
    /// The figures behind it, as a short line.
    pub sub: String,
    /// The one source that sent most of the SYNs, if one did (else null).
    pub src: Option<IpAddr>,
    /// The target address.
    pub dst: IpAddr,
    /// The target port.
    pub p: u16,
    /// SYNs to the target during the surge.
    pub n: u64,
    /// Unique in a run (shared with alerts).
    pub id: u64,
    /// Why it ended.
    pub closed_by: ClosedBy,
    /// First SYN of the surge.
    #[serde(serialize_with = "epoch")]
    pub start: Ts,
    /// Last moment its thresholds were crossed.
    #[serde(serialize_with = "epoch")]
    pub end: Ts,
    /// Seconds from `start` to `end`.
    pub duration: f64,
    /// Highest SYN count in any one-second window.
    pub peak_syn_rate: u64,
    /// Most attempts outstanding at once.
    pub peak_outstanding: u64,
    /// Handshakes completed during the surge.
    pub completed: u64,
    /// Share of resolved attempts that completed.
    pub completion_share: f64,
    /// Distinct source addresses (HyperLogLog estimate).
    pub sources: u64,
}

/// Counters of the flood detector's bounded tables: what it had to forget.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FloodStats {
    /// Targets (addresses and ports, addresses, subnets) tracked at the end.
    pub targets: u64,
    /// Targets evicted to make room for new ones.
    pub targets_evicted: u64,
    /// Pending handshakes pushed out of the full pending table before their timeout.
    pub pending_evicted: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Notices raised.
    pub notices: u64,
    /// Alerts and notices not kept in the report because too many were raised (they were still
    /// shown as they happened).
    pub alerts_dropped: u64,
}

/// One TCP segment as the SYN-flood detector took it, written by `--partial` runs (the
/// `flood_feed` record kind) so that the alerts of split captures can be made by one detector
/// over every file's segments in order (`inspect merge-alerts`), exactly as one run makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FloodSeg {
    /// The frame's time.
    #[serde(serialize_with = "epoch")]
    pub ts: Ts,
    /// Sender's address.
    pub src: IpAddr,
    /// Sender's port.
    pub sport: u16,
    /// Receiver's address.
    pub dst: IpAddr,
    /// Receiver's port.
    pub dport: u16,
    /// TCP flag bits.
    pub flags: u8,
}
