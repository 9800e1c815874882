//! A sequence of Ethernet frames built from fuzz input (each a 2-byte length, a 2-byte time step
//! in milliseconds, then its bytes) through every analyzer on one thread, with small tables so
//! that eviction, expiry and alerts are reached, in the view the first byte picks, and the run
//! finished and reported.

#![no_main]

use inspect::cli::{self, ArpOptions, ConnArgs, FloodArgs};
use inspect::output::{Format, ViewOptions};
use inspect::pipeline::session::Session;
use inspect::pipeline::Stages;
use inspect::source::{Frame, Ts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else { return };
    let view = ViewOptions {
        format: if mode & 1 == 0 { Format::Text } else { Format::Json },
        verbose: mode & 2 != 0,
        quiet: mode & 4 != 0,
        conns_only: mode & 8 != 0,
        ..ViewOptions::default()
    };
    let mut conn: ConnArgs = cli::defaults();
    conn.max_conns = 1 + (mode as u64 >> 4);
    conn.syn_timeout = 2.0;
    conn.time_wait = 1.0;
    let mut flood: FloodArgs = cli::defaults();
    flood.flood_syn_rate = 3;
    flood.flood_half_open = 2;
    flood.flood_quiet = 1.0;
    let mut arp: ArpOptions = cli::defaults();
    arp.arp_max_entries = 8;
    let cfg = inspect::config::analysis(&conn, &flood, &arp, &view, 1);
    let mut out = Vec::new();
    let mut session = Session::new(&mut out, view, Stages::new(&cfg, 1));
    let mut ts = Ts { sec: 1_700_000_000, nsec: 0 };
    let mut number = 0;
    while rest.len() >= 4 && number < 2048 {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let step = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
        let take = len.min(rest.len());
        let (bytes, more) = rest.split_at(take);
        rest = more;
        ts = ts.plus_secs(step as f64 / 1000.0);
        number += 1;
        let frame = Frame { number, ts, linktype: 1, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
        session.frame(&frame).expect("writing to memory");
    }
    session.finish(&[]).expect("writing to memory");
});
