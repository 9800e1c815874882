//! A whole capture file (pcap or pcapng) from fuzz input: read to its end or its first error,
//! every frame decoded and rendered in every per-packet view.

#![no_main]

use std::ops::ControlFlow;

use inspect::decode::{decode, input};
use inspect::output::{json, layers, line::LineFormatter};
use inspect::source::file::FileSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut src) = FileSource::from_reader("fuzz".into(), reader) else { return };
    let mut lines = LineFormatter::new(false, true);
    let mut out = String::new();
    let mut frames = 0u32;
    let _ = src.for_each(|f| {
        let p = decode(&f);
        out.clear();
        lines.format(&mut out, &p);
        json::packet(&mut out, &p);
        layers::packet(&mut out, &p);
        layers::hex(&mut out, p.data, true, "\t");
        let _ = input(&f);
        frames += 1;
        if frames > 4096 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
});
