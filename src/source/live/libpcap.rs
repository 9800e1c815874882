//! The libpcap backend (feature `libpcap`): live capture through libpcap, BPF capture filters
//! compiled by libpcap (`-f`), kernel drop counts, and the same filters applied to files.
//!
//! libpcap is the reference for filter syntax; compiling through it means `-f` accepts exactly
//! what tcpdump accepts.

use std::io;
use std::os::fd::AsFd;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use pcap::{Active, BpfProgram, Capture, Linktype};

use super::backend::{open_error, Backend, LiveError, LiveOptions, RawFrame, POLL};
use crate::source::{Frame, Ts};

/// Kernel ring buffer size asked of libpcap.
const RING_BYTES: i32 = 16 << 20;

/// A libpcap live capture.
pub struct PcapBackend {
    cap: Capture<Active>,
    linktype: u32,
    /// The last read found nothing: wait on the descriptor before the next one.
    idle: bool,
}

/// pcap's link type of a Linux cooked v2 header.
const LINKTYPE_LINUX_SLL2: i32 = 276;

/// Opens `opts.interface` through libpcap, with the filter if one was given.
pub fn open(opts: &LiveOptions) -> Result<Box<dyn Backend>, LiveError> {
    let iface = opts.interface.as_str();
    let fail = |e: pcap::Error| pcap_open_error(iface, e);
    let mut cap = Capture::from_device(iface)
        .map_err(fail)?
        .promisc(opts.promiscuous)
        .snaplen(opts.snaplen.min(i32::MAX as u32) as i32)
        .timeout(POLL.as_millis() as i32)
        .immediate_mode(true)
        // A larger ring than libpcap's 2 MiB default rides out bursts while the thread copies.
        .buffer_size(RING_BYTES)
        .open()
        .and_then(|c| c.setnonblock())
        .map_err(fail)?;
    // The any device gives Linux cooked v1 frames unless asked for v2, which, as in tcpdump,
    // also names the interface; a libpcap without v2 keeps v1.
    if iface == "any" {
        let _ = cap.set_datalink(Linktype(LINKTYPE_LINUX_SLL2));
    }
    if let Some(expr) = &opts.filter {
        cap.filter(expr, true).map_err(|e| LiveError::Filter {
            expr: expr.clone(),
            why: e.to_string(),
        })?;
    }
    let linktype = cap.get_datalink().0 as u32;
    Ok(Box::new(PcapBackend { cap, linktype, idle: false }))
}

/// libpcap reports a missing permission as text ("... Operation not permitted").
fn pcap_open_error(iface: &str, e: pcap::Error) -> LiveError {
    let text = e.to_string();
    if text.contains("not permitted")
        || text.contains("Permission denied")
        || text.contains("permission")
    {
        open_error(iface, &io::Error::from(io::ErrorKind::PermissionDenied))
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

    fn next(&mut self) -> io::Result<Option<RawFrame<'_>>> {
        // libpcap's own read timeout does not fire on an idle Linux interface, so the handle is
        // non-blocking and we wait on its descriptor, bounded by POLL.
        if self.idle {
            let mut fds = [PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
            let wait = PollTimeout::try_from(POLL).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, wait) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(io::Error::from(e)),
            }
        }
        match self.cap.next_packet() {
            Ok(p) => {
                self.idle = false;
                let ts = Ts::from_parts(
                    p.header.ts.tv_sec,
                    p.header.ts.tv_usec.max(0) as u64,
                    1_000_000,
                );
                Ok(Some(RawFrame {
                    ts,
                    len: p.header.len,
                    data: p.data,
                }))
            }
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                self.idle = true;
                Ok(None)
            }
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        self.cap
            .stats()
            .ok()
            .map(|s| s.dropped as u64 + s.if_dropped as u64)
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
