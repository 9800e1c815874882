//! The default backend: pnet's datalink channel, an `AF_PACKET` raw socket (no system library
//! needed).

use std::io;

use pnet::datalink::{self, Channel, DataLinkReceiver, NetworkInterface};

use crate::source::filter::BpfFilter;
use super::backend::{interface_linktype, now, open_error, Backend, LiveError, LiveOptions, RawFrame, DEFAULT_SNAPLEN, POLL};

/// The pnet datalink channel: an `AF_PACKET` raw socket bound to one interface.
pub struct PnetBackend {
    rx: Box<dyn DataLinkReceiver>,
    linktype: u32,
    snaplen: usize,
    /// The capture expression, run on each frame as it is read (pnet keeps its socket to
    /// itself, so the kernel cannot be given the program).
    filter: Option<BpfFilter>,
}

impl PnetBackend {
    /// Opens a raw socket on `iface`.
    pub fn open(iface: &NetworkInterface, opts: &LiveOptions) -> Result<PnetBackend, LiveError> {
        let mut filter = opts.filter.as_deref().map(BpfFilter::new).transpose()?;
        let linktype = interface_linktype(&iface.name);
        // The socket is made here when there is a filter, so that the kernel runs the program
        // and drops what it rejects before copying it out; pnet binds it to the interface.
        let socket_fd = match filter.as_mut().and_then(|f| f.kernel_program(linktype)) {
            Some(prog) => Some(filtered_socket(&prog).map_err(|e| open_error(&iface.name, &e))?),
            None => None,
        };
        let config = datalink::Config {
            // The socket reads whole frames whatever the snap length, so the wire length is
            // known; we cut to the snap length ourselves.
            read_buffer_size: DEFAULT_SNAPLEN.max(opts.snaplen) as usize,
            write_buffer_size: 64,
            read_timeout: Some(POLL),
            promiscuous: opts.promiscuous,
            socket_fd,
            ..datalink::Config::default()
        };
        match datalink::channel(iface, config) {
            Ok(Channel::Ethernet(_tx, rx)) => Ok(PnetBackend {
                rx,
                linktype,
                snaplen: opts.snaplen as usize,
                filter,
            }),
            Ok(_) => Err(LiveError::Open {
                iface: iface.name.clone(),
                why: "unsupported channel type".into(),
            }),
            Err(e) => Err(open_error(&iface.name, &e)),
        }
    }
}

/// A raw `AF_PACKET` socket for every protocol, with `prog` attached (SO_ATTACH_FILTER); its
/// descriptor, which pnet takes over (and closes).
fn filtered_socket(prog: &[crate::filter::bpf::Insn]) -> io::Result<i32> {
    use socket2::{Domain, Protocol, SockFilter, Socket, Type};
    use std::os::fd::IntoRawFd;
    const ETH_P_ALL: u16 = 0x0003;
    let s = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))))?;
    let code: Vec<SockFilter> = prog.iter().map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k)).collect();
    s.attach_filter(&code)?;
    Ok(s.into_raw_fd())
}

impl Backend for PnetBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn next(&mut self) -> io::Result<Option<RawFrame<'_>>> {
        match self.rx.next() {
            Ok(data) => {
                let ts = now();
                let len = data.len() as u32;
                if let Some(f) = self.filter.as_mut() {
                    let frame = crate::source::Frame { number: 0, ts, linktype: self.linktype, len, data, interface: 0, ts_known: true };
                    if !f.matches(&frame).map_err(|e| io::Error::other(e.to_string()))? {
                        return Ok(None);
                    }
                }
                let data = data.get(..self.snaplen).unwrap_or(data);
                Ok(Some(RawFrame { ts, len, data }))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        // PACKET_STATISTICS needs the socket descriptor, which pnet keeps to itself.
        None
    }

    fn name(&self) -> &'static str {
        "pnet"
    }
}
