//! One frame of any link type from fuzz input (the first byte picks the link type and the
//! lines' `-v` level): decoded, rendered in every per-packet view, and held to the decoder's two promises — the fast path
//! and the general path make the same packet, and the compact input made from the frame is the
//! one made from its packet.

#![no_main]

use inspect::decode::{decode, decode_general, input, Input};
use inspect::output::{json, layers, line::LineFormatter, ViewOptions};
use inspect::source::{Frame, Ts};
use libfuzzer_sys::fuzz_target;

/// The link types the decoder reads, and one it does not.
const LINKTYPES: [u32; 12] = [1, 0, 101, 108, 113, 228, 229, 276, 12, 14, 239, 147];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let linktype = LINKTYPES[pick as usize % LINKTYPES.len()];
    let frame = Frame { number: 1, ts: Ts { sec: 1_700_000_000, nsec: 0 }, linktype, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
    let p = decode(&frame);
    assert_eq!(format!("{p:?}"), format!("{:?}", decode_general(&frame)), "fast and general paths differ");
    assert_eq!(input(&frame), Input::of_packet(&p), "the input of the frame differs from its packet's");
    let mut out = String::new();
    LineFormatter::new(false, true).format(&mut out, &p);
    LineFormatter::new(true, false).format(&mut out, &p);
    // tcpdump's -v, -vv and -vvv text (options, group records, sources) on top of the plain line.
    let detail = (pick as usize / LINKTYPES.len() % 3 + 1) as u8;
    LineFormatter::with(&ViewOptions { detail, number: pick & 1 == 0, ..ViewOptions::default() }).format(&mut out, &p);
    json::packet(&mut out, &p);
    layers::packet(&mut out, &p);
});
