//! Stream numbers as Wireshark gives them: `tcp.stream` and `udp.stream`, counted from 0 in the
//! order each conversation's first packet comes, so that `inspect follow FILE 3` picks the
//! stream that `tshark -z follow,tcp,ascii,3` does.
//!
//! A UDP stream is an address and port pair. A TCP stream is one too, until a SYN (without ACK)
//! comes whose sequence number differs from the one its sender's side of the stream started
//! with: the ports were reused for a new connection, which gets the next number.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::decode::input::{FlowSeg, Input, Inputs};
use crate::source::Frame;
use crate::decode::key::{FlowKey, IPPROTO_UDP};

/// The start of one TCP stream.
#[derive(Debug, Clone, Copy)]
struct TcpStream {
    index: u32,
    /// Initial sequence number of each side (`a`, `b` of the key), as first seen.
    base: [Option<u32>; 2],
}

/// Numbers TCP and UDP streams as packets come; see the module documentation.
#[derive(Debug, Default)]
pub struct StreamIndex {
    tcp: HashMap<FlowKey, TcpStream>,
    udp: HashMap<FlowKey, u32>,
    next_tcp: u32,
    next_udp: u32,
}

/// The stream a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// `tcp.stream`.
    Tcp(u32),
    /// `udp.stream`.
    Udp(u32),
}

impl StreamIndex {
    /// No stream seen yet.
    pub fn new() -> StreamIndex {
        StreamIndex::default()
    }

    /// The stream of a TCP segment or UDP datagram, numbering it if it starts one (None for
    /// other flows, such as ICMP's).
    pub fn of(&mut self, f: &FlowSeg) -> Option<Stream> {
        if f.key.proto == IPPROTO_UDP {
            let next = &mut self.next_udp;
            let index = *self.udp.entry(f.key).or_insert_with(|| {
                *next += 1;
                *next - 1
            });
            return Some(Stream::Udp(index));
        }
        if !f.tcp {
            return None;
        }
        let side = usize::from(!f.from_a);
        let seg = f.seg;
        let syn_only = seg.flags & 0x12 == 0x02;
        // The sequence number a side starts at: its SYN's, or the one before its first byte.
        let start = if seg.flags & 0x02 != 0 { seg.seq } else { seg.seq.wrapping_sub(1) };
        match self.tcp.get_mut(&f.key) {
            Some(s) if !(syn_only && s.base[side].is_some_and(|b| b != seg.seq)) => {
                s.base[side].get_or_insert(start);
                Some(Stream::Tcp(s.index))
            }
            _ => {
                let mut base = [None, None];
                if let Some(b) = base.get_mut(side) {
                    *b = Some(start);
                }
                let index = self.next_tcp;
                self.next_tcp += 1;
                self.tcp.insert(f.key, TcpStream { index, base });
                Some(Stream::Tcp(index))
            }
        }
    }
}
/// Each frame's `tcp.stream` and `udp.stream` values, numbered in frame order as `follow`
/// numbers them (a tunnel's outer UDP flow, every A-MSDU subframe, datagrams reassembled), for
/// the display filter's and `-e`'s fields; as in tshark, the datagram an ICMP error quotes has
/// its stream too.
#[derive(Debug, Default)]
pub struct StreamNotes {
    inputs: Inputs,
    index: StreamIndex,
}

impl StreamNotes {
    /// The TCP and UDP streams of `frame`'s packets, in the order they lie in it.
    pub fn note(&mut self, frame: &Frame<'_>) -> (Vec<u32>, Vec<u32>) {
        let (mut tcp, mut udp) = (Vec::new(), Vec::new());
        let index = &mut self.index;
        let _ = self.inputs.each(frame, |x, _, p| {
            let quoted = crate::filter::fields::quoted(p).map(|q| Input::of_packet(&q));
            for x in std::iter::once(x).chain(quoted.as_ref()) {
                match x.flow().and_then(|f| index.of(f)) {
                    Some(Stream::Tcp(n)) => tcp.push(n),
                    Some(Stream::Udp(n)) => udp.push(n),
                    None => {}
                }
            }
            ControlFlow::Continue(())
        });
        (tcp, udp)
    }
}

