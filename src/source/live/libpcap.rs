//! The libpcap backend (feature `libpcap`): live capture through libpcap, BPF capture filters
//! compiled by libpcap (`-f`), kernel drop counts, and the same filters applied to files.
//!
//! libpcap is the reference for filter syntax; compiling through it means `-f` accepts exactly
//! what tcpdump accepts.
//!
//! The capture reads libpcap's `TPACKET_V3` ring as tcpdump does, with a short block timeout
//! rather than libpcap's immediate mode: immediate mode falls back to `TPACKET_V2`, whose
//! fixed slots (64 KiB each on an interface with offloads) leave a 32 MiB buffer room for only
//! a few hundred frames, and a flood overran it while tcpdump kept every frame.

use std::io;
use std::ops::ControlFlow;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use pcap::{Active, BpfProgram, Capture, Linktype};

use super::backend::{
    down_or_gone, micros, open_error, Backend, BpfInsn, Direction, KernelStats, LiveError, LiveOptions, RawFrame,
    ANY, LINKTYPE_LINUX_SLL2,
};
use crate::source::{Frame, Ts};

/// Frames read in one [`Backend::read`] at most, so the caller looks at its clock and flag.
const BATCH: usize = 4096;
/// How long the kernel fills a block before handing it over partly filled (the ring backend's
/// retire time): frames reach the screen within this.
const BLOCK_TIMEOUT_MS: i32 = 10;

/// A libpcap live capture.
pub struct PcapBackend {
    cap: Capture<Active>,
    iface: String,
    linktype: u32,
    /// The last read found nothing: wait on the descriptor before the next one.
    idle: bool,
    /// Frames handed to the caller so far.
    handed: u64,
    /// The kernel's counts when the capture was told to stop, and the time just after: the
    /// frames counted as received and not dropped that are not yet handed over are still in the
    /// ring, and only those are read after it (libpcap cannot close its socket to new frames
    /// and keep the ring). Frames libpcap leaves out in user space (loopback's sent copies,
    /// `--direction`) are counted but never handed, so a frame stamped after the stop ends
    /// the reading too.
    stopped: Option<(KernelStats, Ts)>,
    /// A frame stamped after the stop was met: nothing more is read.
    past_stop: bool,
}

/// Opens `opts.interface` through libpcap, with the filter if one was given.
pub fn open(opts: &LiveOptions) -> Result<Box<dyn Backend>, LiveError> {
    let iface = opts.interface.as_str();
    let fail = |e: pcap::Error| pcap_open_error(iface, e);
    let mut cap = Capture::from_device(iface)
        .map_err(fail)?
        .promisc(opts.promiscuous)
        .snaplen(opts.snaplen.min(i32::MAX as u32) as i32)
        .timeout(BLOCK_TIMEOUT_MS)
        .buffer_size(i32::try_from(u64::from(opts.buffer_kib) << 10).unwrap_or(i32::MAX))
        .open()
        .and_then(|c| c.setnonblock())
        .map_err(fail)?;
    if iface == ANY {
        // The cooked header that names each frame's interface, as the default build gives; a
        // libpcap without v2 keeps v1 (the link type is read back below).
        let _ = cap.set_datalink(Linktype(LINKTYPE_LINUX_SLL2 as i32));
    }
    let dir = match opts.direction {
        Direction::In => pcap::Direction::In,
        Direction::Out => pcap::Direction::Out,
        Direction::Inout => pcap::Direction::InOut,
    };
    cap.direction(dir).map_err(fail)?;
    if let Some(expr) = &opts.filter {
        cap.filter(expr, true).map_err(|e| LiveError::Filter {
            expr: expr.clone(),
            why: e.to_string(),
        })?;
    }
    let linktype = cap.get_datalink().0 as u32;
    Ok(Box::new(PcapBackend { cap, iface: iface.to_string(), linktype, idle: false, handed: 0, stopped: None, past_stop: false }))
}

/// libpcap reports its errors as text ("... Operation not permitted", "That device is not up").
fn pcap_open_error(iface: &str, e: pcap::Error) -> LiveError {
    let text = e.to_string();
    if text.contains("not permitted")
        || text.contains("Permission denied")
        || text.contains("permission")
    {
        open_error(iface, &io::Error::from(io::ErrorKind::PermissionDenied))
    } else if text.contains("not up") {
        LiveError::Down { iface: iface.to_string() }
    } else if text.contains("No such device") {
        super::backend::find_interface(iface).err().unwrap_or(LiveError::Open { iface: iface.to_string(), why: text })
    } else {
        LiveError::Open {
            iface: iface.to_string(),
            why: text,
        }
    }
}

