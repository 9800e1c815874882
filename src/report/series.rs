//! Values over the capture's time that the pictures (`--plot`, `report`) and the sparklines
//! draw, as the analyzers collected them (see [`crate::analyze::timeline`]).

use crate::analyze::timeline::Timeline;
use crate::source::Ts;

/// One SYN-flood alert's SYNs per second, from its start until it closed.
#[derive(Debug, Clone)]
pub struct SynRate {
    /// The alert's id (as in its `open` and `closed` objects).
    pub id: u64,
    /// What it targets, as the alert line shows it (`10.0.0.1:80`, `10.0.0.0/24`).
    pub target: String,
    /// The alert's span: its first SYN and the last moment the thresholds were crossed.
    pub start: Ts,
    /// See `start`.
    pub end: Ts,
    /// SYNs per second to the target.
    pub syns: Timeline,
}

/// Every series of a run, when asked for.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Frames per second (the statistics).
    pub packets: Option<Timeline>,
    /// Bytes per second.
    pub bytes: Option<Timeline>,
    /// Connections in the tracker's table, the most in each second (the connection tracker).
    pub open: Option<Timeline>,
    /// Of them, TCP connections whose handshake is not complete or that are half closed.
    pub half_open: Option<Timeline>,
    /// Each SYN-flood alert's SYN rate (the flood detector), in order of start.
    pub syn: Vec<SynRate>,
}
