//! TCP streams from fuzz input: a sequence of Ethernet frames (each a 2-byte length, a 2-byte
//! time step in milliseconds, then its bytes) through the run with every stream reassembled
//! under small caps, and through `follow`'s reassembler, whose in-order bytes are then framed
//! by every framing rule (lines, length headers, HTTP).

#![no_main]

#[path = "../common/frames.rs"]
mod frames;

use inspect::analyze::stream::follow::{Data, Follower};
use inspect::analyze::stream::framing::{self, Framing, Methods};
use inspect::analyze::stream::reassembly::Caps;
use inspect::cli::{self, ArpOptions, ConnArgs, FloodArgs, Reassemble};
use inspect::decode::input;
use inspect::output::{Format, ViewOptions};
use inspect::pipeline::session::Session;
use inspect::pipeline::Stages;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let view = ViewOptions { format: if mode & 1 == 0 { Format::Text } else { Format::Json }, quiet: true, ..ViewOptions::default() };
    let mut conn: ConnArgs = cli::defaults();
    conn.reassemble = Reassemble::All;
    conn.stream_max_held = 64 << (mode >> 5);
    conn.stream_memory = 1024;
    conn.max_conns = 4;
    let flood: FloodArgs = cli::defaults();
    let arp: ArpOptions = cli::defaults();
    let cfg = inspect::config::analysis(&conn, &flood, &arp, &view, 1);
    let mut out = Vec::new();
    let mut session = Session::new(&mut out, view, Stages::new(&cfg, 1));
    let mut follower = Follower::new(Caps { held: 256, recent: 64 });
    let mut bytes_in_order: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    frames::each_frame(rest, 1024, &mut |frame| {
        session.frame(frame).expect("writing to memory");
        let x = input(frame);
        if let Some(f) = x.flow() {
            let (at, n) = f.payload;
            let payload = frame.data.get(at as usize..(at as usize).saturating_add(n as usize)).unwrap_or(&[]);
            follower.packet(f, payload, frame.number, frame.ts, &mut |r| {
                if let (Data::Bytes(b), Some(d)) = (r.data, bytes_in_order.get_mut(usize::from(r.server))) {
                    if d.len() < 1 << 16 {
                        d.extend_from_slice(b);
                    }
                }
            });
        }
    });
    session.finish(&[]).expect("writing to memory");
    let mut methods = Methods::new();
    for framing in [Framing::Line, Framing::Len2, Framing::Len4, Framing::Http] {
        for (k, d) in bytes_in_order.iter().enumerate() {
            let m = framing::messages(d, framing, mode & 2 != 0, &mut methods);
            let mut at = 0;
            for r in &m.whole {
                assert!(r.start == at && r.end > r.start && r.end <= d.len() as u64, "{framing:?} dir {k}: {r:?}");
                at = r.end;
            }
        }
    }
});
