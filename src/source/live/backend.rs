//! What every live-capture backend shares: the [`Backend`] trait, the frames it yields, and
//! the errors and options of opening one.

use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pnet::datalink::{self, NetworkInterface};

use crate::source::Ts;

pub use inspect_ring::BpfInsn;

/// Default snap length, as tcpdump's: whole frames.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// How long a wait for frames lasts at most, so a stop request is seen within this time.
pub const POLL: Duration = Duration::from_millis(100);
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW: frames start with an IPv4 or IPv6 header (tun devices).
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_LINUX_SLL2: Linux cooked capture v2 (every interface at once).
pub const LINKTYPE_LINUX_SLL2: u32 = 276;
/// The interface name that captures on every interface, as tcpdump's.
pub const ANY: &str = "any";

/// Which frames of an interface to capture, by the way they went: tcpdump's `-Q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Direction {
    /// Frames the interface received.
    In,
    /// Frames the interface sent.
    Out,
    /// Both.
    #[default]
    Inout,
}

/// What to capture, validated from the command line.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Interface name, or `any`.
    pub interface: String,
    /// Bytes kept of each frame.
    pub snaplen: u32,
    /// Put the interface in promiscuous mode.
    pub promiscuous: bool,
    /// The capture expression (tcpdump's syntax). The libpcap backend compiles and attaches it
    /// as it opens; the ring is handed the compiled program ([`Backend::attach_filter`]).
    pub filter: Option<String>,
    /// The kernel buffer (the ring), in KiB: tcpdump's `-B`.
    pub buffer_kib: u32,
    /// Which way the frames captured went.
    pub direction: Direction,
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
    /// The interface is down (at the start, or it went down).
    #[error("{iface}: interface is down")]
    Down { iface: String },
    /// The interface went away during the capture.
    #[error("{iface}: interface went away")]
    Gone { iface: String },
    /// Any other failure to open the capture.
    #[error("{iface}: cannot start capture: {why}")]
    Open { iface: String, why: String },
    /// Reading the capture failed.
    #[error("{iface}: capture stopped: {why}")]
    Read { iface: String, why: String },
    /// The capture filter does not compile, or this build cannot filter.
    #[error("-f '{expr}': {why}")]
    Filter { expr: String, why: String },
}

/// One frame as a backend reads it, borrowed from the backend's buffer (the kernel's ring).
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    /// When it was captured.
    pub ts: Ts,
    /// Length on the wire.
    pub len: u32,
    /// The bytes kept (at most the snap length).
    pub data: &'a [u8],
}

/// The kernel's counts of a capture (`PACKET_STATISTICS`), as tcpdump prints them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelStats {
    /// Frames that passed the filter: captured, still in the buffer, or dropped.
    pub received: u64,
    /// Frames dropped because the buffer was full.
    pub dropped: u64,
}

/// A source of live frames, read on the thread that analyzes them.
pub trait Backend: Send {
    /// The LINKTYPE_ of every frame.
    fn linktype(&self) -> u32;
    /// Attaches a compiled classic BPF capture filter (for frames of [`Backend::linktype`]), so
    /// the kernel keeps only what it accepts; before [`Backend::start`], it applies to every frame.
    /// On `any` the socket is cooked: the kernel runs the program on each frame from its network
    /// header, so the backend moves a `LINKTYPE_LINUX_SLL2` program's offsets (as libpcap's
    /// `fix_program` does). Whether the kernel runs it: `false` when it cannot (the program reads
    /// bytes of the cooked header the kernel has no stand-in for), and nothing was attached; the
    /// caller then runs the program on the frames it reads.
    fn attach_filter(&mut self, program: &[BpfInsn]) -> Result<bool, LiveError>;
    /// Starts receiving.
    fn start(&mut self) -> Result<(), LiveError>;
    /// Waits up to `wait` for frames, then hands each one ready (a block of the ring) to `each`
    /// until it breaks. Returns how many were handed; 0 when none came in time.
    fn read(
        &mut self,
        wait: Duration,
        each: &mut dyn FnMut(RawFrame<'_>) -> ControlFlow<()>,
    ) -> Result<usize, LiveError>;
    /// Stops taking new frames, keeping those already buffered for [`Backend::read`]; the
    /// counts read afterwards then cover exactly what was captured and dropped.
    fn close_gate(&mut self);
    /// The kernel's counts so far.
    fn stats(&mut self) -> Option<KernelStats>;
    /// Short backend name, for messages.
    fn name(&self) -> &'static str;
}

/// The interface called `name`, or an error naming those that exist.
pub fn find_interface(name: &str) -> Result<NetworkInterface, LiveError> {
    let all = datalink::interfaces();
    if let Some(i) = all.iter().find(|i| i.name == name) {
        return Ok(i.clone());
    }
    let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    Err(LiveError::NoSuchInterface {
        name: name.to_string(),
        available: names.join(", "),
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

/// The error of a capture that stopped on `e`: an interface that went down or away says so.
pub fn read_error(iface: &str, e: &io::Error) -> LiveError {
    const ENETDOWN: i32 = 100;
    const ENODEV: i32 = 19;
    const ENXIO: i32 = 6;
    match e.raw_os_error() {
        Some(ENETDOWN | ENODEV | ENXIO) => down_or_gone(iface),
        _ => LiveError::Read { iface: iface.to_string(), why: e.to_string() },
    }
}

/// Whether `iface` went down or away (it was there when the capture started). An interface
/// being deleted is taken down first and leaves the lists (sysfs above all) a moment later, so
/// one that is down is looked at again for [`GONE_WAIT`] before it is said to be down.
pub fn down_or_gone(iface: &str) -> LiveError {
    let until = Instant::now() + GONE_WAIT;
    while interface_up(iface).is_some() {
        if Instant::now() >= until {
            return LiveError::Down { iface: iface.to_string() };
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    LiveError::Gone { iface: iface.to_string() }
}

/// How long an interface that went down may take to show it is being deleted.
const GONE_WAIT: Duration = Duration::from_millis(250);

/// The interface's directory in sysfs (`/sys/class/net/NAME`).
pub fn sysfs_entry(name: &str) -> PathBuf {
    Path::new("/sys/class/net").join(name)
}

/// Whether interface `name` is up (`Some(true)`), down (`Some(false)`) or gone (`None`). The
/// interface list is read through a netlink socket, which the sandbox does not allow; in it
/// sysfs says instead, from the interface's entry it leaves readable (`IFF_UP` in `flags`).
pub fn interface_up(name: &str) -> Option<bool> {
    if !crate::sandbox::on() {
        return find_interface(name).ok().map(|i| i.is_up());
    }
    let entry = sysfs_entry(name);
    // Landlock does not rule over looking a path up, so a gone interface is told even where
    // its flags cannot be read.
    std::fs::metadata(&entry).ok()?;
    let flags = std::fs::read_to_string(entry.join("flags")).unwrap_or_default();
    let flags = u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).unwrap_or(0);
    Some(flags & IFF_UP != 0)
}

/// `IFF_UP` of `<linux/if.h>`.
const IFF_UP: u32 = 1;

/// Now, as a capture timestamp.
pub fn now() -> Ts {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    micros(d.as_secs() as i64, d.subsec_nanos())
}

/// A kernel timestamp cut to microseconds, as libpcap stamps packets and as `-w` stores them:
/// a replay of the `-w` file then gives exactly the live run's results.
pub fn micros(sec: i64, nsec: u32) -> Ts {
    Ts { sec, nsec: nsec / 1000 * 1000 }
}
