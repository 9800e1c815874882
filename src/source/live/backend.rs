//! What every live-capture backend shares: the [`Backend`] trait, the frames it yields, and
//! the errors and options of opening one.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pnet::datalink::{self, NetworkInterface};

use crate::source::Ts;

/// Default snap length, as tcpdump's: whole frames.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// How long a blocking read waits, so a stop request is seen within this time.
pub const POLL: Duration = Duration::from_millis(100);
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW: frames start with an IPv4 or IPv6 header (tun devices).
pub const LINKTYPE_RAW: u32 = 101;

/// What to capture, validated from the command line.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Interface name.
    pub interface: String,
    /// Bytes kept of each frame.
    pub snaplen: u32,
    /// Put the interface in promiscuous mode.
    pub promiscuous: bool,
    /// A BPF capture filter (libpcap backend only).
    pub filter: Option<String>,
}

/// Why a capture could not start (or went on). `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No interface of that name; names the ones that exist.
    #[error("{name}: no such interface (available: {available})")]
    NoSuchInterface { name: String, available: String },
    /// The socket needs privileges we lack.
    #[error("capture on {iface} needs root or CAP_NET_RAW: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v inspect)\"")]
    Permission { iface: String },
    /// Any other failure to open the capture.
    #[error("{iface}: cannot start capture: {why}")]
    Open { iface: String, why: String },
    /// The capture filter does not compile, or this build cannot filter.
    #[error("-f '{expr}': {why}")]
    Filter { expr: String, why: String },
}

/// One frame as a backend reads it, borrowed from the backend's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    /// When it was captured.
    pub ts: Ts,
    /// Length on the wire.
    pub len: u32,
    /// The bytes kept (at most the snap length).
    pub data: &'a [u8],
}

/// A source of live frames, read on the capture thread.
pub trait Backend: Send {
    /// The LINKTYPE_ of every frame.
    fn linktype(&self) -> u32;
    /// The next frame, or `None` when [`POLL`] passed without one.
    fn next(&mut self) -> io::Result<Option<RawFrame<'_>>>;
    /// Frames the kernel or driver dropped, when the backend can tell.
    fn kernel_drops(&mut self) -> Option<u64>;
    /// Short backend name, for messages.
    fn name(&self) -> &'static str;
}

/// The interface called `name`, or an error naming those that exist.
pub fn find_interface(name: &str) -> Result<NetworkInterface, LiveError> {
    let all = datalink::interfaces();
    if let Some(i) = all.iter().find(|i| i.name == name) {
        return Ok(i.clone());
    }
    let available = all
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Err(LiveError::NoSuchInterface {
        name: name.to_string(),
        available,
    })
}

/// The link type Linux reports for an interface (`/sys/class/net/NAME/type`, an ARPHRD_ value).
/// Loopback carries Ethernet-shaped headers on Linux; tun devices carry bare IP.
pub fn interface_linktype(name: &str) -> u32 {
    let arphrd = std::fs::read_to_string(format!("/sys/class/net/{name}/type"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    match arphrd {
        Some(65534) => LINKTYPE_RAW, // ARPHRD_NONE
        _ => LINKTYPE_ETHERNET,
    }
}


/// Maps an error opening a socket to our message; a permission problem gets the how-to line.
pub fn open_error(iface: &str, e: &io::Error) -> LiveError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        LiveError::Permission {
            iface: iface.to_string(),
        }
    } else {
        LiveError::Open {
            iface: iface.to_string(),
            why: e.to_string(),
        }
    }
}

/// Now, as a capture timestamp.
pub fn now() -> Ts {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Microseconds, as libpcap stamps packets and as `-w` stores them: a replay of the `-w`
    // file then gives exactly the live run's results.
    Ts {
        sec: d.as_secs() as i64,
        nsec: d.subsec_micros() * 1000,
    }
}

