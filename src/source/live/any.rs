//! `-i any` in the pure-Rust build: every interface at once, as tcpdump's `-i any` gives it.
//!
//! Interfaces carry different link layers (Ethernet, loopback, bare IP on a tun), so one
//! capture of all of them cannot keep their headers. Like libpcap's "any" device, this backend
//! reads from an unbound `AF_PACKET` datagram socket, which hands over each packet without its
//! link header together with where it came from (interface, link type, direction, link
//! address), and rebuilds from those a Linux cooked header (SLL2, link type 276) in front of
//! it. The capture expression runs in user space on the SLL2 frame: the kernel would see the
//! packet without the header the program's offsets assume.

use std::io;
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvfrom, LinkAddr};
use socket2::{Domain, Protocol, Socket, Type};

use super::backend::{now, open_error, Backend, LiveError, LiveOptions, RawFrame, DEFAULT_SNAPLEN, POLL};
use crate::source::filter::BpfFilter;

/// pcap's link type of a Linux cooked v2 header.
pub const LINKTYPE_LINUX_SLL2: u32 = 276;
/// Bytes of the SLL2 header.
const SLL2_LEN: usize = 20;
/// `ETH_P_ALL`: every protocol.
const ETH_P_ALL: u16 = 0x0003;

/// An unbound `AF_PACKET` datagram socket: packets of every interface.
pub struct AnyBackend {
    socket: Socket,
    /// The SLL2 header, then the packet as the socket gives it.
    buf: Vec<u8>,
    snaplen: usize,
    filter: Option<BpfFilter>,
}

impl AnyBackend {
    /// Opens the socket.
    pub fn open(opts: &LiveOptions) -> Result<AnyBackend, LiveError> {
        let filter = opts.filter.as_deref().map(BpfFilter::new).transpose()?;
        let open = || -> io::Result<Socket> {
            let s = Socket::new(Domain::PACKET, Type::DGRAM, Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))))?;
            s.set_read_timeout(Some(POLL))?;
            Ok(s)
        };
        let socket = open().map_err(|e| open_error(&opts.interface, &e))?;
        Ok(AnyBackend {
            socket,
            buf: vec![0; SLL2_LEN + DEFAULT_SNAPLEN.max(opts.snaplen) as usize],
            snaplen: opts.snaplen as usize,
            filter,
        })
    }
}

/// The SLL2 header of a packet the socket gave with `from` (libpcap's `sll2_header`, every
/// field in network byte order).
fn sll2_header(from: &LinkAddr) -> [u8; SLL2_LEN] {
    let mut h = [0u8; SLL2_LEN];
    let mut put = |at: usize, b: &[u8]| {
        if let Some(d) = h.get_mut(at..at + b.len()) {
            d.copy_from_slice(b);
        }
    };
    // The socket address holds the protocol in network order already, the rest in host order.
    put(0, &from.protocol().to_ne_bytes());
    put(4, &(from.ifindex() as u32).to_be_bytes());
    put(8, &from.hatype().to_be_bytes());
    put(10, &[from.pkttype()]);
    let halen = from.halen().min(8);
    put(11, &[halen as u8]);
    if let Some(a) = from.addr() {
        put(12, a.get(..halen.min(6)).unwrap_or_default());
    }
    h
}

impl Backend for AnyBackend {
    fn linktype(&self) -> u32 {
        LINKTYPE_LINUX_SLL2
    }

    fn next(&mut self) -> io::Result<Option<RawFrame<'_>>> {
        let body = self.buf.get_mut(SLL2_LEN..).unwrap_or_default();
        let (n, from) = match recvfrom::<LinkAddr>(self.socket.as_raw_fd(), body) {
            Ok(r) => r,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => return Ok(None),
            Err(e) => return Err(io::Error::from(e)),
        };
        let ts = now();
        if let (Some(from), Some(h)) = (from, self.buf.get_mut(..SLL2_LEN)) {
            h.copy_from_slice(&sll2_header(&from));
        }
        let len = (SLL2_LEN + n) as u32;
        let data = self.buf.get(..SLL2_LEN + n).unwrap_or_default();
        if let Some(f) = self.filter.as_mut() {
            let frame = crate::source::Frame { number: 0, ts, linktype: LINKTYPE_LINUX_SLL2, len, data, interface: 0, ts_known: true };
            if !f.matches(&frame).map_err(|e| io::Error::other(e.to_string()))? {
                return Ok(None);
            }
        }
        let data = data.get(..self.snaplen).unwrap_or(data);
        Ok(Some(RawFrame { ts, len, data }))
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        None
    }

    fn name(&self) -> &'static str {
        "af_packet"
    }
}
