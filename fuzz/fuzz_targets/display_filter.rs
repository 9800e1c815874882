//! A display filter (`-Y`) from fuzz input: the text is the input up to its first NUL byte, an
//! Ethernet frame what follows. The text is parsed; an error must render (with its underline);
//! a filter that compiles is matched against the frame's packet, with and without what the
//! analyzers know of it (a connection, an alert).

#![no_main]

use inspect::decode::decode;
use inspect::filter::{ConnNote, DisplayFilter, Note};
use inspect::report::conn::{ConnState, TcpState};
use inspect::source::{Frame, Ts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, bytes) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);
    let filter = match DisplayFilter::new(&text) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            let _ = e.why_pointed();
            return;
        }
    };
    let _ = filter.needs();
    let frame = Frame { number: 1, ts: Ts { sec: 1_700_000_000, nsec: 0 }, linktype: 1, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
    let p = decode(&frame);
    let mut history = [0u8; inspect::analyze::tcp::conn::HISTORY_MAX];
    history[..4].copy_from_slice(b"ShAd");
    let conn = ConnNote {
        uid: *b"CAbCdEfGhIjK",
        state: ConnState::S1,
        history,
        history_len: 4,
        tcp_state: Some(TcpState::Closed),
        retransmission: true,
    };
    for note in [Note::default(), Note { conn: Some(conn), alert: true, msgs: Vec::new(), echo: Some((1, 1_500_000)) }] {
        let _ = filter.matches(&p, &note);
    }
});
