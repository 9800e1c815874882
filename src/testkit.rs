//! Hand-built frames for the tests and benchmarks, so that each does not carry its own copy of
//! the same header layout. Not part of the tool itself.

use crate::source::{Frame, Ts};

/// An Ethernet II / IPv4 / TCP frame from 02:00:00:00:00:01 to 02:00:00:00:00:02 (IPv4 with DF
/// and TTL 64, a 20-byte TCP header with `window`) carrying `len` payload bytes of `x`.
/// Checksums are left zero: nothing that reads these frames checks them.
#[allow(clippy::too_many_arguments)]
pub fn tcp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, window: u16, len: usize) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
    let total = (40 + len).min(u16::MAX as usize) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags]);
    f.extend_from_slice(&window.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.resize(f.len() + len, b'x');
    f
}

/// An Ethernet frame over `data`, captured whole, numbered `number`, at `ts`.
pub fn frame(number: u64, ts: Ts, data: &[u8]) -> Frame<'_> {
    Frame { number, ts, linktype: 1, len: data.len() as u32, data, interface: 0, ts_known: true }
}

/// Ethernet frames over `data`, numbered from 1, all at time zero (the benches' workloads).
pub fn frames(data: &[Vec<u8>]) -> Vec<Frame<'_>> {
    data.iter().enumerate().map(|(n, d)| frame(n as u64 + 1, Ts::default(), d)).collect()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::decode;

    #[test]
    fn tcp_frame_decodes_as_built() {
        let bytes = tcp_frame([10, 0, 0, 1], [10, 0, 0, 2], 40000, 80, 7, 9, 0x18, 0x1000, 5);
        let p = decode(&frame(1, Ts::default(), &bytes));
        assert!(p.stop.is_none());
        let t = p.tcp().expect("tcp");
        assert_eq!((t.sport, t.dport, t.seq, t.ack, t.flags, t.window, t.payload_len), (40000, 80, 7, 9, 0x18, 0x1000, 5));
        assert_eq!(p.ip_len(), 45);
    }
}
