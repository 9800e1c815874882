//! The frame-sequence format the analyzer and stream targets share: each frame a 2-byte length,
//! a 2-byte time step in milliseconds, then its bytes (Ethernet), at most `max` frames.

use inspect::source::{Frame, Ts};

/// Calls `each` with every frame of `data`, numbered from 1.
pub fn each_frame(mut rest: &[u8], max: u64, each: &mut dyn FnMut(&Frame<'_>)) {
    let mut ts = Ts { sec: 1_700_000_000, nsec: 0 };
    let mut number = 0;
    while rest.len() >= 4 && number < max {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let step = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
        let take = len.min(rest.len());
        let (bytes, more) = rest.split_at(take);
        rest = more;
        ts = ts.plus_secs(step as f64 / 1000.0);
        number += 1;
        each(&Frame { number, ts, linktype: 1, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true });
    }
}
