//! The libpcap backend (feature `libpcap`): live capture through libpcap, BPF capture filters
//! compiled by libpcap (`-f`), kernel drop counts, and the same filters applied to files.
//!
//! libpcap is the reference for filter syntax; compiling through it means `-f` accepts exactly
//! what tcpdump accepts.

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
use crate::source::Frame;

/// Frames read in one [`Backend::read`] at most, so the caller looks at its clock and flag.
const BATCH: usize = 4096;

/// A libpcap live capture.
pub struct PcapBackend {
    cap: Capture<Active>,
    iface: String,
    linktype: u32,
    /// The last read found nothing: wait on the descriptor before the next one.
    idle: bool,
}

/// Opens `opts.interface` through libpcap, with the filter if one was given.
pub fn open(opts: &LiveOptions) -> Result<Box<dyn Backend>, LiveError> {
    let iface = opts.interface.as_str();
    let fail = |e: pcap::Error| pcap_open_error(iface, e);
    let mut cap = Capture::from_device(iface)
        .map_err(fail)?
        .promisc(opts.promiscuous)
        .snaplen(opts.snaplen.min(i32::MAX as u32) as i32)
        .timeout(super::POLL.as_millis() as i32)
        .immediate_mode(true)
        .buffer_size(i32::try_from(u64::from(opts.buffer_kib) << 10).unwrap_or(i32::MAX))
        .open()
        .and_then(|c| c.setnonblock())
        .map_err(fail)?;
    if iface == ANY {
        // The cooked header that names each frame's interface, as the default build gives.
        cap.set_datalink(Linktype(LINKTYPE_LINUX_SLL2 as i32)).map_err(fail)?;
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
    Ok(Box::new(PcapBackend { cap, iface: iface.to_string(), linktype, idle: false }))
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

    fn attach_filter(&mut self, _program: &[BpfInsn]) -> Result<(), LiveError> {
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
        // libpcap's own read timeout does not fire on an idle Linux interface, so the handle is
        // non-blocking and we wait on its descriptor, bounded by `wait`.
        if self.idle {
            let mut fds = [PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
            let t = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, t) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(LiveError::Read { iface: self.iface.clone(), why: e.to_string() }),
            }
        }
        let mut n = 0;
        while n < BATCH {
            match self.cap.next_packet() {
                Ok(p) => {
                    self.idle = false;
                    n += 1;
                    let ts = micros(p.header.ts.tv_sec, (p.header.ts.tv_usec.max(0) as u32).saturating_mul(1000));
                    if each(RawFrame { ts, len: p.header.len, data: p.data }).is_break() {
                        break;
                    }
                }
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                    self.idle = true;
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

    fn close_gate(&mut self) {}

    fn stats(&mut self) -> Option<KernelStats> {
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