impl Backend for PcapBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn attach_filter(&mut self, _program: &[BpfInsn]) -> Result<bool, LiveError> {
        Err(LiveError::Open { iface: self.iface.clone(), why: "the libpcap build compiles its filters with libpcap (-f)".into() })
    }

    fn start(&mut self) -> Result<(), LiveError> {
        Ok(())
    }

    fn read(
        &mut self,
        wait: Duration,
        each: &mut dyn FnMut(RawFrame<'_>) -> ControlFlow<()>,
    ) -> Result<usize, LiveError> {
        // After the stop, only what the kernel had counted is read (see `stopped`).
        let left = match self.stopped {
            Some((k, _)) => k.received.saturating_sub(k.dropped).saturating_sub(self.handed),
            None => u64::MAX,
        };
        if left == 0 || self.past_stop {
            return Ok(0);
        }
        // libpcap's own read timeout does not fire on an idle Linux interface, so the handle is
        // non-blocking and we wait on its descriptor, bounded by `wait`.
        let mut failed = false;
        if self.idle {
            let mut fds = [PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
            let t = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, t) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(LiveError::Read { iface: self.iface.clone(), why: e.to_string() }),
            }
            // The socket holds an error (ENETDOWN when its interface went down or away).
            let bad = PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL;
            failed = fds[0].revents().is_some_and(|r| r.intersects(bad));
        }
        let mut n = 0;
        while n < BATCH && (n as u64) < left {
            match self.cap.next_packet() {
                Ok(p) => {
                    self.idle = false;
                    let ts = micros(p.header.ts.tv_sec, (p.header.ts.tv_usec.max(0) as u32).saturating_mul(1000));
                    if self.stopped.is_some_and(|(_, at)| ts > at) {
                        // Received after the counts were taken: not read, as it is not counted.
                        self.past_stop = true;
                        break;
                    }
                    n += 1;
                    self.handed += 1;
                    if each(RawFrame { ts, len: p.header.len, data: p.data }).is_break() {
                        break;
                    }
                }
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                    self.idle = true;
                    if failed && n == 0 && self.iface != ANY {
                        // Nothing left to read and the socket failed: say why, if it is the
                        // interface.
                        if let e @ LiveError::Gone { .. } = down_or_gone(&self.iface) {
                            return Err(e);
                        }
                        if super::backend::interface_up(&self.iface) == Some(false) {
                            return Err(LiveError::Down { iface: self.iface.clone() });
                        }
                    }
                    break;
                }
                Err(e) => {
                    let text = e.to_string();
                    // "The interface went down" / "The interface disappeared" (libpcap's words).
                    if text.contains("went down") || text.contains("disappeared") {
                        return Err(down_or_gone(&self.iface));
                    }
                    return Err(LiveError::Read { iface: self.iface.clone(), why: text });
                }
            }
        }
        Ok(n)
    }

    fn close_gate(&mut self) {
        if self.stopped.is_none() {
            self.stopped = self.stats().map(|k| (k, super::now()));
        }
    }

    fn stats(&mut self) -> Option<KernelStats> {
        if let Some((k, _)) = self.stopped {
            return Some(k);
        }
        self.cap.stats().ok().map(|s| KernelStats { received: s.received as u64, dropped: s.dropped as u64 })
    }

    fn name(&self) -> &'static str {
        "libpcap"
    }
}

/// A BPF filter expression applied to frames read from files, compiled once per link type.
pub struct BpfFilter {
    expr: String,
    programs: Vec<(u32, BpfProgram)>,
}

impl BpfFilter {
    /// A filter for `expr`; checked by compiling it for Ethernet right away, so a typo is
    /// reported before any file is read.
    pub fn new(expr: &str) -> Result<BpfFilter, LiveError> {
        let mut f = BpfFilter {
            expr: expr.to_string(),
            programs: Vec::new(),
        };
        f.program(1)?;
        Ok(f)
    }

    fn program(&mut self, linktype: u32) -> Result<&BpfProgram, LiveError> {
        let at = match self.programs.iter().position(|(l, _)| *l == linktype) {
            Some(at) => at,
            None => {
                let err = |e: pcap::Error| LiveError::Filter {
                    expr: self.expr.clone(),
                    why: e.to_string(),
                };
                let dead = Capture::dead(Linktype(linktype as i32)).map_err(err)?;
                let prog = dead.compile(&self.expr, true).map_err(err)?;
                self.programs.push((linktype, prog));
                self.programs.len() - 1
            }
        };
        self.programs
            .get(at)
            .map(|(_, p)| p)
            .ok_or_else(|| LiveError::Filter {
                expr: self.expr.clone(),
                why: "filter program lost".into(),
            })
    }

    /// Whether `frame` passes the filter (an error when it cannot be compiled for its link type).
    pub fn matches(&mut self, frame: &Frame<'_>) -> Result<bool, LiveError> {
        Ok(self.program(frame.linktype)?.filter(frame.data))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn eth_ipv4(proto: u8) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20];
        f[12] = 0x08;
        f[14] = 0x45;
        f[16] = 0;
        f[17] = 20;
        f[22] = 64;
        f[23] = proto;
        f[26..30].copy_from_slice(&[10, 0, 0, 1]);
        f[30..34].copy_from_slice(&[10, 0, 0, 2]);
        f
    }

    #[test]
    fn filter_matches_by_protocol() {
        let mut f = BpfFilter::new("icmp and host 10.0.0.2").unwrap();
        let (a, b) = (eth_ipv4(1), eth_ipv4(17));
        let fa = Frame {
            number: 1,
            ts: Ts::default(),
            linktype: 1,
            len: a.len() as u32,
            data: &a,
            interface: 0,
            ts_known: true,
        };
        let fb = Frame {
            number: 2,
            ts: Ts::default(),
            linktype: 1,
            len: b.len() as u32,
            data: &b,
            interface: 0,
            ts_known: true,
        };
        assert!(f.matches(&fa).unwrap());
        assert!(!f.matches(&fb).unwrap());
    }

    #[test]
    fn bad_expression_is_one_line_naming_it() {
        let e = BpfFilter::new("tcp port banana")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("-f 'tcp port banana': "), "{e}");
        assert!(!e.contains('\n'));
    }
}
