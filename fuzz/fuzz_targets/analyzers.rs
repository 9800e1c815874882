//! A sequence of Ethernet frames built from fuzz input (each a 2-byte length, a 2-byte time step
//! in milliseconds, then its bytes) through every analyzer on one thread, with small tables so
//! that eviction, expiry and alerts are reached, in the view the first byte picks, and the run
//! finished and reported.

#![no_main]

#[path = "../common/frames.rs"]
mod frames;

use inspect::cli::{self, ArpOptions, ConnArgs, FloodArgs};
use inspect::output::{Format, ViewOptions};
use inspect::pipeline::session::Session;
use inspect::pipeline::Stages;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
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
    frames::each_frame(rest, 2048, &mut |frame| {
        session.frame(frame).expect("writing to memory");
    });
    session.finish(&[]).expect("writing to memory");
});
